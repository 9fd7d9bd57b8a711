"""asyncio event loops in a simulation: their wake-ups, their tasks' order, their pending tasks.

An event loop (``asyncio.run`` in ``fn``, or in a thread ``fn`` starts) needs nothing of its own
to run under the scheduler: its ``time()`` is ``time.monotonic()``, which reads virtual time,
and it waits in its selector's ``select``, which waits in the scheduler
(``sockettest._selecting``). Its default executor is a ``ThreadPoolExecutor`` it makes in its
own thread, so ``to_thread`` and ``run_in_executor`` run on simulated threads. Four things need
this module:

- A wake-up from another thread (``call_soon_threadsafe``: a ``to_thread`` or
  ``run_in_executor`` call that completes, the default executor's shutdown) is a byte written to
  the loop's self-pipe, a real ``AF_UNIX`` pair the scheduler never sees. So the write is
  followed by a readiness change (``scheduler.READINESS``), which wakes the loop's ``select``
  in the scheduler to poll again, and by a scheduling point.
- A run that fails (a deadlock, a stall, a livelock) reports each pending task of every loop
  still open, with the stack of coroutines it is suspended in: the thread's own stack shows
  only the loop waiting in ``select``.
- ``asyncio.run`` ends by cancelling the tasks still pending, in the order of the set
  ``asyncio.all_tasks`` returns: their addresses', different in every run. In a simulated
  thread the tasks come in the order they were made (``loop.create_task``, which
  ``asyncio.create_task``, ``ensure_future``, ``gather`` and a server's connection handlers go
  through), so that the same seed gives the same trace.
- A run that ends leaves no task behind to complain, when collected, that it was destroyed
  pending, nor a coroutine whose cleanup fails then, in another test.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import re
import traceback
import weakref
from asyncio import base_events, selector_events, tasks
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from sockettest._simulation.scheduler import READINESS, Scheduler, current

__all__ = [
    "abandon_pending_tasks",
    "all_tasks",
    "create_task",
    "pending_tasks",
    "write_to_self",
]

_real_write_to_self: Callable[[Any], None] = vars(selector_events.BaseSelectorEventLoop)[
    "_write_to_self"
]
_real_create_task: Callable[..., asyncio.Task[Any]] = vars(base_events.BaseEventLoop)["create_task"]
_real_all_tasks = tasks.all_tasks
_NUMBER = re.compile(r"(\d+)")
_made: weakref.WeakKeyDictionary[asyncio.Task[Any], int] = weakref.WeakKeyDictionary()
_numbers = itertools.count()  # only the order of the numbers counts, not where they start


def write_to_self(self: Any) -> None:
    """``BaseSelectorEventLoop._write_to_self`` (``call_soon_threadsafe``'s wake-up): the real
    write to the self-pipe, then, from a simulated thread, a readiness change and a point."""
    _real_write_to_self(self)
    sim = current()
    if sim is not None:
        sim.scheduler.wake(READINESS)
        sim.scheduler.point(sim, "call_soon_threadsafe")


write_to_self.__name__ = write_to_self.__qualname__ = "_write_to_self"


def create_task(self: Any, coro: Any, *args: Any, **kwargs: Any) -> asyncio.Task[Any]:
    """``BaseEventLoop.create_task``; in a simulated thread, the task's place in the order tasks
    were made is noted."""
    task = _real_create_task(self, coro, *args, **kwargs)
    if current() is not None:
        _made[task] = next(_numbers)
    return task


class _InOrderMade(set[asyncio.Task[Any]]):
    """A set of tasks that iterates in the order they were made."""

    def __iter__(self) -> Iterator[asyncio.Task[Any]]:
        return iter(sorted(super().__iter__(), key=_made_order))


def all_tasks(loop: asyncio.AbstractEventLoop | None = None) -> set[asyncio.Task[Any]]:
    """``asyncio.all_tasks``; in a simulated thread, a set that iterates in the order the tasks
    were made (``asyncio.run`` cancels them in that order)."""
    found = _real_all_tasks(loop)
    return found if current() is None else _InOrderMade(found)


def _made_order(task: asyncio.Task[Any]) -> tuple[float, list[object]]:
    """Tasks made through ``create_task`` in a simulated thread first, in the order they were
    made; then any other by name."""
    return (_made.get(task, math.inf), _natural(task))


def pending_tasks(scheduler: Scheduler, internal: Iterable[str]) -> str:
    """Each pending task of each loop of the run that is not closed, with its coroutines'
    stack (frames in ``internal`` files left out); empty if there is none."""
    parts = []
    for loop in scheduler.loops:
        if loop.is_closed():
            continue
        for task in sorted(asyncio.all_tasks(loop), key=_made_order):
            stack = [
                entry
                for entry in traceback.StackSummary.extract(_suspended_in(task), lookup_lines=True)
                if entry.filename not in internal
            ]
            lines = "".join(traceback.format_list(stack)) or "  (not started yet)\n"
            waiting = getattr(task, "_fut_waiter", None)
            on = "" if waiting is None else f", waiting for {_short(waiting)}"
            parts.append(f"Task {task.get_name()!r} ({_short(task.get_coro())}{on}):\n{lines}")
    return "\n".join(parts)


def abandon_pending_tasks(scheduler: Scheduler) -> None:
    """The run is over: a task still pending in one of its loops is abandoned with the thread
    that ran it, as the program's exit abandons a daemon thread's tasks, silently.

    Unwound, a loop's ``asyncio.run`` cancels its tasks, but a task whose cleanup waits (on a
    timer, on I/O) is cut off there. Left to the collector, it would log "Task was destroyed
    but it is pending!", and its coroutine's next ``finally`` would fail with no loop to run
    on (an unraisable exception), in whatever test runs then. So each such task is told not to
    log, and its coroutine is closed now, here: its ``finally`` blocks run, and what they raise
    (with no running loop, they cannot await) is dropped.
    """
    for loop in scheduler.loops:
        if not loop.is_closed():
            continue
        for task in sorted(asyncio.all_tasks(loop), key=_made_order):
            task._log_destroy_pending = False  # type: ignore[attr-defined]
            with contextlib.suppress(Exception):
                task.get_coro().close()


def _suspended_in(task: asyncio.Task[Any]) -> list[tuple[Any, int]]:
    """The frames a task is suspended in, outermost first: its coroutine, then what each one
    awaits (``cr_await``), down to the innermost (``task.get_stack()`` gives the first only)."""
    frames = []
    awaited: Any = task.get_coro()
    while awaited is not None:
        frame = getattr(awaited, "cr_frame", None) or getattr(awaited, "gi_frame", None)
        if frame is not None:
            frames.append((frame, frame.f_lineno))
        awaited = getattr(awaited, "cr_await", None) or getattr(awaited, "gi_yieldfrom", None)
    return frames


def _short(thing: object) -> str:
    text = repr(thing)
    return text if len(text) <= 120 else text[:117] + "..."


def _natural(task: asyncio.Task[Any]) -> list[object]:
    """Task names in the order a person counts (``Task-2`` before ``Task-10``)."""
    return [int(part) if part.isdigit() else part for part in _NUMBER.split(task.get_name())]
