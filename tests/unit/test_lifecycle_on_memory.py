"""The game server's and client's socket lifecycles, driven through an in-memory network.

Unit tier: no real socket. test_mock_sockets.py pins the same lifecycles with mocks (which
calls, in which order); here a MemoryNetwork's sockets answer as real ones do and record what
was done to them, so the tests ask about state after the fact: what was set, bound and sent,
that the socket is closed on every path, and that nothing was called on it after its close.
"""

from __future__ import annotations

import errno
import socket
import struct
import threading
from collections import Counter

import pytest

from game import Client, ConnectFailed, ListenFailed, Server
from game.protocol import SHUTTING_DOWN, Error, Welcome
from sockettest import Faults, LeakGuard, MemoryNetwork, MemorySocket
from tests.deadline import DEADLINE

BANNER = b"GAME tictactoe 1\n"


def read_greeting(network: MemoryNetwork, address: tuple[str, int]) -> bytes:
    """Connect a plain memory socket to ``address``, read one line, and close."""
    family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
    with network.socket_factory(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(DEADLINE)
        sock.connect(address)
        with sock.makefile("rb") as lines:
            line: bytes = lines.readline()
            return line


def listener_on(network: MemoryNetwork, address: tuple[str, int]) -> MemorySocket:
    family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
    listener = network.socket_factory(family, socket.SOCK_STREAM)
    listener.bind(address)
    listener.listen(1)
    return listener


# The server -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "port", "family"),
    [
        ("127.0.0.1", 0, socket.AF_INET),
        ("127.0.0.1", 7777, socket.AF_INET),
        ("::1", 0, socket.AF_INET6),
    ],
    ids=["ipv4-any-port", "ipv4-port-7777", "ipv6-any-port"],
)
def test_server_sets_reuseaddr_binds_listens_with_somaxconn_then_accepts(
    memory_network: MemoryNetwork, host: str, port: int, family: int
) -> None:
    """The one socket the server makes is set, bound, listening with SOMAXCONN, then accepts."""
    server = Server(host, port, socket_factory=memory_network.socket_factory)
    with server.running(timeout=DEADLINE) as address:
        assert read_greeting(memory_network, address) == BANNER  # so accept has returned
    listener = memory_network.sockets[0]

    assert listener.family == family
    assert listener.calls[:5] == [
        ("setsockopt", (socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)),
        ("bind", ((host, port),)),
        ("listen", (socket.SOMAXCONN,)),
        ("getsockname", ()),
        ("accept", ()),
    ]
    assert listener.options == {(socket.SOL_SOCKET, socket.SO_REUSEADDR): 1}
    assert listener.backlog == socket.SOMAXCONN
    assert address == server.address == (host, port or address[1])
    assert address[1] != 0


@pytest.mark.parametrize("failing", ["setsockopt", "bind", "listen", "getsockname"])
def test_any_failure_before_accept_closes_the_socket_and_names_the_address(
    memory_network: MemoryNetwork, failing: str
) -> None:
    """Each step before accept can fail: the listener is closed, then ListenFailed says where."""
    memory_network.poison(failing, OSError(errno.EADDRINUSE, "Address already in use"))
    server = Server(port=7777, socket_factory=memory_network.socket_factory)

    with pytest.raises(ListenFailed, match=r"127\.0\.0\.1:7777: Address already in use") as raised:
        server.start_listening()

    assert isinstance(raised.value.__cause__, OSError)
    (listener,) = memory_network.sockets
    assert listener.closed
    steps = ["setsockopt", "bind", "listen", "getsockname"]
    assert listener.call_names == [*steps[: steps.index(failing) + 1], "close"]
    memory_network.cure(failing)
    with memory_network.socket_factory() as again:  # the close released the address
        again.bind(("127.0.0.1", 7777))


def test_a_bind_failure_under_running_reaches_the_caller_and_leaves_nothing_open(
    memory_network: MemoryNetwork,
) -> None:
    """``running()`` re-raises ListenFailed in the caller's thread; its thread is joined."""
    memory_network.poison("bind", PermissionError(errno.EACCES, "Permission denied"))
    server = Server(port=80, socket_factory=memory_network.socket_factory)
    with (
        pytest.raises(ListenFailed, match=r"127\.0\.0\.1:80: Permission denied"),
        server.running(timeout=DEADLINE),
    ):
        pytest.fail("running() yielded although the bind failed")
    assert [s.closed for s in memory_network.sockets] == [True]


def test_a_socket_creation_failure_reaches_the_caller_and_makes_no_socket(
    memory_network: MemoryNetwork,
) -> None:
    """Out of descriptors (EMFILE) at the factory: an OSError saying why; nothing to close."""
    memory_network.poison("socket", OSError(errno.EMFILE, "Too many open files"))
    with pytest.raises(OSError, match="Too many open files"):
        Server(port=0, socket_factory=memory_network.socket_factory).start_listening()
    assert memory_network.sockets == []


def test_a_socket_creation_failure_under_running_is_reported_once_to_the_caller(
    memory_network: MemoryNetwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``running()`` raises ListenFailed naming the error, and its thread ends without an
    unhandled exception (the caller has already been told)."""
    unhandled: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: unhandled.append(args.exc_value))
    memory_network.poison("socket", OSError(errno.EMFILE, "Too many open files"))
    server = Server(port=0, socket_factory=memory_network.socket_factory)
    with (
        pytest.raises(ListenFailed, match="Too many open files"),
        server.running(timeout=DEADLINE),
    ):
        pytest.fail("running() yielded although no socket could be made")
    assert unhandled == []


def test_shutdown_wakes_accept_and_closes_the_listener(memory_network: MemoryNetwork) -> None:
    """Leaving ``running()`` shuts the listener down (waking its accept), closes it, and joins
    the server thread; after that only the loop's last accept and close follow."""
    server = Server(port=0, socket_factory=memory_network.socket_factory)
    with server.running(timeout=DEADLINE) as address:
        listener = memory_network.sockets[0]
        assert read_greeting(memory_network, address) == BANNER  # the loop is past accept #1
        open_while_serving = not listener.closed
    assert open_while_serving
    assert listener.closed
    # The second accept may start before the shutdown (then it is woken), or just after it
    # (then it fails at once); either way there is one, and the last call is a close.
    assert Counter(listener.call_names[5:]) == Counter(["accept", "shutdown", "close", "close"])
    assert ("shutdown", (socket.SHUT_RDWR,)) in listener.calls
    assert listener.calls[-1] == ("close", ())
    assert not [t.name for t in threading.enumerate() if t.name.startswith("game-")]


def test_server_greets_a_connection_with_the_banner(memory_network: MemoryNetwork) -> None:
    """A new connection gets TCP_NODELAY, then ``GAME tictactoe 1`` before anything else."""
    server = Server(port=0, socket_factory=memory_network.socket_factory)
    with server.running(timeout=DEADLINE) as address:
        assert read_greeting(memory_network, address) == BANNER
    _, _, accepted = memory_network.sockets

    sent = [args[0] for name, args in accepted.calls if name == "send"]
    assert sent[0] == BANNER
    # Then, if the server stopped before it saw the client's EOF, only its shutdown notice.
    assert sent[1:] in ([], [Error(SHUTTING_DOWN).encode()])
    assert accepted.calls[0] == ("setsockopt", (socket.IPPROTO_TCP, socket.TCP_NODELAY, 1))
    assert accepted.closed


# The client -----------------------------------------------------------------------------------


def test_client_sets_its_timeout_then_connects_to_the_default_address(
    memory_network: MemoryNetwork,
) -> None:
    """settimeout(5.0), then connect(("127.0.0.1", 7777)); then blocking, with the 5 s in the
    kernel for its sends; close closes, and nothing follows."""
    with listener_on(memory_network, ("127.0.0.1", 7777)):
        client = Client(socket_factory=memory_network.socket_factory)
        client.connect()
        sock = memory_network.sockets[1]
        connected = client.connected
        assert sock.gettimeout() is None
        assert sock.getpeername() == ("127.0.0.1", 7777)
        client.close()
    assert connected
    assert not client.connected
    assert sock.closed
    assert sock.calls == [
        ("settimeout", (5.0,)),
        ("connect", (("127.0.0.1", 7777),)),
        ("settimeout", (None,)),
        ("setsockopt", (socket.SOL_SOCKET, socket.SO_SNDTIMEO, struct.pack("@ll", 5, 0))),
        ("getpeername", ()),  # the test's own call
        ("close", ()),
    ]


def test_client_connects_over_ipv6_to_the_address_it_is_given(
    memory_network: MemoryNetwork,
) -> None:
    """``connect("::1", 9000)`` overrides the stored address and makes an IPv6 socket."""
    client = Client("127.0.0.1", 7777, socket_factory=memory_network.socket_factory, timeout=1.5)
    with listener_on(memory_network, ("::1", 9000)):
        client.connect("::1", 9000)
        sock = memory_network.sockets[1]
        assert sock.family == socket.AF_INET6
        assert sock.getpeername() == ("::1", 9000, 0, 0)
        client.close()
    assert sock.closed
    assert sock.call_names == [
        "settimeout",
        "connect",
        "settimeout",
        "setsockopt",
        "getpeername",
        "close",
    ]
    assert sock.calls[1] == ("connect", (("::1", 9000),))


@pytest.mark.parametrize(
    ("method", "error", "says"),
    [
        ("connect", ConnectionRefusedError(errno.ECONNREFUSED, "refused"), "connection refused"),
        ("connect", TimeoutError("timed out"), "no answer within 5 s"),
        ("connect", OSError(errno.ENETUNREACH, "Network is unreachable"), "unreachable"),
        ("settimeout", OSError(errno.EBADF, "Bad file descriptor"), "Bad file descriptor"),
    ],
    ids=["refused", "timeout", "unreachable", "settimeout-fails"],
)
def test_client_closes_its_socket_on_every_failing_path(
    memory_network: MemoryNetwork, method: str, error: OSError, says: str
) -> None:
    """Whatever fails, the socket is closed before ConnectFailed is raised, and nothing after."""
    memory_network.poison(method, error)
    client = Client(socket_factory=memory_network.socket_factory)
    with pytest.raises(ConnectFailed, match=says):
        client.connect()
    (sock,) = memory_network.sockets
    assert sock.closed
    steps = ["settimeout", "connect"]
    assert sock.call_names == [*steps[: steps.index(method) + 1], "close"]
    assert not client.connected


def test_client_closes_its_socket_when_interrupted_mid_connect(
    memory_network: MemoryNetwork,
) -> None:
    """A KeyboardInterrupt in connect propagates as is, after the socket is closed."""
    memory_network.poison("connect", KeyboardInterrupt)
    client = Client(socket_factory=memory_network.socket_factory)
    with pytest.raises(KeyboardInterrupt):
        client.connect()
    (sock,) = memory_network.sockets
    assert sock.call_names == ["settimeout", "connect", "close"]
    assert not client.connected


def test_client_closes_its_socket_when_nothing_listens(memory_network: MemoryNetwork) -> None:
    """No poison: the fake refuses as the kernel would, and the client says to start a server."""
    client = Client(port=9999, socket_factory=memory_network.socket_factory)
    with pytest.raises(ConnectFailed, match=r"127\.0\.0\.1:9999: connection refused; is the"):
        client.connect()
    (sock,) = memory_network.sockets
    assert sock.call_names == ["settimeout", "connect", "close"]
    assert sock.closed


def test_a_failed_connect_leaves_the_client_ready_to_try_again(
    memory_network: MemoryNetwork,
) -> None:
    """After a transient failure the next connect makes a fresh socket and succeeds."""
    memory_network.poison("connect", TimeoutError("timed out"), times=1)
    client = Client(socket_factory=memory_network.socket_factory)
    with listener_on(memory_network, ("127.0.0.1", 7777)):
        with pytest.raises(ConnectFailed):
            client.connect()
        client.connect()
        assert client.connected
        client.close()
    failed, succeeded = memory_network.sockets[1:3]  # [3]: the side the listener queued
    assert failed.call_names == ["settimeout", "connect", "close"]
    assert succeeded.call_names == ["settimeout", "connect", "settimeout", "setsockopt", "close"]


def test_a_socket_creation_failure_in_the_client_leaves_it_unconnected(
    memory_network: MemoryNetwork,
) -> None:
    """Out of descriptors at the factory: an OSError saying why, no socket, not connected."""
    memory_network.poison("socket", OSError(errno.EMFILE, "Too many open files"), times=1)
    client = Client(socket_factory=memory_network.socket_factory)
    with pytest.raises(OSError, match="Too many open files"):
        client.connect()
    assert memory_network.sockets == []
    assert not client.connected


def test_client_reads_the_banner_and_welcome_one_byte_at_a_time(leak_guard: LeakGuard) -> None:
    """With every recv of the client cut to 1 byte, hello() still reassembles both lines."""
    network = MemoryNetwork(connect_faults=Faults(recv_chunks=(1,)))
    leak_guard.watch_sockets(lambda: [repr(s) for s in network.open_sockets()], network.close_all)
    server = Server(port=0, socket_factory=network.socket_factory)
    with (
        server.running(timeout=DEADLINE) as (host, port),
        Client(host, port, socket_factory=network.socket_factory, timeout=DEADLINE) as client,
    ):
        assert client.hello("alice") == Welcome("alice")
    network.assert_all_closed()

    _, sock, accepted = network.sockets
    expected = BANNER + b"WELCOME alice\n"
    assert sock.faults == Faults(recv_chunks=(1,))
    assert accepted.faults is None
    assert sock.fault_injector is not None
    assert sock.fault_injector.received == len(expected)
    assert sock.call_names.count("recv") == len(expected)  # one byte each, none wasted
    assert [args[0] for name, args in sock.calls if name == "sendall"] == [b"HELLO alice\n"]
    assert sock.call_names[-1] == "close"


def test_a_connection_beyond_max_clients_is_turned_away(memory_network: MemoryNetwork) -> None:
    """With max_clients connections served, the next gets ``ERROR server full`` and a close;
    once one leaves, a new one is served again."""
    server = Server(port=0, socket_factory=memory_network.socket_factory, max_clients=1)
    with server.running(timeout=DEADLINE) as address:
        first = memory_network.socket_factory()
        first.settimeout(DEADLINE)
        first.connect(address)
        assert first.recv(100) == BANNER
        extra = memory_network.socket_factory()
        extra.settimeout(DEADLINE)
        extra.connect(address)
        received = b""
        while chunk := extra.recv(100):
            received += chunk
        assert received == b"ERROR server full\n"
        extra.close()
        first.close()
        for thread in [t for t in threading.enumerate() if t.name.startswith("game-client")]:
            thread.join(DEADLINE)  # the first connection's handler, gone once it saw the EOF
            assert not thread.is_alive()
        with Client(*address, socket_factory=memory_network.socket_factory) as again:
            assert again.hello("again") == Welcome("again")
