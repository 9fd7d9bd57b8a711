"""What a simulation puts in place of ``threading``, ``queue`` and ``time``, for its duration only.

:func:`installed` patches module attributes for as long as any simulation runs, with stand-ins
that ask, at each call, whether the calling thread is simulated (``scheduler.THREADS``). A
thread that is not (pytest's, the test runner's, any thread started before the run) gets the
real thing, exactly as before; a simulated one gets the simulated primitive
(``primitives.py``), the virtual clock, or a scheduling point.

What is replaced:

- ``threading.Lock`` and ``RLock``, and ``queue.SimpleQueue`` (by ``queue._PySimpleQueue``,
  which is built on ``threading``): by classes whose calls dispatch, and which ``isinstance``
  accepts for both kinds. ``threading._allocate_lock``, for the lock a ``Condition.wait`` parks
  on when its condition's lock is simulated.
- ``Thread.start``, ``Thread.join`` and ``Thread.is_alive``: a simulated thread's new threads
  join the simulation, and its joins wait in the scheduler.
- ``time.monotonic``, ``monotonic_ns``, ``perf_counter``, ``perf_counter_ns``, ``time``,
  ``time_ns`` and ``sleep``, and the copies of ``monotonic`` that ``threading`` and ``queue``
  bound at import (``threading._time``, ``queue.time``).
- ``ThreadPoolExecutor.__init__``: a pool made in a simulated thread numbers itself in the run
  (``ThreadPoolExecutor-0_1``, not the process-wide counter's ``ThreadPoolExecutor-3_1``), and
  keeps its workers in the order they started, so that ``shutdown()`` joins them in that order
  (CPython keeps them in a set, which iterates by address).
- ``select.select`` and the ``select`` method of the ``selectors`` classes, through
  :func:`sockettest._selecting.installed` (shared with the socket module's patch): a simulated
  thread polls without blocking, and waits in the scheduler for a memory socket's readiness to
  change (``scheduler.READINESS``) or for its virtual timeout. ``select.poll()`` objects are
  not reached: they are C.
- ``BaseSelectorEventLoop._write_to_self``, ``call_soon_threadsafe``'s wake-up of an asyncio
  loop (``loops.py``): after the write to the loop's self-pipe, a readiness change that wakes
  the loop's ``select`` in the scheduler, and a scheduling point.
- ``BaseEventLoop.create_task`` and ``asyncio.all_tasks`` (``asyncio.tasks.all_tasks`` too,
  which ``asyncio.run`` calls to cancel the tasks left at its end): in a simulated thread, the
  set of tasks iterates in the order they were made, not by address.

Rules of this module:

1. The originals are captured when this module is imported, before any patch can be in place,
   and restored in reverse order when the last simulation ends (only where our value is still
   there, as ``_patch.py`` does for ``socket``).
2. A lock stays real when ``threading`` makes it for itself (a ``Thread``'s own ``Event``,
   which its OS thread sets before it joins the simulation; :func:`primitives.library_call`
   tells); when the kit's network makes it (it has explicit hooks, ``scheduler.py``); and when
   a module's top-level code makes it (an import inside ``fn`` must not leave a simulated lock
   in a module for ever). A lock made for an object of ``threading`` or ``queue`` is named
   after it (``Event-1``).
3. At the OS level every simulated thread is a daemon, so that one stuck in something
   uncontrolled cannot hang the interpreter's exit; ``thread.daemon`` still says what the code
   asked for, and the simulation waits for non-daemon threads as the interpreter would.
4. While any simulation runs, :func:`scheduler.gc_phase` is a :data:`gc.callbacks` hook
   (:func:`scheduler.follow_collections`): a finalizer that a collection runs in a simulated
   thread takes no scheduling point.
"""

from __future__ import annotations

import asyncio
import queue
import re
import sys
import threading
import time
from asyncio import base_events, selector_events
from asyncio import tasks as asyncio_tasks
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from types import FrameType
from typing import Any

from sockettest._originals import (
    Patches,
    allocate_lock,
    get_ident,
    sleep,
    thread_is_alive,
    thread_join,
    thread_start,
)
from sockettest._selecting import installed as selects_installed
from sockettest._simulation.loops import all_tasks, create_task, write_to_self
from sockettest._simulation.primitives import (
    SimulatedLock,
    SimulatedRLock,
    kind_of,
    library_call,
)
from sockettest._simulation.scheduler import (
    ENDED,
    THREADS,
    Abandoned,
    SimThread,
    current,
    follow_collections,
)

__all__ = ["EPOCH", "MARK", "installed", "run_as_simulated"]

EPOCH = 1_700_000_000.0
"""What ``time.time()`` reads in a simulation at virtual time 0 (14 November 2023): the same in
every run, so that timestamps in a trace or a log compare equal."""

MARK = "_sockettest_simulated"
"""The attribute of a simulated :class:`threading.Thread` object that holds its SimThread."""

_real_executor_init = ThreadPoolExecutor.__init__  # not in _originals: see there why

_REAL_JOIN_TIMEOUT = 5.0  # real seconds for an ended thread's OS thread to finish its exit

_CONDITION_WAIT = threading.Condition.wait.__code__
_KIT_NETWORK = frozenset(
    {
        "sockettest._network",
        "sockettest._kernel",
        "sockettest._waiting",
        "sockettest._memory_socket",
        "sockettest._clock",
        "sockettest._names",
        "sockettest._simulation.scheduler",
    }
)
_DEFAULT_NAME = re.compile(r"Thread-\d+(?P<target> \(.*\))?")
_DEFAULT_POOL_NAME = re.compile(r"ThreadPoolExecutor-\d+")


def _made_for(frame: FrameType) -> tuple[bool, str | None]:
    """Whether a lock made by the code of ``frame`` is simulated (rule 2), and the kind of
    object it is for (None: for the code itself)."""
    outside, called = library_call(frame)
    if (
        outside is None
        or outside.f_code.co_name == "<module>"
        or outside.f_globals.get("__name__") in _KIT_NETWORK
    ):
        return False, None
    return True, kind_of(called)


class _Dispatching(type):
    """The metaclass of the stand-ins: a call makes a real or a simulated primitive."""

    _real: Callable[..., Any]
    _simulated: Callable[..., Any]
    _kinds: tuple[type, ...]
    _is_lock: bool

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        if current() is not None:
            simulated, made_for = _made_for(sys._getframe(1))
            if simulated:
                if cls._is_lock:
                    kwargs["made_for"] = made_for
                return cls._simulated(*args, **kwargs)
        return cls._real(*args, **kwargs)

    def __instancecheck__(cls, instance: object) -> bool:
        return isinstance(instance, cls._kinds)


def _stand_in(name: str, real: Any, simulated: type, module: str) -> type:
    real_type = real if isinstance(real, type) else type(real())
    return _Dispatching(
        name,
        (),
        {
            "_real": real,
            "_simulated": simulated,
            "_kinds": (real_type, simulated),
            "_is_lock": simulated in (SimulatedLock, SimulatedRLock),
            "__module__": module,
            "__doc__": f"{module}.{name}, simulated by sockettest in simulated threads.",
        },
    )


def _replacements() -> list[tuple[Any, str, Any]]:
    py_simple_queue: type = queue._PySimpleQueue  # type: ignore[attr-defined]
    clock: dict[str, Callable[..., Any]] = {
        "monotonic": _virtual(lambda now: now, time.monotonic),
        "perf_counter": _virtual(lambda now: now, time.perf_counter),
        "monotonic_ns": _virtual(lambda now: int(now * 1e9), time.monotonic_ns),
        "perf_counter_ns": _virtual(lambda now: int(now * 1e9), time.perf_counter_ns),
        "time": _virtual(lambda now: EPOCH + now, time.time),
        "time_ns": _virtual(lambda now: int((EPOCH + now) * 1e9), time.time_ns),
        "sleep": _sleep,
    }
    primitives = {"Lock": SimulatedLock, "RLock": SimulatedRLock}
    patches: list[tuple[Any, str, Any]] = [
        (threading, name, _stand_in(name, getattr(threading, name), simulated, "threading"))
        for name, simulated in primitives.items()
    ]
    simple_queue = _stand_in("SimpleQueue", queue.SimpleQueue, py_simple_queue, "queue")
    patches += [
        (threading, "_allocate_lock", _allocate_lock),
        (queue, "SimpleQueue", simple_queue),
        (threading.Thread, "start", _start),
        (threading.Thread, "join", _join),
        (threading.Thread, "is_alive", _is_alive),
        (ThreadPoolExecutor, "__init__", _executor_init),
        (selector_events.BaseSelectorEventLoop, "_write_to_self", write_to_self),
        (base_events.BaseEventLoop, "create_task", create_task),
        (asyncio_tasks, "all_tasks", all_tasks),
        (asyncio, "all_tasks", all_tasks),
        (threading, "_time", clock["monotonic"]),
        (queue, "time", clock["monotonic"]),
    ]
    patches += [(time, name, function) for name, function in clock.items()]
    return patches


def _allocate_lock() -> Any:
    """threading._allocate_lock: in ``Condition.wait`` on a simulated lock, a simulated lock to
    park on, named after the condition's lock; a real one everywhere else."""
    frame = sys._getframe(1)
    if frame.f_code is _CONDITION_WAIT:
        lock = frame.f_locals["self"]._lock
        if isinstance(lock, (SimulatedLock, SimulatedRLock)):
            return SimulatedLock(name=lock.name, parks=True)
    return allocate_lock()


def _virtual(reading: Callable[[float], Any], real: Callable[[], Any]) -> Callable[[], Any]:
    def clock() -> Any:
        sim = current()
        return real() if sim is None else reading(sim.scheduler.now)

    clock.__name__ = clock.__qualname__ = real.__name__
    clock.__doc__ = f"time.{real.__name__}, on virtual time in a simulated thread."
    return clock


def _sleep(seconds: float, /) -> None:
    """time.sleep, on virtual time in a simulated thread (a scheduling point, even for 0)."""
    sim = current()
    if sim is None:
        sleep(seconds)
        return
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    scheduler = sim.scheduler
    scheduler.point(sim, f"sleep {seconds:g}")
    if seconds > 0:
        scheduler.wait(sim, object(), scheduler.now + seconds, f"sleep {seconds:g}")


_sleep.__name__ = _sleep.__qualname__ = "sleep"  # as a thread's target, it names the thread


# Threads ---------------------------------------------------------------------------------------


def _simulated_target(thread: threading.Thread) -> SimThread | None:
    target: SimThread | None = vars(thread).get(MARK)
    return target


def _start(self: threading.Thread) -> None:
    sim = current()
    attributes = vars(self)
    started = attributes.get("_started")
    if (
        sim is None
        or _simulated_target(self) is not None
        or not attributes.get("_initialized")
        or started is None
        or started.is_set()
    ):
        thread_start(self)  # not ours to simulate, or CPython's own error
        return
    scheduler = sim.scheduler
    name = self.name
    default = _DEFAULT_NAME.fullmatch(name)
    if default is not None:  # threading's counter is global: number them in this run instead
        name = f"Thread-{scheduler.number('Thread')}{default.group('target') or ''}"
        self.name = name
    daemon = self.daemon
    child = scheduler.add(name, self, daemon)
    original_run = self.run
    attributes[MARK] = child
    attributes["run"] = lambda: run_as_simulated(child, original_run)
    try:
        self.daemon = True  # rule 3
        thread_start(self)
    except BaseException:
        scheduler.remove(child)
        del attributes[MARK], attributes["run"]
        self.daemon = daemon
        raise
    attributes["_daemonic"] = daemon
    scheduler.point(sim, f"start {name}")


def _executor_init(self: ThreadPoolExecutor, *args: Any, **kwargs: Any) -> None:
    """ThreadPoolExecutor.__init__; in a simulated thread, a run-local name and start order."""
    _real_executor_init(self, *args, **kwargs)
    sim = current()
    if sim is None:
        return
    attributes = vars(self)
    if _DEFAULT_POOL_NAME.fullmatch(str(attributes.get("_thread_name_prefix"))):
        number = sim.scheduler.number("ThreadPoolExecutor") - 1  # CPython's count from 0
        attributes["_thread_name_prefix"] = f"ThreadPoolExecutor-{number}"
    threads = attributes.get("_threads")
    if isinstance(threads, set):
        attributes["_threads"] = _StartOrder(threads)


class _StartOrder:
    """A pool's set of worker threads that iterates in the order they were added (what the
    pool does with its set: add, len, iterate)."""

    def __init__(self, items: Iterable[threading.Thread] = ()) -> None:
        self._items = dict.fromkeys(items)

    def add(self, item: threading.Thread) -> None:
        self._items[item] = None

    def __iter__(self) -> Iterator[threading.Thread]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)


def run_as_simulated(sim: SimThread, run: Callable[[], object]) -> object:
    """The body of a simulated thread's OS thread: join, wait for the baton, run, report."""
    ident = get_ident()
    sim.ident = ident
    THREADS[ident] = sim
    scheduler = sim.scheduler
    result: object = None
    try:
        sim.go.acquire()
        if not scheduler.over:
            result = run()
    except Abandoned:
        pass
    except BaseException as error:  # a crashed thread fails the run (raised by simulate)
        if not scheduler.over:
            scheduler.fail(error, sim)
    finally:
        del THREADS[ident]
        if sim.thread is not None:
            vars(sim.thread).pop("run", None)
        scheduler.ended(sim)
    return result


def _join(self: threading.Thread, timeout: float | None = None) -> None:
    sim = current()
    target = _simulated_target(self)
    if sim is None or target is None or target.scheduler is not sim.scheduler:
        thread_join(self, timeout)
        return
    scheduler = sim.scheduler
    scheduler.point(sim, f"join {target.name}")
    if target is sim:
        raise RuntimeError("cannot join current thread")
    deadline = None if timeout is None else scheduler.now + max(timeout, 0.0)
    while target.state is not ENDED:
        if not scheduler.wait(sim, target, deadline, f"join {target.name}"):
            break
    if target.state is ENDED:
        thread_join(self, _REAL_JOIN_TIMEOUT)  # its OS thread is on its way out, baton-free


def _is_alive(self: threading.Thread) -> bool:
    sim = current()
    target = _simulated_target(self)
    if sim is None or target is None or target.scheduler is not sim.scheduler:
        return thread_is_alive(self)
    return target.state is not ENDED


# Installing ------------------------------------------------------------------------------------

_PATCHES = _replacements()  # rule 1: made, and the originals captured, at import
_INSTALLED = Patches(_PATCHES, follow_collections)  # rule 4


@contextmanager
def installed() -> Iterator[None]:
    """Keep the replacements in place for the block; blocks may overlap (simulations running in
    several threads at once): the patches go when the last one ends."""
    with _INSTALLED.installed(), selects_installed():
        yield
