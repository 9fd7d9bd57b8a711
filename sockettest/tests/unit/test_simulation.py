"""Seeded, replayable thread schedules: sockettest.simulate, explore, Simulation.

Every test here builds what its threads use inside the function it simulates, as the README
asks. simulate joins every thread it starts before it returns; the autouse fixture asserts
that no thread outlives a test.
"""

import dataclasses
import functools
import gc
import importlib
import os
import queue
import select
import selectors
import socket
import socketserver
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import find, settings

from sockettest import (
    PCT,
    BlockedTooLong,
    Deadlock,
    MemoryNetwork,
    RandomWalk,
    Schedule,
    Simulation,
    Step,
    VirtualClock,
    explore,
    run_in_thread,
    serve_in_thread,
    simulate,
)
from sockettest._simulation.policies import FIRST_GUESS
from sockettest._simulation.replacements import _PATCHES
from sockettest._simulation.scheduler import Scheduler, gc_phase
from sockettest.strategies import preemptions, schedules
from tests.deadlines import DEADLINE

pytestmark = pytest.mark.usefixtures("leak_guard")  # no thread may outlive its test


def interleaved_counter() -> int:
    """Two threads add to a shared count with a read, a sleep(0) and a write: a lost update
    whenever the scheduler switches between them."""
    box = {"count": 0}

    def add() -> None:
        for _ in range(2):
            seen = box["count"]
            time.sleep(0)  # sleep-ok: virtual; a scheduling point between the read and the write
            box["count"] = seen + 1

    threads = [threading.Thread(target=add, name=f"adder-{n}") for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return box["count"]


def lost_update() -> None:
    assert interleaved_counter() == 4, "an update was lost"


# Determinism -----------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_trace_and_outcome_every_time() -> None:
    """Twenty runs of one seed: one trace, one result."""
    runs = []
    for _ in range(20):
        simulation = Simulation(seed=5)
        result = simulation.run(interleaved_counter)
        runs.append((result, simulation.trace))
    assert all(run == runs[0] for run in runs)
    assert runs[0][1], "the trace is empty"


def test_different_seeds_give_different_interleavings() -> None:
    """Ten seeds give more than one trace, and more than one outcome, of the racy counter."""
    traces, results = set(), set()
    for seed in range(10):
        simulation = Simulation(seed=seed)
        results.add(simulation.run(interleaved_counter))
        traces.add(tuple(simulation.trace))
    assert len(traces) > 1
    assert len(results) > 1


def test_a_trace_names_each_thread_operation_and_virtual_time() -> None:
    """Steps are (thread, operation, time) values, printable one per line; thread names are
    the run's own (Thread-1, Thread-2), not threading's global counter."""

    def nap() -> None:
        time.sleep(2)  # sleep-ok: virtual time, inside simulate

    def scenario() -> None:
        for _ in range(2):
            thread = threading.Thread(target=nap)
            thread.start()
            thread.join()

    simulation = Simulation(schedule=Schedule([]))  # no preemption: the order is the code's
    simulation.run(scenario)
    assert simulation.trace == [
        Step("main", "start Thread-1 (nap)", 0.0),
        Step("main", "join Thread-1 (nap)", 0.0),
        Step("Thread-1 (nap)", "sleep 2", 0.0),
        Step("main", "start Thread-2 (nap)", 2.0),
        Step("main", "join Thread-2 (nap)", 2.0),
        Step("Thread-2 (nap)", "sleep 2", 2.0),
    ]
    assert str(simulation.trace[2]) == "     0.000 s  Thread-1 (nap): sleep 2"


def test_a_seeds_choices_replay_as_a_schedule() -> None:
    """Schedule(simulation.choices) runs the very same interleaving as the seed did."""
    seeded = Simulation(seed=3)
    seeded.run(interleaved_counter)
    replayed = Simulation(schedule=Schedule(seeded.choices))
    replayed.run(interleaved_counter)
    assert replayed.trace == seeded.trace


def test_pct_is_deterministic_too() -> None:
    """The PCT policy, seeded, gives one trace per seed, and a replay line that names it."""
    policy = PCT(depth=2, steps=20)
    first, second = Simulation(seed=9, policy=policy), Simulation(seed=9, policy=policy)
    first.run(interleaved_counter)
    second.run(interleaved_counter)
    assert first.trace == second.trace
    assert first.replay(lost_update) == (
        f"sockettest.simulate({__name__}.lost_update, seed=9, policy=PCT(depth=2, steps=20))"
    )
    assert explore(lost_update, seeds=range(50), policy=policy) is not None


# Failures --------------------------------------------------------------------------------------


def test_an_exception_comes_out_with_the_seed_and_the_replay() -> None:
    """What fn raises is raised by simulate, itself, with a note: seed, replay, last steps."""
    seed = explore(lost_update, seeds=range(50))
    assert seed is not None
    with pytest.raises(AssertionError, match=rf"seed={seed}\)") as caught:
        simulate(lost_update, seed=seed)
    note = "\n".join(caught.value.__notes__)
    assert "an update was lost" in str(caught.value)
    assert f"Replay: sockettest.simulate({__name__}.lost_update, seed={seed})" in note
    assert "adder-0: sleep 0" in note


def test_a_thread_that_crashes_fails_the_run() -> None:
    """An exception escaping a simulated thread is raised by simulate, naming the thread."""

    def crash() -> None:
        raise KeyError("lost")

    def scenario() -> None:
        thread = threading.Thread(target=crash, name="crasher")
        thread.start()
        thread.join()

    with pytest.raises(KeyError, match="simulated thread 'crasher'"):
        simulate(scenario, seed=1)


def test_a_deadlock_fails_at_once_with_each_threads_stack_and_the_seed() -> None:
    """Two threads taking two locks in opposite order: Deadlock, in milliseconds, naming
    each thread, the lock it waits for, the line it waits on, and the replay."""

    def scenario() -> None:
        first, second = threading.Lock(), threading.Lock()
        both = threading.Barrier(2)

        def take(one: threading.Lock, other: threading.Lock) -> None:
            with one:
                both.wait()
                with other:
                    pass

        threads = [
            threading.Thread(target=take, args=(first, second), name="forward"),
            threading.Thread(target=take, args=(second, first), name="backward"),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    started = time.monotonic()
    with pytest.raises(Deadlock) as caught:
        simulate(scenario, seed=4)
    assert time.monotonic() - started < 2
    message = str(caught.value)
    assert (
        "Replay: sockettest.simulate(fn, seed=4)\n  where fn is a function made inside " in message
    )
    assert "(test_a_deadlock_fails_at_once_with_each_threads_stack_and_the_seed.<locals>" in message
    assert "Thread 'forward' (blocked in Lock-2.acquire)" in message
    assert "Thread 'backward' (blocked in Lock-1.acquire)" in message
    assert "Thread 'main' (blocked in join forward)" in message
    assert "with other:" in message  # the line each waits on
    assert f"{os.sep}_simulation{os.sep}" not in message  # no frame of the simulation itself


def test_a_recv_that_nobody_answers_is_a_deadlock_not_a_timeout() -> None:
    """A blocking recv with no timeout, and no one to write: Deadlock at once (max_block does
    not apply in a simulation)."""

    def scenario() -> None:
        network = MemoryNetwork()
        one, other = network.socketpair()
        with one, other:
            one.recv(1)

    with pytest.raises(Deadlock, match=r"blocked in recv or accept memory-socket-1"):
        simulate(scenario, seed=0)


def test_a_join_cycle_is_a_deadlock() -> None:
    """A thread that joins the thread waiting for it."""

    def scenario() -> None:
        main = threading.current_thread()
        child = threading.Thread(target=main.join, name="child")
        child.start()
        child.join()

    with pytest.raises(Deadlock, match="blocked in join child"):
        simulate(scenario, seed=0)


def test_the_watchdog_fails_a_run_stuck_in_something_uncontrolled() -> None:
    """A thread waiting on a real Event made outside fn: no scheduling point comes, and after
    stall_timeout real seconds the run fails with its stack."""
    outside = threading.Event()  # made outside fn: real, uncontrolled

    def scenario() -> None:
        outside.wait(10)

    with pytest.raises(BlockedTooLong, match="stalled") as caught:
        simulate(scenario, seed=0, stall_timeout=0.1)
    assert "outside.wait(10)" in str(caught.value)
    outside.set()  # let the stuck thread go; the fixture checks that it ends


# The primitives --------------------------------------------------------------------------------


def operations(fn: Callable[[], object], seed: int = 0) -> list[str]:
    simulation = Simulation(seed=seed)
    simulation.run(fn)
    return [step.operation for step in simulation.trace]


def test_lock_rlock_and_semaphores_are_scheduling_points_and_exclude() -> None:
    """Each acquire and release is a step; a held lock excludes, an RLock re-enters, a
    BoundedSemaphore refuses an extra release."""

    def scenario() -> None:
        lock, rlock = threading.Lock(), threading.RLock()
        semaphore, bounded = threading.Semaphore(0), threading.BoundedSemaphore(1)
        assert lock.acquire()
        assert not lock.acquire(timeout=1)  # held: times out, on virtual time
        assert time.monotonic() == 1.0
        lock.release()
        with rlock, rlock:
            assert rlock.locked() if hasattr(rlock, "locked") else True
        assert rlock.acquire()
        assert rlock.acquire()  # re-entered: True too
        rlock.release()
        rlock.release()
        assert not semaphore.acquire(blocking=False)
        semaphore.release(2)
        assert semaphore.acquire()
        assert semaphore.acquire(timeout=0)
        with pytest.raises(ValueError, match="released too many times"):
            bounded.release()
        with pytest.raises(RuntimeError, match="release unlocked lock"):
            lock.release()

    steps = operations(scenario)
    assert steps[:3] == ["Lock-1.acquire", "Lock-1.acquire", "Lock-1.release"]
    assert "RLock-1.acquire" in steps
    assert "Semaphore-1.release" in steps
    # CPython's BoundedSemaphore takes its lock, then refuses: a step in, a step out
    assert steps[-2:] == ["BoundedSemaphore-1.release", "BoundedSemaphore-1.release"]


def test_a_condition_over_a_lock_without_is_owned_probes_it_without_blocking() -> None:
    """A Condition over a Semaphore(1) (no ``_is_owned``) notifies while held and refuses to
    when not, as CPython's probe does: the probe must not wait for the held lock."""

    def scenario() -> str:
        cond = threading.Condition(threading.Semaphore(1))  # type: ignore[arg-type]
        with pytest.raises(RuntimeError, match="un-acquired lock"):
            cond.notify()
        with cond:
            cond.notify()
        return "notified"

    assert scenario() == "notified"  # what real threading does
    assert simulate(scenario, seed=0) == "notified"


def test_condition_event_and_queues_hand_work_between_threads() -> None:
    """A producer and a consumer over Queue, SimpleQueue, a Condition and an Event."""

    def scenario() -> list[object]:
        jobs: queue.Queue[int] = queue.Queue(maxsize=1)
        answers: queue.SimpleQueue[int] = queue.SimpleQueue()
        ready = threading.Event()
        cond = threading.Condition()
        box: list[object] = []

        def consumer() -> None:
            ready.wait()
            for _ in range(3):
                answers.put(jobs.get() * 10)
            with cond:
                box.append("done")
                cond.notify_all()

        thread = threading.Thread(target=consumer, name="consumer")
        thread.start()
        ready.set()
        for job in range(3):
            jobs.put(job)
        with cond:
            assert cond.wait_for(lambda: box, timeout=5)
        box.extend(answers.get(timeout=1) for _ in range(3))
        with pytest.raises(queue.Empty):
            answers.get(timeout=2)
        thread.join()
        return box

    for seed in range(5):
        assert simulate(scenario, seed=seed) == ["done", 0, 10, 20]
    steps = operations(scenario)
    assert {"Event-1.wait", "Event-1.set", "start consumer", "join consumer"} <= set(steps)
    assert {"Queue-1.put", "Queue-1.get", "SimpleQueue-1.put", "SimpleQueue-1.get"} <= set(steps)
    assert {"Condition-1.wait_for", "Condition-1.notify_all"} <= set(steps)


def test_steps_are_named_by_what_the_code_called_not_by_a_lock_inside() -> None:
    """A Barrier's, a Semaphore's and a Queue's steps carry their own names and methods; a
    Condition on a lock of the code's own is named by that lock."""

    def scenario() -> None:
        barrier, slots = threading.Barrier(2), threading.BoundedSemaphore(1)
        jobs: queue.LifoQueue[int] = queue.LifoQueue()
        lock = threading.Lock()
        cond = threading.Condition(lock)

        def other() -> None:
            barrier.wait()
            with slots:
                jobs.put(1)
            with cond:
                cond.notify()

        thread = threading.Thread(target=other, name="other")
        with cond:
            thread.start()
            barrier.wait()
            assert cond.wait(timeout=5)
        assert jobs.get() == 1
        thread.join()

    steps = set(operations(scenario))
    assert {"Barrier-1.wait", "BoundedSemaphore-1.acquire", "BoundedSemaphore-1.release"} <= steps
    assert {"LifoQueue-1.put", "LifoQueue-1.get", "Lock-1.wait", "Lock-1.notify"} <= steps
    assert steps - {"start other", "join other"} <= {
        f"{name}.{method}"
        for name, methods in {
            "Barrier-1": ("wait",),
            "BoundedSemaphore-1": ("acquire", "release"),
            "LifoQueue-1": ("put", "get"),
            "Lock-1": ("acquire", "release", "wait", "notify"),
        }.items()
        for method in methods
    }


def test_a_condition_on_a_lock_made_outside_fn_stays_real() -> None:
    """A Condition made inside fn on a real lock from outside parks on a real lock: a thread
    outside the simulation wakes it (the simulated clock stands still meanwhile)."""
    lock = threading.Lock()
    waiting = threading.Event()
    box: list[threading.Condition] = []

    def scenario() -> tuple[bool, float]:
        cond = threading.Condition(lock)
        box.append(cond)
        with cond:
            waiting.set()
            woke = cond.wait(DEADLINE)
        return woke, time.monotonic()

    def outsider() -> None:
        assert waiting.wait(DEADLINE)
        with box[0]:
            box[0].notify()

    join_outsider = run_in_thread(outsider, name="outsider")
    try:
        assert simulate(scenario, seed=0) == (True, 0.0)
    finally:
        join_outsider()


def test_isinstance_still_holds_for_the_simulated_primitives() -> None:
    """Code that checks isinstance(x, threading.Event) keeps working inside fn."""

    def scenario() -> bool:
        return isinstance(threading.Event(), threading.Event) and isinstance(
            queue.SimpleQueue(), queue.SimpleQueue
        )

    assert simulate(scenario, seed=0)


def test_timer_and_barrier_wait_in_the_scheduler() -> None:
    """threading.Timer fires on virtual time; a Barrier releases its parties."""

    def scenario() -> float:
        fired: list[float] = []
        timer = threading.Timer(30, lambda: fired.append(time.monotonic()))
        timer.start()
        timer.join()
        barrier = threading.Barrier(2)
        other = threading.Thread(target=barrier.wait)
        other.start()
        barrier.wait()
        other.join()
        return fired[0]

    assert simulate(scenario, seed=2) == 30.0


def test_join_with_a_timeout_and_is_alive_follow_the_simulation() -> None:
    """join(timeout) gives up on virtual time; is_alive reports the simulated thread."""

    def scenario() -> None:
        sleeper = threading.Thread(target=time.sleep, args=(100,), name="sleeper")
        sleeper.start()
        sleeper.join(timeout=1)
        assert sleeper.is_alive()
        assert time.monotonic() == 1.0
        sleeper.join()
        assert not sleeper.is_alive()
        assert time.monotonic() == 100.0

    simulate(scenario, seed=0)


def test_a_real_thread_made_before_the_simulation_answers_is_alive_inside_it() -> None:
    """A thread started outside the simulation stays real: is_alive inside it tells the truth."""
    release = threading.Event()
    outside = threading.Thread(target=release.wait, args=(DEADLINE,), name="outside")
    outside.start()
    try:
        # Looked up inside the run: a bound method taken before it is the unpatched one.
        assert simulate(lambda: outside.is_alive(), seed=0) is True  # noqa: PLW0108
    finally:
        release.set()
        outside.join(DEADLINE)
    assert not outside.is_alive()


def test_a_thread_outside_the_simulation_asks_is_alive_of_one_inside_it() -> None:
    """While a simulation runs, a real thread that asks is_alive of a simulated thread gets
    threading's own answer, not an error from the simulation's patch."""
    handed: queue.SimpleQueue[threading.Thread] = queue.SimpleQueue()  # made outside: real
    answered = threading.Event()

    def scenario() -> None:
        gate = threading.Event()
        worker = threading.Thread(target=gate.wait, name="worker")
        worker.start()
        handed.put(worker)
        answered.wait(DEADLINE)  # a real wait: the simulation holds still while it is asked
        gate.set()
        worker.join()

    running = threading.Thread(target=simulate, args=(scenario,), kwargs={"seed": 0})
    running.start()
    try:
        worker = handed.get(timeout=DEADLINE)
        assert worker.is_alive() is True  # started, waiting for its turn, as threading says
    finally:
        answered.set()
        running.join(DEADLINE)
    assert not running.is_alive()


def test_wait_for_gives_up_at_exactly_its_virtual_deadline() -> None:
    """Condition.wait_for(pred, timeout=1) that is never satisfied returns False at 1.0 s."""

    def scenario() -> tuple[bool, float]:
        cond = threading.Condition()
        with cond:
            satisfied = cond.wait_for(lambda: False, timeout=1)
        return satisfied, time.monotonic()

    assert simulate(scenario, seed=0) == (False, 1.0)


# Virtual time ----------------------------------------------------------------------------------


def test_an_hour_of_sleep_takes_milliseconds() -> None:
    """time.sleep(3600) in a simulated thread; monotonic and time read the virtual clock."""

    def scenario() -> tuple[float, float]:
        time.sleep(3600)  # sleep-ok: virtual time, inside simulate
        return time.monotonic(), time.time()

    started = time.monotonic()
    simulation = Simulation(seed=0)
    monotonic, wall = simulation.run(scenario)
    assert time.monotonic() - started < 1
    assert monotonic == 3600.0 == simulation.time
    assert simulate(scenario, seed=1) == (monotonic, wall)  # one epoch, in every run


def test_time_moves_only_when_every_thread_is_blocked() -> None:
    """A thread that keeps running (sleep(0) yields but never blocks) holds time still while
    another sleeps."""

    def scenario() -> list[float]:
        seen: list[float] = []

        def busy() -> None:
            for _ in range(50):
                time.sleep(0)  # sleep-ok: virtual time, inside simulate
                seen.append(time.monotonic())

        thread = threading.Thread(target=busy)
        thread.start()
        time.sleep(5)  # sleep-ok: virtual time, inside simulate
        thread.join()
        return seen

    assert set(simulate(scenario, seed=1)) == {0.0}


def test_socket_timeouts_and_the_networks_clock_run_on_virtual_time() -> None:
    """A recv with a 300 s timeout times out at virtual 300 s, on a network with or without a
    VirtualClock, made inside fn or before it."""
    before = MemoryNetwork()

    def scenario(network: MemoryNetwork) -> float:
        one, other = network.socketpair()
        with one, other:
            one.settimeout(300)
            with pytest.raises(TimeoutError):
                one.recv(1)
        if network.clock is not None:
            assert network.clock.monotonic() == 300.0
        return time.monotonic()

    assert simulate(lambda: scenario(MemoryNetwork()), seed=0) == 300.0
    assert simulate(lambda: scenario(MemoryNetwork(clock=VirtualClock())), seed=0) == 300.0
    assert simulate(lambda: scenario(before), seed=0) == 300.0


def test_a_virtual_clocks_advance_moves_the_simulations_time() -> None:
    """clock.advance(s) in a simulated thread wakes the calls whose deadline it passes."""

    def scenario() -> float:
        clock = VirtualClock()
        network = MemoryNetwork(clock=clock)
        one, other = network.socketpair()
        woke: list[float] = []

        def wait() -> None:
            one.settimeout(10)
            with pytest.raises(TimeoutError):
                one.recv(1)
            woke.append(clock.monotonic())

        thread = threading.Thread(target=wait)
        thread.start()
        network.wait_until_blocked()
        clock.advance(10)
        thread.join()
        one.close()
        other.close()
        return woke[0]

    assert simulate(scenario, seed=0) == 10.0


def test_select_waits_in_the_scheduler_for_a_memory_sockets_readiness() -> None:
    """select.select on a memory socket returns when a simulated peer writes, at its virtual
    time, and returns nothing at its timeout."""

    def scenario() -> tuple[float, bool, float]:
        network = MemoryNetwork()
        one, other = network.socketpair()

        def later() -> None:
            time.sleep(5)  # sleep-ok: virtual time, inside simulate
            other.sendall(b"x")

        writer = threading.Thread(target=later)
        writer.start()
        readable, _, _ = select.select([one], [], [], 60)
        assert readable == [one]
        woke = time.monotonic()
        one.recv(1)
        nothing = select.select([one], [], [], 2) == ([], [], [])
        writer.join()
        one.close()
        other.close()
        return woke, nothing, time.monotonic()

    assert simulate(scenario, seed=0) == (5.0, True, 7.0)


class Echo(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        for line in self.rfile:
            self.wfile.write(line)


def test_an_unmodified_socketserver_runs_in_a_simulation() -> None:
    """The kit README's echo server, ThreadingTCPServer under network.patch() and
    serve_in_thread: serve_forever's poll loop waits in the scheduler, on virtual time."""

    def scenario() -> bytes:
        network = MemoryNetwork()
        with (
            network.patch(),
            socketserver.ThreadingTCPServer(("127.0.0.1", 0), Echo) as server,
            serve_in_thread(server.serve_forever, stop=server.shutdown),
            socket.create_connection(("127.0.0.1", server.server_address[1]), timeout=2) as sock,
        ):
            sock.sendall(b"hi\n")
            line: bytes = sock.makefile("rb").readline()
        network.assert_all_closed()
        return line

    for seed in range(3):
        assert simulate(scenario, seed=seed) == b"hi\n"


def test_a_poll_loop_that_never_ends_fails_after_max_steps() -> None:
    """Polling with sleep for a flag nobody sets moves virtual time on for ever: the run fails
    after max_steps scheduling points instead of hanging."""

    def scenario() -> None:
        flag = threading.Event()
        while not flag.is_set():
            time.sleep(0.1)  # sleep-ok: virtual time, inside simulate

    with pytest.raises(BlockedTooLong, match="more than 500 scheduling points"):
        simulate(scenario, seed=0, max_steps=500)


# Boundaries ------------------------------------------------------------------------------------


def test_the_replacements_are_gone_after_the_call() -> None:
    """Outside simulate, threading, queue, time, select and the thread pool are the standard
    library's again, after one run or after two at once, and the collector's hook is gone."""
    originals = (threading.Lock, threading.Event, queue.SimpleQueue, time.monotonic, time.sleep)
    start, pool, callbacks = threading.Thread.start, ThreadPoolExecutor.__init__, gc.callbacks[:]
    simulate(threading.Lock, seed=0)
    assert (threading.Lock, threading.Event, queue.SimpleQueue) == originals[:3]
    assert (time.monotonic, time.sleep) == originals[3:]
    assert threading.Thread.start is start
    assert ThreadPoolExecutor.__init__ is pool
    assert gc.callbacks == callbacks
    assert type(threading.Lock()).__module__ == "_thread"
    for _ in range(2):  # a miscount would keep them for good, from the first run on
        simulate(threading.Lock, seed=0)
        left = [name for owner, name, ours in _PATCHES if vars(owner).get(name) is ours]
        assert left == []
        assert gc_phase not in gc.callbacks


def test_a_thread_outside_the_simulation_is_unaffected_during_it() -> None:
    """A thread started before fn makes real locks and reads real time while fn runs."""
    ask, answered = threading.Event(), threading.Event()
    seen: list[object] = []

    def outsider() -> None:
        ask.wait(5)
        seen.extend([type(threading.Lock()).__module__, time.monotonic()])
        answered.set()

    thread = threading.Thread(target=outsider, name="outsider")
    thread.start()

    def scenario() -> object:
        ask.set()  # real events, made outside fn: they work, unsimulated
        answered.wait(5)
        return type(threading.Lock()).__module__

    assert simulate(scenario, seed=0) == "sockettest._simulation.primitives"
    thread.join(5)
    assert not thread.is_alive()
    assert seen[0] == "_thread"
    assert isinstance(seen[1], float)
    assert seen[1] > 0


def test_fn_returning_waits_for_non_daemon_threads_and_unwinds_daemon_ones() -> None:
    """As at the interpreter's exit: a non-daemon thread finishes its sleep; a daemon thread
    blocked for ever is unwound (its finally runs), and neither is left running."""
    cleaned: list[str] = []

    def scenario() -> None:
        def forever() -> None:
            try:
                threading.Event().wait()
            finally:
                cleaned.append("daemon")

        threading.Thread(target=forever, daemon=True, name="daemon").start()
        threading.Thread(target=time.sleep, args=(10,), name="worker").start()

    simulation = Simulation(seed=0)
    simulation.run(scenario)
    assert simulation.time == 10.0
    assert cleaned == ["daemon"]


def test_a_simulation_not_yet_run_has_no_trace_and_no_virtual_time() -> None:
    """Before its first run a Simulation reads as no run at all: no steps, no choices, time 0."""
    simulation = Simulation(seed=4)
    assert (simulation.trace, simulation.choices, simulation.time) == ([], [], 0.0)
    assert repr(simulation).endswith(", 0 steps>")


def test_simulate_does_not_nest_and_checks_its_arguments() -> None:
    """simulate inside a simulation is an error; so are a missing or doubled seed."""
    with pytest.raises(RuntimeError, match="inside a simulation"):
        simulate(lambda: simulate(lambda: None, seed=1), seed=0)
    with pytest.raises(ValueError, match="seed or a schedule"):
        Simulation()
    with pytest.raises(ValueError, match="seed or a schedule"):
        Simulation(seed=1, schedule=Schedule([]))
    with pytest.raises(ValueError, match="non-negative"):
        Schedule([-1])
    with pytest.raises(ValueError, match="depth"):
        PCT(depth=0)
    assert repr(Schedule([1, 0])) == "Schedule([1, 0])"
    assert repr(RandomWalk()) == "RandomWalk()"


# Hypothesis ------------------------------------------------------------------------------------


def fails(schedule: Schedule) -> bool:
    try:
        simulate(lost_update, schedule=schedule)
    except AssertionError:
        return True
    return False


def test_an_empty_schedule_never_preempts() -> None:
    """Schedule([]): each thread runs until it blocks, so the counter loses nothing."""
    assert not fails(Schedule([]))


def test_hypothesis_shrinks_a_failing_schedule_to_a_short_one() -> None:
    """find() over schedules() of up to 30 choices: the failing one shrinks to a handful of
    choices, ending in the preemption that loses an update (nothing after it)."""
    smallest = find(
        schedules(max_choices=30),
        fails,
        settings=settings(max_examples=200, database=None, deadline=None, derandomize=True),
    )
    assert len(smallest.choices) <= 5, smallest
    assert smallest.choices[-1] != 0, smallest
    assert fails(smallest)


def test_hypothesis_shrinks_a_sparse_schedule_to_one_preemption() -> None:
    """find() over preemptions(): the failing schedule shrinks to a single switch, at the
    point that loses an update, and replays."""
    smallest = find(
        preemptions(),
        fails,
        settings=settings(max_examples=200, database=None, deadline=None, derandomize=True),
    )
    assert [choice for choice in smallest.choices if choice] == [1], smallest
    assert smallest.choices[-1] == 1, smallest
    assert fails(smallest)


# explore, as a test's assertion; arguments ------------------------------------------------------


def test_explore_with_raise_failure_raises_the_failing_runs_own_exception() -> None:
    """raise_failure=True: the first failing seed's own AssertionError, with its note (seed,
    replay call, trace tail) and which seed of those tried it was; None when all pass."""
    seed = explore(lost_update, seeds=range(50))
    assert seed is not None
    with pytest.raises(AssertionError, match="an update was lost") as caught:
        explore(lost_update, seeds=range(50), raise_failure=True)
    note = "\n".join(caught.value.__notes__)
    assert f"Replay: sockettest.simulate({__name__}.lost_update, seed={seed})" in note
    assert "adder-0: sleep 0" in note
    assert (
        f"sockettest.explore: seed {seed} is the first of the seeds to fail ({seed} passed" in note
    )
    assert explore(interleaved_counter, seeds=range(3), raise_failure=True) is None


@pytest.mark.parametrize(
    ("seeds", "error", "message"),
    [
        ([1.5], TypeError, r"seeds must be ints; 1\.5 is not"),
        (["a"], TypeError, r"seeds must be ints; 'a' is not"),
        ([True], TypeError, r"seeds must be ints; True is not"),
        ([0, 1, 2.0], TypeError, r"seeds must be ints; 2\.0 is not"),
        ("abc", TypeError, r"seeds must be an iterable of ints"),
        (5, TypeError, r"seeds must be an iterable of ints"),
        ([], ValueError, r"seeds is empty"),
    ],
    ids=["float", "str", "bool", "last-one-wrong", "a-string", "an-int", "empty"],
)
def test_explore_refuses_seeds_that_simulate_would_before_running_any(
    seeds: object, error: type[Exception], message: str
) -> None:
    """A seed simulate refuses is refused by explore, at the call: fn never runs (it used to
    return 1.5 as "the failing seed")."""
    ran: list[int] = []
    with pytest.raises(error, match=message):
        explore(lambda: ran.append(1), seeds=seeds)  # type: ignore[arg-type]
    assert ran == []


class Scenarios:
    @staticmethod
    def static() -> None:
        lost_update()

    def bound(self) -> None:
        lost_update()


def test_the_replay_names_fn_by_module_and_qualified_name_or_says_why_not() -> None:
    """A module's function and a class's are named so that they can be found; a lambda, a
    local function and a bound method are fn, and the note says what fn is and where."""
    seed = explore(lost_update, seeds=range(50))

    def local() -> None:
        lost_update()

    def note_of(fn: Callable[[], object]) -> str:
        with pytest.raises(AssertionError) as caught:
            simulate(fn, seed=seed)
        return "\n".join(caught.value.__notes__)

    assert f"simulate({__name__}.Scenarios.static, seed={seed})\n" in note_of(Scenarios.static)
    lambda_note = note_of(lambda: lost_update())  # noqa: PLW0108 (a lambda is the point)
    assert f"simulate(fn, seed={seed})\n  where fn is a lambda (" in lambda_note
    assert f"<lambda>, defined at {__file__}:" in lambda_note
    local_note = note_of(local)
    assert "where fn is a function made inside another (" in local_note
    assert ".<locals>.local, defined at" in local_note
    assert "where fn is a method bound to <" in note_of(Scenarios().bound)
    partial_note = note_of(functools.partial(lost_update))
    assert "where fn is functools.partial(<function lost_update at " in partial_note
    assert "which has no name to find it by" in partial_note


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"seed": 1, "policy": "pct"}, TypeError, "policy must be sockettest.RandomWalk"),
        ({"seed": 1.5}, TypeError, "seed must be an int, not 1.5"),
        ({"seed": True}, TypeError, "seed must be an int, not True"),
        ({"schedule": [1, 0]}, TypeError, r"schedule must be a sockettest.Schedule"),
        ({"seed": 1, "stall_timeout": "5"}, TypeError, "stall_timeout must be seconds"),
        ({"seed": 1, "stall_timeout": 0}, ValueError, "stall_timeout must be positive"),
        ({"seed": 1, "stall_timeout": float("inf")}, ValueError, "stall_timeout must be"),
        ({"seed": 1, "max_steps": 0}, ValueError, "max_steps must be an int of at least 1"),
        ({"seed": 1, "max_steps": 10.0}, TypeError, "max_steps must be an int"),
        ({"seed": 1, "check_determinism": "yes"}, TypeError, "check_determinism must be True"),
    ],
    ids=repr,
)
def test_simulate_refuses_a_wrong_argument_at_the_call_naming_it(
    options: dict[str, object], error: type[Exception], message: str
) -> None:
    """Each wrong argument: a TypeError or ValueError that names it, before fn runs (a policy
    given as a string used to fail deep inside, with an AttributeError on '_chooser')."""
    ran: list[int] = []
    with pytest.raises(error, match=message):
        simulate(lambda: ran.append(1), **options)  # type: ignore[arg-type]
    assert ran == []


def test_explore_checks_its_other_arguments_before_running_any_seed() -> None:
    """explore's policy, flags and fn are checked before its first run, too."""
    ran: list[int] = []
    with pytest.raises(TypeError, match="policy must be"):
        explore(lambda: ran.append(1), seeds=[0], policy="pct")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="raise_failure must be True or False"):
        explore(lambda: ran.append(1), seeds=[0], raise_failure=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="fn must be a function"):
        explore(None, seeds=[0])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="fn must be a function"):
        simulate(None, seed=0)  # type: ignore[arg-type]
    assert ran == []


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: PCT(depth="3"), TypeError, "depth must be an int, not '3'"),  # type: ignore[arg-type]
        (lambda: PCT(steps=1), ValueError, "steps must be an int of at least 2, not 1"),
        (lambda: Schedule([1, "0"]), TypeError, "a choice must be an int, not '0'"),  # type: ignore[list-item]
        (lambda: Schedule(3), TypeError, "choices must be an iterable of ints, not 3"),  # type: ignore[arg-type]
        (lambda: Schedule([0.5]), TypeError, "a choice must be an int, not 0.5"),  # type: ignore[list-item]
    ],
    ids=["pct-depth-str", "pct-steps-1", "schedule-str", "schedule-int", "schedule-float"],
)
def test_policies_refuse_wrong_arguments_naming_them(
    make: Callable[[], object], error: type[Exception], message: str
) -> None:
    """PCT and Schedule: a wrong type is a TypeError, a value out of range a ValueError."""
    with pytest.raises(error, match=message):
        make()


# What the mutation sample found no test noticing -----------------------------------------------


def test_threads_whose_deadline_an_advance_passes_may_run_before_the_advancer_goes_on() -> None:
    """After clock.advance(10) in a simulated thread, the recv it timed out is runnable at
    once: some seeds run its timeout before the advancing thread's next step, others after."""

    def scenario() -> list[str]:
        clock = VirtualClock()
        network = MemoryNetwork(clock=clock)
        one, other = network.socketpair()
        order: list[str] = []

        def wait() -> None:
            one.settimeout(10)
            with pytest.raises(TimeoutError):
                one.recv(1)
            order.append("timed out")

        thread = threading.Thread(target=wait)
        thread.start()
        network.wait_until_blocked()
        clock.advance(10)
        for _ in range(3):
            time.sleep(0)  # sleep-ok: virtual; points where the woken thread may run
        order.append("advancer went on")
        thread.join()
        one.close()
        other.close()
        return order

    orders = {tuple(simulate(scenario, seed=seed)) for seed in range(20)}
    assert orders == {
        ("timed out", "advancer went on"),
        ("advancer went on", "timed out"),
    }


def test_every_wait_is_progress_for_the_watchdog() -> None:
    """A thread that blocks moves the run's progress (the watchdog reads it: a run of threads
    that only wait is not stalled)."""
    scheduler = Scheduler(RandomWalk()._chooser(0), Simulation(seed=0), max_steps=100)
    waiter = scheduler.add("waiter", None, daemon=False)
    other = scheduler.add("other", None, daemon=False)
    scheduler.running = waiter
    waiter.go.release()  # so that its park returns at once: no OS threads here
    before = scheduler.progress
    assert scheduler.wait(waiter, "key", None, "waiting")
    assert scheduler.progress == before + 1
    assert scheduler.running is other


def test_select_outside_the_simulation_is_the_real_one_while_it_runs() -> None:
    """A thread outside the run calls select.select on a pipe while a simulation is under way:
    it gets the real answer, at once."""
    reading, writing = os.pipe()
    ask, answered = threading.Event(), threading.Event()
    seen: list[object] = []

    def outsider() -> None:
        ask.wait(5)
        seen.append(select.select([reading], [], [], 0))
        os.write(writing, b"x")
        seen.append(select.select([reading], [], [], 5))
        answered.set()

    thread = threading.Thread(target=outsider, name="outsider")
    thread.start()

    def scenario() -> bool:
        ask.set()  # real events, made outside fn
        return answered.wait(5)

    try:
        assert simulate(scenario, seed=0)
    finally:
        thread.join(5)
        os.close(reading)
        os.close(writing)
    assert not thread.is_alive()
    assert seen == [([], [], []), ([reading], [], [])]


def test_the_nanosecond_clocks_read_the_same_virtual_time_as_the_others() -> None:
    """monotonic_ns, perf_counter_ns and time_ns are the float clocks' readings, in ns."""

    def scenario() -> list[tuple[int, int, int]]:
        readings = []
        for seconds in (0.1, 2.5, 3600.0):
            time.sleep(seconds)  # sleep-ok: virtual time, inside simulate
            readings.append((time.monotonic_ns(), time.perf_counter_ns(), time.time_ns()))
        assert time.time() == 1_700_000_000 + time.monotonic()
        return readings

    epoch = 1_700_000_000 * 10**9
    assert simulate(scenario, seed=0) == [
        (100_000_000, 100_000_000, epoch + 100_000_000),
        (2_600_000_000, 2_600_000_000, epoch + 2_600_000_000),
        (3_602_600_000_000, 3_602_600_000_000, epoch + 3_602_600_000_000),
    ]


def test_a_semaphore_acquire_with_no_timeout_waits_for_a_release() -> None:
    """Semaphore(0).acquire() blocks until another thread releases, at that one's time."""

    def scenario() -> float:
        semaphore = threading.Semaphore(0)

        def later() -> None:
            time.sleep(3)  # sleep-ok: virtual time
            semaphore.release()

        thread = threading.Thread(target=later)
        thread.start()
        assert semaphore.acquire()
        thread.join()
        return time.monotonic()

    assert simulate(scenario, seed=0) == 3.0


def test_max_steps_is_the_most_scheduling_points_a_run_may_take() -> None:
    """A run of exactly max_steps points passes; one more fails it."""

    def naps() -> None:
        for _ in range(10):
            time.sleep(0)  # sleep-ok: virtual; one point each

    simulation = Simulation(seed=0, max_steps=10)
    simulation.run(naps)
    assert len(simulation.trace) == 10
    with pytest.raises(BlockedTooLong, match="more than 9 scheduling points"):
        simulate(naps, seed=0, max_steps=9)


def test_a_thread_out_of_control_for_less_than_stall_timeout_is_no_stall() -> None:
    """A real wait of a tenth of a second or more (an Event made outside fn, across the
    watchdog's looks) is slow, not stuck: the watchdog lets it be when stall_timeout is longer."""
    outside = threading.Event()  # real: never set, waited on with a real timeout

    def scenario() -> bool:
        return outside.wait(0.15)  # three of the watchdog's looks, 0.05 s apart

    assert simulate(scenario, seed=0, stall_timeout=5) is False


def test_select_and_a_selectors_select_never_wait_for_real() -> None:
    """select.select and a selector's select on memory sockets poll without blocking, and wait
    on virtual time: a 30 s timeout with nothing to read returns at virtual 30 s, taking no
    real time (the watchdog would fail a real wait longer than its 0.5 s)."""

    def scenario() -> tuple[object, float, object, float]:
        network = MemoryNetwork()
        one, other = network.socketpair()
        with one, other, selectors.DefaultSelector() as selector:
            selector.register(one, selectors.EVENT_READ)
            ready = selector.select(timeout=30)
            first = time.monotonic()
            readable = select.select([one], [], [], 30)
            select.select([one], [], [], 0.25)  # under a second: on time too
            return ready, first, readable, time.monotonic()

    assert simulate(scenario, seed=0, stall_timeout=0.5) == ([], 30.0, ([], [], []), 60.25)


def test_a_timeout_of_zero_gives_up_at_once_without_a_switch() -> None:
    """acquire(timeout=0) on a held lock returns False at once: with no preemption, the thread
    goes on before the one it started runs."""

    def scenario() -> list[str]:
        lock = threading.Lock()
        order: list[str] = []
        other = threading.Thread(target=order.append, args=("other",))
        with lock:
            other.start()
            assert not lock.acquire(timeout=0)
            order.append("main")
        other.join()
        return order

    assert simulate(scenario, schedule=Schedule([])) == ["main", "other"]


def test_a_socket_timeout_under_a_second_runs_out_on_time() -> None:
    """recv with a 0.25 s timeout times out at virtual 0.25 s, not later."""

    def scenario() -> float:
        network = MemoryNetwork()
        one, other = network.socketpair()
        with one, other:
            one.settimeout(0.25)
            with pytest.raises(TimeoutError):
                one.recv(1)
        return time.monotonic()

    assert simulate(scenario, seed=0) == 0.25


def test_a_waiter_that_timed_out_takes_no_later_notify() -> None:
    """A thread's wait on a condition times out; a notify() later wakes the thread that waits
    then, not the one that gave up."""

    def scenario() -> tuple[list[bool], float]:
        cond = threading.Condition()
        with cond:
            assert not cond.wait(1)
        woke: list[bool] = []

        def waiter() -> None:
            with cond:
                woke.append(cond.wait(10))

        thread = threading.Thread(target=waiter)
        thread.start()
        time.sleep(2)  # sleep-ok: virtual; the waiter is waiting now
        with cond:
            cond.notify()
        thread.join()
        return woke, time.monotonic()

    assert simulate(scenario, seed=0) == ([True], 3.0)


def test_notify_wakes_one_waiter_and_notify_all_the_rest() -> None:
    """Two threads wait on a condition; notify() wakes one of them, notify_all() the other."""

    def scenario() -> list[tuple[str, float]]:
        cond = threading.Condition()
        woke: list[tuple[str, float]] = []
        waiting = threading.Semaphore(0)

        def waiter(name: str) -> None:
            with cond:
                waiting.release()
                if cond.wait(timeout=10):
                    woke.append((name, time.monotonic()))

        threads = [threading.Thread(target=waiter, args=(name,)) for name in "ab"]
        for thread in threads:
            thread.start()
        for _ in threads:
            waiting.acquire()
        with cond:
            cond.notify()
        time.sleep(5)  # sleep-ok: virtual; the one notified has woken, the other still waits
        count = len(woke)
        with cond:
            cond.notify_all()
        for thread in threads:
            thread.join()
        assert count == 1
        return woke

    for seed in range(5):
        assert [when for _, when in simulate(scenario, seed=seed)] == [0.0, 5.0]


def test_a_lock_a_module_makes_at_import_inside_fn_stays_real(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A module imported for the first time inside fn makes its module-level lock real: it
    outlives the run, and a simulated one would be useless after it."""
    (tmp_path / "imported_in_a_run.py").write_text("import threading\nLOCK = threading.Lock()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "imported_in_a_run", raising=False)

    def scenario() -> str:
        module = importlib.import_module("imported_in_a_run")
        return type(module.LOCK).__module__

    try:
        assert simulate(scenario, seed=0) == "_thread"
    finally:
        sys.modules.pop("imported_in_a_run", None)


def test_a_semaphore_holds_one_by_default_and_an_event_clears() -> None:
    """Semaphore() lets one acquire through; Event.clear() unsets a set event."""

    def scenario() -> tuple[bool, bool, bool, bool]:
        semaphore, event = threading.Semaphore(), threading.Event()
        first, second = semaphore.acquire(blocking=False), semaphore.acquire(blocking=False)
        event.set()
        was_set = event.is_set()
        event.clear()
        return first, second, was_set, event.is_set()

    assert simulate(scenario, seed=0) == (True, False, True, False)


def test_a_bounded_semaphore_may_be_released_back_up_to_its_value() -> None:
    """Acquired to nothing, then released, a BoundedSemaphore is back at its bound (1 by
    default), which is allowed; one more release is not."""

    def scenario() -> None:
        cases = [(threading.BoundedSemaphore(2), 2), (threading.BoundedSemaphore(), 1)]
        for bounded, value in cases:
            assert all(bounded.acquire(blocking=False) for _ in range(value))
            assert not bounded.acquire(blocking=False)
            for _ in range(value):
                bounded.release()
            with pytest.raises(ValueError, match="released too many times"):
                bounded.release()

    simulate(scenario, seed=0)


def test_policies_are_frozen_values_that_print_as_they_are_made() -> None:
    """A policy prints as the call that makes it (PCT's defaults included), compares and hashes
    by value, and cannot change: a replay passes it back as printed."""
    assert repr(PCT()) == "PCT(depth=3, steps=None)"
    assert PCT(depth=2, steps=40) == PCT(depth=2, steps=40)
    assert len({RandomWalk(), RandomWalk(), PCT(), PCT(), Schedule([1]), Schedule([1])}) == 3
    with pytest.raises(dataclasses.FrozenInstanceError):
        PCT().depth = 5  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        Schedule([1]).choices = (0,)  # type: ignore[misc]


def test_pct_deeper_than_its_steps_runs() -> None:
    """PCT(depth=5, steps=2): more change points asked for than steps to put them at; it puts
    what fits (the one step there is) and runs."""
    simulation = Simulation(seed=0, policy=PCT(depth=5, steps=2), check_determinism=True)
    simulation.run(interleaved_counter)
    assert len(simulation.trace) == 8  # two starts, four sleeps, two joins: whatever the order


def test_pct_by_default_sizes_its_steps_from_the_runs_explore_has_seen() -> None:
    """PCT(steps=None), the default, puts its change points within the runs explore has seen
    (as shuttle does), so it finds the 8-step lost update at once; a fixed steps=1000 puts
    nearly all of them after the run's end, and 50 seeds find nothing."""
    assert explore(lost_update, seeds=range(50), policy=PCT(depth=2, steps=1000)) is None
    seed = explore(lost_update, seeds=range(50), policy=PCT(depth=2))
    assert seed is not None
    assert seed < 5, seed


def test_an_adaptive_pcts_failing_seed_replays_with_the_estimate_it_ran_with() -> None:
    """Each seed of an adaptive PCT runs as a fixed PCT sized by the runs before it (the first
    by the guess), and its replay note names that PCT: replaying it fails the same way, with
    the same trace, whatever ran before it."""
    first = Simulation(seed=0, policy=PCT(depth=2, steps=FIRST_GUESS))
    first.run(interleaved_counter)  # seed 0 passes with the guess; seed 1 is sized by it
    sized = PCT(depth=2, steps=len(first.trace))
    with pytest.raises(AssertionError) as explored:
        explore(lost_update, seeds=range(50), policy=PCT(depth=2), raise_failure=True)
    note = "\n".join(explored.value.__notes__)
    assert f"lost_update, seed=1, policy={sized!r})" in note
    replay = Simulation(seed=1, policy=sized)
    with pytest.raises(AssertionError) as replayed:
        replay.run(lost_update)
    assert "\n".join(replayed.value.__notes__) in note
    alone = Simulation(seed=1, policy=sized)
    with pytest.raises(AssertionError):
        alone.run(lost_update)
    assert alone.trace == replay.trace


def test_a_lone_adaptive_pct_run_uses_the_first_guess() -> None:
    """simulate with PCT(steps=None), no runs seen, runs as PCT(steps=FIRST_GUESS) does."""

    def traces(policy: PCT) -> list[list[Step]]:
        runs = [Simulation(seed=seed, policy=policy) for seed in range(20)]
        for simulation in runs:
            simulation.run(interleaved_counter)
        return [simulation.trace for simulation in runs]

    guessed = traces(PCT())
    assert guessed == traces(PCT(steps=FIRST_GUESS))
    assert guessed != traces(PCT(steps=1000))


def test_pct_of_depth_one_never_preempts() -> None:
    """PCT(depth=1) has no change point: the lost update needs a preemption, so no seed of
    fifty finds it; depth 2 does."""
    assert explore(lost_update, seeds=range(50), policy=PCT(depth=1, steps=20)) is None
    assert explore(lost_update, seeds=range(50), policy=PCT(depth=2, steps=20)) is not None


def test_timed_waits_under_a_second_wait_their_time() -> None:
    """Lock, RLock, Semaphore, Event, Condition and a join: a 0.5 s timeout on what nobody
    releases gives up at virtual 0.5 s, without waiting for real (the watchdog's 1 s would fail
    it); a non-blocking acquire of a held lock gives up at once."""

    def scenario() -> list[tuple[bool, float]]:
        lock, rlock = threading.Lock(), threading.RLock()
        empty, unset, cond = threading.Semaphore(0), threading.Event(), threading.Condition()
        holder = threading.Thread(target=rlock.acquire)  # it ends holding the RLock
        holder.start()
        holder.join()
        lock.acquire()
        sleeper = threading.Thread(target=time.sleep, args=(10,), daemon=True)
        sleeper.start()

        def join_sleeper() -> bool:
            sleeper.join(timeout=0.5)
            return not sleeper.is_alive()  # it sleeps on: False, as a timed-out acquire

        def wait_unnotified() -> bool:
            with cond:
                return cond.wait(0.5)

        attempts: list[Callable[[], bool]] = [
            lambda: lock.acquire(timeout=0.5),
            lambda: rlock.acquire(timeout=0.5),
            lambda: empty.acquire(timeout=0.5),
            lambda: unset.wait(0.5),
            join_sleeper,
            wait_unnotified,
            lambda: lock.acquire(blocking=False),
            lambda: rlock.acquire(blocking=False),
        ]
        results = []
        for attempt in attempts:
            started = time.monotonic()
            results.append((attempt(), time.monotonic() - started))
        return results

    expected = [(False, 0.5)] * 6 + [(False, 0.0)] * 2
    assert simulate(scenario, seed=0, stall_timeout=1) == expected


def test_a_lock_acquire_with_no_timeout_waits_for_a_release() -> None:
    """Lock().acquire() and RLock().acquire() on a lock another thread holds block until it
    releases, at that one's time, and then hold it."""

    def scenario() -> list[tuple[bool, float]]:
        results = []
        for lock in (threading.Lock(), threading.RLock()):
            held = threading.Event()

            def hold(
                lock: threading.Lock | threading.RLock = lock, held: threading.Event = held
            ) -> None:
                with lock:
                    held.set()
                    time.sleep(3)  # sleep-ok: virtual time

            thread = threading.Thread(target=hold)
            thread.start()
            held.wait()
            started = time.monotonic()
            results.append((lock.acquire(), time.monotonic() - started))
            lock.release()
            thread.join()
        return results

    assert simulate(scenario, seed=0) == [(True, 3.0), (True, 3.0)]
