"""Small promises of the kit that its mutants showed no test pinned: the leak guard's grace, a
server thread's late error, the types of a Faults, the chunk sizes strategy, the default
deadline, a simulated RLock's blocking acquire, a frozen policy."""

from __future__ import annotations

import dataclasses
import threading
import time

import pytest
from hypothesis import find

from sockettest import (
    DEFAULT_TIMEOUT,
    BlockedTooLong,
    Faults,
    LeakGuard,
    RandomWalk,
    run_in_thread,
    serve_in_thread,
    simulate,
)
from sockettest.strategies import chunk_sizes
from tests.deadlines import DEADLINE


def test_a_thread_that_ends_within_the_grace_is_no_leak(monkeypatch: pytest.MonkeyPatch) -> None:
    """The guard waits up to ``grace`` for a thread on its way out before naming it."""
    guard = LeakGuard(grace=10 * DEADLINE)
    looking = threading.Event()
    enumerate_threads = threading.enumerate

    def enumerate_then_let_go() -> list[threading.Thread]:
        threads = enumerate_threads()
        looking.set()  # alive when the guard looks; on its way out from now on
        return threads

    monkeypatch.setattr(threading, "enumerate", enumerate_then_let_go)
    leaving = threading.Thread(target=looking.wait, args=(DEADLINE,), name="on-its-way-out")
    leaving.start()
    try:
        assert guard.leaked_threads() == []
    finally:
        looking.set()
        leaving.join(DEADLINE)
    assert not leaving.is_alive()


def test_a_server_thread_takes_the_name_given_or_one_after_serve() -> None:
    """serve_in_thread names its thread ``name``, or ``serve-`` and what it runs."""

    def serve() -> None:
        pass

    with serve_in_thread(serve, name="lobby", timeout=DEADLINE) as named:
        named.join(DEADLINE)
    with serve_in_thread(serve, timeout=DEADLINE) as unnamed:
        unnamed.join(DEADLINE)
    assert not named.is_alive()
    assert not unnamed.is_alive()
    assert named.name == "lobby"
    assert unnamed.name == f"serve-{serve.__qualname__}"


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


def test_what_a_server_raises_while_its_readiness_fails_is_the_error_raised() -> None:
    """When the readiness check fails, serve_in_thread stops and joins the server first, and
    raises what the server raised, not the readiness check's error."""
    started = threading.Event()
    stopped = threading.Event()

    def serve() -> None:
        started.set()
        stopped.wait(DEADLINE)
        raise OSError("the server's own error")

    def ready() -> None:
        started.wait(DEADLINE)
        raise RuntimeError("not ready")

    with (
        pytest.raises(OSError, match="the server's own error"),
        serve_in_thread(serve, ready=ready, stop=stopped.set, timeout=DEADLINE),
    ):
        pytest.fail("the block ran although the server was not ready")


def test_run_in_thread_runs_at_once_and_its_join_returns_the_result() -> None:
    """The target runs in another thread as soon as it is started; the join hands back what it
    returned."""
    started = threading.Event()

    def answer() -> tuple[str, bool]:
        started.set()
        return threading.current_thread().name, threading.current_thread() is main

    main = threading.current_thread()
    join = run_in_thread(answer, name="answering")
    assert started.wait(DEADLINE)  # before the join: it started at once
    assert join() == ("answering", False)


def test_run_in_thread_reraises_in_the_joining_thread() -> None:
    """What the target raised comes out of the join, as it was raised."""
    failure = ValueError("the client broke")

    def broken() -> None:
        raise failure

    join = run_in_thread(broken)
    with pytest.raises(ValueError, match="the client broke") as raised:
        join()
    assert raised.value is failure


def test_run_in_thread_fails_naming_a_thread_that_does_not_end() -> None:
    """A join that times out is a BlockedTooLong naming the thread, not a hang."""
    release = threading.Event()
    join = run_in_thread(lambda: release.wait(10 * DEADLINE), timeout=0.05, name="stuck-one")
    try:
        with pytest.raises(
            BlockedTooLong, match=r"^thread 'stuck-one' did not exit within 0.05 s$"
        ):
            join()
    finally:
        release.set()
    assert join() is True


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
    """A Faults' chunk sizes are ints, checked when it is made."""
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
