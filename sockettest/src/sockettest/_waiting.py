"""How a blocked call of the in-memory network waits: one strategy per way of measuring time.

A call that cannot go on (``recv`` with nothing to read, ``send`` into a full pipe, ``accept``
with no connection, ``connect`` into a full backlog) waits on one of its socket's
:class:`Channels` until a change of state wakes it or its deadline passes. What a deadline is
measured on decides the rest, so each way is a strategy of its own:

- :class:`Waiting` itself, a network without a clock: deadlines on :func:`time.monotonic`; a call
  with no deadline gives up after the network's ``max_block`` real seconds.
- :class:`VirtualTime`, a network with a :class:`~sockettest.VirtualClock`: a deadline passes
  when the clock is advanced past it, or autojumps there once the network has been idle for
  the clock's threshold; ``max_block`` real seconds bound every call, so a wait for a clock
  that nothing advances fails instead of hanging.
- :class:`Simulated`, any call in a simulated thread (:func:`sockettest.simulate`): it parks in
  the scheduler on the simulation's virtual time; a deadlock fails the run at once, so neither
  ``max_block`` nor autojump applies.

The network picks the first two once, by its clock; a call made in a simulated thread takes the
third, whatever the network's.

How a real thread sleeps and is woken is chosen for speed: the in-memory network is to be no
slower than loopback. A thread woken by :meth:`threading.Lock.release`, as a
:class:`threading.Condition` wakes it, is woken by a thread that holds the GIL (and here the
network's lock too): the woken thread, often run at once by the kernel, can only wait for both.
A real socket's ``send`` wakes its reader from inside a system call, the GIL released. So a
real thread sleeps on a :class:`Bell`, an ``eventfd`` lent for the sleep
(:meth:`Channels.park`), and a change of state that wakes it only notes the bell
(:meth:`Channels.wake_all`); the network's lock (:class:`NetworkLock`) rings the bells it noted
once it is let go, each ring a system call that releases the GIL. With a condition, a byte's
round trip between two threads took 33 microseconds, against loopback's 19; with bells it takes
20 (``make time-game``). A simulated thread waits on a
:class:`~sockettest._simulation.scheduler.SchedulableCondition`, in the scheduler, as before,
and while a simulation runs a bell is rung at once.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from sockettest._deadlines import BlockedTooLong
from sockettest._originals import RLock, allocate_lock
from sockettest._selecting import any_ready
from sockettest._simulation.scheduler import THREADS, SchedulableCondition, current, virtual_now

if TYPE_CHECKING:
    from sockettest._clock import VirtualClock

__all__ = [
    "READING",
    "WRITING",
    "Bell",
    "Channels",
    "NetworkLock",
    "Signal",
    "Waiting",
    "waiting_for",
]

_T = TypeVar("_T")

READING, WRITING = 0, 1
"""The two ways a call waits on a socket: for something to read (recv, accept), or for room
to write (send, and connect, which waits on the listener's backlog). Each has its own
condition, so that a byte arriving does not wake the thread that waits to send."""


_EVENTFD = hasattr(os, "eventfd")  # Linux; elsewhere a bell is a lock
_POLL = getattr(select, "poll", None)  # taken now: a simulation replaces select's functions


class Bell:
    """What one real thread sleeps on, whatever socket it waits for: an ``eventfd`` that
    :meth:`ring` makes readable and :meth:`sleep` waits to be readable, both releasing the GIL.

    A ring may come after the sleep it was meant for timed out, or was over; the next sleep
    then returns at once, and the caller, which re-checks what it waits for, sleeps again. A
    bell is lent for one sleep (:func:`lend_bell`) and kept for the next (a thread is made for
    every connection a server takes, and a new bell costs three system calls); its descriptor
    is closed when the last reference goes (a ring still to come holds one). Where there is no
    ``eventfd`` a bell is a lock, acquired until rung: a thread then sleeps as
    :meth:`threading.Condition.wait` does.
    """

    __slots__ = ("fd", "lock", "poller")

    def __init__(self) -> None:
        self.fd = -1
        self.lock = allocate_lock()
        if _EVENTFD and _POLL is not None:
            self.fd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
            self.poller = _POLL()
            self.poller.register(self.fd, select.POLLIN)
        else:
            self.lock.acquire()

    def ring(self) -> None:
        """Wake the thread sleeping on it, or make its next sleep return at once."""
        if self.fd >= 0:
            os.eventfd_write(self.fd, 1)
        else:
            with contextlib.suppress(RuntimeError):  # rung already, by another thread
                self.lock.release()

    def sleep(self, timeout: float | None) -> None:
        """Sleep until rung, or ``timeout`` real seconds (``None``: no bound); the GIL released."""
        if self.fd < 0:
            self.lock.acquire(True, -1 if timeout is None else max(timeout, 0.0))  # held after
            return
        if self.poller.poll(None if timeout is None else max(timeout, 0.0) * 1000.0):
            os.eventfd_read(self.fd)  # back to unrung (only this thread reads it)

    def __del__(self, close: Callable[[int], None] = os.close) -> None:  # os may be gone
        if self.fd >= 0:
            close(self.fd)
            self.fd = -1


_SPARE_BELLS: list[Bell] = []
"""Bells no thread sleeps on now, for the next sleep; at most :data:`_SPARE_MAX` are kept."""

_SPARE_MAX = 16

if hasattr(os, "register_at_fork"):
    # A forked child (explore's worker processes) shares the parent's eventfds: a sleep in the
    # child on a spare bell could read, and so lose, a ring meant for a sleep in the parent.
    os.register_at_fork(after_in_child=_SPARE_BELLS.clear)


def lend_bell() -> Bell:
    """A bell to sleep on once (give it back with :func:`return_bell`)."""
    try:
        return _SPARE_BELLS.pop()
    except IndexError:
        return Bell()


def return_bell(bell: Bell) -> None:
    """Keep ``bell`` for the next sleep, or let it close if enough are kept."""
    if len(_SPARE_BELLS) < _SPARE_MAX:
        _SPARE_BELLS.append(bell)


class NetworkLock(type(RLock())):  # type: ignore[misc]
    """The network's one lock, a real ``RLock`` that rings, once it is let go, the bells of the
    real threads that a change of state under it woke (:meth:`Channels.wake_all` notes them in
    :attr:`bells`): the woken thread then finds the lock free and the GIL released."""

    __slots__ = ("bells",)

    def __init__(self) -> None:
        super().__init__()
        self.bells: list[Bell] = []

    def __exit__(self, kind: object, error: object, traceback: object) -> None:
        bells = self.bells
        if bells:
            self.bells = []
            self.release()
            for rung in bells:
                rung.ring()
        else:
            self.release()


class Channels:
    """Where a socket's calls sleep, to read and to write, and how many sleep on each: a change
    of state wakes only the calls it concerns.

    Real threads sleep on their bells (:meth:`park`); simulated threads wait on a condition of
    the network's lock, made on the first such wait (:meth:`condition`).
    """

    __slots__ = ("asleep", "conds", "label", "lock", "reading", "sleepers")

    def __init__(self, lock: NetworkLock, label: str, reading: str | None = None) -> None:
        self.lock = lock
        self.label = label
        self.reading = reading  # what a simulated thread waits for to read, if not the rule
        self.asleep = [0, 0]
        self.conds: list[SchedulableCondition | None] = [None, None]
        self.sleepers: tuple[list[Bell], list[Bell]] = ([], [])

    def condition(self, channel: int) -> SchedulableCondition:
        """The condition simulated calls wait on to read or to write."""
        cond = self.conds[channel]
        if cond is None:
            what = "recv or accept" if channel == READING else "send or connect"
            label = f"{what} {self.label}"
            if channel == READING and self.reading is not None:
                label = self.reading
            cond = self.conds[channel] = SchedulableCondition(self.lock, label)
        return cond

    def park(self, channel: int, timeout: float | None) -> None:
        """Sleep, the network's lock held by this real thread, until :meth:`wake_all` or
        ``timeout`` real seconds, or at once for a ring that came late; the lock is released
        meanwhile (all the way, as :meth:`threading.Condition.wait` releases an ``RLock``),
        the bells this thread noted rung, and the lock held again on return."""
        mine = lend_bell()
        sleepers = self.sleepers[channel]
        sleepers.append(mine)
        lock: Any = self.lock
        bells = lock.bells
        if bells:
            lock.bells = []
        saved = lock._release_save()
        try:
            for rung in bells:
                rung.ring()
            mine.sleep(timeout)
        finally:
            lock._acquire_restore(saved)
            if mine in sleepers:  # timed out, or interrupted: nobody woke it
                sleepers.remove(mine)
            return_bell(mine)

    def wake_all(self, channel: int) -> None:
        """Wake every call sleeping to read or to write, real or simulated (lock held): a
        real thread's bell rings when the lock is let go, or at once while a simulation runs."""
        sleepers = self.sleepers[channel]
        if sleepers:
            if THREADS:
                for rung in sleepers:
                    rung.ring()
            else:
                self.lock.bells += sleepers
            sleepers.clear()
        cond = self.conds[channel]
        if cond is not None:
            cond.notify_all()


class Signal:
    """What a test's helper waits on, under the network's lock (a socket call to block, a
    socket to close): a condition of the lock, made on the first wait (a network is made for
    every test, and most never wait), and that costs next to nothing to notify while nobody
    waits on it: most calls notify one, and nearly always nobody does."""

    __slots__ = ("cond", "label", "lock", "watchers")

    def __init__(self, lock: NetworkLock, label: str) -> None:
        self.lock = lock
        self.label = label
        self.cond: SchedulableCondition | None = None
        self.watchers = 0  # real or simulated threads in wait_for(); changed with the lock held

    def wait_for(self, predicate: Callable[[], bool], timeout: float | None) -> bool:
        """:meth:`threading.Condition.wait_for`, the lock held."""
        if predicate():  # at once: no condition to make (a leak check with no grace)
            return True
        cond = self.cond
        if cond is None:
            cond = self.cond = SchedulableCondition(self.lock, self.label)
        self.watchers += 1
        try:
            return cond.wait_for(predicate, timeout)
        finally:
            self.watchers -= 1

    def notify_all(self) -> None:
        """Wake every thread in :meth:`wait_for` to check its predicate (the lock held)."""
        if self.watchers and self.cond is not None:
            self.cond.notify_all()


class _Call:
    """One blocked call, as its strategy sees it: what wakes it, its deadlines, and whether a
    change of state has woken it and it has not run since (the autojump waits for it)."""

    __slots__ = ("channel", "channels", "deadline", "stuck_at", "woken")

    def __init__(self, channels: Channels, channel: int, deadline: float | None) -> None:
        self.channels = channels
        self.channel = channel
        self.deadline = deadline
        self.stuck_at: float | None = None  # real time at which it raises BlockedTooLong
        self.woken = False


class Limits(Protocol):
    """What a strategy reads from its network, live (a test may change ``max_block``)."""

    max_block: float | None
    stuck_calls: list[BlockedTooLong]


class Waiting:
    """A network's way of waiting, on real time, and the count of its calls waiting now.

    Every strategy runs the same loop (:meth:`block`); each says how time is read
    (:meth:`now`), when a call has waited too long, and how one sleep is taken and when the
    deadline has passed (:meth:`_sleep`).
    """

    def __init__(self, limits: Limits, lock: NetworkLock) -> None:
        self.limits = limits
        self.blocked = 0
        self.any_blocked = Signal(lock, "a socket call to block")
        self.autojump: float | None = None  # the virtual clock's threshold; None elsewhere
        self.last_use = 0.0  # real time of the last socket call, for the autojump

    def now(self) -> float:
        """The network's time: real, or in a simulated thread the simulation's."""
        if THREADS:
            now = virtual_now()
            if now is not None:
                return now
        return time.monotonic()

    wake = staticmethod(Channels.wake_all)
    """``wake(channels, channel)``: wake the calls sleeping on ``channels`` to read or to write
    (the caller has seen ``channels.asleep`` count some); :meth:`Channels.wake_all` itself, a
    call less on every change of state, where no strategy needs more."""

    def block(
        self,
        channels: Channels,
        channel: int,
        ready: Callable[[], bool],
        deadline: float | None,
        *,
        call: str,
        caller: object,
        partial: bool,
        kernel_timeout: bool,
    ) -> None:
        """Wait, with the lock held, until ``ready()`` or ``deadline`` (on this network's time);
        the caller has just found it not ready.

        At the deadline a call that ``partial``-ly moved bytes returns (a ``send``'s short
        count); otherwise it raises ``EAGAIN`` for a ``kernel_timeout`` (``SO_RCVTIMEO``,
        ``SO_SNDTIMEO``) and :class:`TimeoutError` for a socket timeout.
        """
        strategy = SIMULATED if THREADS and current() is not None else self
        waiting = _Call(channels, channel, deadline)
        strategy._start(waiting)
        channels.asleep[channel] += 1
        self.blocked += 1
        if self.any_blocked.watchers:
            self.any_blocked.notify_all()
        try:
            while strategy._sleep(waiting, call, caller):
                if ready():
                    return
        finally:
            channels.asleep[channel] -= 1
            self.blocked -= 1
            strategy._end(waiting)
        if partial:
            return
        if kernel_timeout:
            raise BlockingIOError(errno.EAGAIN, os.strerror(errno.EAGAIN))
        raise TimeoutError("timed out")

    def _start(self, waiting: _Call) -> None:
        limit = self.limits.max_block
        if waiting.deadline is None and limit is not None:  # a deadline bounds it otherwise
            waiting.stuck_at = time.monotonic() + limit

    def _end(self, waiting: _Call) -> None:
        pass

    def _sleep(self, waiting: _Call, call: str, caller: object) -> bool:
        """Sleep once, until woken or for a while; ``False``, without sleeping, once the
        deadline has passed."""
        if waiting.deadline is None:  # then it may get stuck; else the deadline bounds it
            timeout = self._check_stuck(waiting, call, caller)
        else:
            timeout = waiting.deadline - time.monotonic()  # real time: no simulated thread here
            if timeout <= 0:
                return False
        waiting.channels.park(waiting.channel, timeout)
        return True

    def _check_stuck(self, waiting: _Call, call: str, caller: object) -> float | None:
        """Real seconds the call may still sleep before it has waited too long (``None``: no
        bound), or the :class:`~sockettest.BlockedTooLong` it raises once it has."""
        if waiting.stuck_at is None:
            return None
        left = waiting.stuck_at - time.monotonic()
        if left > 0:
            return left
        limit = self.limits.max_block
        if waiting.deadline is not None:
            what = (
                f"{call} on {caller!r} waited {limit:g} real seconds for its timeout on the "
                "virtual clock: advance the clock, or give it an autojump_threshold"
            )
        else:
            what = (
                f"{call} on {caller!r} blocked for more than {limit:g} s with no timeout: "
                "is the other side waiting too?"
            )
        stuck = BlockedTooLong(what)
        self.limits.stuck_calls.append(stuck)
        raise stuck


class VirtualTime(Waiting):
    """A virtual clock: deadlines pass when the clock moves, by hand or by autojump."""

    def __init__(self, limits: Limits, lock: NetworkLock, clock: VirtualClock) -> None:
        super().__init__(limits, lock)
        self.clock = clock
        self.lock = lock
        self.autojump = clock.autojump_threshold
        self.last_use = time.monotonic()
        self.calls: list[_Call] = []  # the calls blocked now
        clock._subscribe(self._clock_advanced)

    def now(self) -> float:
        return self.clock.monotonic()  # the simulation's time in a simulated thread

    def wake(self, channels: Channels, channel: int) -> None:
        channels.wake_all(channel)
        for waiting in self.calls:
            if waiting.channels is channels and waiting.channel == channel:
                waiting.woken = True

    def _start(self, waiting: _Call) -> None:
        limit = self.limits.max_block
        if limit is not None:  # even with a deadline: nothing may ever advance the clock
            waiting.stuck_at = time.monotonic() + limit
        self.calls.append(waiting)

    def _end(self, waiting: _Call) -> None:
        self.calls.remove(waiting)
        if self.autojump is not None:
            self.last_use = time.monotonic()  # the call's return counts as use

    def _sleep(self, waiting: _Call, call: str, caller: object) -> bool:
        if waiting.deadline is not None and self.now() >= waiting.deadline:
            return False
        timeout = self._check_stuck(waiting, call, caller)
        if self.autojump is not None and waiting.deadline is not None:
            timeout = self.autojump if timeout is None else min(timeout, self.autojump)
        waiting.woken = False
        waiting.channels.park(waiting.channel, timeout)
        if self.autojump is not None:
            self._maybe_autojump()
        return True

    def _maybe_autojump(self) -> None:
        """Jump the clock to the earliest deadline if the network is idle."""
        assert self.autojump is not None
        real = time.monotonic()
        if real - self.last_use < self.autojump:
            return
        if any(waiting.woken for waiting in self.calls):
            return  # a woken call has not run yet: it may still change everything
        deadlines = [waiting.deadline for waiting in self.calls if waiting.deadline is not None]
        if not deadlines or not self.clock._jump_to(min(deadlines)):
            return
        self.last_use = real  # the next jump waits for idleness afresh
        self._wake_due()

    def select(
        self, channels: Channels, poll: Callable[[], _T], timeout: float | None, caller: object
    ) -> _T:
        """Wait, with the lock held, as a blocked call does, until ``poll()`` finds something
        or ``timeout`` passes on the clock; what it found last.

        ``channels`` is the network's select channel, which every change of a socket's
        readiness wakes (``MemorySocket._notify``): so a ``select`` counts as blocked for the
        autojump, wakes when a socket becomes ready, and times out on virtual time.
        """
        found: list[_T] = []

        def ready() -> bool:
            found[:] = [poll()]
            return any_ready(found[0])

        if ready():
            return found[0]
        deadline = None if timeout is None else self.now() + timeout
        self.block(
            channels,
            READING,
            ready,
            deadline,
            call="select",
            caller=caller,
            partial=True,
            kernel_timeout=False,
        )
        return found[0]  # block() polled again at least once

    def _clock_advanced(self) -> None:
        """The clock moved: wake every call whose deadline has passed."""
        with self.lock:
            self._wake_due()

    def _wake_due(self) -> None:
        now = self.now()
        for waiting in self.calls:
            if waiting.deadline is not None and waiting.deadline <= now:
                waiting.woken = True
                waiting.channels.wake_all(waiting.channel)


class Simulated(Waiting):
    """A simulated thread: it parks in the scheduler, on the simulation's virtual time."""

    def __init__(self) -> None:  # stateless: one serves every network
        pass

    def _start(self, waiting: _Call) -> None:
        pass

    def _sleep(self, waiting: _Call, call: str, caller: object) -> bool:
        left = None if waiting.deadline is None else waiting.deadline - self.now()
        if left is not None and left <= 0:
            return False
        waiting.channels.condition(waiting.channel).wait(left)
        return True


SIMULATED = Simulated()


def waiting_for(limits: Limits, lock: NetworkLock, clock: VirtualClock | None) -> Waiting:
    """The strategy for a network on ``clock`` (``None``: real time)."""
    return Waiting(limits, lock) if clock is None else VirtualTime(limits, lock, clock)
