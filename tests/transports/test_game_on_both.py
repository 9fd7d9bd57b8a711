"""One behaviour, pinned on both transports: each test runs in memory and on loopback.

The ``memory_or_loopback`` fixture (sockettest's plugin) runs every test here twice; the
``memory`` case runs with real sockets disabled, the ``loopback`` case is allowed 127.0.0.1 and
::1 (see ``tests/tiers.py``).
"""

from game import Client, Server
from game.protocol import End, Error, Result, Wait, Welcome
from game.testing import play_match
from game.testing.plugin import GameServerFactory
from sockettest import Transport
from tests.deadline import DEADLINE


def server_on(transport: Transport) -> Server:
    return Server(port=0, socket_factory=transport.socket_factory)


def client_on(transport: Transport, address: tuple[str, int]) -> Client:
    host, port = address
    return Client(host, port, socket_factory=transport.socket_factory)


def test_a_whole_game_ends_in_a_draw(
    memory_or_loopback: Transport, game_server_factory: GameServerFactory
) -> None:
    """Two bots with the same strategy draw, whatever carries their bytes."""
    factory = memory_or_loopback.socket_factory
    address = game_server_factory(factory)
    ends = play_match(address, socket_factory=factory, timeout=DEADLINE)
    assert ends == (End(Result.DRAW), End(Result.DRAW))


def test_a_mistake_is_answered_and_the_connection_stays(memory_or_loopback: Transport) -> None:
    """MOVE before START gets ERROR; PING still works on the same connection afterwards."""
    with (
        server_on(memory_or_loopback).running(DEADLINE) as address,
        client_on(memory_or_loopback, address) as client,
    ):
        assert client.hello("alice") == Welcome("alice")
        assert client.next_message() == Wait()
        client.move(5)
        assert client.next_message() == Error("no match yet: say HELLO and wait for START")
        assert client.ping("still here") >= 0
        client.quit()
    assert not memory_or_loopback.open_socket_names()


def test_pong_echoes_the_token_verbatim(
    memory_or_loopback: Transport, game_server_factory: GameServerFactory
) -> None:
    """Spaces inside the token survive the round trip on both transports."""
    address = game_server_factory(memory_or_loopback.socket_factory)
    with client_on(memory_or_loopback, address) as client:
        client.hello("alice")
        client.ping("a  b")  # returns only once the matching PONG arrived
        assert client.next_message() == Wait()  # sent before the PONG, kept in order
