"""The recording fake socket and its factory, and the server and client lifecycles through them.

Unit tier: no real socket. The fake keeps state as a real socket does, so these tests ask
behavioural questions ("is it closed on every path?", "what was sent?") in one line each.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Callable
from typing import Any

import pytest

from game import ConnectFailed, ListenFailed, Server
from game.client import Client
from game.protocol import Welcome
from game.sockets import SocketLike
from game.testing.recording import (
    EPHEMERAL_PORT,
    POISONABLE,
    FakeSocketBlocked,
    RecordingFactory,
    RecordingSocket,
)
from tests.threads import in_thread

DEADLINE = 2.0
SHORT = 0.01  # for "it would block": long enough to wait, short enough to keep the tier fast


# The kit's own guard: every thread a test starts must be finished (within 2 s) when it ends.
pytestmark = pytest.mark.usefixtures("leak_guard")


def stop_server(server: Server) -> Callable[[], Any]:
    """An accept result: shut the server down, then fail as a listener closed under accept."""

    def accept() -> Any:
        server.shutdown()
        return OSError(errno.EINVAL, "Invalid argument")

    return accept


# The fake itself ------------------------------------------------------------------------------


def test_a_recording_socket_is_socket_like() -> None:
    """It has every method the game calls, with the same signatures (checked by mypy)."""
    sock: SocketLike = RecordingSocket()
    sock.close()


def test_it_records_options_address_backlog_timeout_and_sent_bytes() -> None:
    """Each call leaves its trace in a named attribute, and all of them in ``calls``."""
    sock = RecordingSocket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 7777))
    sock.listen(5)
    sock.settimeout(1.5)
    sock.sendall(b"GAME ")
    assert sock.send(b"tictactoe 1\n") == 12
    sock.shutdown(socket.SHUT_WR)
    sock.close()

    assert sock.options == {(socket.SOL_SOCKET, socket.SO_REUSEADDR): 1}
    assert sock.bound == ("127.0.0.1", 7777)
    assert sock.backlog == 5
    assert (sock.timeout, sock.timeouts) == (1.5, [1.5])
    assert sock.sent == b"GAME tictactoe 1\n"
    assert sock.shutdowns == [socket.SHUT_WR]
    assert sock.closed
    assert sock.call_names == [
        "setsockopt", "bind", "listen", "settimeout", "sendall", "send", "shutdown", "close",
    ]  # fmt: skip


def test_getsockname_reports_an_ephemeral_port_for_port_zero() -> None:
    """Port 0 means "any free port", so the fake reports one, as the OS would."""
    four, six = RecordingSocket(), RecordingSocket(socket.AF_INET6)
    assert four.getsockname() == ("0.0.0.0", 0)
    four.bind(("127.0.0.1", 0))
    six.bind(("::1", 0))
    assert four.getsockname() == ("127.0.0.1", EPHEMERAL_PORT)
    assert six.getsockname() == ("::1", EPHEMERAL_PORT, 0, 0)


def test_connect_records_the_address() -> None:
    """``connected_to`` is what the client asked for."""
    sock = RecordingSocket()
    sock.connect(("::1", 9000))
    assert sock.connected_to == ("::1", 9000)
    assert "connected_to=('::1', 9000)" in repr(sock)


def test_every_call_after_close_fails_with_ebadf_but_close_again_is_harmless() -> None:
    """Unlike a mock, the fake catches use after close."""
    sock = RecordingSocket()
    sock.close()
    sock.close()
    with pytest.raises(OSError, match="Bad file descriptor") as raised:
        sock.sendall(b"late")
    assert raised.value.errno == errno.EBADF
    assert sock.sent == b""


def test_a_negative_timeout_is_refused_as_by_a_real_socket() -> None:
    """``settimeout(-1)`` is a ValueError, not a silent record."""
    with pytest.raises(ValueError, match="out of range"):
        RecordingSocket().settimeout(-1)


def test_recv_plays_its_script_and_splits_what_does_not_fit() -> None:
    """Chunks come back in order, at most ``bufsize`` at a time; ``b""`` is EOF."""
    sock = RecordingSocket(recv=[b"GAME tictactoe 1\n", b""])
    assert sock.recv(5) == b"GAME "
    assert sock.recv(4096) == b"tictactoe 1\n"
    assert sock.recv(4096) == b""


def test_scripted_exceptions_and_callables_run_at_the_call() -> None:
    """An exception (instance or class) is raised; a callable runs, then its result counts."""
    seen: list[str] = []

    def later() -> bytes:
        seen.append("called")
        return b"late\n"

    sock = RecordingSocket(recv=[ConnectionResetError, TimeoutError("slow"), later])
    with pytest.raises(ConnectionResetError):
        sock.recv(10)
    with pytest.raises(TimeoutError, match="slow"):
        sock.recv(10)
    assert seen == []
    assert sock.recv(10) == b"late\n"
    assert seen == ["called"]


def test_an_exhausted_script_honours_the_socket_timeout() -> None:
    """With nothing left, ``recv`` waits the timeout and raises TimeoutError, as a real one."""
    sock = RecordingSocket()
    sock.settimeout(SHORT)
    with pytest.raises(TimeoutError):
        sock.recv(10)
    sock.settimeout(0)
    with pytest.raises(BlockingIOError):
        sock.accept()


def test_an_exhausted_script_without_timeout_fails_loudly_instead_of_hanging() -> None:
    """A blocking call the test never unblocks is a test failure naming the socket."""
    sock = RecordingSocket(name="listener", block_timeout=SHORT)
    with pytest.raises(FakeSocketBlocked, match=r"accept\(\) on <RecordingSocket listener"):
        sock.accept()


def test_close_from_another_thread_wakes_a_blocked_recv() -> None:
    """As on a real socket, closing under a blocked call makes it fail with EBADF."""
    sock = RecordingSocket()
    join = in_thread(lambda: sock.recv(10), deadline=DEADLINE)
    sock.close()
    with pytest.raises(OSError, match="Bad file descriptor"):
        join()


def test_a_read_shutdown_wakes_recv_with_eof_and_accept_with_einval() -> None:
    """``shutdown(SHUT_RDWR)`` is how the server wakes its own blocked threads."""
    conn, listener = RecordingSocket(), RecordingSocket()
    reading, accepting = (
        in_thread(lambda: conn.recv(10), deadline=DEADLINE),
        in_thread(listener.accept, deadline=DEADLINE),
    )
    conn.shutdown(socket.SHUT_RDWR)
    listener.shutdown(socket.SHUT_RDWR)
    assert reading() == b""
    with pytest.raises(OSError, match="Invalid") as raised:
        accepting()
    assert raised.value.errno == errno.EINVAL


def test_scripting_more_wakes_a_blocked_call() -> None:
    """``script_recv`` from another thread delivers to a waiting ``recv``."""
    sock = RecordingSocket()
    join = in_thread(lambda: sock.recv(10), deadline=DEADLINE)
    sock.script_recv(b"hi\n")
    assert join() == b"hi\n"


def test_a_poisoned_call_raises_is_recorded_and_has_no_effect() -> None:
    """The attempt is in ``calls``; its effect (``bound``) is not."""
    sock = RecordingSocket()
    sock.poison("bind", OSError(errno.EADDRINUSE, "Address already in use"))
    for _ in range(2):
        with pytest.raises(OSError, match="in use"):
            sock.bind(("127.0.0.1", 7777))
    assert sock.bound is None
    assert sock.call_names == ["bind", "bind"]


def test_poison_for_a_number_of_times_then_the_call_works() -> None:
    """``times=1``: one failure, then business as usual (a transient error)."""
    sock = RecordingSocket()
    sock.poison("sendall", BrokenPipeError, times=1)
    with pytest.raises(BrokenPipeError):
        sock.sendall(b"a")
    sock.sendall(b"b")
    assert sock.sent == b"b"


def test_cure_removes_a_poison() -> None:
    """A poison can be lifted mid-test."""
    sock = RecordingSocket()
    sock.poison("listen", OSError)
    sock.cure("listen")
    sock.listen(1)
    assert sock.backlog == 1


def test_poisoning_a_method_that_does_not_exist_is_an_error() -> None:
    """A typo must not make a test pass vacuously."""
    with pytest.raises(ValueError, match="cannot poison 'bnid'"):
        RecordingSocket().poison("bnid", OSError)
    assert "bind" in POISONABLE


# The factory ----------------------------------------------------------------------------------


def test_the_factory_records_each_call_and_each_socket() -> None:
    """``calls`` has ``(family, type)``; ``sockets`` every socket made, in order."""
    factory = RecordingFactory()
    first = factory(socket.AF_INET6, socket.SOCK_STREAM)
    second = factory(socket.AF_INET, socket.SOCK_STREAM)
    assert factory.calls == [
        (socket.AF_INET6, socket.SOCK_STREAM),
        (socket.AF_INET, socket.SOCK_STREAM),
    ]
    assert factory.sockets == [first, second]
    assert factory.last is second
    assert first.family == socket.AF_INET6


def test_the_factory_hands_out_prepared_sockets_first() -> None:
    """A test scripts the listener before the server asks for it."""
    prepared = RecordingSocket(name="prepared")
    factory = RecordingFactory(prepared)
    later = factory.add(RecordingSocket(name="later"))
    assert factory(socket.AF_INET6, socket.SOCK_STREAM) is prepared
    assert prepared.family == socket.AF_INET6
    assert factory(socket.AF_INET, socket.SOCK_STREAM) is later
    assert factory(socket.AF_INET, socket.SOCK_STREAM).name.startswith("socket-")


def test_a_factory_poison_reaches_every_socket_it_makes() -> None:
    """``factory.poison("bind", ...)`` before the code under test makes its socket."""
    factory = RecordingFactory()
    factory.poison("bind", PermissionError)
    with pytest.raises(PermissionError):
        factory(socket.AF_INET, socket.SOCK_STREAM).bind(("127.0.0.1", 80))


def test_poisoning_create_makes_the_factory_call_fail() -> None:
    """Out of file descriptors: no socket is made at all."""
    factory = RecordingFactory()
    factory.poison("create", OSError(errno.EMFILE, "Too many open files"), times=1)
    with pytest.raises(OSError, match="Too many open files"):
        factory(socket.AF_INET, socket.SOCK_STREAM)
    assert factory.sockets == []
    factory(socket.AF_INET, socket.SOCK_STREAM)
    assert len(factory.sockets) == 1


def test_last_without_any_socket_says_the_factory_was_not_called() -> None:
    """A clear failure rather than an IndexError."""
    with pytest.raises(AssertionError, match="never called"):
        _ = RecordingFactory().last


# The server's lifecycle, through the fake -----------------------------------------------------


@pytest.mark.parametrize("port", [0, 7777])
def test_server_sets_binds_listens_then_accepts(port: int) -> None:
    """setsockopt -> bind -> listen -> accept on the one socket the factory made."""
    listener = RecordingSocket()
    factory = RecordingFactory(listener)
    server = Server(port=port, socket_factory=factory)
    listener.script_accept(stop_server(server))

    server.start_listening()

    assert factory.calls == [(socket.AF_INET, socket.SOCK_STREAM)]
    assert listener.call_names[:5] == ["setsockopt", "bind", "listen", "getsockname", "accept"]
    assert listener.options == {(socket.SOL_SOCKET, socket.SO_REUSEADDR): 1}
    assert listener.bound == ("127.0.0.1", port)
    assert listener.backlog == socket.SOMAXCONN
    assert server.address == ("127.0.0.1", port or EPHEMERAL_PORT)


@pytest.mark.parametrize("failing", ["setsockopt", "bind", "listen", "getsockname"])
def test_any_failure_before_accept_closes_the_socket_and_names_the_address(failing: str) -> None:
    """The poison switch reaches each step; every one of them closes the listener."""
    factory = RecordingFactory()
    factory.poison(failing, OSError(errno.EADDRINUSE, "Address already in use"))
    server = Server(port=7777, socket_factory=factory)

    with pytest.raises(ListenFailed, match=r"127\.0\.0\.1:7777: Address already in use"):
        server.start_listening()

    (listener,) = factory.sockets
    assert listener.closed
    assert listener.call_names[-1] == "close"
    assert "accept" not in listener.call_names


def test_shutdown_wakes_accept_and_closes_the_listener() -> None:
    """The real way out of a blocked accept: shutdown, then close, from another thread."""
    factory = RecordingFactory()
    server = Server(port=0, socket_factory=factory)
    with server.running(timeout=DEADLINE) as address:
        listener = factory.last
        assert address == ("127.0.0.1", EPHEMERAL_PORT)
        open_while_serving = not listener.closed
    assert open_while_serving
    assert listener.closed
    assert socket.SHUT_RDWR in listener.shutdowns


def test_server_greets_answers_and_closes_a_scripted_connection() -> None:
    """A behaviour a mock shows poorly: what was sent, in order, then a half-close and close."""
    conn = RecordingSocket(name="alice", recv=[b"HELLO alice\nPI", b"NG 1\n", b""])
    listener = RecordingSocket(accepts=[(conn, ("127.0.0.1", 50000))])
    server = Server(port=0, socket_factory=RecordingFactory(listener))
    with server.running(timeout=DEADLINE):
        assert conn.wait_closed(DEADLINE)
    assert conn.sent == b"GAME tictactoe 1\nWELCOME alice\nWAIT\nPONG 1\n"
    assert conn.shutdowns[0] == socket.SHUT_WR
    assert conn.call_names[-1] == "close"


# The client's lifecycle, through the fake -----------------------------------------------------


def test_client_sets_the_timeout_then_connects_to_the_default_address() -> None:
    """factory -> settimeout -> connect, with the defaults."""
    factory = RecordingFactory()
    client = Client(socket_factory=factory)
    client.connect()
    sock = factory.last
    assert factory.calls == [(socket.AF_INET, socket.SOCK_STREAM)]
    assert sock.call_names == ["settimeout", "connect"]
    assert (sock.timeout, sock.connected_to) == (5.0, ("127.0.0.1", 7777))
    client.close()
    assert sock.closed


def test_client_connects_to_the_address_it_is_given() -> None:
    """``connect(host, port)`` overrides the stored address, and picks IPv6 for ``::1``."""
    factory = RecordingFactory()
    with Client(socket_factory=factory, timeout=0.5) as client:
        client.close()
        client.connect("::1", 9000)
        assert factory.last.family == socket.AF_INET6
        assert factory.last.connected_to == ("::1", 9000)


@pytest.mark.parametrize(
    ("method", "error", "says"),
    [
        ("connect", ConnectionRefusedError(errno.ECONNREFUSED, "refused"), "connection refused"),
        ("connect", TimeoutError("timed out"), "no answer within 5 s"),
        ("connect", OSError(errno.ENETUNREACH, "Network is unreachable"), "unreachable"),
        ("settimeout", OSError(errno.EBADF, "Bad file descriptor"), "Bad file descriptor"),
        ("connect", KeyboardInterrupt(), None),
    ],
)
def test_client_closes_the_socket_on_every_failing_path(
    method: str, error: BaseException, says: str | None
) -> None:
    """Whatever fails, and however, the socket the client made is closed before it raises."""
    factory = RecordingFactory()
    factory.poison(method, error)
    client = Client(socket_factory=factory)
    expected = KeyboardInterrupt if isinstance(error, KeyboardInterrupt) else ConnectFailed
    with pytest.raises(expected, match=says):
        client.connect()
    assert factory.last.closed
    assert not client.connected


def test_client_reads_the_banner_however_it_is_split() -> None:
    """The recording fake scripts the server's bytes; the client reassembles the lines."""
    sock = RecordingSocket(recv=[b"GAME tic", b"tactoe 1\nWEL", b"COME alice\n"])
    with Client(socket_factory=RecordingFactory(sock)) as client:
        assert client.hello("alice") == Welcome("alice")
    assert sock.sent == b"HELLO alice\n"
    assert sock.closed
