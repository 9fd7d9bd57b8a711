"""Exploration spread over processes and machines: worker processes, and slices of seeds.

``explore(fn, seeds=..., processes=N)`` sends chunks of seeds to N worker processes and keeps
the serial answer: the first failing seed in the order given, known once every chunk before
the one it is in has passed, not the first a worker happened to meet. A worker imports ``fn``
by module and qualified name, so ``fn`` must be a module's top-level function. The workers are
started with ``spawn``, fresh interpreters: ``fork`` copies a process whose other threads may
hold locks, and ``forkserver`` talks to its server over a Unix socket, which pytest-socket's
guard of a unit tier refuses. A worker's start costs an interpreter's and the imports of the
kit and of ``fn``'s module (a few tenths of a second), once an explore.

Across machines, a CI matrix gives each job one slice of the seeds: :func:`seed_slice`, or
``SOCKETTEST_SEED_SLICE=k/n`` in the environment, which :func:`~sockettest.explore` honours.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import re
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from sockettest._simulation.progress import Reporter

__all__ = ["SLICE_VARIABLE", "first_failure_in_processes", "seed_slice"]

SLICE_VARIABLE = "SOCKETTEST_SEED_SLICE"
"""The environment variable naming this job's slice of every explore's seeds: ``k/n``."""

_CHUNK = 16
"""At most this many seeds a chunk: few enough that the runs after a failure are soon done."""
_CHUNKS_A_WORKER = 4
"""At least this many chunks a worker, so that one slow chunk does not leave the others idle."""

RunChunk = Callable[[Callable[[], object], list[int], dict[str, Any]], tuple[int | None, int]]
"""Run ``fn`` for each seed of a chunk until one fails: ``(its index or None, seeds run)``."""


def seed_slice(seeds: Iterable[int], part: str | None = None) -> list[int]:
    """Slice ``k/n`` of ``seeds``: every ``n``-th seed from the ``k``-th, in the order given.

    The ``n`` slices together are every seed, once; each starts near the beginning, where a
    race is usually found. A CI matrix of four jobs runs ``seed_slice(seeds, "1/4")`` to
    ``"4/4"``, one each; as pytest parameters, so that pytest-xdist spreads them too::

        @pytest.mark.parametrize("seed", sockettest.seed_slice(range(200)))
        def test_no_schedule_loses_a_claim(seed):
            sockettest.simulate(two_clients_claim_one_name, seed=seed)

    Args:
        seeds: the seeds, in order.
        part: ``"k/n"`` with ``1 <= k <= n``; by default the ``SOCKETTEST_SEED_SLICE``
            environment variable, and every seed when it is unset or empty.

    Raises:
        ValueError: ``part``, or the variable, is not ``k/n`` (the error names which).
        TypeError: ``part`` is not a string.
    """
    if part is None:
        part = os.environ.get(SLICE_VARIABLE) or None
        if part is None:
            return list(seeds)
        index, count = _parsed(SLICE_VARIABLE, part)
    else:
        if not isinstance(part, str):
            raise TypeError(f"part must be a string 'k/n' (slice k of n), not {part!r}")
        index, count = _parsed("part", part)
    return list(seeds)[index - 1 :: count]


def _parsed(name: str, part: str) -> tuple[int, int]:
    match = re.fullmatch(r"([0-9]+)/([0-9]+)", part)
    if match is None or not 1 <= int(match[1]) <= int(match[2]):
        raise ValueError(f"{name} must be 'k/n' with 1 <= k <= n (slice k of n), not {part!r}")
    return int(match[1]), int(match[2])


def first_failure_in_processes(
    run_chunk: RunChunk,
    fn: Callable[[], object],
    seeds: list[int],
    *,
    options: dict[str, Any],
    processes: int,
    reporter: Reporter,
) -> int | None:
    """The first seed of ``seeds`` (in their order) for which ``fn`` fails, run in chunks in
    ``processes`` worker processes; ``None`` if none does. Chunks not yet started when the
    answer is known are cancelled; the workers have ended when this returns."""
    size = max(1, min(_CHUNK, math.ceil(len(seeds) / (processes * _CHUNKS_A_WORKER))))
    chunks = [seeds[start : start + size] for start in range(0, len(seeds), size)]
    executor = ProcessPoolExecutor(
        max_workers=min(processes, len(chunks)), mp_context=multiprocessing.get_context("spawn")
    )
    try:
        futures = {
            executor.submit(run_chunk, fn, chunk, options): number
            for number, chunk in enumerate(chunks)
        }
        passed = [False] * len(chunks)
        first: tuple[int, int] | None = None  # (chunk, index in it) of the first failure so far
        for future in as_completed(futures):
            number = futures[future]
            try:
                failed_at, count = future.result()
            except BrokenProcessPool as error:
                name = f"{fn.__module__}.{fn.__qualname__}"
                raise RuntimeError(
                    f"a worker process of explore(processes={processes}) ended before it could "
                    f"answer: it could not import fn as {name} (its error is printed above: a "
                    "module imported by path, not by that name?), or fn ended the process. "
                    "Run with processes=1, in this process"
                ) from error
            if failed_at is None:
                passed[number] = True
            elif first is None or number < first[0]:
                first = (number, failed_at)
            reporter.ran(count, None if first is None else chunks[first[0]][first[1]])
            if first is not None and all(passed[: first[0]]):
                return chunks[first[0]][first[1]]
        return None
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
