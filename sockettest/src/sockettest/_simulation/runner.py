"""Seeded, replayable thread schedules: :func:`simulate`, :func:`explore`, :class:`Simulation`.

The kit makes the bytes deterministic; this makes the threads so. Inside ``simulate(fn,
seed=...)`` the threads ``fn`` starts run one at a time, and every call into the in-memory
network and every operation on a threading primitive is a scheduling point, where a seeded
policy (``policies.py``) picks the next thread. Time is virtual. So a race that shows once in
a thousand real runs shows for some seed, and that seed shows it every time::

    seed = sockettest.explore(scenario, seeds=range(200))
    sockettest.simulate(scenario, seed=seed)  # fails, the same way, every time

This module (the package's ``__init__`` lists the others) runs one simulation from the
caller's thread, which stays outside it: fn runs in a new OS thread (``simulated-main``,
called ``main`` in the trace) and the caller supervises, with a real-time watchdog for runs
stuck in something the simulation does not control.

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
4. Arguments are checked at the call, before anything runs, with errors that name them.
   ``random``'s module functions are seeded from the run's seed, for the run only.
5. ``check_determinism=True`` runs each seed twice and compares the traces step by step: a
   difference is a :class:`Nondeterminism`, which names the first step that differs.
"""

from __future__ import annotations

import random
import reprlib
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sockettest._deadlines import DEFAULT_TIMEOUT, BlockedTooLong, Deadlock
from sockettest._simulation.loops import abandon_pending_tasks, pending_tasks
from sockettest._simulation.parallel import first_failure_in_processes, seed_slice
from sockettest._simulation.policies import PCT, Policy, RandomWalk, Schedule, sized
from sockettest._simulation.progress import ExploreProgress, Reporter, check_progress
from sockettest._simulation.replacements import MARK, installed, run_as_simulated
from sockettest._simulation.scheduler import BLOCKED, ENDED, Scheduler, SimThread, Step, current
from sockettest._validation import check_flag, check_int, check_seconds

__all__ = ["MAX_STEPS", "Nondeterminism", "Simulation", "explore", "simulate"]

T = TypeVar("T")

_POLL = 0.05  # real seconds between the watchdog's looks
_GRACE = 2.0  # real seconds for threads to unwind after the watchdog gave up on one
_TAIL = 20  # trace steps shown in a failure
MAX_STEPS = 100_000
"""Scheduling points a run may take before it fails as a livelock: a few seconds of real time."""
_INTERNAL = frozenset(
    {*(str(path) for path in Path(__file__).parent.glob("*.py")), threading.__file__}
)
"""The files whose frames a report of the threads' stacks leaves out: this package's own."""


class Nondeterminism(AssertionError):
    """Two runs of one seed took different schedules (``check_determinism=True``): something
    outside the seed's control decided a step. The message names the first step that differs,
    with the steps before it; the usual causes are an object made outside ``fn`` (a lock, a
    thread, a server), iteration over a set of objects (their order is their address), and
    names or numbers from process-wide counters.
    """


class Simulation:
    """One simulated run of a function: its policy and seed, then its trace.

    ``simulate(fn, seed=7)`` is ``Simulation(seed=7).run(fn)``; make the object yourself to
    read the trace of a run that passed::

        simulation = Simulation(seed=7)
        simulation.run(scenario)
        print("\\n".join(map(str, simulation.trace)))

    Args:
        seed, schedule, policy, stall_timeout, max_steps, check_determinism: as
            :func:`simulate` takes them (with ``check_determinism``, ``trace`` is the first
            run's).

    Raises:
        ValueError: neither or both of ``seed`` and ``schedule``; a value out of range.
        TypeError: an argument of the wrong type (each error names the argument).
    """

    def __init__(
        self,
        *,
        seed: int | None = None,
        schedule: Schedule | None = None,
        policy: RandomWalk | PCT | None = None,
        stall_timeout: float = DEFAULT_TIMEOUT,
        max_steps: int = MAX_STEPS,
        check_determinism: bool = False,
    ) -> None:
        if (seed is None) == (schedule is None):
            raise ValueError("give a seed or a schedule (one of them)")
        if seed is not None:
            check_int("seed", seed)
        if schedule is not None and not isinstance(schedule, Schedule):
            raise TypeError(f"schedule must be a sockettest.Schedule, not {schedule!r}")
        if schedule is not None and policy is not None:
            raise ValueError("a schedule is its own policy: give a schedule or a policy")
        if policy is not None and not isinstance(policy, RandomWalk | PCT):
            raise TypeError(
                f"policy must be sockettest.RandomWalk() or sockettest.PCT(...), not {policy!r}"
            )
        check_seconds("stall_timeout", stall_timeout, positive=True)
        check_int("max_steps", max_steps, 1)
        check_flag("check_determinism", check_determinism)
        self.seed = seed
        self.schedule = schedule
        self.policy: Policy = schedule if schedule is not None else policy or RandomWalk()
        self.stall_timeout = stall_timeout
        self.max_steps = max_steps
        self.check_determinism = check_determinism
        self.trace: list[Step] = []
        """Every scheduling point of the last run, in order; equal for equal seeds."""
        self.choices: list[int] = []
        """The policy's choice at every point that had one, and for the order of each
        selector's ready events: ``Schedule(choices)`` replays it."""
        self.time = 0.0
        """The virtual time (seconds) at which the last run ended."""

    def __repr__(self) -> str:
        return f"<Simulation {self._label()}, {len(self.trace)} steps>"

    def replay(self, fn: Callable[[], object] | None = None) -> str:
        """The call that replays this run, as text: ``sockettest.simulate(mymodule.fn, seed=17)``
        (``fn`` by module and qualified name; just ``fn`` when it has none to find it by)."""
        name = "fn" if fn is None else _findable_name(fn)[0]
        if self.schedule is not None:
            return f"sockettest.simulate({name}, schedule={self.schedule!r})"
        policy = "" if isinstance(self.policy, RandomWalk) else f", policy={self.policy!r}"
        return f"sockettest.simulate({name}, seed={self.seed}{policy})"

    def _replay_line(self, fn: Callable[[], object]) -> str:
        """``Replay: ...``, and why ``fn`` is not named, when it cannot be."""
        unnamed = _findable_name(fn)[1]
        return f"Replay: {self.replay(fn)}" + (f"\n  where fn is {unnamed}" if unnamed else "")

    def run(self, fn: Callable[[], T]) -> T:
        """Run ``fn()`` under the deterministic scheduler; return what it returns.

        Raises:
            BaseException: what ``fn`` or one of its threads raised, with a note that gives the
                seed, the replay call and the trace's last steps.
            Deadlock: every thread blocked with no deadline.
            BlockedTooLong: no scheduling point for ``stall_timeout`` real seconds.
            Nondeterminism: with ``check_determinism``, the two runs' traces differ.
            RuntimeError: called inside a simulation.
            TypeError: ``fn`` is not callable.
        """
        _check_fn(fn)
        if current() is not None:
            raise RuntimeError("simulate() cannot run inside a simulation")
        if not self.check_determinism:
            return self._run_once(fn)
        runs: list[tuple[list[Step], Exception | None]] = []
        results: list[T] = []
        for _ in range(2):
            try:
                results.append(self._run_once(fn))
            except Exception as failure:  # compared below, then raised
                runs.append((self.trace, failure))
            else:
                runs.append((self.trace, None))
        self.trace = runs[0][0]
        _compare(self, fn, runs[0], runs[1])
        first_failure = runs[0][1]
        if first_failure is not None:
            raise first_failure
        return results[0]

    def _run_once(self, fn: Callable[[], T]) -> T:
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
        vars(runner)[MARK] = main
        with installed(), _seeded_random(f"sockettest.simulate {self._label()}"):
            runner.start()
            scheduler.running = main
            main.go.release()
            try:
                self._supervise(scheduler)
            except BaseException as interruption:  # pytest-timeout, Ctrl-C: unwind, then go
                scheduler.abort(interruption)
                scheduler.done.acquire(timeout=_GRACE)
                raise
            for sim in scheduler.threads:
                if sim.thread is not None and not sim.lost:
                    sim.thread.join(_GRACE)
        for sim in scheduler.threads:
            if sim.thread is not None:
                vars(sim.thread).pop(MARK, None)
        abandon_pending_tasks(scheduler)
        self.trace, self.choices, self.time = scheduler.trace, scheduler.choices, scheduler.now
        failure = scheduler.failure
        if failure is not None:
            if not isinstance(failure, BlockedTooLong):  # ours carry it all in their message
                failure.add_note(self._note(scheduler))
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

    def _supervise(self, scheduler: Scheduler) -> None:
        """Wait for the run to end; fail it if no scheduling point comes for too long."""
        seen = -1
        since = time.monotonic()
        while not scheduler.done.acquire(timeout=_POLL):
            now = time.monotonic()
            if scheduler.progress != seen:
                seen, since = scheduler.progress, now
            elif now - since >= self.stall_timeout:
                scheduler.abort(self._stalled(scheduler))
                scheduler.done.acquire(timeout=_GRACE)
                return

    # Reports -----------------------------------------------------------------------------------

    def _label(self) -> str:
        if self.schedule is not None:
            return f"schedule {self.schedule!r}"
        policy = "" if isinstance(self.policy, RandomWalk) else f", policy {self.policy!r}"
        return f"seed {self.seed}{policy}"

    def deadlock(self, scheduler: Scheduler) -> Deadlock:
        """The error for a deadlock (``scheduler.Reports``)."""
        return Deadlock(
            f"deadlock: every simulated thread is blocked and none has a deadline, at virtual "
            f"time {scheduler.now:.3f} s ({self._label()}).{self._report(scheduler)}"
        )

    def too_long(self, scheduler: Scheduler) -> BlockedTooLong:
        """The error for a run past ``max_steps`` (``scheduler.Reports``)."""
        return BlockedTooLong(
            f"simulated run took more than {self.max_steps} scheduling points, to virtual time "
            f"{scheduler.now:.3f} s ({self._label()}): a livelock, or a loop polling for what "
            "never comes (each pass moves virtual time on). If the run is just long, raise "
            f"max_steps.{self._report(scheduler)}"
        )

    def _stalled(self, scheduler: Scheduler) -> BlockedTooLong:
        running = scheduler.running
        who = "a thread" if running is None else f"thread {running.name!r}"
        return BlockedTooLong(
            f"simulated run stalled: no scheduling point for {self.stall_timeout:g} real "
            f"seconds ({self._label()}). {who.capitalize()} is in something the simulation "
            "does not control (a real socket, select on a real descriptor, a lock or thread "
            "made outside fn, a C extension) or computing; create everything inside fn."
            f"{self._report(scheduler)}"
        )

    def _report(self, scheduler: Scheduler) -> str:
        """What each of the run's own errors ends with: the replay call, the threads, the tail."""
        return f"\n{self._replay_line(self._fn)}\n\n{_threads(scheduler)}\n{_tail(scheduler.trace)}"

    def _note(self, scheduler: Scheduler) -> str:
        where = scheduler.failed_thread or "main"
        return (
            f"sockettest: raised in simulated thread {where!r} at virtual time "
            f"{scheduler.now:.3f} s ({self._label()}).\n"
            f"{self._replay_line(self._fn)}\n{_tail(scheduler.trace)}"
        )


@contextmanager
def _seeded_random(seed: str) -> Iterator[None]:
    """``random``'s module functions, seeded for the run (code under test that draws a jitter
    or a backoff draws the same in every run of a seed), and as they were after it."""
    outside = random.getstate()
    random.seed(seed)
    try:
        yield
    finally:
        random.setstate(outside)


def _threads(scheduler: Scheduler) -> str:
    """Each live thread: what it is doing, and its stack without the simulation's own frames;
    then each pending task of the run's open event loops, and its coroutines' stack."""
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
    tasks = pending_tasks(scheduler, _INTERNAL)
    if tasks:
        parts.append(f"Pending asyncio tasks:\n{tasks}")
    return "\n".join(parts)


def _tail(trace: list[Step]) -> str:
    shown = trace[-_TAIL:]
    head = f"The last {len(shown)} of {len(trace)} scheduling points:"
    return "\n".join([head, *(f"  {step}" for step in shown)])


def _findable_name(fn: Callable[..., object]) -> tuple[str, str]:
    """How a replay names ``fn``: ``module.qualified_name`` when that finds it again (just the
    name for a script's or a notebook's ``__main__``); else ``fn``, and what it is instead."""
    module = getattr(fn, "__module__", None)
    qualname = getattr(fn, "__qualname__", None)
    owner = getattr(fn, "__self__", None)
    if owner is not None and not isinstance(owner, type | type(sys)):  # a class's, a module's
        return "fn", f"a method bound to {owner!r}: pass the same bound method"
    if not isinstance(qualname, str) or not isinstance(module, str):
        return "fn", f"{fn!r}, which has no name to find it by: pass the same object"
    if not all(part.isidentifier() for part in qualname.split(".")):
        code = getattr(fn, "__code__", None)
        where = "" if code is None else f", defined at {code.co_filename}:{code.co_firstlineno}"
        kind = "a lambda" if "<lambda>" in qualname else "a function made inside another"
        return "fn", f"{kind} ({qualname}{where}), which has no name outside: pass the same one"
    return (qualname if module == "__main__" else f"{module}.{qualname}"), ""


def _compare(
    simulation: Simulation,
    fn: Callable[[], object],
    one: tuple[list[Step], BaseException | None],
    two: tuple[list[Step], BaseException | None],
) -> None:
    """Raise :class:`Nondeterminism` if two runs of one seed differ (their traces, and what
    each raised): the first step that does, or else the outcome."""
    (first, error), (second, other) = one, two
    differs = next(
        (i for i, (mine, theirs) in enumerate(zip(first, second, strict=False)) if mine != theirs),
        None if len(first) == len(second) else min(len(first), len(second)),
    )
    outcomes = [_outcome(error), _outcome(other)]
    if differs is None and outcomes[0] == outcomes[1]:
        return
    if differs is None:
        where = f"the same {len(first)} steps, but different outcomes"
    else:
        shown = first[max(0, differs - _TAIL // 4) : differs]
        before = "".join(f"\n    {step}" for step in shown) or "\n    (none)"
        where = (
            f"step {differs + 1} differs (the first run took {len(first)} steps, the second "
            f"{len(second)}).\n  The steps before it, the same in both:{before}\n"
            f"  first run:  {_step(first, differs)}\n  second run: {_step(second, differs)}"
        )
    raise Nondeterminism(
        f"two runs of {simulation._label()} took different schedules: {where}\n"
        f"  outcomes: {outcomes[0]} / {outcomes[1]}\n"
        "Something outside the seed decided a step: an object made outside fn (a lock, a "
        "thread, a server), iteration over a set of objects (its order is their addresses), "
        "a name from a process-wide counter, or real time.\n"
        f"{simulation._replay_line(fn)}"
    )


def _step(trace: list[Step], index: int) -> str:
    return str(trace[index]).strip() if index < len(trace) else "(the run had ended)"


def _outcome(error: BaseException | None) -> str:
    return "passed" if error is None else f"raised {type(error).__name__}"


def simulate(
    fn: Callable[[], T],
    *,
    seed: int | None = None,
    schedule: Schedule | None = None,
    policy: RandomWalk | PCT | None = None,
    stall_timeout: float = DEFAULT_TIMEOUT,
    max_steps: int = MAX_STEPS,
    check_determinism: bool = False,
) -> T:
    """Run ``fn()`` under a deterministic scheduler, and return its result.

    The threads ``fn`` starts run one at a time; at each call into the in-memory network and
    each operation on ``Lock``, ``RLock``, ``Condition``, ``Event``, ``Semaphore``,
    ``queue.Queue``, ``queue.SimpleQueue``, ``Thread.start``, ``Thread.join`` and
    ``time.sleep``, the policy, seeded, picks who runs next. ``time.monotonic``, ``time.time``
    and the network's clock read virtual time, which moves only when every thread is blocked.
    An asyncio event loop that ``fn`` or one of its threads runs (``asyncio.run``) waits in the
    scheduler too, its timers on virtual time; ``to_thread`` and ``run_in_executor`` run on
    simulated threads, and the seed also picks which of several ready sockets the loop hears
    from first (never the order of ``call_soon`` callbacks). The same seed gives the same
    interleaving, the same trace and the same outcome.

    Create everything ``fn`` uses inside ``fn``: objects made before it stay real.

    Args:
        fn: the scenario: it starts the threads and checks the outcome.
        seed: the seed of the policy's choices. Give it, or ``schedule``.
        schedule: an explicit :class:`~sockettest.Schedule` of choices instead of a seed
            (what :func:`sockettest.strategies.schedules` draws).
        policy: :class:`~sockettest.RandomWalk` (the default) or :class:`~sockettest.PCT`.
        stall_timeout: real seconds without a scheduling point after which the watchdog fails
            the run (a thread blocked in something uncontrolled), with every thread's stack.
        max_steps: scheduling points after which the run fails as a livelock (a loop that polls
            for what never comes moves virtual time on for ever).
        check_determinism: run ``fn`` twice and compare the traces, step by step.

    Raises:
        BaseException: what ``fn`` or one of its threads raised, with the seed, the replay call
            and the trace's tail in a note (the traceback shows it; ``pytest.raises(match=)``
            matches it).
        Deadlock: every thread blocked with no deadline (at once, with each thread's stack and
            each pending asyncio task's).
        BlockedTooLong: the watchdog: ``stall_timeout`` real seconds with no scheduling point;
            or more than ``max_steps`` points.
        Nondeterminism: with ``check_determinism``, the two runs differ (the first step that
            does is in the message).
        TypeError, ValueError: a wrong argument, at the call, before ``fn`` runs.
    """
    simulation = Simulation(
        seed=seed,
        schedule=schedule,
        policy=policy,
        stall_timeout=stall_timeout,
        max_steps=max_steps,
        check_determinism=check_determinism,
    )
    return simulation.run(fn)


def explore(
    fn: Callable[[], object],
    *,
    seeds: Iterable[int],
    policy: RandomWalk | PCT | None = None,
    stall_timeout: float = DEFAULT_TIMEOUT,
    max_steps: int = MAX_STEPS,
    check_determinism: bool = False,
    raise_failure: bool = False,
    processes: int = 1,
    progress: bool | Callable[[ExploreProgress], object] = False,
) -> int | None:
    """Run :func:`simulate` for each seed in turn; return the first seed for which ``fn``
    raised (an :class:`Exception`: deadlocks and stalls included, and with
    ``check_determinism`` a seed whose two runs differ), or ``None`` if none did.

    ``simulate(fn, seed=explore(fn, seeds=range(200)))`` then shows the failure, every time.
    In a test that asserts that no seed fails, ``raise_failure=True`` raises the failing run's
    own exception instead, with its note (the seed, the replay call, the trace's tail)::

        explore(scenario, seeds=range(200), raise_failure=True)  # passes, or shows the failure

    ``processes=4`` runs the seeds in four worker processes, in chunks, with the same answer:
    the first failing seed in the order given. A worker imports ``fn`` by module and qualified
    name, so ``fn`` must be a module's top-level function (not a lambda, a function made inside
    another or a bound method); the failing seed is then run again here, for its exception.
    With ``SOCKETTEST_SEED_SLICE=k/n`` in the environment, only that slice of ``seeds`` runs
    (:func:`~sockettest.seed_slice`): one slice a CI job.

    Args:
        fn, policy, stall_timeout, max_steps, check_determinism: as :func:`simulate` takes them.
        seeds: the seeds to try, in order: finitely many ints, all checked before the first
            run.
        raise_failure: raise the first failure instead of returning its seed.
        processes: worker processes to run the seeds in (1: in this process, the default).
        progress: ``True`` prints the seeds run, the seeds a second and the first failure so
            far to stderr every 5 seconds, and when done; a callable gets each
            :class:`~sockettest.ExploreProgress` (after every seed, or chunk of seeds).

    Raises:
        Exception: with ``raise_failure``, what the first failing seed's run raised.
        TypeError, ValueError: a wrong argument (``seeds`` with a non-int, or none at all; an
            ``fn`` workers cannot import), at the call, before ``fn`` runs.
    """
    tried = _checked_seeds(seeds)
    check_flag("raise_failure", raise_failure)
    _check_fn(fn)
    check_int("processes", processes, 1)
    if processes > 1:
        _check_importable(fn, processes)
        if isinstance(policy, PCT) and policy.steps is None:
            raise ValueError(
                f"explore(processes={processes}) needs a policy whose runs depend on their seed "
                "alone: an adaptive PCT() sizes each run from the runs before it in this "
                "process; give PCT(steps=...) to run seeds in processes"
            )
    report = check_progress(progress)
    options: dict[str, Any] = {
        "policy": policy,
        "stall_timeout": stall_timeout,
        "max_steps": max_steps,
        "check_determinism": check_determinism,
    }
    Simulation(seed=tried[0], **options)  # checks the options before any run
    tried = seed_slice(tried)
    reporter = Reporter(report, len(tried))
    if processes > 1 and len(tried) > 1:
        failed = first_failure_in_processes(
            _first_failure, fn, tried, options=options, processes=processes, reporter=reporter
        )
        reporter.done(failed)
        if failed is None or not raise_failure:
            return failed
        _rerun_failure(fn, failed, tried.index(failed), options)
    longest = 0  # an adaptive PCT sizes each run from the runs before it (policies.sized)
    for number, seed in enumerate(tried):
        simulation = Simulation(seed=seed, **options | {"policy": sized(policy, longest)})
        try:
            simulation.run(fn)
        except Exception as error:
            reporter.ran(1, seed)
            reporter.done(seed)
            if not raise_failure:  # the seed is the answer; simulate(fn, seed=seed) shows it
                return seed
            error.add_note(_explored_note(seed, number))
            raise
        longest = max(longest, len(simulation.trace))
        reporter.ran(1)
    reporter.done(None)
    return None


def _explored_note(seed: int, number: int) -> str:
    return (
        f"sockettest.explore: seed {seed} is the first of the seeds to fail "
        f"({number} passed before it)."
    )


def _first_failure(
    fn: Callable[[], object], seeds: list[int], options: dict[str, Any]
) -> tuple[int | None, int]:
    """A worker's chunk (``parallel.RunChunk``): the index of the first of ``seeds`` to fail
    (``None`` if none does), and how many ran."""
    for number, seed in enumerate(seeds):
        try:
            Simulation(seed=seed, **options).run(fn)
        except Exception:
            return number, number + 1
    return None, len(seeds)


def _rerun_failure(
    fn: Callable[[], object], seed: int, number: int, options: dict[str, Any]
) -> None:
    """Raise the failure of ``seed``, which failed in a worker, from a run in this process."""
    try:
        Simulation(seed=seed, **options).run(fn)
    except Exception as error:
        error.add_note(_explored_note(seed, number))
        raise
    raise Nondeterminism(
        f"seed {seed} failed in a worker process and passed when run again in this one: "
        "something outside the seed decides the run (state left by earlier runs in the "
        "process, real time, os.urandom).\n" + Simulation(seed=seed, **options).replay(fn)
    )


def _check_importable(fn: Callable[[], object], processes: int) -> None:
    """Refuse, at the call, an ``fn`` that a worker process cannot import by its name."""
    name, unnamed = _findable_name(fn)
    why = unnamed.partition(": pass the same")[0]
    module = sys.modules.get(getattr(fn, "__module__", ""))
    if not why and module is not None and not hasattr(module, "__file__"):
        why = f"{name}, of a module with no file (an interactive session's, a notebook's)"
    if not why:
        found: object = module
        for part in fn.__qualname__.split("."):
            found = getattr(found, part, None)
        if found is not fn:
            why = f"not what {name} names (a decorator that did not keep its name?)"
    if why:
        raise TypeError(
            f"fn must be importable by module and qualified name to run in processes="
            f"{processes} (a worker process imports it): fn is {why}. Define it at the top "
            "level of a module (a test module will do), or run it with processes=1"
        )


def _check_fn(fn: object) -> None:
    if not callable(fn):
        raise TypeError(f"fn must be a function to call with no arguments, not {fn!r}")


def _checked_seeds(seeds: Iterable[int]) -> list[int]:
    """``seeds`` as a list, each one checked as :class:`Simulation` checks a seed."""
    if isinstance(seeds, str | bytes) or not isinstance(seeds, Iterable):
        raise TypeError(f"seeds must be an iterable of ints (a range, a list), not {seeds!r}")
    tried = list(seeds)
    for seed in tried:
        if isinstance(seed, bool) or not isinstance(seed, int):
            shown = reprlib.repr(seeds)
            raise TypeError(f"seeds must be ints; {seed!r} is not (in seeds={shown})")
    if not tried:
        raise ValueError("seeds is empty: explore would pass without running fn once")
    return tried
