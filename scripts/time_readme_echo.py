"""The kit README's first example, timed: a ``socketserver`` echo test on real and virtual time.

The example (a ``ThreadingTCPServer`` echo on ``MemoryNetwork.patch()``, one connection, one
line, ``serve_forever`` stopped by ``shutdown``) is run as written, on a network on real time
and on one with ``VirtualClock(autojump_threshold=0.01)``, the two in turn, run after run, and
the median wall time of each is printed against the target: under 20 ms on the virtual clock
(``serve_forever``'s 0.5 s poll interval passes on the clock; on real time it is waited out).

Autojump with real threads is a heuristic (see the README): on a loaded machine a thread that
takes longer than the threshold to start can let the clock jump past the client's 2 s timeout,
and that run times out. Such runs are counted and printed, not timed.

    python scripts/time_readme_echo.py
    python scripts/time_readme_echo.py --runs 21
"""

from __future__ import annotations

import argparse
import socket
import socketserver
import statistics
import time
from collections.abc import Callable

from sockettest import MemoryNetwork, VirtualClock, serve_in_thread

TARGET_MS = 20.0


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


if __name__ == "__main__":
    main()
