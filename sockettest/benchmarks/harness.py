"""Run any program of the benchmark under a policy, and count the attempts to its first failure.

One function a way of running: :func:`seeded` (``RandomWalk`` or ``PCT`` over seeds
``0, 1, 2, ...``), :func:`hypothesis` (``sockettest.strategies.preemptions()`` inside
``@given``, counting examples), :func:`real_threads` (the same program with no ``simulate``: the
operating system schedules its threads, on the in-memory network all the same), and
:func:`fix_holds` for a fix under a policy. Each returns a :class:`Search`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from hypothesis import HealthCheck, Phase, given, settings

from sockettest import PCT, RandomWalk, Simulation, explore, simulate
from sockettest.strategies import preemptions

Program = Callable[[], None]


@dataclass(frozen=True)
class Search:
    """What one way of running found within its budget.

    Attributes:
        first: the attempt (1-based) that failed first; ``None`` if none of ``tried`` did.
        failures: how many of ``tried`` failed (counted only where every attempt runs).
        tried: the attempts made (up to the first failure, or all of them).
        seconds: the wall time they took.
    """

    first: int | None
    failures: int
    tried: int
    seconds: float


def steps_of(program: Program) -> int:
    """The scheduling points of one run of ``program`` (seed 0): a size for ``PCT(steps=...)``."""
    simulation = Simulation(seed=0)
    simulation.run(program)
    return len(simulation.trace)


def seeded(program: Program, policy: RandomWalk | PCT, budget: int) -> Search:
    """Seeds ``0 .. budget - 1`` under ``policy``, up to the first that fails."""
    began = time.perf_counter()
    seed = explore(program, seeds=range(budget), policy=policy)
    seconds = time.perf_counter() - began
    if seed is None:
        return Search(None, 0, budget, seconds)
    return Search(seed + 1, 1, seed + 1, seconds)


class _Found(Exception):
    """Stops Hypothesis at the first failing example (no shrinking: only the count matters)."""


def hypothesis(program: Program, budget: int) -> Search:
    """``preemptions()`` (a few preemption points: the sparse strategy) inside ``@given``, at
    most ``budget`` examples, derandomized; the count is of examples run up to the first that
    fails."""
    tried = 0
    first: int | None = None

    @settings(
        max_examples=budget,
        phases=[Phase.generate],
        database=None,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(schedule=preemptions())
    def search(schedule: object) -> None:
        nonlocal tried, first
        tried += 1
        try:
            simulate(program, schedule=schedule)  # type: ignore[arg-type]
        except Exception as failure:
            first = first or tried  # Hypothesis runs the failing example again at the end
            raise _Found from failure

    began = time.perf_counter()
    try:
        search()
    except _Found:
        assert first is not None
        return Search(first, 1, first, time.perf_counter() - began)
    return Search(None, 0, tried, time.perf_counter() - began)


def real_threads(program: Program, runs: int, cap: float) -> Search:
    """``program`` run ``runs`` times on real threads; a run fails when it raises, when one of
    its threads raises, or when it takes longer than ``cap`` seconds (it is then left behind,
    a daemon)."""
    failures = 0
    first: int | None = None
    began = time.perf_counter()
    for attempt in range(1, runs + 1):
        if not _passes_on_real_threads(program, cap):
            failures += 1
            first = first or attempt
    return Search(first, failures, runs, time.perf_counter() - began)


def _passes_on_real_threads(program: Program, cap: float) -> bool:
    errors: list[BaseException | None] = []
    hook = threading.excepthook
    threading.excepthook = lambda args: errors.append(args.exc_value)
    try:
        runner = threading.Thread(target=_catching(program, errors), daemon=True)
        runner.start()
        runner.join(cap)
        return not errors and not runner.is_alive()
    finally:
        threading.excepthook = hook


def _catching(program: Program, errors: list[BaseException | None]) -> Program:
    def run() -> None:
        try:
            program()
        except Exception as failure:  # counted as the run's failure
            errors.append(failure)

    return run


def fix_holds(fixed: Program, policy: RandomWalk | PCT, seeds: int) -> Search:
    """Every seed ``0 .. seeds - 1`` of the fix under ``policy``: ``first`` is the first that
    failed, ``None`` if the fix held."""
    return seeded(fixed, policy, seeds)
