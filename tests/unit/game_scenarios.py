"""Whole-game scenarios that run the real server and clients on a fresh in-memory network,
made to run under :func:`sockettest.simulate`: everything they use is created inside them.

``a_game_then_a_shutdown`` is what issue 11 asks the game to survive on every seed: two
clients play a whole game, then two more start a second one, and ``shutdown()`` comes during
it. ``tests/unit/test_game_schedules.py`` tries a few seeds, ``tests/stress/test_game_schedules.py``
a thousand, and ``scripts/time_game.py`` times it with and without the simulation.
"""

from __future__ import annotations

import hashlib
import threading

from game import Client, ConnectionLost, Server, SocketFactory
from game.protocol import End, Result, ServerMessage, Start
from game.testing import play_match
from sockettest import MemoryNetwork, Simulation

NAMES = ("alice", "bob")
LATE = ("carol", "dave")


def a_game_then_a_shutdown() -> None:
    """A whole game, then a shutdown during a second one; every socket is closed at the end.

    Raises:
        AssertionError: the two bots of the first game did not draw, a player of the second
            got anything but END DRAW or the connection's end, or a socket was left open.
    """
    network = MemoryNetwork()
    server = Server("127.0.0.1", 0, socket_factory=network.socket_factory)
    with server.running() as address:
        first = play_match(address, socket_factory=network.socket_factory, names=NAMES)
        assert first == (End(Result.DRAW), End(Result.DRAW)), first  # two bots draw
        started = threading.Event()
        second = start_a_match(address, network.socket_factory, LATE, started)
        assert started.wait(60), "the second match never started"  # shut down during it
    for name, (thread, outcome) in second.items():
        thread.join()
        [what] = outcome
        # its draw, if it ended before the shutdown; else the connection's end, and no forfeit
        assert what == End(Result.DRAW) or isinstance(what, ConnectionLost), f"{name}: {what!r}"
    network.assert_all_closed()


def start_a_match(
    address: tuple[str, int],
    factory: SocketFactory,
    names: tuple[str, str],
    started: threading.Event,
) -> dict[str, tuple[threading.Thread, list[End | ConnectionLost]]]:
    """Two bots, each in its own thread, join and play; ``started`` is set at the first START.

    Each bot's list receives its END, or the ConnectionLost (ServerShuttingDown included) that
    ended its match early.
    """

    def on_message(message: ServerMessage) -> None:
        if isinstance(message, Start):
            started.set()

    def bot(name: str, outcome: list[End | ConnectionLost]) -> None:
        with Client(*address, socket_factory=factory) as client:
            try:
                outcome.append(client.play(name, on_message=on_message))
            except ConnectionLost as lost:
                outcome.append(lost)

    matches: dict[str, tuple[threading.Thread, list[End | ConnectionLost]]] = {}
    for name in names:
        outcome: list[End | ConnectionLost] = []
        thread = threading.Thread(target=bot, args=(name, outcome), name=name)
        matches[name] = (thread, outcome)
        thread.start()
    return matches


def trace_digest(seed: int) -> str:
    """``a_game_then_a_shutdown`` under ``seed`` (run twice: the simulation checks that both
    runs agree), as its trace's length and SHA-256: one line to compare across processes."""
    simulation = Simulation(seed=seed, check_determinism=True)
    simulation.run(a_game_then_a_shutdown)
    text = "\n".join(map(str, simulation.trace)).encode()
    return f"{len(simulation.trace)} {hashlib.sha256(text).hexdigest()}"
