"""Time the same whole two-player game four ways, in one run: over loopback, through the
in-memory network, through the sans-IO pair, and through the in-memory network under
``sockettest.simulate``; and one test's fixed cost on each network.

Each figure is the median of several runs of one game from server start to shutdown (the pair
has no server: it is one game through the protocol objects), the three ways measured in turn,
run after run. Targets: the sans-IO pair at least 10x faster than loopback; a game through the
in-memory network no slower than over loopback (the goal: twice as fast); a game under
``simulate`` at most 3x as long as the same game on the in-memory network without it (each run
a new seed).

Then one test's fixed cost: start a server, connect, one request and its reply, shut down.
Target: at least 1.5x cheaper in memory than on loopback (the goal: 3x).

Those targets (loopback / memory, at least) came with an earlier issue. Issue 19 states the same
comparison the other way round, and the last table prints it: memory / loopback, for both games
and the fixed cost, at most 1.0 (the goal: 0.5). Before it, with no target, one round trip of a
byte between two threads on each network: the wake-up each way that sets a game's pace.

The bots play the game's own strategy (``suggest_move``), which is the same work in all three
ways; a second table times the same three ways with bots that take the first free cell, so
that what is compared is the protocol and the transport alone.

Run it from the repository root::

    python scripts/time_game.py            # 15 runs of each
    python scripts/time_game.py --runs 51
"""

from __future__ import annotations

import argparse
import functools
import itertools
import os
import platform
import socket
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

from _timing import (
    DEADLINE,
    Strategy,
    first_free_cell,
    fixed_cost_in_memory,
    fixed_cost_over_loopback,
    game_in_memory,
    game_over_loopback,
    game_simulated,
    game_through_pair,
    medians_interleaved,
)

from game.rules import suggest_move
from sockettest import MemoryNetwork

TARGETS = {
    ("loopback", "sans-IO pair"): (10.0, None),
    ("loopback", "in-memory network"): (1.0, 2.0),
}
"""(slower, faster) -> (target, goal): how many times faster the second should be."""

SIMULATED_TARGET = 3.0
"""At most how many times longer a game may take under ``sockettest.simulate`` than on the
in-memory network without it."""

FIXED_TARGET, FIXED_GOAL = 1.5, 3.0
"""How many times cheaper a test's fixed cost should be in memory than on loopback."""

AS_FAST_TARGET, AS_FAST_GOAL = 1.0, 0.5
"""Issue 19's: at most how many times as long the in-memory network may take as loopback, for
a whole game and for a test's fixed cost."""


def measure(runs: int, choose: Strategy) -> dict[str, float]:
    """Median seconds of each way of playing the game, measured in turn in this run."""
    return medians_interleaved(
        runs,
        {
            "loopback": functools.partial(game_over_loopback, choose),
            "in-memory network": functools.partial(game_in_memory, choose),
            "sans-IO pair": functools.partial(game_through_pair, choose),
            "simulated": functools.partial(game_simulated, choose, seeds=itertools.count()),
        },
    )


def measure_fixed_cost(runs: int) -> dict[str, float]:
    """Median seconds of a test's fixed cost on each network, measured in turn in this run."""
    return medians_interleaved(
        runs, {"loopback": fixed_cost_over_loopback, "in-memory network": fixed_cost_in_memory}
    )


def verdict(ratio: float, target: float, goal: float | None) -> str:
    met = "met" if ratio >= target else f"MISSED by {target / ratio:.2f}x"
    text = f"(target >= {target:g}x: {met}"
    if goal is not None:
        text += f"; goal {goal:g}x: {'met' if ratio >= goal else 'not yet'}"
    return text + ")"


def report(figures: dict[str, float]) -> list[str]:
    """The figures and their ratios, as lines to print."""
    lines = [f"  {name:<22}{seconds * 1000:10.3f} ms" for name, seconds in figures.items()]
    ratios = [
        ("loopback", "sans-IO pair"),
        ("in-memory network", "sans-IO pair"),
        ("loopback", "in-memory network"),
    ]
    for slow, fast in ratios:
        ratio = figures[slow] / figures[fast]
        line = f"  {slow + ' / ' + fast + ':':<40}{ratio:8.2f}x"
        if (slow, fast) in TARGETS:
            line += "  " + verdict(ratio, *TARGETS[(slow, fast)])
        lines.append(line)
    cost = figures["simulated"] / figures["in-memory network"]
    met = "met" if cost <= SIMULATED_TARGET else f"MISSED by {cost / SIMULATED_TARGET:.2f}x"
    lines.append(
        f"  {'simulated / in-memory network:':<40}{cost:8.2f}x  "
        f"(target <= {SIMULATED_TARGET:g}x: {met})"
    )
    return lines


def report_fixed_cost(figures: dict[str, float]) -> list[str]:
    """The fixed-cost figures and their ratio, as lines to print."""
    lines = [f"  {name:<22}{seconds * 1000:10.3f} ms" for name, seconds in figures.items()]
    ratio = figures["loopback"] / figures["in-memory network"]
    lines.append(
        f"  {'loopback / in-memory network:':<40}{ratio:8.2f}x  "
        + verdict(ratio, FIXED_TARGET, FIXED_GOAL)
    )
    return lines


def report_as_fast(rows: dict[str, dict[str, float]]) -> list[str]:
    """Issue 19's table: memory / loopback for each figure, against its target and goal."""
    lines = [f"  {'':<28}{'loopback':>10}{'memory':>10}{'memory/loopback':>17}"]
    for title, figures in rows.items():
        loopback, memory = figures["loopback"], figures["in-memory network"]
        ratio = memory / loopback
        met = "met" if ratio <= AS_FAST_TARGET else f"MISSED by {ratio / AS_FAST_TARGET:.2f}x"
        goal = "met" if ratio <= AS_FAST_GOAL else f"not yet, {ratio / AS_FAST_GOAL:.2f}x off"
        lines.append(
            f"  {title:<28}{loopback * 1000:7.3f} ms{memory * 1000:7.3f} ms{ratio:16.2f}x  "
            f"(target <= {AS_FAST_TARGET:g}: {met}; goal {AS_FAST_GOAL:g}: {goal})"
        )
    return lines


STRATEGIES: dict[str, Strategy] = {
    "the game's bots (suggest_move)": suggest_move,
    "bots that take the first free cell": first_free_cell,
}

ROWS: dict[Strategy, str] = {
    suggest_move: "game, suggest_move bots",
    first_free_cell: "game, first-free-cell bots",
}
"""Each strategy's row in issue 19's table."""


ROUND_TRIPS = 500
"""Round trips of one byte timed together, for one figure of the round-trip table."""


def round_trip(make_socket: Callable[..., Any]) -> float:
    """Seconds of the median round trip of one byte between two threads, of
    :data:`ROUND_TRIPS`, over a connection made with ``make_socket`` on 127.0.0.1: the echo's
    thread wakes on each request, the caller on each reply. The median, not the mean: on a
    busy machine a few round trips wait milliseconds for a core, on either network."""
    with make_socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        client = make_socket(socket.AF_INET, socket.SOCK_STREAM)
        client.settimeout(DEADLINE)
        client.connect(listener.getsockname())
        server, _ = listener.accept()
    with client, server:
        server.settimeout(DEADLINE)
        for sock in (client, server):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def echo() -> None:
            for _ in range(ROUND_TRIPS):
                server.sendall(server.recv(1))

        thread = threading.Thread(target=echo, name="echo")
        thread.start()
        took: list[float] = []
        try:
            for _ in range(ROUND_TRIPS):
                started = time.perf_counter()
                client.sendall(b"x")
                if client.recv(1) != b"x":
                    raise RuntimeError("the echo did not come back")
                took.append(time.perf_counter() - started)
        finally:
            thread.join(DEADLINE)
        if thread.is_alive():
            raise RuntimeError(f"the echo thread still runs after {DEADLINE:g} s")
    return statistics.median(took)


def round_trip_in_memory() -> float:
    """:func:`round_trip` on a fresh in-memory network."""
    network = MemoryNetwork(max_block=DEADLINE)
    took = round_trip(network.socket_factory)
    network.assert_all_closed()
    return took


def report_round_trip(runs: int) -> list[str]:
    """The round trip on each network, median of ``runs`` figures taken in turn."""
    samples: dict[str, list[float]] = {"loopback": [], "in-memory network": []}
    for _ in range(runs):
        samples["loopback"].append(round_trip(socket.socket))
        samples["in-memory network"].append(round_trip_in_memory())
    figures = {name: statistics.median(values) for name, values in samples.items()}
    lines = [f"  {name:<22}{seconds * 1e6:10.1f} us" for name, seconds in figures.items()]
    ratio = figures["in-memory network"] / figures["loopback"]
    lines.append(f"  {'in-memory network / loopback:':<40}{ratio:8.2f}x  (no target)")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="games timed each way (median)")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    print(f"one whole game, server start to shutdown, median of {args.runs} runs")
    print(f"{os.cpu_count()} cores, Python {platform.python_version()}")
    rows: dict[str, dict[str, float]] = {}
    for title, choose in STRATEGIES.items():
        print(f"\n{title}:")
        rows[ROWS[choose]] = figures = measure(args.runs, choose)
        for line in report(figures):
            print(line)
    runs = 5 * args.runs
    print(f"\none test's fixed cost: server start, connect, PING/PONG, shutdown (median of {runs})")
    rows["a test's fixed cost"] = figures = measure_fixed_cost(runs)
    for line in report_fixed_cost(figures):
        print(line)
    print(
        f"\none byte there and back between two threads (median of {args.runs} medians of "
        f"{ROUND_TRIPS})"
    )
    for line in report_round_trip(args.runs):
        print(line)
    print("\nissue 19: the in-memory network no slower than loopback (the medians above)")
    for line in report_as_fast(rows):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
