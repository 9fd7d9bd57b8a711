"""Seeded, replayable thread schedules: :func:`simulate`, :func:`explore`, :class:`Simulation`.

The kit makes the bytes deterministic; this makes the threads so. Inside ``simulate(fn,
seed=...)`` the threads ``fn`` starts run one at a time, and every call into the in-memory
network and every operation on a threading primitive is a scheduling point, where a seeded
policy (``_policies.py``) picks the next thread. Time is virtual. So a race that shows once in
a thousand real runs shows for some seed, and that seed shows it every time::

    seed = sockettest.explore(scenario, seeds=range(200))
    sockettest.simulate(scenario, seed=seed)  # fails, the same way, every time

The pieces: ``_scheduler.py`` (the baton, virtual time, deadlocks, the trace),
``_simulated.py`` (the primitives), ``_replacements.py`` (what is patched, for whom). This
module runs one simulation from the caller's thread, which stays outside it: fn runs in a new
OS thread (``simulated-main``, called ``main`` in the trace) and the caller supervises, with a
real-time watchdog for runs stuck in something the simulation does not control.

Rules of this module:

1. Whatever fails the run comes out of :meth:`Simulation.run` as itself, with the seed, the
   replay call and the trace's tail added as a note (PEP 678): an exception raised by ``fn``
   or escaping any simulated thread (the first one), a :class:`~sockettest.Deadlock`, or
   :class:`~sockettest.BlockedTooLong` from the watchdog.
2. ``fn`` returning is the program's exit: the run waits for fn's non-daemon threads, as the
   interpreter does, then unwinds the daemon threads still alive (:class:`Abandoned` where they
   are parked; their ``finally`` blocks run).
3. When ``simulate`` returns or raises, every simulated thread's OS thread has ended (but one
   the watchdog gave up on), and every patch is gone.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from sockettest._deadlines import DEFAULT_TIMEOUT, BlockedTooLong, Deadlock
from sockettest._policies import PCT, Policy, RandomWalk, Schedule
from sockettest._replacements import installed, run_as_simulated, simulated_thread
from sockettest._scheduler import BLOCKED, ENDED, Scheduler, SimThread, Step

__all__ = ["MAX_STEPS", "Simulation", "explore", "simulate"]

T = TypeVar("T")

_MARK = "_sockettest_simulated"
_POLL = 0.05  # real seconds between the watchdog's looks
_GRACE = 2.0  # real seconds for threads to unwind after the watchdog gave up on one
_TAIL = 20  # trace steps shown in a failure
MAX_STEPS = 100_000
"""Scheduling points a run may take before it fails as a livelock: a few seconds of real time."""
_HERE = Path(__file__).parent
_INTERNAL = frozenset(
    {
        str(_HERE / "_scheduler.py"),
        str(_HERE / "_simulated.py"),
        str(_HERE / "_replacements.py"),
        str(_HERE / "_simulation.py"),
        threading.__file__,
    }
)


class Simulation:
    """One simulated run of a function: its policy and seed, then its trace.

    ``simulate(fn, seed=7)`` is ``Simulation(seed=7).run(fn)``; make the object yourself to
    read the trace of a run that passed::

        simulation = Simulation(seed=7)
        simulation.run(scenario)
        print("\\n".join(map(str, simulation.trace)))

    Args:
        seed: the seed of the policy's choices. Give it, or ``schedule``.
        schedule: an explicit :class:`~sockettest.Schedule` of choices instead of a seed
            (what :func:`sockettest.strategies.schedules` draws).
        policy: :class:`~sockettest.RandomWalk` (the default) or :class:`~sockettest.PCT`.
        stall_timeout: real seconds without a scheduling point after which the watchdog fails
            the run (a thread blocked in something uncontrolled), with every thread's stack.
        max_steps: scheduling points after which the run fails as a livelock (a loop that polls
            for what never comes moves virtual time on for ever).

    Raises:
        ValueError: neither or both of ``seed`` and ``schedule``; a seed that is not an int.
    """

    def __init__(
        self,
        *,
        seed: int | None = None,
        schedule: Schedule | None = None,
        policy: RandomWalk | PCT | None = None,
        stall_timeout: float = DEFAULT_TIMEOUT,
        max_steps: int = MAX_STEPS,
    ) -> None:
        if (seed is None) == (schedule is None):
            raise ValueError("give a seed or a schedule (one of them)")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError(f"a seed is an int, not {seed!r}")
        if schedule is not None and policy is not None:
            raise ValueError("a schedule is its own policy: give a schedule or a policy")
        if not stall_timeout > 0:
            raise ValueError(f"stall_timeout must be positive seconds, not {stall_timeout!r}")
        self.seed = seed
        self.schedule = schedule
        self.policy: Policy = schedule if schedule is not None else policy or RandomWalk()
        if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 1:
            raise ValueError(f"max_steps must be an int of at least 1, not {max_steps!r}")
        self.stall_timeout = stall_timeout
        self.max_steps = max_steps
        self.trace: list[Step] = []
        """Every scheduling point of the last run, in order; equal for equal seeds."""
        self.choices: list[int] = []
        """The policy's choice at every point that had one: ``Schedule(choices)`` replays it."""
        self.time = 0.0
        """The virtual time (seconds) at which the last run ended."""

    def __repr__(self) -> str:
        return f"<Simulation {self._label()}, {len(self.trace)} steps>"

    def replay(self, fn: Callable[[], object] | None = None) -> str:
        """The call that replays this run, as text: ``sockettest.simulate(fn, seed=17)``."""
        name = getattr(fn, "__name__", "fn") if fn is not None else "fn"
        name = name if name.isidentifier() else "fn"
        if self.schedule is not None:
            return f"sockettest.simulate({name}, schedule={self.schedule!r})"
        policy = "" if isinstance(self.policy, RandomWalk) else f", policy={self.policy!r}"
        return f"sockettest.simulate({name}, seed={self.seed}{policy})"

    def run(self, fn: Callable[[], T]) -> T:
        """Run ``fn()`` under the deterministic scheduler; return what it returns.

        Raises:
            BaseException: what ``fn`` or one of its threads raised, with a note that gives the
                seed, the replay call and the trace's last steps.
            Deadlock: every thread blocked with no deadline.
            BlockedTooLong: no scheduling point for ``stall_timeout`` real seconds.
            RuntimeError: called inside a simulation.
        """
        if simulated_thread() is not None:
            raise RuntimeError("simulate() cannot run inside a simulation")
        self._fn: Callable[[], object] = fn
        scheduler = Scheduler(self.policy._chooser(self.seed or 0), self, self.max_steps)
        main = scheduler.add("main", None, daemon=False)
        outcome: list[T] = []

        def body() -> None:
            # Threads fn starts are non-daemon by default, as the main thread's would be.
            vars(threading.current_thread())["_daemonic"] = False
            run_as_simulated(main, lambda: self._main(scheduler, main, fn, outcome))

        runner = threading.Thread(target=body, name="simulated-main", daemon=True)
        main.thread = runner
        vars(runner)[_MARK] = main
        with installed():
            runner.start()
            scheduler.running = main
            main.go.release()
            try:
                self._supervise(scheduler, fn)
            except BaseException as interruption:  # pytest-timeout, Ctrl-C: unwind, then go
                scheduler.abort(interruption)
                scheduler.done.acquire(timeout=_GRACE)
                raise
            for sim in scheduler.threads:
                if sim.thread is not None and not sim.lost:
                    sim.thread.join(_GRACE)
        for sim in scheduler.threads:
            if sim.thread is not None:
                vars(sim.thread).pop(_MARK, None)
        self.trace, self.choices, self.time = scheduler.trace, scheduler.choices, scheduler.now
        failure = scheduler.failure
        if failure is not None:
            if not isinstance(failure, BlockedTooLong):  # ours carry it all in their message
                failure.add_note(self._note(scheduler, fn))
            raise failure
        return outcome[0]

    # The run -----------------------------------------------------------------------------------

    @staticmethod
    def _main(scheduler: Scheduler, me: SimThread, fn: Callable[[], T], outcome: list[T]) -> None:
        outcome.append(fn())
        while True:  # the interpreter's exit: wait for the non-daemon threads
            pending = next(
                (
                    sim
                    for sim in scheduler.threads
                    if sim is not me and not sim.daemon and sim.state is not ENDED
                ),
                None,
            )
            if pending is None:
                break
            scheduler.wait(me, pending, None, f"exit, waiting for non-daemon {pending.name}")
        scheduler.end_run()

    def _supervise(self, scheduler: Scheduler, fn: Callable[[], object]) -> None:
        """Wait for the run to end; fail it if no scheduling point comes for too long."""
        seen = -1
        since = time.monotonic()
        while not scheduler.done.acquire(timeout=_POLL):
            now = time.monotonic()
            if scheduler.progress != seen:
                seen, since = scheduler.progress, now
            elif now - since >= self.stall_timeout:
                scheduler.abort(self._stalled(scheduler, fn))
                scheduler.done.acquire(timeout=_GRACE)
                return

    # Reports -----------------------------------------------------------------------------------

    def _label(self) -> str:
        if self.schedule is not None:
            return f"schedule {self.schedule!r}"
        policy = "" if isinstance(self.policy, RandomWalk) else f", policy {self.policy!r}"
        return f"seed {self.seed}{policy}"

    def deadlock(self, scheduler: Scheduler) -> Deadlock:
        """The error for a deadlock (``_scheduler.Reports``)."""
        return Deadlock(
            f"deadlock: every simulated thread is blocked and none has a deadline, at virtual "
            f"time {scheduler.now:.3f} s ({self._label()}).\n"
            f"Replay: {self.replay(self._fn)}\n\n{_threads(scheduler)}\n{_tail(scheduler.trace)}"
        )

    def too_long(self, scheduler: Scheduler) -> BlockedTooLong:
        """The error for a run past ``max_steps`` (``_scheduler.Reports``)."""
        return BlockedTooLong(
            f"simulated run took more than {self.max_steps} scheduling points, to virtual time "
            f"{scheduler.now:.3f} s ({self._label()}): a livelock, or a loop polling for what "
            "never comes (each pass moves virtual time on). If the run is just long, raise "
            f"max_steps.\nReplay: {self.replay(self._fn)}\n\n{_threads(scheduler)}\n"
            f"{_tail(scheduler.trace)}"
        )

    def _stalled(self, scheduler: Scheduler, fn: Callable[[], object]) -> BlockedTooLong:
        running = scheduler.running
        who = "a thread" if running is None else f"thread {running.name!r}"
        return BlockedTooLong(
            f"simulated run stalled: no scheduling point for {self.stall_timeout:g} real "
            f"seconds ({self._label()}). {who.capitalize()} is in something the simulation "
            "does not control (a real socket, select on a real descriptor, a lock or thread "
            "made outside fn, a C extension) or computing; create everything inside fn.\n"
            f"Replay: {self.replay(fn)}\n\n{_threads(scheduler)}\n{_tail(scheduler.trace)}"
        )

    def _note(self, scheduler: Scheduler, fn: Callable[[], object]) -> str:
        where = scheduler.failed_thread or "main"
        return (
            f"sockettest: raised in simulated thread {where!r} at virtual time "
            f"{scheduler.now:.3f} s ({self._label()}).\n"
            f"Replay: {self.replay(fn)}\n{_tail(scheduler.trace)}"
        )


def _threads(scheduler: Scheduler) -> str:
    """Each live thread: what it is doing, and its stack without the simulation's own frames."""
    frames = sys._current_frames()
    parts = []
    for sim in scheduler.threads:
        if sim.state is ENDED:
            continue
        doing = f"blocked in {sim.blocked_in}" if sim.state is BLOCKED else sim.state
        frame = None if sim.ident is None else frames.get(sim.ident)
        if frame is None:
            parts.append(f"Thread {sim.name!r} ({doing}), not started yet\n")
            continue
        stack = [e for e in traceback.extract_stack(frame) if e.filename not in _INTERNAL]
        lines = "".join(traceback.format_list(stack)) or "  (no frames of its own)\n"
        parts.append(f"Thread {sim.name!r} ({doing}):\n{lines}")
    return "\n".join(parts)


def _tail(trace: list[Step]) -> str:
    shown = trace[-_TAIL:]
    head = f"The last {len(shown)} of {len(trace)} scheduling points:"
    return "\n".join([head, *(f"  {step}" for step in shown)])


def simulate(
    fn: Callable[[], T],
    *,
    seed: int | None = None,
    schedule: Schedule | None = None,
    policy: RandomWalk | PCT | None = None,
    stall_timeout: float = DEFAULT_TIMEOUT,
    max_steps: int = MAX_STEPS,
) -> T:
    """Run ``fn()`` under a deterministic scheduler, and return its result.

    The threads ``fn`` starts run one at a time; at each call into the in-memory network and
    each operation on ``Lock``, ``RLock``, ``Condition``, ``Event``, ``Semaphore``,
    ``queue.Queue``, ``queue.SimpleQueue``, ``Thread.start``, ``Thread.join`` and
    ``time.sleep``, the policy, seeded, picks who runs next. ``time.monotonic``, ``time.time``
    and the network's clock read virtual time, which moves only when every thread is blocked.
    The same seed gives the same interleaving, the same trace and the same outcome.

    Create everything ``fn`` uses inside ``fn``: objects made before it stay real.

    Args:
        fn: the scenario: it starts the threads and checks the outcome.
        seed: the seed of the policy's choices; or give ``schedule``.
        schedule: an explicit :class:`~sockettest.Schedule` (for Hypothesis) instead of a seed.
        policy: :class:`~sockettest.RandomWalk` (default) or :class:`~sockettest.PCT`.
        stall_timeout: real seconds without a scheduling point before the watchdog fails it.
        max_steps: scheduling points before the run fails as a livelock.

    Raises:
        BaseException: what ``fn`` or one of its threads raised, with the seed, the replay call
            and the trace's tail in a note (the traceback shows it; ``pytest.raises(match=)``
            matches it).
        Deadlock: every thread blocked with no deadline (at once, with each thread's stack).
        BlockedTooLong: the watchdog: ``stall_timeout`` real seconds with no scheduling point;
            or more than ``max_steps`` points.
    """
    simulation = Simulation(
        seed=seed,
        schedule=schedule,
        policy=policy,
        stall_timeout=stall_timeout,
        max_steps=max_steps,
    )
    return simulation.run(fn)


def explore(
    fn: Callable[[], object],
    *,
    seeds: Iterable[int],
    policy: RandomWalk | PCT | None = None,
    stall_timeout: float = DEFAULT_TIMEOUT,
    max_steps: int = MAX_STEPS,
) -> int | None:
    """Run :func:`simulate` for each seed in turn; return the first seed for which ``fn``
    raised (an :class:`Exception`: deadlocks and stalls included), or ``None`` if none did.

    ``simulate(fn, seed=explore(fn, seeds=range(200)))`` then shows the failure, every time.
    """
    for seed in seeds:
        try:
            simulate(fn, seed=seed, policy=policy, stall_timeout=stall_timeout, max_steps=max_steps)
        except Exception:  # the seed is the answer; simulate(fn, seed=seed) shows the error
            return seed
    return None
