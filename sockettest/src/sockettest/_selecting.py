"""``select`` and the ``selectors`` on the network's clock: a wait on memory sockets alone.

A ``select.select``, or a ``selectors`` selector's ``select``, is a wait with a timeout, and the
kernel measures that timeout in real seconds. Where every descriptor it waits on is a memory
socket's readiness descriptor (``_readiness.py``), the wait is on the in-memory network, and
its timeout belongs on the network's clock. :func:`installed` replaces these functions, for as
long as a patch of the socket module (``MemoryNetwork.patch()``) or a simulation runs, with
stand-ins that decide, at each call:

- in a simulated thread (:func:`sockettest.simulate`): poll without blocking, and wait in the
  scheduler until a memory socket's readiness changes or the virtual timeout passes (an
  asyncio loop's ``call_soon_threadsafe`` is such a change, ``_simulation/loops.py``); a
  selector's ready events, which the kernel reports in an order no program may rely on, come
  in the order the run's policy picks (an event loop runs its callbacks in that order), while
  ``select.select``'s lists keep the order of the lists it was given, as the real one does;
- where every descriptor is a memory socket of one network with a
  :class:`~sockettest.VirtualClock`: poll without blocking, and wait as a blocked socket call of
  that network waits (``_waiting.VirtualTime.select``): the clock's autojump counts it as
  blocked, a readiness change of the network's sockets wakes it, and its timeout passes on the
  clock;
- anywhere else (real descriptors among them, sockets of two networks, a network on real
  time, no descriptor at all, arguments the real function refuses): the real function.

What stays on real time: ``select.poll()`` and ``select.epoll()`` objects used directly (they
are C; ``PollSelector`` and ``EpollSelector`` are reached through their ``select`` method), a
wait that mixes real descriptors with memory sockets, and code that bound ``select.select`` at
import (``from select import select``).

The originals are captured when this module is imported, and restored when the last user ends,
only where the stand-in is still there (as ``_patch.py`` does for ``socket``).
"""

from __future__ import annotations

import math
import select
import selectors
import sys
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from sockettest._originals import Patches, select_select
from sockettest._readiness import kernel_of
from sockettest._simulation.scheduler import READINESS, SimThread, current

__all__ = ["installed"]

_T = TypeVar("_T")
_Event = tuple[selectors.SelectorKey, int]

_SELECTOR_NAMES = (
    "SelectSelector",
    "PollSelector",
    "EpollSelector",
    "DevpollSelector",
    "KqueueSelector",
)
_SELECTORS = list(  # the classes that define select (PollSelector's is _PollLikeSelector's)
    dict.fromkeys(
        next(owner for owner in cls.__mro__ if "select" in vars(owner))
        for cls in (getattr(selectors, name, None) for name in _SELECTOR_NAMES)
        if cls is not None
    )
)


def any_ready(ready: object) -> bool:
    """Whether a poll found something: ``select.select``'s three lists, or a selector's list."""
    return any(ready) if isinstance(ready, tuple) else bool(ready)


def _on_network_clock(
    fds: Iterable[int], poll: Callable[[], _T], timeout: float | None
) -> _T | None:
    """Wait for ``poll()`` on the network's clock if every one of ``fds`` is a memory socket of
    one network with a virtual clock; ``None`` if not (the caller then waits for real)."""
    kernel = None
    for fd in fds:
        owner = kernel_of(fd)
        if owner is None or (kernel is not None and owner is not kernel):
            return None
        kernel = owner
    return None if kernel is None else kernel.select(poll, timeout)


def _simulated(sim: SimThread, poll: Callable[[], _T], timeout: float | None) -> _T:
    """A simulated thread's wait: a scheduling point, then polls, waiting in the scheduler for a
    memory socket's readiness to change or for the virtual timeout (a timeout already passed,
    zero included, is one poll)."""
    scheduler = sim.scheduler
    _note_running_loop(sim)
    scheduler.point(sim, "select")
    deadline = None if timeout is None else scheduler.now + max(timeout, 0.0)
    while True:
        ready = poll()
        if any_ready(ready) or (deadline is not None and deadline <= scheduler.now):
            return ready
        if not scheduler.wait(sim, READINESS, deadline, "select"):
            return poll()


def _note_running_loop(sim: SimThread) -> None:
    """Remember the asyncio loop that runs in this thread, if any: a failed run reports its
    pending tasks."""
    asyncio = sys.modules.get("asyncio")
    loop = None if asyncio is None else asyncio.events._get_running_loop()
    loops = sim.scheduler.loops
    if loop is not None and not any(seen is loop for seen in loops):
        loops.append(loop)


def _seeded_order(
    sim: SimThread, selector: selectors.BaseSelector, ready: list[_Event]
) -> list[_Event]:
    """A selector's ready events in the order the run's policy picks. The kernel's order (an
    epoll ready list's) is open in reality, and an event loop runs its callbacks in it; so the
    events are put in the selector's registration order (not the kernel's, nor the
    descriptors': both differ from process to process), then shuffled by the policy."""
    if len(ready) < 2:
        return ready
    keys = selector.get_map()
    place = {fd: number for number, fd in enumerate(keys or ())}
    return sim.scheduler.shuffle(sorted(ready, key=lambda event: place[event[0].fd]))


def _waits(timeout: object) -> bool:
    """Whether ``timeout`` is a wait the real functions accept: ``None`` or positive finite
    seconds (anything else the real function returns at once, or refuses)."""
    return timeout is None or (isinstance(timeout, int | float) and 0 < timeout < math.inf)


def _fd(item: object) -> int:
    return item if isinstance(item, int) else int(item.fileno())  # type: ignore[attr-defined]


def _select(
    rlist: Any, wlist: Any, xlist: Any, timeout: float | None = None, /
) -> tuple[list[Any], list[Any], list[Any]]:
    """select.select, on the network's clock when it waits on memory sockets alone."""
    sim = current()
    if sim is not None:
        return _simulated(sim, lambda: select_select(rlist, wlist, xlist, 0), timeout)
    if _waits(timeout):
        try:
            r, w, x = list(rlist), list(wlist), list(xlist)
            fds = [_fd(item) for items in (r, w, x) for item in items]
        except (TypeError, ValueError, OSError):
            fds = []  # the real select raises its own error for these
        if fds:
            waited = _on_network_clock(fds, lambda: select_select(r, w, x, 0), timeout)
            if waited is not None:
                return waited
            rlist, wlist, xlist = r, w, x
    return select_select(rlist, wlist, xlist, timeout)


_select.__name__ = _select.__qualname__ = "select"


def _selector_select(real: Callable[..., list[_Event]]) -> Callable[..., list[_Event]]:
    """A selector's ``select``, on the network's clock when it waits on memory sockets alone."""

    def select(self: selectors.BaseSelector, timeout: float | None = None) -> list[_Event]:
        sim = current()
        if sim is not None:
            return _seeded_order(sim, self, _simulated(sim, lambda: real(self, 0), timeout))
        if _waits(timeout):
            keys = self.get_map()
            fds = [key.fd for key in keys.values()] if keys is not None else []
            if fds:
                waited = _on_network_clock(fds, lambda: real(self, 0), timeout)
                if waited is not None:
                    return waited
        return real(self, timeout)

    select.__name__ = select.__qualname__ = "select"
    select.__doc__ = "A selector's select, on the network's clock for memory sockets alone."
    return select


installed = Patches(
    [(cls, "select", _selector_select(vars(cls)["select"])) for cls in _SELECTORS]
    + [(select, "select", _select)]
).installed
"""Keep the stand-ins in place for the block; blocks may overlap (patches and simulations)."""
