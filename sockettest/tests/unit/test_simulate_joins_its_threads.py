"""``simulate`` returns only once the threads of the run have finished, their exit included."""

import threading

from sockettest import simulate


class _SlowToDrop:
    """Dropped with its thread's locals, at the thread's exit, after the run's last point:
    it does some real work first, so that a run that did not wait for the exit returns first."""

    def __init__(self, dropped: list[bool]) -> None:
        self.dropped = dropped

    def __del__(self) -> None:
        self.dropped.append(sum(range(1_000_000)) > 0)


def test_simulate_returns_after_the_run_thread_has_exited() -> None:
    """What a thread of the run does at its exit (its thread-locals dropped) is done when
    simulate returns: it joins the thread, not only its last scheduling point."""
    dropped: list[bool] = []
    local = threading.local()

    def fn() -> None:
        local.held = _SlowToDrop(dropped)

    simulate(fn, seed=1)
    assert dropped == [True]
