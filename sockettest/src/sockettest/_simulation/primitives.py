"""The two primitives a simulated thread gets, ``Lock`` and ``RLock``: state machines under the
scheduler's baton, on which CPython's own ``Condition``, ``Semaphore``, ``BoundedSemaphore``,
``Event``, ``Barrier``, ``Timer`` and ``queue.Queue`` build themselves.

Inside :func:`sockettest.simulate`, ``threading.Lock()`` and ``threading.RLock()``
(``replacements.py`` decides when) build these instead of the real ones, and so does the lock a
simulated ``Condition.wait`` parks on. Only one simulated thread runs at a time, so they need no
real locking at all: a lock's state is plain attributes, and blocking is :meth:`Scheduler.wait`
on the lock, with a virtual deadline, until a release wakes its waiters (every waiter
re-checks, so the policy, not a queue, decides who wins).

Rules of this module:

1. Every call is one scheduling point: at the start of one that takes or waits (``acquire``),
   at the end of one that gives (``release``), so that another thread may run right where it
   matters. The one exception is the first ``acquire`` of the lock a ``Condition.wait`` parks
   on: made a moment before by the waiting thread, it can never block.
2. A step is named by what the code under test called, not by the lock inside it: a lock that
   ``threading`` or ``queue`` made for one of their objects (an ``Event``'s, a ``Queue``'s) is
   named after that object (``Event-1``), and its calls after the object's method the code
   called (``Event-1.wait``, ``Queue-1.put``, where a bare lock says ``Lock-2.acquire``).
3. Semantics and error messages are CPython's (``RuntimeError("release unlocked lock")``...).
4. Used outside its simulation (after the run, or from a thread that is not simulated), a lock
   still works while it need not block, and raises :class:`RuntimeError` where it would:
   nothing outside can wake it.
"""

from __future__ import annotations

import queue
import sys
import threading
from types import CodeType, FrameType, TracebackType

from sockettest._originals import get_ident
from sockettest._simulation.scheduler import SimThread, current

__all__ = ["SimulatedLock", "SimulatedRLock", "kind_of", "library_call"]

_BUILT_ON_LOCKS = frozenset(
    {"Condition", "Semaphore", "BoundedSemaphore", "Event", "Barrier", "Timer"}
)
"""The classes of ``threading`` that a simulation leaves as they are, built on its locks
(a ``Timer`` is a ``Thread``, but its ``Event`` is one of them)."""

_THREADING = vars(threading)
_QUEUE = vars(queue)
_OWN_GLOBALS = globals()
_CALLED_AS = {"__enter__": "acquire", "__exit__": "release"}
_BUILT: dict[CodeType, bool] = {}  # threading's code: whether it is of _BUILT_ON_LOCKS


def _built_on_locks(code: CodeType) -> bool:
    built = _BUILT.get(code)
    if built is None:
        built = _BUILT[code] = code.co_qualname.partition(".")[0] in _BUILT_ON_LOCKS
    return built


def library_call(frame: FrameType | None) -> tuple[FrameType | None, FrameType | None]:
    """Walk out of ``threading``'s and ``queue``'s code from ``frame`` (a frame of this module
    is skipped): the first frame outside it, and the outermost frame inside it, the method the
    code under test called (None when it called a lock itself). No outside frame: a part of
    ``threading`` not built on locks (a ``Thread``'s own ``Event``, its ``start``) is on the
    way, or the stack ends inside (module top-level code).
    """
    while frame is not None and frame.f_globals is _OWN_GLOBALS:
        frame = frame.f_back
    called: FrameType | None = None
    while frame is not None:
        code = frame.f_code
        if frame.f_globals is _THREADING:
            if not _built_on_locks(code):
                return None, None
        elif frame.f_globals is not _QUEUE or code.co_name == "<module>":
            return frame, called
        called = frame
        frame = frame.f_back
    return None, None


def kind_of(called: FrameType | None) -> str | None:
    """The kind of object a lock is made for (``Event``), from the method that makes it
    (:func:`library_call`'s second answer); None for a lock the code makes itself. The queue
    that ``queue.SimpleQueue`` becomes in a simulation, ``_PySimpleQueue``, is a ``SimpleQueue``."""
    owner = None if called is None else called.f_locals.get("self")
    return None if owner is None else type(owner).__name__.removeprefix("_Py")


class _Simulated:
    """What both locks have: a name stable across runs, points, blocking, ``with``."""

    _kind = "Lock"

    def __init__(self, *, made_for: str | None = None, name: str | None = None) -> None:
        self._named_by_caller = made_for is not None or name is not None  # rule 2
        if name is None:
            sim = current()
            kind = made_for or self._kind
            name = f"{kind}-{0 if sim is None else sim.scheduler.number(kind)}"
        self._name = name

    @property
    def name(self) -> str:
        """The lock's name in the trace: ``Lock-2``, or its object's, ``Event-1``."""
        return self._name

    def _operation(self, called: str) -> str:
        """How the trace names this call (rule 2)."""
        if self._named_by_caller:
            method = library_call(sys._getframe())[1]
            if method is not None:
                called = _CALLED_AS.get(method.f_code.co_name, method.f_code.co_name)
        return f"{self._name}.{called}"

    def _point(self, operation: str) -> SimThread | None:
        """A scheduling point of the calling thread, if it is simulated; returns it."""
        sim = current()
        if sim is not None:
            sim.scheduler.point(sim, operation)
        return sim

    def _block(self, sim: SimThread | None, deadline: float | None, operation: str) -> bool:
        """Wait until released (True) or ``deadline`` (False)."""
        if sim is None:
            raise RuntimeError(
                f"{self._name} was made inside a simulation; outside it, {operation} would "
                "block forever (nothing can wake it)"
            )
        return sim.scheduler.wait(sim, self, deadline, operation)

    def _wake(self) -> None:
        sim = current()
        if sim is not None:
            sim.scheduler.wake(self)

    def _start(self, blocking: bool, timeout: float) -> tuple[SimThread | None, float | None]:
        """The checks and the point at the start of ``acquire``; the thread and its deadline."""
        if not blocking and timeout != -1:
            raise ValueError("can't specify a timeout for a non-blocking call")
        if timeout < 0 and timeout != -1:
            raise ValueError("timeout value must be a non-negative number")
        sim = current()
        if sim is None:
            return None, None
        sim.scheduler.point(sim, self._operation("acquire"))
        return sim, None if timeout == -1 else sim.scheduler.now + timeout

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        raise NotImplementedError

    def release(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


class SimulatedLock(_Simulated):
    """``threading.Lock`` in a simulation."""

    def __init__(
        self, *, made_for: str | None = None, name: str | None = None, parks: bool = False
    ) -> None:
        super().__init__(made_for=made_for, name=name)
        self._locked = False
        self._parks = parks  # made by Condition.wait to park on: its first acquire (rule 1)

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if self._parks and not self._locked:
            self._parks = False
            self._locked = True
            return True
        sim, deadline = self._start(blocking, timeout)
        while self._locked:
            if not blocking or not self._block(sim, deadline, self._operation("acquire")):
                return False
        self._locked = True
        return True

    def release(self) -> None:
        self._release_save()
        self._point(self._operation("release"))

    def locked(self) -> bool:
        return self._locked

    # What a Condition takes of its lock when it has them (CPython's names): no points, the
    # Condition's wait is one.

    def _is_owned(self) -> bool:
        return self._locked  # as CPython's Condition decides for a plain lock

    def _release_save(self) -> None:
        if not self._locked:
            raise RuntimeError("release unlocked lock")
        self._locked = False
        self._wake()

    def _acquire_restore(self, state: None) -> None:
        sim = current()
        while self._locked:
            self._block(sim, None, self._operation("acquire"))
        self._locked = True

    def __repr__(self) -> str:
        return f"<simulated {self._name} {'locked' if self._locked else 'unlocked'}>"


class SimulatedRLock(_Simulated):
    """``threading.RLock`` in a simulation."""

    _kind = "RLock"

    def __init__(self, *, made_for: str | None = None) -> None:
        super().__init__(made_for=made_for)
        self._owner: object = None
        self._count = 0

    @staticmethod
    def _me(sim: SimThread | None) -> object:
        return get_ident() if sim is None else sim

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        sim, deadline = self._start(blocking, timeout)
        me = self._me(sim)
        if self._count and self._owner == me:
            self._count += 1
            return True
        while self._count:
            if not blocking or not self._block(sim, deadline, self._operation("acquire")):
                return False
        self._owner, self._count = me, 1
        return True

    def release(self) -> None:
        if not self._count or self._owner != self._me(current()):
            raise RuntimeError("cannot release un-acquired lock")
        self._count -= 1
        if not self._count:
            self._owner = None
            self._wake()
        self._point(self._operation("release"))

    def locked(self) -> bool:
        return bool(self._count)

    def _is_owned(self) -> bool:
        return bool(self._count) and self._owner == self._me(current())

    def _release_save(self) -> tuple[int, object]:
        if not self._count:
            raise RuntimeError("cannot release un-acquired lock")
        state = (self._count, self._owner)
        self._owner, self._count = None, 0
        self._wake()
        return state

    def _acquire_restore(self, state: tuple[int, object]) -> None:
        sim = current()
        while self._count:
            self._block(sim, None, self._operation("acquire"))
        self._count, self._owner = state

    def __repr__(self) -> str:
        return f"<simulated {self._name} count={self._count}>"
