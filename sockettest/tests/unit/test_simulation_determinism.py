"""One seed, one run, always: what a simulated run's trace must not depend on (the garbage
collector, thread pools, process-wide counters, the hash seed, what ran before), the
determinism self-check that proves it, and the kit's own exits from a run gone wrong.

Everything a simulated function uses is made inside it, as the README asks, except where a
test says it makes something outside on purpose.
"""

import contextlib
import gc
import io
import os
import random
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

from sockettest import (
    BlockedTooLong,
    MemoryNetwork,
    MemorySocket,
    Nondeterminism,
    RandomWalk,
    Simulation,
    explore,
    simulate,
)
from sockettest._simulation.scheduler import Scheduler
from tests.unit.test_simulation import interleaved_counter
from tests.unit.thread_pool import pooled

pytestmark = pytest.mark.usefixtures("leak_guard")  # no thread may outlive its test

ROOT = Path(__file__).resolve().parents[2]


def trace_of(fn: Callable[[], object], seed: int) -> list[str]:
    simulation = Simulation(seed=seed)
    simulation.run(fn)
    return [str(step) for step in simulation.trace]


# Finalizers run by the garbage collector --------------------------------------------------------


class ClosesWhenCollected:
    """Cyclic garbage whose finalizer closes a memory socket, as a leftover asyncio transport's
    ``__del__`` does: only the garbage collector frees it, at a moment nobody chose."""

    def __init__(self, sock: MemorySocket) -> None:
        self.sock = sock
        self.cycle = self

    def __del__(self) -> None:
        self.sock.close()


@contextmanager
def collections_everywhere() -> Iterator[None]:
    """A collection at almost every allocation: in socket calls, in the scheduler, anywhere."""
    threshold = gc.get_threshold()
    gc.set_threshold(1)
    try:
        yield
    finally:
        gc.set_threshold(*threshold)


def chatter_that_litters(outside: MemoryNetwork) -> Callable[[], list[bytes]]:
    """Two threads exchange lines on a network made inside the run; before each line, a pair of
    sockets of a network made outside it (an earlier test's) becomes garbage."""

    def litter() -> None:
        for sock in outside.socketpair():
            ClosesWhenCollected(sock)

    def scenario() -> list[bytes]:
        network = MemoryNetwork()
        one, other = network.socketpair()
        got: list[bytes] = []

        def reader() -> None:
            with other:
                for _ in range(6):
                    litter()
                    got.append(other.recv(16))
                    other.sendall(b"ack")

        thread = threading.Thread(target=reader, name="reader")
        thread.start()
        with one:
            for number in range(6):
                litter()
                one.sendall(b"line %d" % number)
                assert one.recv(16) == b"ack"
        thread.join()
        return got

    return scenario


def test_a_socket_closed_by_a_finalizer_mid_run_changes_nothing_in_the_schedule() -> None:
    """Collections landing everywhere close garbage sockets at once, without a switch: each
    seed passes with the very trace it has with no collection at all, and every socket ends
    closed."""
    outside = MemoryNetwork()
    scenario = chatter_that_litters(outside)
    seeds = range(8)
    gc.disable()
    try:
        quiet = {seed: trace_of(scenario, seed) for seed in seeds}
    finally:
        gc.enable()
    gc.collect()
    with collections_everywhere():
        busy = {seed: trace_of(scenario, seed) for seed in seeds}
    gc.collect()
    assert busy == quiet
    assert all(len(trace) > 20 for trace in quiet.values())
    assert outside.open_sockets() == []


def test_a_collection_in_fn_closes_a_garbage_socket_at_once_and_takes_no_step() -> None:
    """gc.collect() in fn frees a socket whose only owner was cyclic garbage: its peer reads
    EOF at once, and the close is no step of the trace (only the recv that reads EOF is)."""

    def scenario() -> bytes:
        network = MemoryNetwork()
        one, other = network.socketpair()
        ClosesWhenCollected(one)
        del one
        gc.collect()
        with other:
            return other.recv(16)

    simulation = Simulation(seed=0)
    assert simulation.run(scenario) == b""
    assert [step.operation for step in simulation.trace] == [
        "recv memory-socket-2",
        "close memory-socket-2",
    ]


class SleepsWhenCollected:
    def __init__(self) -> None:
        self.cycle = self

    def __del__(self) -> None:
        time.sleep(1)  # sleep-ok: virtual, and refused: it would block inside a collection


def test_a_finalizer_that_would_block_inside_a_collection_is_refused_with_the_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A finalizer that would wait (here, sleep) cannot park inside a collection: it raises a
    RuntimeError that says why, reported as Python reports any error in a finalizer; the run
    goes on, and virtual time did not move."""
    reported: list[BaseException | None] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda report: reported.append(report.exc_value))

    def scenario() -> float:
        SleepsWhenCollected()
        gc.collect()
        return time.monotonic()

    assert simulate(scenario, seed=0) == 0.0
    assert [type(error) for error in reported] == [RuntimeError]
    assert "would block in sleep 1: a simulation cannot switch threads inside a collection" in (
        str(reported[0])
    )


class StalledCollection:
    """A collection in a real thread outside any run, whose finalizer waits until released:
    :meth:`begin` starts it (from anywhere) and says whether it began."""

    def __init__(self) -> None:
        self.go, self.entered, self.leave = threading.Event(), threading.Event(), threading.Event()

    def begin(self) -> bool:
        self.go.set()
        return self.entered.wait(5)

    @contextmanager
    def collector(self) -> Iterator[None]:
        """The collecting thread for the block, with only its own collection running the
        finalizer; released, joined and asserted dead after."""
        stalled = self

        class WaitsWhenCollected:
            def __init__(self) -> None:
                self.cycle = self

            def __del__(self) -> None:
                stalled.entered.set()
                stalled.leave.wait(5)

        def collect() -> None:
            self.go.wait(5)
            WaitsWhenCollected()
            gc.collect()

        thread = threading.Thread(target=collect, name="collector")
        gc.disable()  # only the collector's own collection runs the finalizer
        try:
            thread.start()
            yield
        finally:
            self.leave.set()
            thread.join(5)
            gc.enable()
        assert not thread.is_alive()


def test_a_collection_in_a_thread_outside_the_run_takes_no_point_from_it() -> None:
    """While a thread outside the run is in a collection (its finalizer waits), the run's own
    threads still take every scheduling point: the trace is the one it has without it."""
    stalled = StalledCollection()

    def scenario() -> int:
        assert stalled.begin(), "the collection outside never began"
        try:
            return interleaved_counter()
        finally:
            stalled.leave.set()

    expected = trace_of(interleaved_counter, seed=2)
    with stalled.collector():
        simulation = Simulation(seed=2)
        simulation.run(scenario)
    assert [str(step) for step in simulation.trace] == expected


def test_a_collection_still_under_way_when_a_run_ends_silences_no_later_run() -> None:
    """A collection outside the run outlives it (its finalizer waits); once it is over, the
    next run's threads, whatever OS thread they get, take every point."""
    stalled = StalledCollection()
    expected = trace_of(interleaved_counter, seed=2)
    with stalled.collector():
        assert simulate(stalled.begin, seed=0), "the collection outside never began"
    traces = [trace_of(interleaved_counter, seed=2) for _ in range(5)]
    assert traces == [expected] * 5


# Thread pools, counters, the hash seed, what ran before -----------------------------------------


def test_a_thread_pool_replays_the_same_trace_whatever_ran_before() -> None:
    """Pools and threads made before the run (real ones, outside it) change no name in the
    trace; the pool's workers are named and joined in the order they started."""
    traces = []
    for _ in range(4):
        with ThreadPoolExecutor(max_workers=1) as elsewhere:  # moves the process-wide counter
            elsewhere.submit(int).result(timeout=5)
        traces.append(trace_of(pooled, seed=1))
    assert all(trace == traces[0] for trace in traces)
    operations = [line.split(": ", 1)[1] for line in traces[0]]
    joins = [operation for operation in operations if operation.startswith("join")]
    workers = [f"join ThreadPoolExecutor-0_{number}" for number in range(3)]
    assert joins[:3] == workers
    assert "start Thread-1 (square)" in operations


PROCESS = textwrap.dedent(
    """
    import asyncio, hashlib, os, sys, threading
    from concurrent.futures import ThreadPoolExecutor
    from sockettest import Simulation
    from tests.unit.async_name_server import two_claims_async_fixed, two_claims_async_racy
    from tests.unit.name_server import two_claims
    from tests.unit.thread_pool import pooled

    for _ in range(int(sys.argv[1])):  # work done earlier in the process
        with ThreadPoolExecutor(max_workers=2) as pool:
            pool.submit(int).result(timeout=5)
        thread = threading.Thread(target=int)
        thread.start()
        thread.join(5)
        asyncio.run(asyncio.sleep(0))  # asyncio's tasks numbered
        os.pipe()  # descriptors taken: the run's have other numbers
    scenarios = (pooled, two_claims(fixed=True), two_claims_async_fixed, two_claims_async_racy)
    for fn in scenarios:
        simulation = Simulation(seed=11, check_determinism=True)
        try:
            simulation.run(fn)
        except AssertionError as failure:  # the race's seed 11 fails, the same way each time
            print(str(failure).splitlines()[0])
        text = "\\n".join(map(str, simulation.trace)).encode()
        print(len(simulation.trace), hashlib.sha256(text).hexdigest())
    """
)


def test_one_seed_gives_one_trace_across_processes_and_hash_seeds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two processes, each with its own PYTHONHASHSEED and earlier work (a fresh one, and this
    one after the tests before it): one trace per scenario (a thread pool; two clients claiming
    one name on a threaded server; two client threads claiming one on an asyncio server, fixed
    and racy), step for step."""
    other_hash_seed = "0" if os.environ.get("PYTHONHASHSEED") == "4242" else "4242"
    process = subprocess.Popen(
        [sys.executable, "-c", PROCESS, "7"],
        cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": other_hash_seed},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:  # this process's run goes on while the other one starts
        here = io.StringIO()
        monkeypatch.setattr(sys, "argv", ["-c", "0"])  # no earlier work: the tests before did it
        with contextlib.redirect_stdout(here):
            exec(PROCESS, {"__name__": "in_this_process"})  # noqa: S102 - the same program
        stdout, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
    finally:
        process.kill()  # nothing, for a process that has ended
        process.communicate()
    assert here.getvalue() == stdout
    assert "both clients got ['OK', 'OK']" in stdout


# The determinism self-check ---------------------------------------------------------------------


def test_check_determinism_runs_fn_twice_and_returns_its_result() -> None:
    """A deterministic scenario passes the check: fn ran twice, one result comes back."""
    calls: list[int] = []

    def scenario() -> list[int]:
        calls.append(1)
        return pooled()

    assert simulate(scenario, seed=3, check_determinism=True) == [0, 1, 4, 9, 16, 25]
    assert len(calls) == 2


def order_kept_across_runs() -> Callable[[], None]:
    """A scenario that starts threads "first" and "second" in an order that a count kept
    outside the run decides: first, second in odd runs; second, first in even ones."""
    runs = {"count": 0}

    def scenario() -> None:
        runs["count"] += 1
        names = ["first", "second"] if runs["count"] % 2 else ["second", "first"]
        time.sleep(1)  # sleep-ok: virtual time; a step both runs share
        threads = [threading.Thread(target=int, name=name) for name in names]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    return scenario


def test_check_determinism_names_the_first_step_where_two_runs_differ() -> None:
    """A scenario whose thread order comes from outside the run (a count kept across runs):
    Nondeterminism, with the first step that differs in each run, and the steps before it."""
    with pytest.raises(Nondeterminism) as caught:
        simulate(order_kept_across_runs(), seed=0, check_determinism=True)
    message = str(caught.value)
    assert "two runs of seed 0 took different schedules: step 2 differs" in message
    assert "The steps before it, the same in both:\n         0.000 s  main: sleep 1\n" in message
    assert "first run:  1.000 s  main: start first\n" in message
    assert "second run: 1.000 s  main: start second\n" in message
    assert "Replay: sockettest.simulate(fn, seed=0)" in message


def test_a_failed_determinism_check_leaves_the_first_runs_trace() -> None:
    """After Nondeterminism, the simulation's trace is the first run's, as documented."""
    simulation = Simulation(seed=0, check_determinism=True)
    with pytest.raises(Nondeterminism):
        simulation.run(order_kept_across_runs())
    starts = [
        str(step).split("main: ")[1] for step in simulation.trace if "main: start" in str(step)
    ]
    assert starts == ["start first", "start second"]


def test_a_run_that_ends_before_the_other_differs_where_it_ended() -> None:
    """A second run with one step more than the first: the first run's step there is the end."""
    runs = {"count": 0}

    def scenario() -> None:
        runs["count"] += 1
        time.sleep(1)  # sleep-ok: virtual time; a step both runs share
        if runs["count"] == 2:
            time.sleep(1)  # sleep-ok: virtual time; the second run's extra step

    with pytest.raises(Nondeterminism) as caught:
        simulate(scenario, seed=0, check_determinism=True)
    message = str(caught.value)
    assert "step 2 differs (the first run took 1 steps, the second 2)" in message
    assert "first run:  (the run had ended)\n  second run: 1.000 s  main: sleep 1\n" in message


class RunFailed(Exception):
    """A scenario's own failure."""


def test_a_determinism_check_raises_the_first_runs_own_failure() -> None:
    """Both runs fail alike: the exception raised is the first run's, as the result is."""
    failures: list[RunFailed] = []

    def scenario() -> None:
        failures.append(RunFailed(f"run {len(failures) + 1}"))
        raise failures[-1]

    with pytest.raises(RunFailed) as caught:
        simulate(scenario, seed=0, check_determinism=True)
    assert len(failures) == 2
    assert caught.value is failures[0]


def test_check_determinism_catches_an_outcome_that_differs_on_the_same_trace() -> None:
    """No threads, the same (empty) trace, but one run fails and the other passes."""
    runs = {"count": 0}

    def scenario() -> None:
        runs["count"] += 1
        assert runs["count"] % 2, "the second run fails"

    with pytest.raises(Nondeterminism, match="the same 0 steps, but different outcomes") as caught:
        simulate(scenario, seed=0, check_determinism=True)
    assert "outcomes: passed / raised AssertionError" in str(caught.value)


def test_explore_checks_determinism_seed_by_seed() -> None:
    """explore(check_determinism=True) reports the first seed that replays differently."""
    runs = {"count": 0}

    def scenario() -> None:
        runs["count"] += 1
        if runs["count"] >= 5:  # seeds 0 and 1 replay alike; seed 2 does not
            time.sleep(runs["count"])  # sleep-ok: virtual time

    assert explore(scenario, seeds=range(5), check_determinism=True) == 2
    with pytest.raises(Nondeterminism, match="first of the seeds to fail"):
        explore(scenario, seeds=range(5), check_determinism=True, raise_failure=True)


# The kit's own exits ----------------------------------------------------------------------------


def test_a_thread_the_watchdog_gave_up_on_hands_no_baton_when_it_comes_back() -> None:
    """The watchdog aborts a run while one thread is stuck (it hands the baton to the next, to
    unwind it); the stuck thread then comes back and ends: no second hand-over (once, a
    RuntimeError 'release unlocked lock' out of the thread), and the run finishes when the
    others have unwound."""
    scheduler = Scheduler(RandomWalk()._chooser(0), Simulation(seed=0), max_steps=100)
    stuck = scheduler.add("stuck", None, daemon=False)
    other = scheduler.add("other", None, daemon=False)
    scheduler.running = stuck
    scheduler.abort(BlockedTooLong("stalled"))
    assert (stuck.go.locked(), other.go.locked()) == (True, False), "the baton went astray"
    scheduler.ended(stuck)  # it came back from what it was stuck in, and its thread ended
    assert other.go.acquire(timeout=0), "the thread to unwind never got the baton"
    assert not scheduler.done.acquire(timeout=0), "finished before every thread unwound"
    scheduler.ended(other)
    assert scheduler.done.acquire(timeout=0), "the run never finished"


def test_a_run_the_watchdog_aborts_unwinds_without_an_error_of_the_kits_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A lock made outside fn (real) is held by a thread parked in the simulation; another
    thread blocks on it, uncontrolled, and the watchdog gives up on it. Unwinding frees the
    lock, the stuck thread comes back and ends while the others unwind: the run fails with the
    stall alone (it once also raised 'release unlocked lock' in a thread), and every thread
    ends."""
    raised: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: raised.append(args.exc_value))
    outside = threading.Lock()  # made outside fn: real, uncontrolled
    started: list[threading.Thread] = []

    def scenario() -> None:
        def holder() -> None:
            with outside:
                time.sleep(1)  # sleep-ok: virtual; parks holding the real lock

        def blocked() -> None:
            with outside:  # waits for real: the watchdog gives up on this thread
                pass
            for _ in range(3):
                time.sleep(0)  # sleep-ok: virtual; points after it came back

        def bystander(naps: int) -> None:
            for _ in range(naps):
                time.sleep(0.5)  # sleep-ok: virtual time

        started.append(threading.Thread(target=holder, name="holder"))
        started.extend(threading.Thread(target=bystander, args=(n,)) for n in range(1, 6))
        started.append(threading.Thread(target=blocked, name="blocked"))
        for thread in started:
            thread.start()
        for thread in started:
            thread.join()

    with pytest.raises(BlockedTooLong, match="Thread 'blocked' is in something"):
        simulate(scenario, seed=1, stall_timeout=0.1)
    for thread in started:
        thread.join(5)
    assert [thread.name for thread in started if thread.is_alive()] == []
    assert raised == []


def test_an_abandoned_run_does_not_keep_the_interpreter_alive() -> None:
    """Runs whose fn, or a (non-daemon) thread it started, is stuck in something uncontrolled
    for ever fail on the watchdog; then the program exits, although those threads are stuck."""
    program = textwrap.dedent(
        """
        import threading
        from sockettest import BlockedTooLong, simulate
        forever = threading.Event()  # made outside fn: real, and never set

        def a_thread_stuck():
            thread = threading.Thread(target=forever.wait)
            thread.start()
            thread.join()

        for fn in (forever.wait, a_thread_stuck):
            try:
                simulate(fn, seed=0, stall_timeout=0.05)  # each is stuck for good
            except BlockedTooLong:
                print("stalled")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", program],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=20,  # two runs that stall in 0.05 s and a Python that exits: under a second
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, "stalled\nstalled\n"), done.stderr


def test_random_draws_the_same_in_every_run_of_a_seed_and_is_left_as_it_was() -> None:
    """random's module functions (a backoff's jitter) are seeded by the run's seed, whatever
    was drawn before; after the run, the stream outside goes on where it was."""

    def backoff() -> list[float]:
        delays = []
        for attempt in range(3):
            delay = random.uniform(0, 2**attempt)
            time.sleep(delay)  # sleep-ok: virtual time
            delays.append(delay)
        return delays

    first = simulate(backoff, seed=4)
    random.random()  # the test draws in between
    outside = random.getstate()
    expected = random.random()
    random.setstate(outside)
    assert simulate(backoff, seed=4) == first
    assert random.random() == expected
    assert simulate(backoff, seed=5) != first
