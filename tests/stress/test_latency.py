"""Latency: a line the server has to send goes out at once, not on the client's next ACK."""

import statistics
import time

from game.testing import play_match
from tests.stress.arena import open_arena
from tests.stress.players import DRAW, UNDER_LOAD

MATCH_BUDGET = 0.15
"""Seconds a whole match may take over loopback. It needs a few milliseconds of work; without
TCP_NODELAY, Nagle's algorithm holds the second of two lines in a row (BOARD then TURN, END
then BYE) until the peer's delayed ACK, 40 ms on Linux, and a match has five such stalls."""


def test_a_whole_match_over_loopback_has_no_delayed_ack_stall() -> None:
    """A whole match between two bots over loopback takes under 150 ms (median of 3): the
    server and the client write each line as soon as it is due, even right after another."""
    took = []
    with open_arena() as arena:
        for index in range(3):
            started = time.perf_counter()
            names = (f"timed{index}-1", f"timed{index}-2")
            assert play_match(arena.address, names=names, timeout=UNDER_LOAD) == (DRAW, DRAW)
            took.append(time.perf_counter() - started)
    assert statistics.median(took) < MATCH_BUDGET, [f"{t * 1000:.0f} ms" for t in took]
