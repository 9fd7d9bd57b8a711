"""A clock the test owns: :class:`VirtualClock`.

A server that cuts off a client after 300 idle seconds cannot be tested in real time. Give the
in-memory network a virtual clock, ``MemoryNetwork(clock=VirtualClock(...))``, and every timeout
of its sockets (``settimeout``, ``create_connection(timeout=...)``, blocking ``recv``, ``accept``,
``connect`` and ``send``) is measured on it instead. The model is trio's
``MockClock(autojump_threshold=...)``.

Time moves in two ways:

- :meth:`VirtualClock.advance` moves it by hand, and wakes every call whose deadline it passes.
- With ``autojump_threshold`` set, the network jumps it to the earliest deadline of a blocked
  call once no socket of the network has been used for that many *real* seconds. So a 300 s
  idle timeout fires after a few milliseconds of real time, with no change to the code.

Autojump with real threads is a heuristic, unlike trio's, which owns its scheduler. A thread
that computes for longer than the threshold without touching a socket looks idle, and the clock
may jump past a deadline that, in real time, would not have fired. The network narrows this:
every socket call's start *and* return count as use, and there is no jump while a call that
was woken has not run yet. What remains: keep the threshold well above the longest stretch of
pure computation between two socket calls (10 ms is plenty for most servers; raise it on a
loaded CI machine), and don't autojump in a test whose point is the exact order of two
timeouts (advance by hand there, after :meth:`MemoryNetwork.wait_until_blocked`).

One case bites the most natural test: a client that waits with a *longer* timeout than the
server it talks to. Starting a thread is not a socket call, so if the server's handler thread
takes longer than the threshold to reach its ``recv``, the client's deadline is the only one,
and the clock jumps to it. Give the test's own side no timeout (``max_block`` still bounds it,
in real time) or a longer threshold, so that the only deadline to jump to is the server's.

Inside :func:`sockettest.simulate`, the clock reads the simulation's virtual time instead (which
moves when every simulated thread is blocked), and :meth:`VirtualClock.advance` moves that.

What the clock does not cover: ``select``/``selectors`` timeouts and ``time.sleep`` stay on real
time (they are not calls into the network), and neither does code that reads ``time.monotonic``
itself: hand it ``clock.monotonic`` (a server or client may take a ``clock=`` argument for this).
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable

from sockettest._originals import Lock
from sockettest._simulation.scheduler import THREADS, current, virtual_now
from sockettest._validation import check_seconds

__all__ = ["VirtualClock"]


class VirtualClock:
    """Seconds that pass only when the test, or the idle network, says so.

    Args:
        start: the reading of :meth:`monotonic` at first.
        autojump_threshold: real seconds of network idleness after which the clock jumps to the
            earliest deadline of a blocked call; ``None`` (the default) or ``math.inf``: never,
            only :meth:`advance` moves it.

    Raises:
        TypeError: ``start`` or the threshold is not a number.
        ValueError: a threshold that is not a positive number of seconds, or a ``start`` that
            is NaN or infinite.
    """

    def __init__(self, *, start: float = 0.0, autojump_threshold: float | None = None) -> None:
        check_seconds("start", start)
        if autojump_threshold is not None:
            check_seconds("autojump_threshold", autojump_threshold, finite=False, positive=True)
            if math.isinf(autojump_threshold):
                autojump_threshold = None
        self._now = float(start)
        self._autojump_threshold = autojump_threshold
        self._lock = Lock()  # real even when made in a simulation
        self._listeners: list[weakref.WeakMethod[Callable[[], None]]] = []

    def __repr__(self) -> str:
        jump = self._autojump_threshold
        return f"<VirtualClock at {self._now:g} s, autojump {'off' if jump is None else jump}>"

    @property
    def autojump_threshold(self) -> float | None:
        """Real seconds of idleness before a jump; ``None``: no autojump."""
        return self._autojump_threshold

    def monotonic(self) -> float:
        """The clock's reading in seconds, like :func:`time.monotonic`; pass it as a ``clock=``.

        In a simulated thread (:func:`sockettest.simulate`) it reads the simulation's virtual
        time, as every timeout of the network then does: one time for the whole run, which
        starts at 0 whatever ``start`` was (advance the clock in ``fn`` to begin elsewhere).
        """
        if THREADS:
            now = virtual_now()
            if now is not None:
                return now
        return self._now

    def advance(self, seconds: float) -> None:
        """Move the clock forward and wake every network call whose deadline has now passed.

        Raises:
            TypeError: ``seconds`` is not a number.
            ValueError: ``seconds`` is negative (a monotonic clock never goes back), NaN or
                infinite.
        """
        check_seconds("seconds", seconds)
        if not seconds >= 0:
            raise ValueError(f"a clock only moves forward: advance({seconds!r})")
        sim = current()
        if sim is not None:  # in a simulation: move its time, and wake its timeouts
            sim.scheduler.advance(sim, seconds)
            return
        with self._lock:
            self._now += seconds
        self._wake_listeners()

    # For the network ---------------------------------------------------------------------------

    def _jump_to(self, when: float) -> bool:
        """Move to ``when`` if it is ahead; return whether the clock moved."""
        with self._lock:
            if when <= self._now:
                return False
            self._now = when
        return True

    def _subscribe(self, wake: Callable[[], None]) -> None:
        """Call ``wake`` (a bound method, held weakly) each time the clock is advanced."""
        with self._lock:
            self._listeners = [ref for ref in self._listeners if ref() is not None]
            self._listeners.append(weakref.WeakMethod(wake))

    def _wake_listeners(self) -> None:
        with self._lock:
            listeners = [ref() for ref in self._listeners]
        for wake in listeners:
            if wake is not None:
                wake()
