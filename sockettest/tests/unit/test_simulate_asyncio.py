"""asyncio under simulate: an event loop (``asyncio.run`` in fn, or in a thread fn starts) and
blocking threads under one seed, on virtual time.

Everything a simulated function uses is made inside it, as the README asks; the sockets are a
memory network's, patched in by the scenario. That one seed gives one trace in any process is
checked with the threaded scenarios, in ``test_simulation_determinism.py``.
"""

import asyncio
import gc
import logging
import selectors
import socket
import threading
import time

import pytest

from sockettest import (
    Deadlock,
    MemoryNetwork,
    Schedule,
    Simulation,
    VirtualClock,
    explore,
    simulate,
)
from tests.deadlines import DEADLINE
from tests.unit.async_name_server import claim, two_claims_async_fixed, two_claims_async_racy
from tests.unit.name_server import read_line

pytestmark = pytest.mark.usefixtures("leak_guard")  # no thread may outlive its test

# Wake-ups, executors, time ----------------------------------------------------------------------


def echo_through_a_worker_thread() -> tuple[str, list[str]]:
    """An asyncio echo server, and a blocking client that ``to_thread`` runs in the loop's
    default executor: the worker's result wakes the loop through its self-pipe."""
    network = MemoryNetwork()
    with network.patch():

        async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.write(b"echo " + await reader.readline())
            await writer.drain()
            writer.close()
            await writer.wait_closed()

        def client(port: int) -> str:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                sock.sendall(b"hello\n")
                return read_line(sock)

        async def main() -> tuple[str, list[threading.Thread]]:
            server = await asyncio.start_server(echo, "127.0.0.1", 0)
            async with server:
                port = server.sockets[0].getsockname()[1]
                reply = await asyncio.to_thread(client, port)
            workers = [t for t in threading.enumerate() if t.name.startswith("asyncio_")]
            return reply, workers

        reply, workers = asyncio.run(main())
    return reply, [f"{worker.name} alive={worker.is_alive()}" for worker in workers]


@pytest.mark.parametrize("seed", range(4))
def test_a_worker_thread_finishing_wakes_the_loop_waiting_in_the_scheduler(seed: int) -> None:
    """A ``to_thread`` call's completion (``call_soon_threadsafe``, a write to the loop's
    self-pipe) wakes the loop's select: the echo comes back, no deadlock."""
    reply, _ = simulate(echo_through_a_worker_thread, seed=seed)
    assert reply == "echo hello"


def test_the_default_executors_workers_are_simulated_and_joined_when_the_loop_closes() -> None:
    """``to_thread`` runs on the run's own ``asyncio_0`` thread, a scheduled thread, and
    ``asyncio.run`` joins it (from its executor's shutdown thread) before it returns."""
    simulation = Simulation(seed=3)
    _, workers = simulation.run(echo_through_a_worker_thread)
    assert workers == ["asyncio_0 alive=False"]
    steps = [(step.thread, step.operation) for step in simulation.trace]
    assert ("main", "start asyncio_0") in steps
    assert any(thread == "asyncio_0" and "connect" in op for thread, op in steps)
    assert ("Thread-1 (_do_shutdown)", "join asyncio_0") in steps
    assert steps[-1][0] != "asyncio_0", "the worker outlived the loop"


def silent_client_timed_out() -> tuple[float, float, bytes]:
    """An unmodified asyncio server, run by ``asyncio.run`` in a thread fn starts, gives a
    silent client 300 seconds for a line; the client, a blocking socket in fn, waits for it."""
    network = MemoryNetwork()
    with network.patch():
        ports: list[int] = []
        timed_out: list[float] = []
        listening = threading.Event()

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                await asyncio.wait_for(reader.readline(), 300)
            except TimeoutError:
                timed_out.append(asyncio.get_running_loop().time())
            writer.close()
            await writer.wait_closed()

        async def serve_one() -> None:
            served = asyncio.Event()

            async def handle_once(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
                await handle(r, w)
                served.set()

            server = await asyncio.start_server(handle_once, "127.0.0.1", 0)
            async with server:
                ports.append(server.sockets[0].getsockname()[1])
                listening.set()
                await served.wait()

        loop_thread = threading.Thread(target=lambda: asyncio.run(serve_one()), name="loop")
        loop_thread.start()
        listening.wait()
        with socket.create_connection(("127.0.0.1", ports[0])) as sock:
            end = sock.recv(16)
            ended_at = time.monotonic()
        loop_thread.join()
    return timed_out[0], ended_at, end


def test_a_300_second_wait_for_fires_at_300_virtual_seconds() -> None:
    """The loop's wait for its timer is a wait with a deadline: with the client blocked too,
    virtual time jumps to it, and the server hangs up on the client at 300.0 s."""
    started = time.perf_counter()
    fired_at, client_saw_end_at, end = simulate(silent_client_timed_out, seed=5)
    assert (fired_at, client_saw_end_at, end) == (300.0, 300.0, b"")
    assert time.perf_counter() - started < DEADLINE


def timed_out_on_the_networks_clock() -> tuple[bytes, float, float]:
    """The same wait, on a loop from ``network.new_event_loop`` on a ``VirtualClock``, with the
    client in a worker thread: what the client heard, and both clocks when it did."""
    clock = VirtualClock()
    network = MemoryNetwork(clock=clock)
    with network.patch():

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                await asyncio.wait_for(reader.readline(), 300)
            except TimeoutError:
                writer.write(b"timed out at %.1f\n" % asyncio.get_running_loop().time())
            writer.close()
            await writer.wait_closed()

        def silent_client(port: int) -> bytes:
            with socket.create_connection(("127.0.0.1", port), timeout=600) as sock:
                return sock.recv(64)

        async def main() -> tuple[bytes, float, float]:
            server = await asyncio.start_server(handle, "127.0.0.1", 0)
            async with server:
                port = server.sockets[0].getsockname()[1]
                heard = await asyncio.to_thread(silent_client, port)
            return heard, time.monotonic(), clock.monotonic()

        with asyncio.Runner(loop_factory=network.new_event_loop) as runner:
            return runner.run(main())


def test_a_loop_on_the_networks_virtual_clock_runs_under_simulate_too() -> None:
    """``network.new_event_loop`` in a simulation: its clock reads the run's virtual time."""
    assert simulate(timed_out_on_the_networks_clock, seed=1) == (b"timed out at 300.0\n", 300, 300)


# What the seed varies, and what it never does -------------------------------------------------


def two_ready_sockets_in_a_selector() -> list[str]:
    """Two sockets readable at once in a selector: the order of the ready events it reports."""
    network = MemoryNetwork()
    pairs = [network.socketpair() for _ in range(2)]
    with selectors.DefaultSelector() as selector:
        for number, (near, far) in enumerate(pairs):
            far.sendall(b"x")
            selector.register(near, selectors.EVENT_READ, f"socket-{number}")
        order = [key.data for key, _ in selector.select(timeout=1)]
    for pair in pairs:
        for sock in pair:
            sock.close()
    return order


def test_the_seed_picks_which_ready_event_a_selector_reports_first() -> None:
    """Ready events are open in reality (the kernel's order): some seeds put each first, every
    run of a seed the same; the choice is in ``choices``, and no choice is registration order."""
    orders = {seed: simulate(two_ready_sockets_in_a_selector, seed=seed) for seed in range(12)}
    assert {tuple(order) for order in orders.values()} == {
        ("socket-0", "socket-1"),
        ("socket-1", "socket-0"),
    }
    assert all(simulate(two_ready_sockets_in_a_selector, seed=s) == orders[s] for s in range(12))
    unchosen = Simulation(schedule=Schedule([]))
    assert unchosen.run(two_ready_sockets_in_a_selector) == ["socket-0", "socket-1"]
    reversed_run = Simulation(schedule=Schedule([1]))
    assert reversed_run.run(two_ready_sockets_in_a_selector) == ["socket-1", "socket-0"]
    assert reversed_run.choices == [1]


def callbacks_in_order() -> list[str]:
    """``call_soon`` from the loop and ``call_soon_threadsafe`` from a worker, interleaved."""
    network = MemoryNetwork()
    with network.patch():

        async def main() -> list[str]:
            loop = asyncio.get_running_loop()
            ran: list[str] = []

            def from_worker() -> None:
                for number in range(3):
                    loop.call_soon_threadsafe(ran.append, f"thread-{number}")

            for number in range(3):
                loop.call_soon(ran.append, f"loop-{number}")
            await asyncio.to_thread(from_worker)
            await asyncio.sleep(0)
            return ran

        return asyncio.run(main())


def test_no_seed_reorders_call_soon_callbacks() -> None:
    """asyncio runs callbacks in the order they were registered; no seed varies that (a
    reordering no real run can show would be a false failure)."""
    expected = ["loop-0", "loop-1", "loop-2", "thread-0", "thread-1", "thread-2"]
    assert all(simulate(callbacks_in_order, seed=seed) == expected for seed in range(10))


def handlers_left_pending_at_the_end() -> list[int]:
    """asyncio.run ends with four connection handlers still waiting for a line: it cancels them,
    and each, cancelled, says goodbye on its socket (a scheduling point) and notes its number."""
    network = MemoryNetwork()
    with network.patch():
        waiting: list[int] = []
        cancelled: list[int] = []

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            number = int(await reader.readline())
            waiting.append(number)
            try:
                await reader.readline()
            except asyncio.CancelledError:
                cancelled.append(number)
                writer.write(b"bye\n")
                writer.close()

        async def main() -> list[socket.socket]:
            server = await asyncio.start_server(handle, "127.0.0.1", 0)
            port = server.sockets[0].getsockname()[1]
            clients = []
            for number in range(4):
                clients.append(socket.create_connection(("127.0.0.1", port), timeout=5))
                clients[-1].sendall(b"%d\n" % number)
            while len(waiting) < 4:
                await asyncio.sleep(0)
            server.close()
            return clients

        clients = asyncio.run(main())
        for client in clients:
            assert read_line(client) == "bye"
            client.close()
    return cancelled


def test_the_tasks_asyncio_run_leaves_are_cancelled_in_the_order_they_were_made() -> None:
    """Not in the order of their addresses, which differs from run to run: so a seed's trace,
    with the handlers' goodbyes in it, is the same every time."""
    traces = []
    for _ in range(4):
        simulation = Simulation(seed=2)
        assert simulation.run(handlers_left_pending_at_the_end) == [0, 1, 2, 3]
        traces.append(simulation.trace)
    assert all(trace == traces[0] for trace in traces)


# Deadlocks across tasks and threads ------------------------------------------------------------


def task_and_thread_wait_for_each_other() -> None:
    """A task awaits a worker thread that waits for an event nobody sets; another task awaits
    an asyncio event that the first sets only after."""
    network = MemoryNetwork()
    with network.patch():

        async def wait_for_go(go: asyncio.Event) -> None:
            await go.wait()

        async def main() -> None:
            handed = threading.Event()
            go = asyncio.Event()
            waiter = asyncio.create_task(wait_for_go(go), name="waiter")
            await asyncio.to_thread(handed.wait)
            go.set()
            await waiter

        asyncio.run(main())


def test_a_deadlock_across_tasks_and_threads_shows_every_thread_and_every_pending_task() -> None:
    """At once, not after a timeout: each thread's stack, and each pending task's stack down to
    the await it is suspended in."""
    with pytest.raises(Deadlock) as failure:
        simulate(task_and_thread_wait_for_each_other, seed=0, stall_timeout=DEADLINE)
    message = str(failure.value)
    assert "Thread 'main' (blocked in select)" in message
    assert "Thread 'asyncio_0' (blocked in Event-1.wait)" in message
    tasks = message.split("Pending asyncio tasks:\n", 1)[1]
    first, waiter = tasks.split("\n\nTask ", 1)
    assert first.startswith("Task 'Task-")
    assert "<coroutine object task_and_thread_wait_for_each_other.<locals>.main" in first
    assert "await asyncio.to_thread(handed.wait)" in first
    assert "in to_thread" in first
    assert waiter.startswith("'waiter'")
    assert "in wait_for_go" in waiter
    assert "await go.wait()" in waiter


def a_loop_in_a_daemon_thread_left_running() -> None:
    """fn returns while a daemon thread's loop runs a task whose cleanup awaits timers."""
    network = MemoryNetwork()
    with network.patch():
        started = threading.Event()

        async def forever() -> None:
            started.set()
            try:
                await asyncio.sleep(100)
            finally:  # cancelled when the run is over: cleanup on cleanup, each cut off
                try:
                    await asyncio.sleep(1)
                finally:
                    await asyncio.sleep(1)

        thread = threading.Thread(target=lambda: asyncio.run(forever()), daemon=True)
        thread.start()
        started.wait()


def test_a_task_abandoned_with_its_run_is_not_reported_destroyed_later(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The end of fn is the program's exit: the daemon thread's task dies with it, silently,
    not with "Task was destroyed but it is pending!" when the collector frees it, nor with its
    coroutine's cleanup failing then with no loop to run on (an unraisable exception)."""
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        simulate(a_loop_in_a_daemon_thread_left_running, seed=0)
        gc.collect()
    assert [record.getMessage() for record in caplog.records] == []


# A race across an await, found and replayed ----------------------------------------------------


def test_explore_finds_a_check_then_act_race_across_an_await_and_simulate_replays_it() -> None:
    """Two blocking clients claim one name on an asyncio server that awaits between its check
    and its record: some seed gives both of them OK, and that seed does so every time."""
    seed = explore(two_claims_async_racy, seeds=range(20))
    assert seed is not None
    for _ in range(2):
        with pytest.raises(AssertionError, match=r"both clients got \['OK', 'OK'\]") as failure:
            simulate(two_claims_async_racy, seed=seed)
        assert f"seed={seed})" in "\n".join(failure.value.__notes__)


def test_the_fixed_asyncio_server_passes_every_seed() -> None:
    """Under an ``asyncio.Lock`` no schedule gives the name twice. (10 seeds: the racy server
    fails in four of them, and in more than half of the first 60.)"""
    assert explore(two_claims_async_fixed, seeds=range(10), raise_failure=True) is None


def test_a_blocking_client_in_fn_claims_a_name_from_a_loop_in_a_thread() -> None:
    """The loop need not be fn's: run by a thread fn starts, it serves fn's own client."""

    def scenario() -> str:
        network = MemoryNetwork()
        with network.patch():
            from tests.unit.async_name_server import AsyncNameServer

            ports: list[int] = []
            listening = threading.Event()
            done = threading.Event()

            async def serve() -> None:
                server = AsyncNameServer(fixed=True)
                listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
                async with listener:
                    ports.append(listener.sockets[0].getsockname()[1])
                    listening.set()
                    await asyncio.to_thread(done.wait)

            thread = threading.Thread(target=lambda: asyncio.run(serve()))
            thread.start()
            listening.wait()
            reply = claim(ports[0], "bob")
            done.set()
            thread.join()
            return reply

    assert simulate(scenario, seed=1, check_determinism=True) == "OK"


def two_loops_that_wait_forever() -> None:
    """An event loop in fn and one in a thread, each selecting a few times and then waiting
    for an event nobody sets: a deadlock."""
    network = MemoryNetwork()
    with network.patch():

        async def waits_forever() -> None:
            for _ in range(3):
                await asyncio.sleep(0)  # one more select of the loop each time
            await asyncio.Event().wait()

        async def in_main() -> None:
            await waits_forever()

        async def in_thread() -> None:
            await waits_forever()

        thread = threading.Thread(target=lambda: asyncio.run(in_thread()), daemon=True)
        thread.start()
        asyncio.run(in_main())


def test_a_deadlock_report_shows_each_loops_pending_task_once() -> None:
    """Every loop of the run is reported, each once however often it selected."""
    with pytest.raises(Deadlock) as failure:
        simulate(two_loops_that_wait_forever, seed=0, stall_timeout=DEADLINE)
    tasks = str(failure.value).split("Pending asyncio tasks:\n", 1)[1]
    made_for = sorted(
        line.split(".<locals>.")[-1].split(" ")[0]
        for line in tasks.splitlines()
        if line.startswith("Task '")
    )
    assert made_for == ["in_main", "in_thread"]
