"""asyncio event loops on the network's clock: ``network.new_event_loop()``.

The loop's ``time()`` is the network's clock, so on a ``VirtualClock`` its timers run on
virtual time; with autojump the clock jumps to the loop's next timer once the loop and every
thread using the network wait. Every test runs under pytest-socket's guard: the loop's
self-pipe is a real AF_UNIX pair, nothing else is real.
"""

from __future__ import annotations

import asyncio
import socket
import sys
import time
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from sockettest import MemoryNetwork, VirtualClock, patched_event_loop, run_in_thread
from tests.deadlines import DEADLINE
from tests.unit.test_readme_examples import BLOCKS

AUTOJUMP = 0.01
IDLE = 300.0  # the server's idle timeout, in virtual seconds


def run(network: MemoryNetwork, main: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    """``main()`` run to completion on a new loop of ``network``, with the socket module
    patched to make ``network``'s sockets."""
    with network.patch(), asyncio.Runner(loop_factory=network.new_event_loop) as runner:
        return runner.run(main())


async def idle_handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """An unmodified server's handler: echo each line, and after ``IDLE`` silent seconds say
    so and hang up."""
    try:
        while line := await asyncio.wait_for(reader.readline(), IDLE):
            writer.write(line)
            await writer.drain()
    except TimeoutError:
        writer.write(b"idle\n")
        await writer.drain()
    writer.close()
    await writer.wait_closed()


@pytest.mark.parametrize("seconds", [1.0, 3600.0], ids=["a second", "an hour"])
def test_the_loop_waits_for_its_timer_on_the_network_not_in_real_time(seconds: float) -> None:
    """Outside a simulation, the loop's wait for its timer, short or long, is a wait on the
    network: wait_until_blocked sees it and an advance ends it. A real-time wait fails here
    within DEADLINE (the helper then cancels the sleep), not after the hour or at pytest's
    timeout."""
    clock = VirtualClock()
    network = MemoryNetwork(clock=clock)
    loop = network.new_event_loop()
    try:
        sleep = loop.create_task(asyncio.sleep(seconds))

        def advance() -> None:
            try:
                network.wait_until_blocked(timeout=DEADLINE)
            except BaseException:
                loop.call_soon_threadsafe(sleep.cancel)
                raise
            clock.advance(seconds)

        join = run_in_thread(advance)
        try:
            loop.run_until_complete(sleep)
        finally:
            join()
        assert loop.time() == seconds
    finally:
        loop.close()


def test_a_300_second_wait_for_times_out_a_silent_client_in_under_a_second() -> None:
    """An asyncio server's wait_for(readline(), 300) times out a silent asyncio client at 300
    virtual seconds, in under 1 s of real time (the issue's figure; it takes milliseconds)."""
    clock = VirtualClock(autojump_threshold=AUTOJUMP)
    network = MemoryNetwork(clock=clock)

    async def main() -> bytes:
        server = await asyncio.start_server(idle_handler, "127.0.0.1", 0)
        async with server:
            reader, writer = await asyncio.open_connection(*server.sockets[0].getsockname())
            line = await reader.readline()
            writer.close()
            await writer.wait_closed()
        return line

    start = time.monotonic()
    assert run(network, main) == b"idle\n"
    assert time.monotonic() - start < 1.0
    assert clock.monotonic() == IDLE
    network.assert_all_closed()


def test_timers_run_on_virtual_time() -> None:
    """call_later, asyncio.sleep, wait_for and asyncio.timeout() fire at their virtual times,
    in that order, and the loop's time() is the clock's."""
    clock = VirtualClock(autojump_threshold=AUTOJUMP)
    network = MemoryNetwork(clock=clock)
    fired: list[tuple[str, float]] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.call_later(10, lambda: fired.append(("call_later", loop.time())))
        await asyncio.sleep(20)
        fired.append(("sleep", loop.time()))
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(asyncio.Event().wait(), 30)
        fired.append(("wait_for", loop.time()))
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(40):
                await asyncio.Event().wait()
        fired.append(("timeout", clock.monotonic()))

    run(network, main)
    assert fired == [("call_later", 10), ("sleep", 20), ("wait_for", 50), ("timeout", 90)]


def test_advancing_the_clock_by_hand_fires_the_loop_s_timer() -> None:
    """With no autojump, a 60 s sleep ends when another thread advances the clock by 60,
    once the loop waits."""
    clock = VirtualClock()
    network = MemoryNetwork(clock=clock)

    def advance() -> None:
        network.wait_until_blocked(timeout=DEADLINE)
        clock.advance(60)

    async def main() -> float:
        loop = asyncio.get_running_loop()
        join = run_in_thread(advance)
        try:
            await asyncio.sleep(60)
        finally:
            join()
        return loop.time()

    assert run(network, main) == 60


def test_a_blocking_client_thread_and_an_asyncio_server_share_one_clock() -> None:
    """A blocking create_connection client in a thread talks to an asyncio server on one
    network and clock: its exchange happens at virtual time 0 (the clock does not jump while
    either side works), and the server's 300 s idle timeout then fires at exactly 300."""
    clock = VirtualClock(autojump_threshold=AUTOJUMP)
    network = MemoryNetwork(clock=clock)

    def client(address: tuple[str, int]) -> tuple[bytes, float, bytes, float]:
        with socket.create_connection(address) as sock, sock.makefile("rb") as lines:
            sock.sendall(b"hello\n")
            echoed, at = lines.readline(), clock.monotonic()
            return echoed, at, lines.readline(), clock.monotonic()  # then silent: idle

    async def main() -> tuple[bytes, float, bytes, float]:
        server = await asyncio.start_server(idle_handler, "127.0.0.1", 0)
        async with server:
            address = server.sockets[0].getsockname()
            join = run_in_thread(lambda: client(address))
            try:
                return await asyncio.to_thread(join)
            finally:
                join()  # already ended, unless to_thread failed

    assert run(network, main) == (b"hello\n", 0, b"idle\n", IDLE)
    network.assert_all_closed()


def test_call_soon_threadsafe_wakes_the_loop_s_wait_before_the_clock_jumps() -> None:
    """A thread's call_soon_threadsafe wakes the loop waiting on a 300 s timer, so the clock
    does not jump: the result comes at virtual time 0. (The threshold is a real second, far
    more than a thread takes to start; without the wake the clock jumps after it.)"""
    clock = VirtualClock(autojump_threshold=1.0)
    network = MemoryNetwork(clock=clock)

    async def main() -> tuple[str, float]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str] = loop.create_future()

        def wake() -> None:
            network.wait_until_blocked(timeout=DEADLINE)  # the loop waits on its timer
            loop.call_soon_threadsafe(future.set_result, "woken")

        join = run_in_thread(wake)
        try:
            return await asyncio.wait_for(future, IDLE), loop.time()
        finally:
            join()

    assert run(network, main) == ("woken", 0)


def test_a_loop_on_a_real_time_network_keeps_real_time() -> None:
    """On a network with no virtual clock the loop's time() is time.monotonic()."""
    network = MemoryNetwork()
    loop = network.new_event_loop()
    try:
        before = time.monotonic()
        now = loop.time()
        assert before <= now <= time.monotonic()
    finally:
        loop.close()


@pytest.mark.skipif(sys.version_info < (3, 12), reason="asyncio.run takes loop_factory from 3.12")
def test_asyncio_run_takes_the_network_s_loop_factory() -> None:
    """asyncio.run(..., loop_factory=network.new_event_loop) runs on the network's clock."""
    clock = VirtualClock(autojump_threshold=AUTOJUMP)
    network = MemoryNetwork(clock=clock)

    async def main() -> float:
        await asyncio.sleep(IDLE)
        return asyncio.get_running_loop().time()

    assert asyncio.run(main(), loop_factory=network.new_event_loop) == IDLE  # type: ignore[call-arg,unused-ignore]


def test_patched_event_loop_is_a_loop_on_the_network_patched_now() -> None:
    """patched_event_loop(), under a network's patch, makes a loop on that network's clock."""
    clock = VirtualClock(start=42.0)
    network = MemoryNetwork(clock=clock)
    with network.patch():
        loop = patched_event_loop()
    try:
        assert loop.time() == 42
    finally:
        loop.close()


def test_pytest_asyncio_runs_a_test_on_the_patched_network_s_clock(
    pytester: pytest.Pytester,
) -> None:
    """The README's pytest-asyncio project, its conftest.py and its test as written: with the
    loop-factory hook returning patched_event_loop, an asyncio test with the
    patched_network_on_virtual_clock fixture runs on the virtual clock."""
    pytest.importorskip("pytest_asyncio", reason="in the tests extra, not in sockettest[pytest]")
    pytester.makeini(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\nfilterwarnings = error\n"
    )
    conftest, test_module = (block.code for block in BLOCKS if block.project)
    pytester.makeconftest(conftest)
    pytester.makepyfile(test_user=test_module)
    result = pytester.runpytest_inprocess(
        "-p", "no:randomly", "-p", "no:cacheprovider", "-p", "no:nbmake"
    )
    result.assert_outcomes(passed=1)
