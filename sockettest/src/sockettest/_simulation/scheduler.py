"""The baton: simulated threads run one at a time, and a seeded policy picks which runs next.

This is the engine under :func:`sockettest.simulate` (``runner.py``). It is imported by the
in-memory network too (the socket's modules, ``_waiting.py``, ``_kernel.py``, ``_clock.py``),
for the three hooks that make the network's calls scheduling points: :func:`network_call`,
:class:`SchedulableCondition` and :func:`virtual_now`. So it imports nothing but the standard
library's cheapest modules; everything else of the feature is loaded by ``simulate``.

Rules of this module:

1. One OS thread per simulated thread; exactly one of them holds the baton and runs. The others
   park, each on its own lock made with :mod:`_thread` (no patch reaches it), until the baton
   holder hands it over.
2. Only the baton holder touches a scheduler's state. (One exception: the watchdog of
   ``runner.py`` aborts a run whose baton holder is stuck in something uncontrolled.)
3. Every controlled call is one scheduling point (:meth:`Scheduler.point`): a :class:`Step` in
   the trace, then the policy picks the next thread among the runnable ones. A call that must
   wait (:meth:`Scheduler.wait`) marks its thread blocked, on a key and with an optional
   virtual deadline, and hands the baton on; :meth:`Scheduler.wake` makes the threads blocked
   on a key runnable again, and each re-checks what it waits for (wake-ups may be spurious).
   The policy also orders a selector's ready events (:meth:`Scheduler.shuffle`), with choices
   of their own: which of several events is reported first is open in reality.
4. Time is virtual: it moves only when every thread is blocked, to the earliest deadline, and
   wakes the threads whose deadline that is. Every thread blocked and none with a deadline is a
   deadlock: the run fails at once.
5. Once a run is over (its ``fn`` returned, or something failed), the threads still alive are
   unwound one at a time: each gets :class:`Abandoned` where it is parked. A thread the
   watchdog gave up on (``lost``) that comes back later never hands the baton again, and no
   hand-over releases a thread twice (``_handoff``).
6. A finalizer (``__del__``, a weakref callback) that the garbage collector runs in a simulated
   thread runs at a moment no seed decides: in the middle of a socket call, or inside this
   module. So during a collection (:func:`gc_phase`, a :data:`gc.callbacks` hook that
   ``replacements.installed`` puts in place with :func:`follow_collections`) a scheduling
   point is no point: no step, no
   switch; the finalizer's calls (closing a socket) take effect at once, and the trace is the
   one the run has without the collection.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sockettest._originals import allocate_lock, get_ident

__all__ = [
    "BLOCKED",
    "ENDED",
    "READINESS",
    "RUNNABLE",
    "THREADS",
    "Abandoned",
    "Chooser",
    "Reports",
    "SchedulableCondition",
    "Scheduler",
    "SimThread",
    "Step",
    "current",
    "network_call",
    "readiness_changed",
    "virtual_now",
]

_T = TypeVar("_T")

_collecting: int | None = None
"""The OS thread running a garbage collection (one at a time in CPython), while it runs."""

THREADS: dict[int, SimThread] = {}
"""Every simulated thread of every running simulation, by OS thread ident. Empty when no
simulation runs: the network's hooks test it first, so they cost one truthiness check then."""

_UNWINDING_POINTS = 10_000
"""Scheduling points a thread may pass while it unwinds (its ``finally`` blocks closing sockets)
before each of them raises :class:`Abandoned` again: code that swallows it cannot loop forever."""

RUNNABLE, BLOCKED, ENDED = "runnable", "blocked", "ended"


def gc_phase(phase: str, info: dict[str, int]) -> None:
    """A :data:`gc.callbacks` hook: note which thread collects, from start to stop (rule 6)."""
    global _collecting  # noqa: PLW0603 (the collector is one per process)
    _collecting = get_ident() if phase == "start" else None


def follow_collections(on: bool) -> None:
    """Start or stop following collections (rule 6), each time from a clean slate: a
    collection under way when the hook goes is never seen to stop, and its thread's ident may
    be a simulated thread's later."""
    global _collecting  # noqa: PLW0603
    _collecting = None
    if on:
        gc.callbacks.append(gc_phase)
    elif gc_phase in gc.callbacks:
        gc.callbacks.remove(gc_phase)


class Abandoned(BaseException):
    """Raised in a simulated thread whose run is over, where it is parked, to unwind it.

    A :class:`BaseException`, so that the code under test's ``except Exception`` lets it by;
    its ``finally`` blocks still run (scheduling points then pass straight through).
    """


@dataclass(frozen=True)
class Step:
    """One scheduling point of a simulated run: which thread, what call, at what virtual time.

    ``simulation.trace`` is the list of them; two runs with the same seed give equal lists.
    """

    thread: str
    operation: str
    time: float

    def __str__(self) -> str:
        return f"{self.time:10.3f} s  {self.thread}: {self.operation}"


class Chooser(Protocol):
    """What a policy (``policies.py``) gives one run: its choices, in order."""

    def added(self, index: int) -> None:
        """Thread number ``index`` (0: fn's own) joined the run."""

    def choose(self, candidates: Sequence[int], running: int, step: int) -> int:
        """Pick among ``candidates`` (thread numbers: the running one first, if it can go on,
        then the others by age); return the position picked. ``step`` counts points so far."""

    def pick(self, count: int) -> int:
        """Pick one of ``count`` (at least 2) ready I/O events to report next; 0 is the
        first in the selector's registration order."""


class SimThread:
    """A simulated thread: its OS thread, its place in the run, and what it is blocked on."""

    __slots__ = (
        "blocked_in",
        "daemon",
        "deadline",
        "go",
        "ident",
        "index",
        "key",
        "lost",
        "name",
        "scheduler",
        "state",
        "thread",
        "timed_out",
        "unwinding_points",
    )

    def __init__(
        self,
        scheduler: Scheduler,
        index: int,
        name: str,
        thread: threading.Thread | None,
        daemon: bool,
    ) -> None:
        self.scheduler = scheduler
        self.index = index
        self.name = name
        self.thread = thread
        self.daemon = daemon
        self.go = allocate_lock()  # released by whoever hands this thread the baton
        self.go.acquire()
        self.state = RUNNABLE
        self.key: object = None  # what it is blocked on
        self.deadline: float | None = None
        self.timed_out = False
        self.blocked_in = ""
        self.ident: int | None = None
        self.lost = False  # stuck in something uncontrolled: the watchdog gave up on it
        self.unwinding_points = 0

    def __repr__(self) -> str:
        return f"<SimThread {self.name} {self.state}>"


class Reports(Protocol):
    """What a scheduler asks its simulation for when a run goes wrong: the error to fail it with
    (the simulation knows the seed and how to replay it)."""

    def deadlock(self, scheduler: Scheduler) -> BaseException:
        """Every thread blocked, none with a deadline."""

    def too_long(self, scheduler: Scheduler) -> BaseException:
        """More than ``max_steps`` scheduling points: a livelock or an endless poll loop."""


class Scheduler:
    """One simulated run's threads, baton, virtual clock and trace.

    Args:
        chooser: the policy's choices for this run.
        reports: builds the errors for a deadlock and for a run that never ends.
        max_steps: scheduling points after which the run fails: a poll loop that waits for
            what never comes moves virtual time for ever, and the watchdog sees progress.
    """

    def __init__(self, chooser: Chooser, reports: Reports, max_steps: int) -> None:
        self.chooser = chooser
        self._reports = reports
        self.max_steps = max_steps
        self.threads: list[SimThread] = []
        self.running: SimThread | None = None
        self.now = 0.0
        self.trace: list[Step] = []
        self.choices: list[int] = []
        self.progress = 0  # moves at every point, wait and end: the watchdog reads it
        self.failure: BaseException | None = None
        self.failed_thread: str | None = None
        self.over = False
        self.done = allocate_lock()  # released once every thread has ended
        self.done.acquire()
        self._finished = False
        self._counts: dict[str, int] = {}
        self.loops: list[Any] = []
        """The asyncio event loops that waited in a simulated selector, in order: a failure
        reports their pending tasks."""
        self._handoff = allocate_lock()  # the watchdog and a lost thread may unwind at once

    # Threads -----------------------------------------------------------------------------------

    def add(self, name: str, thread: threading.Thread | None, daemon: bool) -> SimThread:
        """Register a new thread, runnable (its OS thread parks until it gets the baton)."""
        sim = SimThread(self, len(self.threads), name, thread, daemon)
        self.threads.append(sim)
        self.chooser.added(sim.index)
        return sim

    def remove(self, sim: SimThread) -> None:
        """Forget a thread whose OS thread could not be started."""
        sim.state = ENDED
        self.wake(sim)

    def number(self, kind: str) -> int:
        """The next number for a ``kind`` of object (``Lock``, ``Thread``): names that are the
        same in every run, unlike ``id()`` or ``threading``'s global counter."""
        count = self._counts.get(kind, 0) + 1
        self._counts[kind] = count
        return count

    # Scheduling points -------------------------------------------------------------------------

    def point(self, me: SimThread, operation: str) -> None:
        """A scheduling point of the running thread ``me``: record it, let the policy choose."""
        if self.over:  # unwinding: points pass through, but not for ever (code may swallow it)
            me.unwinding_points += 1
            if me.unwinding_points > _UNWINDING_POINTS:
                raise Abandoned
            return
        if _collecting is not None and _collecting == get_ident():  # rule 6
            return
        self.trace.append(Step(me.name, operation, self.now))
        self.progress += 1
        if len(self.trace) > self.max_steps:
            self.fail(self._reports.too_long(self), me)
            raise Abandoned
        self._switch(me)

    def wait(self, me: SimThread, key: object, deadline: float | None, operation: str) -> bool:
        """Block ``me`` on ``key`` until :meth:`wake` (True) or the virtual ``deadline`` (False).

        A deadline already passed returns False at once, as a zero timeout does.

        Raises:
            Abandoned: the run is over (at once, or once another thread ended it).
        """
        if self.over:
            raise Abandoned
        if deadline is not None and deadline <= self.now:
            return False
        if _collecting is not None and _collecting == get_ident():  # rule 6: cannot park
            raise RuntimeError(
                f"a finalizer that the garbage collector ran in simulated thread {me.name!r} "
                f"would block in {operation}: a simulation cannot switch threads inside a "
                "collection; close or release such resources explicitly"
            )
        me.state = BLOCKED
        me.key = key
        me.deadline = deadline
        me.timed_out = False
        me.blocked_in = operation
        self.progress += 1
        self._switch(me)
        return not me.timed_out

    def shuffle(self, items: list[_T]) -> list[_T]:
        """``items`` (ready I/O events, in a canonical order) in the order the policy picks:
        each of them but the last is a choice (``choices`` records it, a
        :class:`~sockettest.Schedule` replays it), and choices of 0 keep the order given."""
        shuffled = list(items)
        for first in range(len(shuffled) - 1):
            left = len(shuffled) - first
            picked = first + self.chooser.pick(left) % left
            self.choices.append(picked - first)
            shuffled[first], shuffled[picked] = shuffled[picked], shuffled[first]
        return shuffled

    def wake(self, key: object) -> None:
        """Make every thread blocked on ``key`` runnable (each re-checks its condition)."""
        for sim in self.threads:
            if sim.state is BLOCKED and sim.key is key:
                sim.state = RUNNABLE
                sim.key = sim.deadline = None

    def advance(self, me: SimThread, seconds: float) -> None:
        """Move virtual time forward by hand (``VirtualClock.advance`` in a simulated thread)."""
        self.point(me, f"advance {seconds:g}")
        self.now += seconds
        self._wake_expired()

    # Ends --------------------------------------------------------------------------------------

    def fail(self, error: BaseException, me: SimThread) -> None:
        """Record the run's failure (the first one counts) and end the run."""
        if self.failure is None:
            self.failure = error
            self.failed_thread = me.name
        self.over = True

    def end_run(self) -> None:
        """fn is done and so are its non-daemon threads: unwind the rest (no failure)."""
        self.over = True

    def ended(self, me: SimThread) -> None:
        """``me``'s thread is over: wake its joiners and hand the baton on; ``me`` does not park.
        A lost thread (rule 5) holds no baton: it only says it ended (the run was unwound
        without it)."""
        me.state = ENDED
        me.key = None
        self.progress += 1
        if me.lost:
            return
        self.wake(me)
        if not self.over and not self._runnable(me) and not self._expire():
            alive = [sim for sim in self.threads if sim.state is not ENDED]
            if alive:
                self.fail(self._reports.deadlock(self), me)
            else:
                self.over = True
        if self.over:
            self._unwind()
            return
        self._hand_on(me, park=False)

    def abort(self, error: BaseException) -> None:
        """The watchdog's way out: the baton holder is stuck in something uncontrolled. Give up
        on it and unwind the others, from the supervisor's thread."""
        if self.failure is None:
            self.failure = error
        self.over = True
        stuck = self.running
        if stuck is not None:
            stuck.lost = True
        self._unwind()

    # Internals ---------------------------------------------------------------------------------

    def _unwind(self) -> None:
        """The run is over: hand the baton to the next thread still to unwind, or finish."""
        with self._handoff:
            successor = next(
                (sim for sim in self.threads if sim.state is not ENDED and not sim.lost), None
            )
            if successor is None:
                if not self._finished:  # tell the supervisor, once
                    self._finished = True
                    self.done.release()
            else:
                self.running = successor
                if successor.go.locked():  # not handed the baton already (rule 5)
                    successor.go.release()

    def _runnable(self, me: SimThread) -> list[SimThread]:
        """The threads that may run next: ``me`` first if it can go on, then the rest by age."""
        others = [sim for sim in self.threads if sim is not me and sim.state is RUNNABLE]
        return [me, *others] if me.state is RUNNABLE else others

    def _expire(self) -> bool:
        """If nothing can run, jump virtual time to the earliest deadline and wake the threads
        whose deadline it is. Returns whether some thread is runnable now."""
        if any(sim.state is RUNNABLE for sim in self.threads):
            return True
        deadlines = [
            sim.deadline
            for sim in self.threads
            if sim.state is BLOCKED and sim.deadline is not None
        ]
        if not deadlines:
            return False
        self.now = max(self.now, min(deadlines))
        self._wake_expired()
        return True

    def _wake_expired(self) -> None:
        """Wake, as timed out, every blocked thread whose deadline is now or past."""
        for sim in self.threads:
            if sim.state is BLOCKED and sim.deadline is not None and sim.deadline <= self.now:
                sim.state = RUNNABLE
                sim.timed_out = True
                sim.key = sim.deadline = None

    def _switch(self, me: SimThread) -> None:
        """``me`` (runnable at a point, or just blocked) lets the policy pick who runs next."""
        if not self._runnable(me) and not self._expire():
            self.fail(self._reports.deadlock(self), me)
            raise Abandoned
        self._hand_on(me, park=True)

    def _hand_on(self, me: SimThread, *, park: bool) -> None:
        """Hand the baton to the runnable thread the policy picks (``me`` may keep it)."""
        candidates = self._runnable(me)
        indices = [sim.index for sim in candidates]
        position = self.chooser.choose(indices, me.index, len(self.trace)) % len(candidates)
        if len(candidates) > 1:
            self.choices.append(position)
        successor = candidates[position]
        if successor is me:
            return
        with self._handoff:
            if me.lost:  # the watchdog gave up on me and unwinds the others: so do I
                if park:
                    raise Abandoned
                return
            self.running = successor
            successor.go.release()
        if park:
            me.go.acquire()
            if self.over:
                raise Abandoned


READINESS = object()
"""The key a simulated ``select`` blocks on: every change of a memory socket's readiness
(``MemorySocket._notify``) wakes it, and it polls its descriptors again, without blocking."""


def readiness_changed() -> None:
    """A memory socket's readiness changed: wake the calling simulation's ``select`` calls.
    Call it only when :data:`THREADS` is non-empty."""
    sim = current()
    if sim is not None:
        sim.scheduler.wake(READINESS)


def current() -> SimThread | None:
    """The simulated thread running this code, or ``None`` outside every simulation."""
    return THREADS.get(get_ident()) if THREADS else None


def virtual_now() -> float | None:
    """The simulation's virtual time in a simulated thread; ``None`` elsewhere."""
    sim = current()
    return None if sim is None else sim.scheduler.now


def network_call(call: str, sock: Any) -> None:
    """A scheduling point for a call into the in-memory network (before it takes the network's
    lock: a thread never parks holding it). Call it only when :data:`THREADS` is non-empty."""
    sim = current()
    if sim is not None:
        sim.scheduler.point(sim, f"{call} {sock.name}")


class SchedulableCondition(threading.Condition):
    """A real condition of the network's real lock, which a simulated thread waits on in the
    scheduler instead: it releases the lock, blocks with the wait's virtual deadline, and is
    woken by ``notify``/``notify_all`` (the network's wait loops re-check their condition, so
    waking all of them is safe). Threads outside a simulation use it as a plain condition.

    Args:
        lock: the network's lock (a real ``RLock``).
        label: what a thread blocked here waits for, in a deadlock report.
    """

    def __init__(self, lock: Any, label: str = "a network call") -> None:
        super().__init__(lock)
        self.label = label

    def wait(self, timeout: float | None = None) -> bool:
        sim = current()
        if sim is None:
            return super().wait(timeout)
        owned: Callable[[], bool] = getattr(self, "_is_owned")  # noqa: B009 (CPython's own)
        if not owned():
            raise RuntimeError("cannot wait on un-acquired lock")
        scheduler = sim.scheduler
        deadline = None if timeout is None else scheduler.now + max(timeout, 0.0)
        saved = getattr(self, "_release_save")()  # noqa: B009 (all the way, as wait does)
        try:
            return scheduler.wait(sim, self, deadline, self.label)
        finally:
            getattr(self, "_acquire_restore")(saved)  # noqa: B009

    def notify(self, n: int = 1) -> None:
        super().notify(n)
        self._wake_simulated()

    def notify_all(self) -> None:
        super().notify_all()
        self._wake_simulated()

    def _wake_simulated(self) -> None:
        sim = current()
        if sim is not None:
            sim.scheduler.wake(self)
