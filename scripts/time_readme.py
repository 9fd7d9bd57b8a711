"""The kit README's time-bound examples, timed on real and on virtual time.

1. The first example, a ``socketserver`` echo test.

The example (a ``ThreadingTCPServer`` echo on ``MemoryNetwork.patch()``, one connection, one
line, ``serve_forever`` stopped by ``shutdown``) is run as written, on a network on real time
and on one with ``VirtualClock(autojump_threshold=0.01)``, the two in turn, run after run, and
the median wall time of each is printed against the target: under 20 ms on the virtual clock
(``serve_forever``'s 0.5 s poll interval passes on the clock; on real time it is waited out).

2. The asyncio example: an unmodified asyncio server whose handler waits
``wait_for(reader.readline(), 300)`` times out a silent client, on a loop from
``network.new_event_loop()`` with ``VirtualClock(autojump_threshold=0.01)``; its median wall
time against the target, under 1 s (on real time it would take the 300 s).

Autojump with real threads is a heuristic (see the README): on a loaded machine a thread that
takes longer than the threshold to start can let the clock jump past the client's 2 s timeout,
and that run times out. Such runs are counted and printed, not timed.

    python scripts/time_readme.py
    python scripts/time_readme.py --runs 21
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import socketserver
import statistics
import time
from collections.abc import Callable

from sockettest import MemoryNetwork, VirtualClock, serve_in_thread

TARGET_MS = 20.0
ASYNCIO_TARGET_MS = 1000.0
IDLE = 300  # the asyncio server's idle timeout, virtual seconds


class Echo(socketserver.StreamRequestHandler):
    """The README's handler: every line back."""

    def handle(self) -> None:
        for line in self.rfile:
            self.wfile.write(line)


def echo_test(network: MemoryNetwork) -> None:
    """The README's first example, on ``network``."""
    with (
        network.patch(),
        socketserver.ThreadingTCPServer(("127.0.0.1", 0), Echo) as server,
        serve_in_thread(server.serve_forever, stop=server.shutdown),
        socket.create_connection(("localhost", server.server_address[1]), timeout=2) as sock,
    ):
        sock.sendall(b"hi\n")
        if sock.makefile("rb").readline() != b"hi\n":
            raise RuntimeError("the echo did not come back")
    network.assert_all_closed()


async def idle_handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """The README's asyncio handler: after 300 silent seconds, say so and hang up."""
    try:
        await asyncio.wait_for(reader.readline(), IDLE)
    except TimeoutError:
        writer.write(b"idle\n")
    writer.close()
    await writer.wait_closed()


async def silent_client() -> bytes:
    """The README's asyncio client: connects, says nothing, reads the server's line."""
    async with await asyncio.start_server(idle_handler, "127.0.0.1", 0) as server:
        reader, writer = await asyncio.open_connection(*server.sockets[0].getsockname())
        line = await reader.readline()
        writer.close()
        await writer.wait_closed()
    return line


def asyncio_timed() -> float:
    """Seconds the README's asyncio example takes on a virtual clock with autojump."""
    clock = VirtualClock(autojump_threshold=0.01)
    network = MemoryNetwork(clock=clock)
    start = time.perf_counter()
    with network.patch(), asyncio.Runner(loop_factory=network.new_event_loop) as runner:
        line = runner.run(silent_client())
    took = time.perf_counter() - start
    if line != b"idle\n" or clock.monotonic() != IDLE:
        raise RuntimeError(f"not the idle timeout at {IDLE} s: {line!r} at {clock.monotonic()}")
    network.assert_all_closed()
    return took


def timed(make: Callable[[], MemoryNetwork]) -> float | None:
    """Seconds one run of the example takes on a fresh network from ``make``; ``None`` if the
    client timed out."""
    network = make()
    start = time.perf_counter()
    try:
        echo_test(network)
    except TimeoutError:
        network.close_all()
        return None
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="runs of each (default 7)")
    runs = parser.parse_args().runs
    ways: dict[str, Callable[[], MemoryNetwork]] = {
        "real time": MemoryNetwork,
        "VirtualClock(autojump_threshold=0.01)": lambda: MemoryNetwork(
            clock=VirtualClock(autojump_threshold=0.01)
        ),
    }
    seconds: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(runs):
        for name, make in ways.items():
            took = timed(make)
            if took is not None:
                seconds[name].append(took)
    print(f"The kit README's first example, median of {runs} runs each:")
    for name, times in seconds.items():
        lost = f"  ({runs - len(times)} runs timed out)" if len(times) < runs else ""
        print(f"  {name:<40} {statistics.median(times) * 1000:8.1f} ms{lost}")
    virtual = statistics.median(seconds["VirtualClock(autojump_threshold=0.01)"]) * 1000
    verdict = "met" if virtual < TARGET_MS else f"missed by {virtual - TARGET_MS:.1f} ms"
    print(f"Target on the virtual clock: under {TARGET_MS:g} ms: {verdict}")
    waited = statistics.median(asyncio_timed() for _ in range(runs)) * 1000
    print(f"The asyncio example (wait_for 300 s, VirtualClock autojump 0.01), median of {runs}:")
    verdict = "met" if waited < ASYNCIO_TARGET_MS else "missed"
    print(f"  {waited:.1f} ms of real time; target under {ASYNCIO_TARGET_MS:g} ms: {verdict}")


if __name__ == "__main__":
    main()
