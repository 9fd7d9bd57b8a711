"""A thread the server cannot start costs only the connection it was for: that client gets
``ERROR server busy`` and a close, the server goes on serving, and it still stops."""

import threading
import types
from typing import Any

import pytest

import game.server
from game import Client, Server
from game.protocol import Banner, Error, LineBuffer
from game.testing.plugin import GameServerFactory
from sockettest import MemoryNetwork
from tests.deadline import DEADLINE


class Refusing:
    """Stands in for ``threading.Thread`` in game.server: threads whose name ends with
    ``suffix`` cannot start, as when the system has none to spare; the others are real."""

    def __init__(self, suffix: str) -> None:
        self.suffix = suffix
        self.refused: list[str] = []

    def patch(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Give game.server a threading module whose Thread is this (and only game.server)."""
        module = types.ModuleType("threading")
        module.__dict__.update(vars(threading))
        module.Thread = self  # type: ignore[attr-defined]
        monkeypatch.setattr(game.server, "threading", module)

    def __call__(self, *args: Any, **kwargs: Any) -> threading.Thread:
        thread = threading.Thread(*args, **kwargs)
        if thread.name.endswith(self.suffix):
            refused = self.refused

            def start() -> None:
                refused.append(thread.name)
                raise RuntimeError("can't start new thread")

            thread.start = start  # type: ignore[method-assign]
        return thread


def lines_until_eof(network: MemoryNetwork, address: tuple[str, int]) -> list[str]:
    """Connect a raw socket, read every line until the server closes."""
    sock = network.socket_factory()
    sock.settimeout(DEADLINE)
    sock.connect(address)
    buffer, lines = LineBuffer(), []
    with sock:
        while data := sock.recv(4096):
            lines += buffer.feed(data)
    return lines


def test_a_thread_that_cannot_start_is_not_taken_for_one_that_did() -> None:
    """The server's start of a thread says False when the system refuses it: a thread taken
    for started would be joined at shutdown, and its connection never served nor closed."""
    thread = Refusing("")(target=lambda: None, name="game-client-x")
    assert game.server._started(thread) is False
    assert not thread.is_alive()


@pytest.mark.parametrize("suffix", ["", "-writer"], ids=["handler", "writer"])
def test_a_connection_with_no_thread_gets_server_busy_and_others_are_served(
    memory_network: MemoryNetwork,
    monkeypatch: pytest.MonkeyPatch,
    suffix: str,
    game_server_factory: GameServerFactory,
) -> None:
    """The connection whose thread cannot start is turned away; the next one plays on."""
    refusing = Refusing(suffix)
    address = game_server_factory(memory_network.socket_factory)
    refusing.patch(monkeypatch)
    assert lines_until_eof(memory_network, address) == [Error("server busy").to_line()]
    monkeypatch.undo()
    with Client(*address, socket_factory=memory_network.socket_factory) as client:
        assert client.next_message() == Banner()
        assert client.ping("still serving") >= 0
    assert refusing.refused, "no thread was refused: the test tested nothing"
    assert all(name.startswith("game-client-") for name in refusing.refused)


def test_the_server_still_stops_after_a_thread_failed_to_start(
    memory_network: MemoryNetwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    """shutdown() joins only threads that started: the server's run returns, nothing hangs."""
    server = Server(port=0, socket_factory=memory_network.socket_factory)
    with server.running(DEADLINE) as address:
        Refusing("").patch(monkeypatch)
        lines_until_eof(memory_network, address)
    # running() joined the server's thread within DEADLINE, or it would have raised
