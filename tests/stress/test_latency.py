"""Latency: a line the server has to send goes out at once, not on the client's next ACK."""

import time

from game.testing import play_match
from tests.stress.arena import open_arena
from tests.stress.players import DRAW, UNDER_LOAD

MATCH_BUDGET = 0.15
"""Seconds the quickest of a few matches may take over loopback. A match needs a few
milliseconds of work; without TCP_NODELAY, Nagle's algorithm holds the second of two lines in
a row (BOARD then TURN, END then BYE) until the peer's delayed ACK, 40 ms on Linux, and a match
has five such stalls: every match takes over 200 ms. A loaded machine slows some matches by
more than that, but not every one, so the test judges the quickest."""

MATCHES = 5


def test_a_whole_match_over_loopback_has_no_delayed_ack_stall() -> None:
    """The quickest of five whole matches between two bots over loopback takes under 150 ms:
    the server and the client write each line as soon as it is due, even right after another."""
    took = []
    with open_arena() as arena:
        for index in range(MATCHES):
            started = time.perf_counter()
            names = (f"timed{index}-1", f"timed{index}-2")
            assert play_match(arena.address, names=names, timeout=UNDER_LOAD) == (DRAW, DRAW)
            took.append(time.perf_counter() - started)
    assert min(took) < MATCH_BUDGET, [f"{t * 1000:.0f} ms" for t in took]
