"""explore(..., processes=N): seeds run in worker processes, with the serial run's answer.

Worker processes are started here (spawn), so this is the integration tier. The scenarios are
the benchmark's programs: a worker imports them by module and name.
"""

import sys
import time
import types

import pytest
from benchmarks import lost_update

from sockettest import ExploreProgress, explore

SEEDS = [*range(30, 0, -1)]
"""Not in increasing order: the answer is the first failing seed in the order given."""


def test_processes_return_the_first_failing_seed_in_the_order_given_as_serial_does() -> None:
    """Two workers find the serial run's seed, not whichever failing seed a worker met first."""
    serial = explore(lost_update.racy, seeds=SEEDS)
    assert serial is not None
    assert serial != SEEDS[0] or explore(lost_update.racy, seeds=SEEDS[1:]) is not None
    assert explore(lost_update.racy, seeds=SEEDS, processes=2) == serial


def test_processes_wait_for_the_earlier_chunk_when_a_later_one_fails_first() -> None:
    """The first chunk fails at its last seed, the second at its first (so sooner): the answer
    is the first chunk's seed, as serial."""
    passing = [seed for seed in range(320) if explore(lost_update.racy, seeds=[seed]) is None]
    failing = [seed for seed in range(20) if seed not in passing]
    assert len(passing) >= 126
    assert len(failing) >= 2
    seeds = [*passing[:15], failing[1], failing[0], *passing[15:126]]  # 128: chunks of 16
    assert explore(lost_update.racy, seeds=seeds) == failing[1]
    assert explore(lost_update.racy, seeds=seeds, processes=2) == failing[1]


def test_processes_with_raise_failure_raise_the_failing_runs_own_exception() -> None:
    """raise_failure in processes raises what the serial run raises, with the same notes."""
    with pytest.raises(AssertionError) as serial:
        explore(lost_update.racy, seeds=SEEDS, raise_failure=True)
    with pytest.raises(AssertionError) as parallel:
        explore(lost_update.racy, seeds=SEEDS, raise_failure=True, processes=2)
    assert str(parallel.value) == str(serial.value)
    assert parallel.value.__notes__ == serial.value.__notes__
    assert "Replay: sockettest.simulate(benchmarks.lost_update.racy, seed=" in str(
        parallel.value.__notes__
    )


def test_processes_run_every_seed_of_a_fix_and_report_progress() -> None:
    """A fix passes every seed in the workers; progress counts them all, and ends done."""
    reports: list[ExploreProgress] = []
    seeds = range(40)
    assert explore(lost_update.fixed, seeds=seeds, processes=2, progress=reports.append) is None
    assert reports[-1].done
    assert reports[-1].seeds_run == len(seeds)
    assert reports[-1].first_failure is None
    runs = [report.seeds_run for report in reports]
    assert runs == sorted(runs)
    assert len(runs) > 2


def test_processes_give_each_of_a_few_seeds_a_chunk_of_its_own() -> None:
    """Fewer seeds than the workers' chunks: each seed is a chunk, so the workers share them
    and progress counts each seed as it ends."""
    reports: list[ExploreProgress] = []
    assert explore(lost_update.fixed, seeds=range(3), processes=2, progress=reports.append) is None
    assert [report.seeds_run for report in reports if not report.done] == [1, 2, 3]


RUNS = [0]
"""A process-wide count of :func:`differs_each_run`'s runs."""


def differs_each_run() -> None:
    """Takes one more scheduling point on every other run in a process: passes, but no two
    consecutive runs have the same trace."""
    RUNS[0] += 1
    for _ in range(RUNS[0] % 2 + 1):
        time.sleep(0)  # sleep-ok: virtual; a scheduling point


def test_processes_check_determinism_in_the_workers() -> None:
    """check_determinism reaches the workers: each seed runs twice there, and differs."""
    assert explore(differs_each_run, seeds=[5, 2, 7], processes=2) is None
    assert explore(differs_each_run, seeds=[5, 2, 7], processes=2, check_determinism=True) == 5


def test_processes_with_check_determinism_return_the_serial_answer() -> None:
    """With check_determinism, a deterministic racy scenario gives the serial seed."""
    serial = explore(lost_update.racy, seeds=SEEDS, check_determinism=True)
    assert serial is not None
    assert explore(lost_update.racy, seeds=SEEDS, check_determinism=True, processes=2) == serial


def test_a_worker_that_cannot_import_fn_fails_the_explore_naming_fn() -> None:
    """fn of a module the workers cannot import by its name (one this process made, as a test
    runner importing by path can) ends the explore with an error naming fn and processes=1,
    not concurrent.futures' "terminated abruptly"."""
    module = types.ModuleType("sockettest_made_here")
    module.__file__ = __file__
    exec("def scenario():\n    pass\n", module.__dict__)  # noqa: S102 (a module's own code)
    sys.modules[module.__name__] = module
    try:
        with pytest.raises(RuntimeError, match=r"sockettest_made_here\.scenario.*processes=1"):
            explore(module.scenario, seeds=range(4), processes=2)
    finally:
        del sys.modules[module.__name__]
