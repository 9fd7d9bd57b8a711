"""The threading primitives a simulated thread gets: state machines under the scheduler's baton.

Inside :func:`sockettest.simulate`, ``threading.Lock()`` and its kin (``replacements.py``
decides when) build these instead of the real ones. Only one simulated thread runs at a time,
so they need no real locking at all: a primitive's state is plain attributes, and blocking is
:meth:`Scheduler.wait` on the primitive, with a virtual deadline, until a call that changes the
state wakes its waiters (every waiter re-checks, so the policy, not a queue, decides who wins).

Rules of this module:

1. Every public call is one scheduling point, recorded as ``Lock-2.acquire``: at the start of a
   call that takes or waits (``acquire``, ``wait``), at the end of one that gives (``release``,
   ``set``, ``notify``), so that another thread may run right where it matters.
2. Semantics and error messages are CPython's (``RuntimeError("release unlocked lock")``...).
3. Used outside its simulation (after the run, or from a thread that is not simulated), a
   primitive still works while it need not block, and raises :class:`RuntimeError` where it
   would: nothing outside can wake it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

from sockettest._originals import get_ident
from sockettest._simulation.scheduler import Scheduler, SimThread, current

__all__ = [
    "SimulatedBoundedSemaphore",
    "SimulatedCondition",
    "SimulatedEvent",
    "SimulatedLock",
    "SimulatedRLock",
    "SimulatedSemaphore",
]

T = TypeVar("T")


class _Primitive:
    """What every simulated primitive has: a name stable across runs, points, blocking."""

    _kind = "Primitive"

    def __init__(self) -> None:
        sim = current()
        self._scheduler: Scheduler | None = None if sim is None else sim.scheduler
        number = 0 if sim is None else sim.scheduler.number(self._kind)
        self._name = f"{self._kind}-{number}"

    def _point(self, operation: str) -> SimThread | None:
        """A scheduling point of the calling thread, if it is simulated; returns it."""
        sim = current()
        if sim is not None:
            sim.scheduler.point(sim, f"{self._name}.{operation}")
        return sim

    def _block(self, sim: SimThread | None, key: object, deadline: float | None, op: str) -> bool:
        """Wait on ``key`` until woken (True) or ``deadline`` (False)."""
        if sim is None:
            raise RuntimeError(
                f"{self._name} was made inside a simulation; outside it, {op} would block "
                "forever (nothing can wake it)"
            )
        return sim.scheduler.wait(sim, key, deadline, f"{self._name}.{op}")

    def _wake(self, key: object = None) -> None:
        sim = current()
        if sim is not None:
            sim.scheduler.wake(self if key is None else key)

    @staticmethod
    def _deadline(sim: SimThread | None, timeout: float | None) -> float | None:
        if sim is None or timeout is None:
            return None
        return sim.scheduler.now + max(timeout, 0.0)

    def __repr__(self) -> str:
        return f"<simulated {self._name}>"


class _Acquired(_Primitive):
    """A primitive used as ``with primitive:``: acquire on entry, release on exit."""

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


class SimulatedLock(_Acquired):
    """``threading.Lock`` in a simulation."""

    _kind = "Lock"

    def __init__(self) -> None:
        super().__init__()
        self._locked = False

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if not blocking and timeout != -1:
            raise ValueError("can't specify a timeout for a non-blocking call")
        if timeout < 0 and timeout != -1:
            raise ValueError("timeout value must be a non-negative number")
        sim = self._point("acquire")
        deadline = None if timeout == -1 else self._deadline(sim, timeout)
        while self._locked:
            if not blocking or not self._block(sim, self, deadline, "acquire"):
                return False
        self._locked = True
        return True

    def release(self) -> None:
        if not self._locked:
            raise RuntimeError("release unlocked lock")
        self._locked = False
        self._wake()
        self._point("release")

    def locked(self) -> bool:
        return self._locked

    # What a condition needs of its lock (CPython's names) --------------------------------------

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
            self._block(sim, self, None, "acquire")
        self._locked = True

    def __repr__(self) -> str:
        return f"<simulated {self._name} {'locked' if self._locked else 'unlocked'}>"


class SimulatedRLock(_Acquired):
    """``threading.RLock`` in a simulation."""

    _kind = "RLock"

    def __init__(self) -> None:
        super().__init__()
        self._owner: object = None
        self._count = 0

    @staticmethod
    def _me(sim: SimThread | None) -> object:
        return get_ident() if sim is None else sim

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if not blocking and timeout != -1:
            raise ValueError("can't specify a timeout for a non-blocking call")
        if timeout < 0 and timeout != -1:
            raise ValueError("timeout value must be a non-negative number")
        sim = self._point("acquire")
        me = self._me(sim)
        if self._count and self._owner == me:
            self._count += 1
            return True
        deadline = None if timeout == -1 else self._deadline(sim, timeout)
        while self._count:
            if not blocking or not self._block(sim, self, deadline, "acquire"):
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
        self._point("release")

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
            self._block(sim, self, None, "acquire")
        self._count, self._owner = state

    def __repr__(self) -> str:
        return f"<simulated {self._name} count={self._count}>"


class _Waiter:
    """One thread's wait on a condition: what ``notify`` marks and wakes."""

    __slots__ = ("notified",)

    def __init__(self) -> None:
        self.notified = False


class SimulatedCondition(_Primitive):
    """``threading.Condition`` in a simulation; on a simulated lock (a new ``RLock`` by
    default), or on any lock with ``acquire`` and ``release``."""

    _kind = "Condition"

    def __init__(self, lock: Any = None) -> None:
        super().__init__()
        if lock is None:
            lock = SimulatedRLock()
        self._lock = lock
        self.acquire: Callable[..., bool] = lock.acquire
        self.release: Callable[[], None] = lock.release
        self._is_owned: Callable[[], bool] = getattr(lock, "_is_owned", self._owned_by_probe)
        self._release_save: Callable[[], Any] = getattr(lock, "_release_save", lock.release)
        self._acquire_restore: Callable[[Any], None] = getattr(
            lock, "_acquire_restore", lambda _state: lock.acquire()
        )
        self._waiters: deque[_Waiter] = deque()

    def _owned_by_probe(self) -> bool:
        if self._lock.acquire(False):
            self._lock.release()
            return False
        return True

    def __enter__(self) -> bool:
        return bool(self._lock.__enter__())

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._lock.__exit__(exc_type, exc, tb)

    def wait(self, timeout: float | None = None) -> bool:
        sim = self._point("wait")
        if not self._is_owned():
            raise RuntimeError("cannot wait on un-acquired lock")
        waiter = _Waiter()
        self._waiters.append(waiter)
        deadline = self._deadline(sim, timeout)
        saved = self._release_save()
        try:
            while not waiter.notified:
                if timeout is not None and timeout <= 0:
                    break
                if not self._block(sim, waiter, deadline, "wait"):
                    break
            return waiter.notified
        finally:
            if not waiter.notified and waiter in self._waiters:
                self._waiters.remove(waiter)
            self._acquire_restore(saved)

    def wait_for(self, predicate: Callable[[], T], timeout: float | None = None) -> T:
        # CPython's own loop, on the simulation's clock.
        endtime: float | None = None
        waittime = timeout
        result = predicate()
        while not result:
            if waittime is not None:
                now = _now()
                if endtime is None:
                    endtime = now + waittime
                else:
                    waittime = endtime - now
                    if waittime <= 0:
                        break
            self.wait(waittime)
            result = predicate()
        return result

    def notify(self, n: int = 1) -> None:
        if not self._is_owned():
            raise RuntimeError("cannot notify on un-acquired lock")
        for _ in range(min(n, len(self._waiters))):
            waiter = self._waiters.popleft()
            waiter.notified = True
            self._wake(waiter)
        self._point("notify")

    def notify_all(self) -> None:
        if not self._is_owned():
            raise RuntimeError("cannot notify on un-acquired lock")
        waiters, self._waiters = self._waiters, deque()
        for waiter in waiters:
            waiter.notified = True
            self._wake(waiter)
        self._point("notify_all")

    def __repr__(self) -> str:
        return f"<simulated {self._name}({self._lock!r}, {len(self._waiters)})>"


class SimulatedSemaphore(_Acquired):
    """``threading.Semaphore`` in a simulation."""

    _kind = "Semaphore"

    def __init__(self, value: int = 1) -> None:
        if value < 0:
            raise ValueError("semaphore initial value must be >= 0")
        super().__init__()
        self._value = value

    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
        if not blocking and timeout is not None:
            raise ValueError("can't specify timeout for non-blocking acquire")
        sim = self._point("acquire")
        deadline = self._deadline(sim, timeout)
        while not self._value:
            if not blocking or (timeout is not None and timeout <= 0):
                return False
            if not self._block(sim, self, deadline, "acquire"):
                return False
        self._value -= 1
        return True

    def release(self, n: int = 1) -> None:
        if n < 1:
            raise ValueError("n must be one or more")
        self._check_bound(n)
        self._value += n
        self._wake()
        self._point("release")

    def _check_bound(self, n: int) -> None:
        pass

    def __repr__(self) -> str:
        return f"<simulated {self._name} value={self._value}>"


class SimulatedBoundedSemaphore(SimulatedSemaphore):
    """``threading.BoundedSemaphore`` in a simulation."""

    _kind = "BoundedSemaphore"

    def __init__(self, value: int = 1) -> None:
        super().__init__(value)
        self._initial_value = value

    def _check_bound(self, n: int) -> None:
        if self._value + n > self._initial_value:
            raise ValueError("Semaphore released too many times")


class SimulatedEvent(_Primitive):
    """``threading.Event`` in a simulation."""

    _kind = "Event"

    def __init__(self) -> None:
        super().__init__()
        self._flag = False

    def is_set(self) -> bool:
        return self._flag

    def set(self) -> None:
        self._flag = True
        self._wake()
        self._point("set")

    def clear(self) -> None:
        self._flag = False
        self._point("clear")

    def wait(self, timeout: float | None = None) -> bool:
        sim = self._point("wait")
        deadline = self._deadline(sim, timeout)
        while not self._flag:
            if timeout is not None and timeout <= 0:
                break
            if not self._block(sim, self, deadline, "wait"):
                break
        return self._flag

    def __repr__(self) -> str:
        return f"<simulated {self._name} {'set' if self._flag else 'unset'}>"


def _now() -> float:
    sim = current()
    if sim is None:
        raise RuntimeError("a simulated condition's wait_for with a timeout needs its simulation")
    return sim.scheduler.now
