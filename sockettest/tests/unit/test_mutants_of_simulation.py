"""Simulation behaviours that only a mutation showed unpinned; each test fails on the mutant it
was written for."""

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from sockettest import BlockedTooLong, RandomWalk, Simulation
from sockettest._simulation import parallel
from sockettest._simulation.progress import ExploreProgress, Reporter
from sockettest._simulation.scheduler import Scheduler
from tests.deadlines import DEADLINE


def test_a_watchdog_abort_after_the_last_thread_ended_tells_the_supervisor_nothing_more() -> None:
    """The watchdog may give up on a run just as its last thread ends (both unwind the run):
    the supervisor is told once that the run is over, and the late abort raises nothing."""
    scheduler = Scheduler(RandomWalk()._chooser(0), Simulation(seed=0), max_steps=100)
    main = scheduler.add("main", None, daemon=False)
    scheduler.running = main
    scheduler.end_run()
    scheduler.ended(main)
    scheduler.abort(BlockedTooLong("stalled"))
    assert scheduler.done.acquire(timeout=0)
    assert not scheduler.done.acquire(timeout=0)


class ThreadsForProcesses(ThreadPoolExecutor):
    """A ProcessPoolExecutor's signature on threads: the chunks' answers are merged the same
    way, without starting interpreters (worker processes are run in tests/integration)."""

    def __init__(self, max_workers: int, mp_context: object) -> None:
        super().__init__(max_workers=max_workers)


FAILING_SEEDS = {13, 40}


def run_chunk(
    fn: Callable[[], object], seeds: list[int], options: dict[str, Any]
) -> tuple[int | None, int]:
    """A worker's chunk (``parallel.RunChunk``) in which the seeds of FAILING_SEEDS fail."""
    for number, seed in enumerate(seeds):
        if seed in FAILING_SEEDS:
            return number, number + 1
    return None, len(seeds)


def test_workers_give_the_first_failing_seed_in_the_order_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With seeds spread over workers in chunks, a failure in a later chunk is the answer once
    every chunk before it has passed: the first failing seed of the seeds given."""
    monkeypatch.setattr(parallel, "ProcessPoolExecutor", ThreadsForProcesses)
    seeds = list(range(64))
    reporter = Reporter(None, len(seeds))
    found = parallel.first_failure_in_processes(
        run_chunk, lambda: None, seeds, options={}, processes=2, reporter=reporter
    )
    assert found == min(FAILING_SEEDS)
    assert reporter.first_failure == min(FAILING_SEEDS)


def test_workers_wait_for_the_chunks_before_a_failure_that_came_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A failure met in a later chunk while the first chunk still runs is not the answer: the
    first chunk's failure, reported after it, is, being first in the order given."""
    monkeypatch.setattr(parallel, "ProcessPoolExecutor", ThreadsForProcesses)
    later_failure_seen = threading.Event()

    def run_chunk_late_first(
        fn: Callable[[], object], seeds: list[int], options: dict[str, Any]
    ) -> tuple[int | None, int]:
        """The chunk of seed 0 fails at seed 5, once seed 40's failure has been reported."""
        if 0 in seeds:
            assert later_failure_seen.wait(DEADLINE)
            return seeds.index(5), seeds.index(5) + 1
        return (seeds.index(40), seeds.index(40) + 1) if 40 in seeds else (None, len(seeds))

    def report(progress: ExploreProgress) -> None:
        if progress.first_failure == 40:
            later_failure_seen.set()

    seeds = list(range(64))
    found = parallel.first_failure_in_processes(
        run_chunk_late_first,
        lambda: None,
        seeds,
        options={},
        processes=2,
        reporter=Reporter(report, len(seeds)),
    )
    assert later_failure_seen.is_set()
    assert found == 5
