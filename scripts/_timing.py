"""What the scripts time, and how they sum it up; shared by ``time_game.py`` and ``bench.py``.

- :func:`game_over_loopback`, :func:`game_in_memory` and :func:`game_through_pair` play the same
  whole two-bot game, from server start to shutdown, over real loopback sockets, through the
  in-memory network (``sockettest.MemoryNetwork``), both with ``game.testing.play_match``, and
  through the sans-IO pair (``game.testing.play_game``); each returns the seconds it took and
  checks the exact result.
  Each takes the bots' strategy: the game's own (``suggest_move``, which looks for wins and
  blocks) or :func:`first_free_cell`, which costs next to nothing, so that what is left to
  time is the protocol and the transport.
- :func:`game_simulated` plays it on the in-memory network under ``sockettest.simulate``: the
  cost of a seeded, replayable thread schedule.
- :func:`fixed_cost_over_loopback` and :func:`fixed_cost_in_memory` time one test's fixed cost:
  start a server, connect, one request and its reply, shut down (and, in memory, make the
  network and check that every socket was closed).
- :func:`medians_interleaved` times several ways in turn, run after run, so that a change in
  the machine's load hits them all alike; :func:`percentile` reads a distribution.

Traffic goes to 127.0.0.1 only, and every wait has a deadline.
"""

from __future__ import annotations

import functools
import os
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TypeAlias

from game import Client, Server, SocketFactory
from game.protocol import End, Result
from game.rules import Board, suggest_move
from game.testing import play_game, play_match
from sockettest import MemoryNetwork, simulate

__all__ = [
    "DEADLINE",
    "last_figure",
    "Strategy",
    "first_free_cell",
    "game_in_memory",
    "game_over_loopback",
    "game_simulated",
    "game_through_pair",
    "fixed_cost_in_memory",
    "fixed_cost_over_loopback",
    "median_of",
    "medians_interleaved",
    "percentile",
    "play_games",
]

DEADLINE = 60.0
"""Seconds any single wait may take before a script gives up with an error."""

Strategy: TypeAlias = Callable[[Board], int]


def first_free_cell(board: Board) -> int:
    """The lowest free cell: a bot that spends no time thinking (X wins in seven moves)."""
    return board.free_cells[0]


ONE_MATCH: dict[Strategy, tuple[End, End]] = {
    suggest_move: (End(Result.DRAW), End(Result.DRAW)),
    first_free_cell: (End(Result.WIN), End(Result.LOSE)),
}
"""What one match between two bots of each strategy ends with: the strategies are
deterministic, so every match of two of them ends alike (X's END first)."""


def check_results(ends: Sequence[End], choose: Strategy) -> None:
    """Raise unless ``ends`` are exactly what whole matches of two ``choose`` bots end with:
    :data:`ONE_MATCH` once per match, in any order."""
    matches, odd = divmod(len(ends), 2)
    expected = Counter(ONE_MATCH[choose] * matches)
    if odd or Counter(ends) != expected:
        raise RuntimeError(f"not what {matches} matches of {choose.__name__} end with: {ends}")


def play_games(
    address: tuple[str, int],
    matches: int,
    rounds: int = 1,
    socket_factory: SocketFactory | None = None,
    choose: Strategy = suggest_move,
) -> int:
    """``2 * matches`` bots, each in its own thread, each play ``rounds`` games; return how
    many games ended (both players' ``END`` counted as one game)."""
    ends: list[End] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def bot(name: str) -> None:
        try:
            for round_ in range(rounds):
                with Client(*address, socket_factory=socket_factory, timeout=DEADLINE) as client:
                    end = client.play(f"{name}r{round_}", choose, wait=DEADLINE)
                with lock:
                    ends.append(end)
        except BaseException as error:  # reported below, in the caller's thread
            errors.append(error)

    threads = [
        threading.Thread(target=bot, args=(f"b{index}",), name=f"bot-{index}")
        for index in range(2 * matches)
    ]
    for thread in threads:
        thread.start()
    give_up = time.monotonic() + DEADLINE
    for thread in threads:
        thread.join(max(give_up - time.monotonic(), 0.0))
    if any(thread.is_alive() for thread in threads):
        raise RuntimeError(f"bots still playing after {DEADLINE:g} s")
    if errors:
        raise errors[0]
    check_results(ends, choose)
    return len(ends) // 2


def _whole_game(socket_factory: SocketFactory | None, choose: Strategy) -> float:
    started = time.perf_counter()
    server = Server("127.0.0.1", 0, socket_factory=socket_factory, idle_timeout=DEADLINE)
    with server.running(DEADLINE) as address:
        ends = play_match(address, socket_factory=socket_factory, choose=choose, timeout=DEADLINE)
    check_results(ends, choose)
    return time.perf_counter() - started


def game_over_loopback(choose: Strategy = suggest_move) -> float:
    """Seconds for one whole game over loopback: server start, two bots, shutdown."""
    return _whole_game(None, choose)


def game_in_memory(choose: Strategy = suggest_move) -> float:
    """Seconds for the same game with every socket on a fresh in-memory network."""
    network = MemoryNetwork(max_block=DEADLINE)
    took = _whole_game(network.socket_factory, choose)
    network.assert_all_closed()
    return took


def game_simulated(choose: Strategy = suggest_move, *, seeds: Iterator[int]) -> float:
    """Seconds for the same game on a fresh in-memory network, under ``sockettest.simulate``
    with the next of ``seeds``: every thread of it one at a time, on virtual time."""
    started = time.perf_counter()
    simulate(functools.partial(game_in_memory, choose), seed=next(seeds))
    return time.perf_counter() - started


def game_through_pair(choose: Strategy = suggest_move) -> float:
    """Seconds for the same game through the sans-IO pair: no socket, no thread."""
    started = time.perf_counter()
    check_results(play_game(choose), choose)
    return time.perf_counter() - started


def _one_request(socket_factory: SocketFactory | None) -> float:
    started = time.perf_counter()
    server = Server("127.0.0.1", 0, socket_factory=socket_factory, idle_timeout=DEADLINE)
    with (
        server.running(DEADLINE) as address,
        Client(*address, socket_factory=socket_factory, timeout=DEADLINE) as client,
    ):
        client.ping("fixed-cost")
    return time.perf_counter() - started


def fixed_cost_over_loopback() -> float:
    """Seconds for a test's fixed cost on loopback: server start, connect, one PING and its
    PONG, shutdown."""
    return _one_request(None)


def fixed_cost_in_memory() -> float:
    """The same on a fresh in-memory network, the network's creation and the check that every
    socket was closed included."""
    started = time.perf_counter()
    network = MemoryNetwork(max_block=DEADLINE)
    _one_request(network.socket_factory)
    network.assert_all_closed()
    return time.perf_counter() - started


def median_of(runs: int, measure: Callable[[], float]) -> float:
    """The median of ``runs`` calls of ``measure``."""
    return statistics.median(measure() for _ in range(runs))


def last_figure(code: str, root: Path) -> float:
    """Run ``code`` in a fresh interpreter in ``root`` (the code checked out there first on
    the path, its own kit too, not the one installed); return the last number it prints."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(root), str(root / "sockettest" / "src")]),
        },
    )
    return float(done.stdout.split()[-1])


def medians_interleaved(runs: int, measures: dict[str, Callable[[], float]]) -> dict[str, float]:
    """The median of ``runs`` calls of each measure, called in turn (one of each, ``runs``
    times), after one warm-up call of each."""
    samples: dict[str, list[float]] = {name: [] for name in measures}
    for measure in measures.values():
        measure()
    for _ in range(runs):
        for name, measure in measures.items():
            samples[name].append(measure())
    return {name: statistics.median(values) for name, values in samples.items()}


def percentile(samples: Sequence[float], fraction: float) -> float:
    """The value below which ``fraction`` of ``samples`` fall (nearest rank)."""
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]
