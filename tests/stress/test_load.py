"""Load: hundreds of clients play whole matches at once over loopback, with no error anywhere."""

import functools
import logging
import threading

import pytest

from game.protocol import End, ServerMessage, Start
from sockettest import run_in_thread
from tests.stress.arena import Arena, client_threads, open_arena
from tests.stress.players import DRAW, UNDER_LOAD, play
from tests.stress.scale import scaled

CONNECTIONS = 200
"""Connections open at once: 100 simultaneous matches, at both scales (it takes about a second)."""

ROUNDS = scaled(small=1, full=5)
"""Waves of ``CONNECTIONS`` clients, one after the other, on the same server."""


def test_200_connections_play_100_simultaneous_matches_to_the_end(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """200 clients (100 matches, all started before any move) each get END DRAW; the server
    runs two threads a connection at the peak, logs no warning, and returns to its idle
    thread count and closes every connection after each wave (1 wave small, 5 full)."""
    with open_arena() as arena:
        for wave in range(ROUNDS):
            ends, peak_threads = play_wave(arena, f"w{wave}")
            assert ends == [DRAW] * CONNECTIONS
            assert peak_threads == arena.idle_threads + 2 * CONNECTIONS
            arena.assert_back_to_idle()
        assert arena.sockets.accepted == ROUNDS * CONNECTIONS
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings == []


def play_wave(arena: Arena, wave: str) -> tuple[list[End], int]:
    """``CONNECTIONS`` bots connect at once, each waits at START until all have started, then
    all play on; return their ``END``s and the connection threads counted while all waited."""
    peak: list[int] = []
    everyone_started = threading.Barrier(
        CONNECTIONS, timeout=UNDER_LOAD, action=lambda: peak.append(len(client_threads()))
    )

    def wait_for_all(message: ServerMessage) -> None:
        if isinstance(message, Start):
            everyone_started.wait()

    players = [
        run_in_thread(
            functools.partial(play, arena.address, f"{wave}-p{i}", wait_for_all),
            timeout=2 * UNDER_LOAD,
            name=f"load-player-{i}",
        )
        for i in range(CONNECTIONS)
    ]
    ends = [player() for player in players]
    return ends, peak[0]
