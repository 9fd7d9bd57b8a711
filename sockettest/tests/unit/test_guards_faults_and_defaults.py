"""Small promises of the kit that its mutants showed no test pinned: the leak guard's grace, a
server thread's late error, a fault schedule's types, the chunk sizes strategy, the default
deadline, a simulated RLock's blocking acquire, a frozen policy."""

from __future__ import annotations

import dataclasses
import threading
import time

import pytest
from hypothesis import find

from sockettest import (
    DEFAULT_TIMEOUT,
    Faults,
    LeakGuard,
    RandomWalk,
    serve_in_thread,
    simulate,
)
from sockettest.strategies import chunk_sizes

DEADLINE = 2.0


def test_a_thread_that_ends_within_the_grace_is_no_leak() -> None:
    """The guard waits up to ``grace`` for a thread on its way out before naming it."""
    guard = LeakGuard(grace=10 * DEADLINE)
    # sleep-ok: a thread still alive when the guard looks, that ends well within its grace
    leaving = threading.Thread(target=threading.Event().wait, args=(1.0,), name="on-its-way-out")
    leaving.start()
    try:
        assert guard.leaked_threads() == []
    finally:
        leaving.join(DEADLINE)
    assert not leaving.is_alive()


def test_what_a_server_raises_after_it_was_ready_is_raised_at_the_end_of_the_block() -> None:
    """serve_in_thread hands the server's own error to the test's thread, as it was raised."""
    ready = threading.Event()

    def serve() -> None:
        ready.set()
        raise ValueError("the server broke after it was ready")

    with (
        pytest.raises(ValueError, match="the server broke after it was ready"),
        serve_in_thread(serve, ready=ready, timeout=DEADLINE) as thread,
    ):
        thread.join(DEADLINE)
    assert not thread.is_alive()


def test_what_a_server_raises_before_it_is_ready_is_raised_at_entry() -> None:
    """A server that dies before it sets ``ready`` has its own error raised when its readiness
    wait gives up, not a BlockedTooLong that hides it."""
    ready = threading.Event()
    started: list[threading.Thread] = []

    def serve() -> None:
        started.append(threading.current_thread())
        raise ValueError("the server broke before it was ready")

    with (  # the readiness wait lasts its timeout: the server never sets ready
        pytest.raises(ValueError, match="the server broke before it was ready"),
        serve_in_thread(serve, ready=ready, timeout=0.2),
    ):
        pytest.fail("the block ran though the server was never ready")
    assert len(started) == 1
    started[0].join(DEADLINE)
    assert not started[0].is_alive()


@pytest.mark.parametrize("chunk", ["1", 1.5, None])
def test_recv_chunks_that_are_not_ints_are_refused(chunk: object) -> None:
    """A fault schedule's chunk sizes are ints, checked when the schedule is made."""
    with pytest.raises(TypeError, match="recv_chunks"):
        Faults(recv_chunks=(2, chunk))  # type: ignore[arg-type]


def test_chunk_sizes_reach_one_byte_one_chunk_and_the_maxima() -> None:
    """The strategy draws 1 to ``max_chunks`` sizes of 1 to ``max_size`` bytes: the one-byte
    reads that break parsers, and a single read, included."""
    sizes = chunk_sizes(max_size=4, max_chunks=3)
    assert 1 in find(sizes, lambda drawn: 1 in drawn)
    assert 4 in find(sizes, lambda drawn: 4 in drawn)
    assert len(find(sizes, lambda drawn: len(drawn) == 1)) == 1
    assert len(find(sizes, lambda drawn: len(drawn) >= 3)) == 3


def test_the_default_deadline_is_the_five_seconds_the_readme_promises() -> None:
    """``DEFAULT_TIMEOUT``: 5 s, as sockettest/README.md says."""
    assert DEFAULT_TIMEOUT == 5.0


def test_a_blocking_rlock_acquire_in_a_simulation_waits_as_long_as_it_takes() -> None:
    """``RLock.acquire()`` with no timeout waits for the holder, however long it holds the lock
    on virtual time; it never gives up and returns False."""

    def scenario() -> list[bool]:
        rlock, held = threading.RLock(), threading.Event()
        got: list[bool] = []

        def holder() -> None:
            with rlock:
                held.set()
                time.sleep(60)  # sleep-ok: virtual time, inside the simulation

        thread = threading.Thread(target=holder)
        thread.start()
        held.wait()
        got.append(rlock.acquire())
        rlock.release()
        thread.join()
        return got

    assert simulate(scenario, seed=1) == [True]


def test_a_policy_is_a_value_that_cannot_change_under_a_replay() -> None:
    """Policies are frozen: equal ones hash alike, and none can be changed after it is made."""
    assert len({RandomWalk(), RandomWalk()}) == 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        RandomWalk().depth = 3  # type: ignore[attr-defined]
