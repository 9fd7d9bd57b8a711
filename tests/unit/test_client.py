"""The client through an injected, autospecced mock socket: calls, errors and parsing."""

import errno
import socket
import struct
from unittest.mock import Mock, call

import pytest
from pytest_mock import MockerFixture

from game import (
    Client,
    ConnectFailed,
    ConnectionLost,
    ProtocolMismatch,
    RequestRejected,
    ResponseTimeout,
)
from game.protocol import Bye, End, Pong, Result, Start, Welcome
from game.rules import Mark


@pytest.fixture
def factory(mocker: MockerFixture) -> Mock:
    """An autospecced socket class: calling it returns an autospecced socket instance."""
    return mocker.create_autospec(socket.socket)


def connected(factory: Mock, *chunks: bytes) -> tuple[Client, Mock]:
    """A client connected through ``factory``, whose socket will receive ``chunks``."""
    sock = factory.return_value
    sock.recv.side_effect = [*chunks, b""]
    client = Client(socket_factory=factory)
    client.connect()
    return client, sock


def test_connect_makes_sets_timeout_then_connects_to_the_default_address(
    mocker: MockerFixture, factory: Mock
) -> None:
    """factory -> settimeout -> connect(('127.0.0.1', 7777)), in that order; then the socket
    turns blocking, with the timeout in the kernel for sends, and nothing else."""
    parent = mocker.Mock()
    parent.attach_mock(factory, "socket_factory")
    Client(socket_factory=factory, timeout=2.5).connect()
    assert parent.mock_calls == [
        call.socket_factory(socket.AF_INET, socket.SOCK_STREAM),
        call.socket_factory().settimeout(2.5),
        call.socket_factory().connect(("127.0.0.1", 7777)),
        call.socket_factory().settimeout(None),
        call.socket_factory().setsockopt(
            socket.SOL_SOCKET, socket.SO_SNDTIMEO, struct.pack("@ll", 2, 500_000)
        ),
    ]


def test_connect_uses_the_address_it_is_given(factory: Mock) -> None:
    """connect(host, port) overrides the stored address; an IPv6 literal gets AF_INET6."""
    Client(socket_factory=factory).connect("::1", 9000)
    factory.assert_called_once_with(socket.AF_INET6, socket.SOCK_STREAM)
    factory.return_value.connect.assert_called_once_with(("::1", 9000))


@pytest.mark.parametrize(
    ("error", "says"),
    [
        (ConnectionRefusedError(errno.ECONNREFUSED, "refused"), "start one with `python -m game"),
        (TimeoutError("timed out"), "no answer within 5 s"),
        (OSError(errno.EHOSTUNREACH, "No route to host"), "No route to host"),
        (OSError("no route today"), "no route today"),  # no errno: its own words
    ],
)
def test_connect_failures_close_the_socket_and_say_what_to_do(
    factory: Mock, error: OSError, says: str
) -> None:
    """Every error path closes the socket; the error is a ConnectionError naming the address."""
    factory.return_value.connect.side_effect = error
    client = Client(socket_factory=factory)
    with pytest.raises(ConnectFailed, match=r"cannot connect to 127\.0\.0\.1:7777") as caught:
        client.connect()
    assert says in str(caught.value)
    assert isinstance(caught.value, ConnectionError)
    factory.return_value.close.assert_called_once_with()
    assert not client.connected


def test_an_interrupted_connect_closes_the_socket_too(factory: Mock) -> None:
    """Even an exception that is not an OSError leaves no socket behind."""
    factory.return_value.connect.side_effect = KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        Client(socket_factory=factory).connect()
    factory.return_value.close.assert_called_once_with()


def test_hello_checks_the_banner_and_returns_the_welcome(factory: Mock) -> None:
    """The handshake: read GAME tictactoe 1, send HELLO, read WELCOME (split anywhere)."""
    client, sock = connected(factory, b"GAME tictac", b"toe 1\nWELC", b"OME alice\n")
    assert client.hello("alice") == Welcome("alice")
    sock.sendall.assert_called_once_with(b"HELLO alice\n")


def test_a_peer_of_another_protocol_is_a_connection_error(factory: Mock) -> None:
    """An SSH server is not a game server: ProtocolMismatch, which is a ConnectionError."""
    client, _ = connected(factory, b"SSH-2.0-OpenSSH_9.6\r\n")
    with pytest.raises(ProtocolMismatch, match="not a tictactoe 1 server"):
        client.hello("alice")


def test_a_full_server_refuses_at_the_banner(factory: Mock) -> None:
    """ERROR server full instead of the banner becomes ConnectFailed."""
    client, _ = connected(factory, b"ERROR server full\n")
    with pytest.raises(ConnectFailed, match="server full"):
        client.hello("alice")


def test_a_refused_hello_raises_with_the_server_reason(factory: Mock) -> None:
    """ERROR after HELLO is raised as RequestRejected carrying the reason."""
    client, _ = connected(factory, b"GAME tictactoe 1\nERROR you already said HELLO\n")
    with pytest.raises(RequestRejected, match="you already said HELLO"):
        client.hello("alice")


def test_a_bad_name_is_refused_before_anything_is_sent(factory: Mock) -> None:
    """The client checks the name itself, so the mistake is a ValueError with no round trip."""
    client, sock = connected(factory)
    with pytest.raises(ValueError, match="1-16"):
        client.hello("no spaces please")
    sock.sendall.assert_not_called()


def test_messages_that_arrive_during_a_ping_are_kept_in_order(factory: Mock) -> None:
    """ping() waits for its PONG; what came before it is still returned by next_message()."""
    client, _ = connected(factory, b"START X bob\nEND WIN forfeit\nPONG t\nBYE\n")
    assert 0 <= client.ping("t") < 5.0  # the round trip, in seconds
    assert client.next_message() == Start(Mark.X, "bob")
    assert client.next_message() == End(Result.WIN, forfeit=True)
    assert client.next_message() == Bye()


def test_a_silent_server_gives_a_timeout_not_a_hang(factory: Mock) -> None:
    """recv timing out becomes ResponseTimeout, which is also a TimeoutError."""
    client, sock = connected(factory)
    sock.recv.side_effect = TimeoutError("timed out")
    with pytest.raises(ResponseTimeout) as caught:
        client.next_message(timeout=0.01)
    assert isinstance(caught.value, TimeoutError)


def test_a_reset_mid_game_is_connection_lost(factory: Mock) -> None:
    """ECONNRESET before BYE means the connection was lost."""
    client, sock = connected(factory)
    sock.recv.side_effect = ConnectionResetError(errno.ECONNRESET, "reset")
    with pytest.raises(ConnectionLost, match="lost"):
        client.next_message()


def test_a_reset_after_bye_is_a_normal_close(factory: Mock) -> None:
    """After BYE, a reset reads as the end of the stream, like a FIN would."""
    client, sock = connected(factory)
    sock.recv.side_effect = [b"BYE\n", ConnectionResetError(errno.ECONNRESET, "reset")]
    assert client.next_message() == Bye()
    with pytest.raises(ConnectionLost, match="closed the connection after BYE"):
        client.next_message()


def test_close_closes_the_socket_once(factory: Mock) -> None:
    """close() is safe to repeat; the context manager closes on exit."""
    with Client(socket_factory=factory) as client:
        assert client.connected
    client.close()
    factory.return_value.close.assert_called_once_with()


@pytest.mark.parametrize("cell", [True, 5.0, "5"])
def test_a_move_is_an_int(factory: Mock, cell: object) -> None:
    """``move`` takes an ``int`` cell: not a bool (though one is an int), a float or a str."""
    client, sock = connected(factory)
    with pytest.raises(TypeError, match="cell must be an int"):
        client.move(cell)  # type: ignore[arg-type]
    sock.sendall.assert_not_called()


def test_a_timeout_under_a_second_still_waits_for_the_answer(factory: Mock) -> None:
    """Half a second is a wait like any other: the answer that is already there is read."""
    sock = factory.return_value
    sock.recv.side_effect = [b"GAME tictactoe 1\nWELCOME alice\n", b"PONG x\n", b""]
    with Client(socket_factory=factory, timeout=0.5) as client:
        assert client.hello("alice") == Welcome("alice")
        assert client.next_message(timeout=0.5) == Pong("x")


@pytest.mark.parametrize(("wait", "waited"), [(7.0, 7), (None, 60)], ids=["7", "default"])
def test_play_waits_as_long_as_its_wait_says_not_the_client_timeout(
    factory: Mock, wait: float | None, waited: int
) -> None:
    """play(wait=7) on a client whose timeout is 5: each wait for the server (here, for an
    opponent, after the WELCOME) is bounded by 7 s, in the kernel and in the error; 60 s
    when play is not told."""
    now = [0.0]
    chunks = [b"GAME tictactoe 1\nWELCOME alice\n"]

    def recv(size: int) -> bytes:
        if chunks:
            return chunks.pop(0)
        now[0] += 100.0  # the kernel's receive timeout, whatever it was, has passed
        raise TimeoutError("timed out")

    sock = factory.return_value
    sock.recv.side_effect = recv
    with (
        Client(socket_factory=factory, timeout=5, clock=lambda: now[0]) as client,
        pytest.raises(ResponseTimeout, match=f"within {waited} s"),
    ):
        client.play("alice") if wait is None else client.play("alice", wait=wait)
    receive_timeouts = [
        struct.unpack("@ll", c.args[2])
        for c in sock.setsockopt.call_args_list
        if c.args[:2] == (socket.SOL_SOCKET, socket.SO_RCVTIMEO)
    ]
    assert receive_timeouts == [(5, 0), (waited, 0)]  # the banner and WELCOME's, then play's
