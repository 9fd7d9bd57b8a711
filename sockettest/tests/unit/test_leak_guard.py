"""LeakGuard: a thread started during the test and still running, or a watched socket still
open, fails the check by name; threads on their way out and threads from before do not."""

from __future__ import annotations

import threading
import time

import pytest

from sockettest import LeakError, LeakGuard, run_in_thread
from tests.deadlines import DEADLINE


def test_a_thread_still_running_and_a_socket_still_open_are_named() -> None:
    """check() raises LeakError naming the running thread and the open socket, then cleans up."""
    release = threading.Event()
    closed: list[str] = []
    guard = LeakGuard(grace=0.0)
    guard.watch_sockets(lambda: [] if closed else ["<socket one>"], lambda: closed.append("all"))
    worker = threading.Thread(target=release.wait, args=(DEADLINE,), name="stuck-worker")
    worker.start()
    try:
        with pytest.raises(LeakError) as caught:
            guard.check()
    finally:
        release.set()
        worker.join(DEADLINE)
    assert not worker.is_alive()
    assert str(caught.value) == (
        "the test leaked: thread 'stuck-worker' is still running; "
        "socket <socket one> was not closed"
    )
    assert closed == ["all"], "the cleanup ran after the check"


def test_a_thread_on_its_way_out_within_the_grace_period_is_not_a_leak() -> None:
    """A thread that ends a moment after check() begins is waited for, not reported."""
    release = threading.Event()

    def finishing() -> None:
        release.wait(DEADLINE)
        time.sleep(0.05)  # sleep-ok: a handler still closing when the check begins

    guard = LeakGuard(grace=DEADLINE)
    worker = threading.Thread(target=finishing, name="finishing-worker")
    worker.start()
    release.set()
    guard.check()
    assert not worker.is_alive()


def test_threads_from_before_the_guard_and_the_checking_thread_are_not_leaks() -> None:
    """A thread alive before the guard began is not reported, nor the thread that checks."""
    release = threading.Event()
    older = threading.Thread(target=release.wait, args=(DEADLINE,), name="older-worker")
    older.start()
    try:
        guard = LeakGuard(grace=0.0)
        run_in_thread(guard.check, name="checking-thread")()  # started after the guard
        assert guard.leaked_threads() == []
    finally:
        release.set()
        older.join(DEADLINE)
    assert not older.is_alive()


def test_the_grace_period_bounds_the_wait_for_a_leaked_thread() -> None:
    """check() on a thread that never ends returns (with the leak) after its grace period."""
    release = threading.Event()
    worker = threading.Thread(target=release.wait, args=(DEADLINE * 4,), name="never-ends")
    guard = LeakGuard(grace=0.0)
    worker.start()
    try:
        join_check = run_in_thread(guard.leaked_threads, timeout=DEADLINE)
        assert join_check() == [worker]
    finally:
        release.set()
        worker.join(DEADLINE)
    assert not worker.is_alive()


class _JoinRecordingThread(threading.Thread):
    """A thread that records the timeout of each join, to see how long a check waits for it."""

    def __init__(self, release: threading.Event) -> None:
        super().__init__(target=release.wait, args=(DEADLINE * 4,), name="recorded")
        self.join_timeouts: list[float | None] = []

    def join(self, timeout: float | None = None) -> None:
        self.join_timeouts.append(timeout)
        super().join(timeout)


def test_a_leaked_thread_is_waited_for_no_longer_than_what_is_left_of_the_grace() -> None:
    """With grace=0.05 s the check joins a thread that never ends for at most 0.05 s, not
    more."""
    release = threading.Event()
    worker = _JoinRecordingThread(release)
    guard = LeakGuard(grace=0.05)
    worker.start()
    try:
        assert run_in_thread(guard.leaked_threads, timeout=DEADLINE)() == [worker]
        assert len(worker.join_timeouts) == 1
        waited = worker.join_timeouts[0]
        assert waited is not None
        assert 0 <= waited <= 0.05
    finally:
        release.set()
        threading.Thread.join(worker, DEADLINE)
    assert not worker.is_alive()
