"""Time the same whole two-player game three ways, in one run: over loopback, through the
in-memory network, and through the sans-IO pair.

Each figure is the median of several runs of one game from server start to shutdown (the pair
has no server: it is one game through the protocol objects). Target: the sans-IO pair at least
10x faster than loopback. The in-memory network is there for determinism and faults, not speed;
its figure is reported whatever it is.

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
import os
import platform

from _timing import (
    Strategy,
    first_free_cell,
    game_in_memory,
    game_over_loopback,
    game_through_pair,
    median_of,
)

from game.rules import suggest_move

TARGET = 10.0
"""How many times faster than loopback the sans-IO pair should be."""


def measure(runs: int, choose: Strategy) -> dict[str, float]:
    """Median seconds of each way of playing the game, measured in turn in this run."""
    game_over_loopback(choose), game_in_memory(choose), game_through_pair(choose)  # warm-up
    return {
        "loopback": median_of(runs, functools.partial(game_over_loopback, choose)),
        "in-memory network": median_of(runs, functools.partial(game_in_memory, choose)),
        "sans-IO pair": median_of(runs, functools.partial(game_through_pair, choose)),
    }


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
        line = f"  {slow + ' / ' + fast + ':':<40}{ratio:8.1f}x"
        if (slow, fast) == ("loopback", "sans-IO pair"):
            line += f"  (target >= {TARGET:g}x: {'met' if ratio >= TARGET else 'MISSED'})"
        lines.append(line)
    return lines


STRATEGIES: dict[str, Strategy] = {
    "the game's bots (suggest_move)": suggest_move,
    "bots that take the first free cell": first_free_cell,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="games timed each way (median)")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    print(f"one whole game, server start to shutdown, median of {args.runs} runs")
    print(f"{os.cpu_count()} cores, Python {platform.python_version()}")
    for title, choose in STRATEGIES.items():
        print(f"\n{title}:")
        for line in report(measure(args.runs, choose)):
            print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
