"""How a blocked memory-socket call in a real thread sleeps and is woken (``_waiting.py``): on a
bell lent for the sleep, rung once the network's lock is let go, robust to a ring that comes
late, and on a plain lock where there is no ``eventfd``."""

import os
import select
import warnings

import pytest

from sockettest import MemoryNetwork, run_in_thread
from sockettest import _waiting as waiting
from tests.deadlines import DEADLINE, SHORT


def rung(bell: waiting.Bell) -> bool:
    """Whether ``bell`` has been rung and not slept on since (its eventfd is readable)."""
    return bool(select.select([bell.fd], [], [], 0)[0])


def test_a_wake_up_under_the_network_lock_rings_only_once_the_lock_is_let_go() -> None:
    """The woken thread finds the network's lock free: its bell rings at the lock's release."""
    network = MemoryNetwork()
    lock = network.kernel.lock
    channels = waiting.Channels(lock, "test")
    bell = waiting.Bell()
    channels.sleepers[waiting.READING].append(bell)
    with lock:
        channels.wake_all(waiting.READING)
        assert channels.sleepers[waiting.READING] == []
        assert not rung(bell)
    assert rung(bell)
    del bell  # closes its descriptor


def test_a_bell_rung_late_does_not_end_a_later_call_early(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A ring that comes after its sleep timed out wakes the next sleeper on that bell, which
    finds nothing to do and sleeps on: the call still times out, and still gets its data."""
    network = MemoryNetwork()
    a, b = network.socketpair()
    late = waiting.Bell()
    late.ring()
    monkeypatch.setattr(waiting, "_SPARE_BELLS", [late])  # the next sleep is lent it, rung
    with a, b:
        a.settimeout(SHORT)
        with pytest.raises(TimeoutError):
            a.recv(1)
        assert [late] == waiting._SPARE_BELLS, "the sleep gave its bell back"
        late.ring()  # late again: the next sleep is lent it, rung already
        a.settimeout(DEADLINE)
        join = run_in_thread(lambda: a.recv(2))
        network.wait_until_blocked(1, DEADLINE)
        b.sendall(b"hi")
        assert join() == b"hi"


def test_without_eventfd_a_blocked_call_sleeps_on_a_lock_and_is_woken(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where the platform has no eventfd, a bell is a lock: a send wakes a blocked recv, a
    timeout still times out, and a ring with nobody asleep is kept for the next sleep."""
    monkeypatch.setattr(waiting, "_EVENTFD", False)
    monkeypatch.setattr(waiting, "_SPARE_BELLS", [])  # no eventfd bell from earlier tests
    bell = waiting.Bell()
    assert bell.fd == -1
    bell.ring()
    bell.ring()  # rung twice: still one wake-up, and no error
    bell.sleep(DEADLINE)  # returns at once: it was rung
    network = MemoryNetwork()
    a, b = network.socketpair()
    with a, b:
        a.settimeout(SHORT)
        with pytest.raises(TimeoutError):
            a.recv(1)
        a.settimeout(DEADLINE)
        join = run_in_thread(lambda: a.recv(2))
        network.wait_until_blocked(1, DEADLINE)
        b.sendall(b"hi")
        assert join() == b"hi"
    assert all(spare.fd == -1 for spare in waiting._SPARE_BELLS)


def test_bells_are_kept_for_reuse_up_to_a_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sleeps in many threads, one after another, reuse one bell instead of making a new
    descriptor each, and no more bells than the bound are kept."""
    made: list[waiting.Bell] = []

    class CountedBell(waiting.Bell):
        def __init__(self) -> None:
            super().__init__()
            made.append(self)

    monkeypatch.setattr(waiting, "Bell", CountedBell)
    monkeypatch.setattr(waiting, "_SPARE_BELLS", [])
    network = MemoryNetwork()
    a, b = network.socketpair()
    with a, b:
        a.settimeout(DEADLINE)
        for _ in range(3):
            join = run_in_thread(lambda: a.recv(1))
            network.wait_until_blocked(1, DEADLINE)
            b.sendall(b"x")
            assert join() == b"x"
    assert len(made) == 1
    assert made == waiting._SPARE_BELLS
    for _ in range(waiting._SPARE_MAX + 3):
        waiting.return_bell(CountedBell())
    assert len(waiting._SPARE_BELLS) == waiting._SPARE_MAX


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_forked_child_keeps_none_of_the_parents_spare_bells() -> None:
    """A child process shares its parent's eventfds: it starts with no spare bell, so that its
    sleeps never read a ring meant for the parent's."""
    waiting.return_bell(waiting.Bell())
    assert waiting._SPARE_BELLS
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the child only checks and exits
        child = os.fork()
    if child == 0:
        os._exit(0 if waiting._SPARE_BELLS == [] else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert waiting._SPARE_BELLS  # the parent's are its own still
