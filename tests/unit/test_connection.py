"""The sans-IO connection objects: each end of a connection, driven with bytes, no socket.

The server, the client and the in-memory pair are thin pumps around these, so what is pinned
here holds for all three.
"""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from game import ConnectionLost, ProtocolMismatch, ServerShuttingDown
from game.connection import ClientConnection, Hub
from game.protocol import MAX_LINE, Banner, Bye, Error, Hello, Ping, Pong, Wait, Welcome
from sockettest.strategies import splits

GOOD = [b"PING a\n", b"HELLO alice\n", b"PING b c\n", b"MOVE 5\n", b"JUMP\n", b"\r\n", b"QUIT\n"]
FATAL = [b"\xff\xfe\n", b"x" * MAX_LINE, b"MOVE " + b"5" * 600 + b"\n"]


def serve(chunks: list[bytes]) -> tuple[bytes, bool]:
    """What a fresh server connection sends for ``chunks``, and whether it closes."""
    hub = Hub()
    connection = hub.connect()
    sent = connection.data_to_send()
    for chunk in chunks:
        connection.receive_data(chunk)
        while (touched := connection.handle_next()) is not None:
            assert touched in ([], [connection])  # nobody else is connected
            sent += connection.data_to_send()
    return sent, connection.close_expected()


@given(
    good=st.lists(st.sampled_from(GOOD), max_size=6),
    fatal=st.sampled_from([b"", *FATAL]),
    after=st.binary(max_size=20),
    data=st.data(),
)
def test_the_server_end_does_the_same_however_the_stream_is_split(
    good: list[bytes], fatal: bytes, after: bytes, data: st.DataObject
) -> None:
    """The bytes sent back and the close are those of the stream sent whole, for any split; the
    replies to the good lines come before a fatal line's ERROR."""
    stream = b"".join(good) + fatal + (after if fatal else b"")
    whole = serve([stream])
    assert serve(data.draw(splits(stream))) == whole
    if fatal and b"QUIT\n" not in good:
        replies, closed = whole
        good_replies, _ = serve(good)
        assert replies.startswith(good_replies)
        assert replies[len(good_replies) :].startswith(b"ERROR line")
        assert closed


def test_a_reply_to_one_connection_caused_by_another_is_put_on_that_connection() -> None:
    """The hub routes the lobby's effects: bob's HELLO starts alice's match, so the call on
    bob's connection returns alice's too, with her START waiting to be sent."""
    hub = Hub()
    alice, bob = hub.connect(), hub.connect()
    for connection, name in ((alice, "alice"), (bob, "bob")):
        connection.data_to_send()
        connection.receive_data(Hello(name).encode())
    assert alice.handle_next() == [alice]
    assert alice.data_to_send() == b"WELCOME alice\nWAIT\n"
    assert bob.handle_next() == [bob, alice]
    assert alice.data_to_send() == b"START X bob\nBOARD .........\nTURN\n"
    assert bob.data_to_send() == b"WELCOME bob\nSTART O alice\nBOARD .........\n"
    assert bob.receive_eof() == [alice]  # a forfeit
    assert alice.data_to_send() == b"END WIN forfeit\nBYE\n"
    assert alice.close_expected()
    assert bob.receive_eof() == []  # again: harmless


def test_after_a_close_the_server_end_drops_what_arrives() -> None:
    """After QUIT nothing else is answered, in the same bytes or later ones."""
    connection = Hub().connect()
    connection.receive_data(b"QUIT\nPING a\n")
    assert connection.handle_next() == [connection]
    assert connection.data_to_send() == b"GAME tictactoe 1\nBYE\n"
    connection.receive_data(b"PING b\n")
    assert connection.handle_next() is None
    assert connection.data_to_send() == b""


def test_a_shutdown_tells_every_connection_and_closes_it() -> None:
    hub = Hub()
    connections = [hub.connect(), hub.connect()]
    assert hub.shutdown() == connections
    for connection in connections:
        assert connection.data_to_send().endswith(b"ERROR server shutting down\n")
        assert connection.close_expected()


def test_an_idle_verdict_ends_the_connection_with_its_reason() -> None:
    connection = Hub().connect()
    assert connection.fail("idle for more than 1 s") == [connection]
    assert connection.data_to_send().endswith(b"ERROR idle for more than 1 s\n")
    assert connection.close_expected()
    assert repr(connection) == f"<ServerConnection player={connection.player}>"


def test_a_verdict_on_a_connection_already_gone_touches_no_connection() -> None:
    """fail() after the connection left the hub (its EOF came first, as when the idle timer
    fires on a client that just hung up) is an empty list of connections, and sends nothing."""
    hub = Hub()
    connection = hub.connect()
    connection.data_to_send()
    assert connection.receive_eof() == []
    assert connection.fail("idle for more than 1 s") == []
    assert connection.data_to_send() == b""


def receive(chunks: list[bytes]) -> list[object]:
    """What a client connection makes of ``chunks``: its messages, then the error it ends with
    (as its type and message), at the EOF after the last chunk."""
    connection = ClientConnection("srv")
    events: list[object] = []
    for chunk in [*chunks, None]:
        if chunk is None:
            connection.receive_eof()
        else:
            connection.receive_data(chunk)
        try:
            while (message := connection.next_message()) is not None:
                events.append(message)
        except (ConnectionLost, ProtocolMismatch) as error:
            events.append((type(error), str(error)))
            break
    return events


SERVER_LINES = [b"GAME tictactoe 1\n", b"WELCOME a\n", b"WAIT\n", b"PONG x y\n", b"BYE\n"]


@given(
    lines=st.lists(st.sampled_from(SERVER_LINES), max_size=6),
    fatal=st.sampled_from([b"", *FATAL, b"NOPE\n"]),
    data=st.data(),
)
def test_the_client_end_does_the_same_however_the_stream_is_split(
    lines: list[bytes], fatal: bytes, data: st.DataObject
) -> None:
    stream = b"".join(lines) + fatal
    assert receive(data.draw(splits(stream))) == receive([stream])


def test_the_client_end_reads_the_good_lines_then_the_error_for_good() -> None:
    connection = ClientConnection("srv")
    connection.receive_data(b"GAME tictactoe 1\n\xff\n")
    assert connection.next_message() == Banner()
    for _ in range(2):
        with pytest.raises(ProtocolMismatch, match="srv sent something unexpected"):
            connection.next_message()


def test_the_client_end_names_a_line_of_another_protocol() -> None:
    connection = ClientConnection("srv")
    connection.receive_data(b"SSH-2.0-OpenSSH\n")
    with pytest.raises(ProtocolMismatch, match=r"srv is not a tictactoe 1 server: it sent 'SSH"):
        connection.next_message()


def test_the_client_end_quotes_64_characters_of_a_foreign_line() -> None:
    connection = ClientConnection("srv")
    connection.receive_data(b"X" * 100 + b"\n")
    with pytest.raises(ProtocolMismatch) as raised:
        connection.next_message()
    assert str(raised.value) == f"srv is not a tictactoe 1 server: it sent {'X' * 64!r}"


def test_the_client_end_expects_the_close_after_bye() -> None:
    connection = ClientConnection("srv")
    connection.receive_data(b"BYE\n")
    assert not connection.close_expected()
    assert connection.next_message() == Bye()
    assert connection.close_expected()
    assert connection.next_message() is None
    connection.receive_eof()
    with pytest.raises(ConnectionLost, match="srv closed the connection after BYE"):
        connection.next_message()


def test_the_client_end_raises_its_own_error_when_the_server_stops() -> None:
    connection = ClientConnection("srv")
    connection.receive_data(Error("server shutting down").encode())
    with pytest.raises(ServerShuttingDown, match="srv is shutting down"):
        connection.next_message()
    assert connection.close_expected()


def test_an_eof_with_nothing_expected_is_a_lost_connection() -> None:
    connection = ClientConnection()
    connection.receive_data(b"WAIT\n")
    connection.receive_eof()
    assert connection.next_message() == Wait()
    with pytest.raises(ConnectionLost, match=r"^the server closed the connection$"):
        connection.next_message()


def test_the_client_end_encodes_commands_and_passes_other_errors_as_messages() -> None:
    connection = ClientConnection("srv")
    assert connection.send(Ping("t")) == b"PING t\n"
    connection.receive_data(b"ERROR no\nPONG t\nWELCOME b\n")
    assert [connection.next_message() for _ in range(3)] == [
        Error("no"),
        Pong("t"),
        Welcome("b"),
    ]
    assert repr(connection) == "<ClientConnection srv>"
