"""The benchmark of concurrency bugs (benchmarks/): each planted bug is found within a small
budget and fails with its own error, each fix passes the seeds tried, and the harness counts
attempts as ``make explore-bench`` reports them. The full budgets are in
tests/stress/test_benchmark_bugs.py."""

import threading
from types import ModuleType

import pytest
from benchmarks import PROGRAMS, harness

from sockettest import PCT, BlockedTooLong, RandomWalk, explore, simulate

pytestmark = pytest.mark.usefixtures("leak_guard")  # no thread may outlive its test

BUDGET = 25
"""Seeds a policy gets to find a bug here (the benchmark gives 1,000)."""

FAILURES = {
    "check_then_act": r"two claims of one name got \['OK', 'OK'\]",
    "lost_update": r"deposits of 1 and 2 left a total of [12]\b",
    "connect_before_listen": "Connection refused",
    "missed_wakeup": "for a notify that had come before the wait",
    "lock_order": "deadlock: holding [AB]",
    "wrong_client": "the second session got the first one's reply",
    "shutdown_race": "Invalid file descriptor: -1",
    "idle_timeout": "Broken pipe|Bad file descriptor",
    "queue_empty": r"the worker handled \[",
    "ack_before_record": r"acknowledged, but the log holds \[\]",
}
"""What each bug's failure says: the bug, not some other error."""

programs = pytest.mark.parametrize(
    "program", PROGRAMS, ids=[program.__name__.split(".")[-1] for program in PROGRAMS]
)


def policies(program: ModuleType) -> list[RandomWalk | PCT]:
    """RandomWalk, then PCT sized to the program's runs, as the benchmark runs them."""
    return [RandomWalk(), PCT(steps=harness.steps_of(program.fixed))]


@programs
def test_the_bug_is_found_and_fails_with_its_own_error(program: ModuleType) -> None:
    """RandomWalk or PCT finds a failing seed within 25, whose replay fails saying the bug."""
    for policy in policies(program):
        seed = explore(program.racy, seeds=range(BUDGET), policy=policy)
        if seed is not None:
            break
    assert seed is not None, f"no seed of {BUDGET} found the bug, with either policy"
    name = program.__name__.split(".")[-1]
    with pytest.raises((AssertionError, OSError, ValueError), match=FAILURES[name]):
        simulate(program.racy, seed=seed, policy=policy)


@programs
def test_the_fix_passes_every_seed_tried(program: ModuleType) -> None:
    """The fix passes seeds 0-1 under each policy, the same way twice, and on real threads
    (the stress tier tries every seed of the benchmark's budget)."""
    for policy in policies(program):
        explore(
            program.fixed, seeds=range(2), policy=policy, check_determinism=True, raise_failure=True
        )
    program.fixed()


def test_seeded_counts_attempts_to_the_first_failure() -> None:
    """A program that fails from the start fails at attempt 1; one that never fails, never."""
    found = harness.seeded(_fails, RandomWalk(), 10)
    assert (found.first, found.failures, found.tried) == (1, 1, 1)
    passed = harness.seeded(_passes, RandomWalk(), 10)
    assert (passed.first, passed.failures, passed.tried) == (None, 0, 10)


def test_hypothesis_counts_examples_to_the_first_failure() -> None:
    """The examples run up to the first that fails, not the shrinking or the replay after."""
    assert harness.hypothesis(_fails, 50).first == 1
    passed = harness.hypothesis(_passes, 5)
    assert (passed.first, passed.tried) == (None, 5)


def test_real_threads_counts_failures_in_any_thread() -> None:
    """A run fails when the program raises or one of its threads does; each run counts."""
    assert harness.real_threads(_fails, 3, cap=5.0).failures == 3
    assert harness.real_threads(_fails_in_a_thread, 3, cap=5.0).failures == 3
    passed = harness.real_threads(_passes, 3, cap=5.0)
    assert (passed.first, passed.failures, passed.tried) == (None, 0, 3)


def test_real_threads_restores_the_excepthook() -> None:
    """The hook that counts a thread's error is the process's own again afterwards."""
    hook = threading.excepthook
    harness.real_threads(_fails_in_a_thread, 1, cap=5.0)
    assert threading.excepthook is hook


def _passes() -> None:
    lock = threading.Lock()
    with lock:
        pass


def _fails() -> None:
    raise BlockedTooLong("planted")


def _fails_in_a_thread() -> None:
    thread = threading.Thread(target=_fails)
    thread.start()
    thread.join(5.0)
    assert not thread.is_alive()
