"""One behaviour, pinned on both transports: each test runs in memory and on loopback.

The ``transport`` fixture (from the kit's pytest plugin) runs every test here twice; the
``memory`` run has real sockets disabled, the ``loopback`` run is allowed 127.0.0.1 and ::1.
"""

import threading

from game.protocol import End, Error, Result, Wait, Welcome
from game.testing import Transport

DEADLINE = 10.0


def test_a_whole_game_ends_in_a_draw(transport: Transport) -> None:
    """Two bots with the same strategy draw, whatever carries their bytes."""
    with transport.server().running(DEADLINE) as address:
        ends: list[End] = []

        def bob() -> None:
            with transport.client(address) as client:
                ends.append(client.play("bob", wait=DEADLINE))

        thread = threading.Thread(target=bob, name="test-bob")
        thread.start()
        with transport.client(address) as alice:
            ends.append(alice.play("alice", wait=DEADLINE))
        thread.join(DEADLINE)
        assert not thread.is_alive()
    assert ends == [End(Result.DRAW), End(Result.DRAW)]


def test_a_mistake_is_answered_and_the_connection_stays(transport: Transport) -> None:
    """MOVE before START gets ERROR; PING still works on the same connection afterwards."""
    with transport.server().running(DEADLINE) as address, transport.client(address) as client:
        assert client.hello("alice") == Welcome("alice")
        assert client.next_message() == Wait()
        client.move(5)
        assert client.next_message() == Error("no match yet: say HELLO and wait for START")
        assert client.ping("still here") >= 0
        client.quit()
    assert not transport.open_sockets()


def test_pong_echoes_the_token_verbatim(transport: Transport) -> None:
    """Spaces inside the token survive the round trip on both transports."""
    with transport.server().running(DEADLINE) as address, transport.client(address) as client:
        client.hello("alice")
        client.ping("a  b")  # returns only once the matching PONG arrived
        assert client.next_message() == Wait()  # sent before the PONG, kept in order
