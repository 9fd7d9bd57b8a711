"""Memory-socket behaviours that only a mutation showed unpinned. Each is what Linux does (each
was checked on a loopback socket), and each test fails on the mutant it was written for."""

import socket
from pathlib import Path

import pytest

from sockettest import MemoryNetwork, MemorySocket, Transport
from tests.deadlines import DEADLINE

NONBLOCKING_STREAM = socket.SOCK_STREAM | socket.SOCK_NONBLOCK


def test_a_socket_made_non_blocking_by_its_type_never_waits(
    memory_network: MemoryNetwork,
) -> None:
    """SOCK_NONBLOCK in the type makes a socket of timeout 0.0, as CPython's on Linux: an
    accept with no connection raises BlockingIOError at once."""
    with memory_network.socket_factory(socket.AF_INET, NONBLOCKING_STREAM) as listener:
        assert listener.gettimeout() == 0.0
        assert listener.getblocking() is False
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        with pytest.raises(BlockingIOError):
            listener.accept()


def connects_that_complete_at_once(network: MemoryNetwork, listener: MemorySocket) -> int:
    """How many connects to ``listener`` (never accepting) complete before one has to wait;
    every socket made is closed."""
    clients: list[MemorySocket] = []
    try:
        while True:
            client = network.socket_factory()
            clients.append(client)
            client.settimeout(0.01)  # a connect into a full backlog waits: it times out
            try:
                client.connect(listener.getsockname())
            except TimeoutError:
                return len(clients) - 1
    finally:
        for client in clients:
            client.close()


def test_listen_without_a_backlog_queues_as_many_connections_as_listen_128(
    memory_network: MemoryNetwork,
) -> None:
    """listen() with no backlog is CPython's listen(min(SOMAXCONN, 128)), i.e. listen(128) on
    Linux: as many connections wait for accept before a connect has to wait."""
    counts = []
    for backlog in ((), (128,)):
        with memory_network.socket_factory() as listener:
            listener.bind(("127.0.0.1", 0))
            listener.listen(*backlog)
            counts.append(connects_that_complete_at_once(memory_network, listener))
    assert counts[0] == counts[1]
    assert counts[1] > 128  # the queue holds its backlog at least


def test_ipv6_option_set_with_no_buffer_reads_as_zero(memory_network: MemoryNetwork) -> None:
    """setsockopt(IPPROTO_IPV6, IPV6_V6ONLY, None, 4) sets the option to 0, as Linux's IPv6
    reads no buffer as a zero int: a V6ONLY set before is off again."""
    with memory_network.socket_factory(socket.AF_INET6, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, None, 4)
        assert sock.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY) == 0


def test_sendfile_of_a_one_byte_file_sends_that_byte(
    memory_network: MemoryNetwork, tmp_path: Path
) -> None:
    """sendfile of a regular file of one byte sends it and returns 1; only an empty file is
    the "nothing to send" of CPython's sendfile path."""
    path = tmp_path / "one-byte"
    path.write_bytes(b"z")
    with memory_network.socket_factory() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        with memory_network.socket_factory() as client:
            client.settimeout(DEADLINE)
            client.connect(listener.getsockname())
            server, _ = listener.accept()
            with server, path.open("rb") as file:
                server.settimeout(DEADLINE)
                assert client.sendfile(file) == 1
                assert server.recv(8) == b"z"


def test_sendfile_of_an_empty_file_on_a_closed_socket_returns_zero(
    memory_network: MemoryNetwork, tmp_path: Path
) -> None:
    """sendfile of an empty regular file returns 0 before it looks at the socket, even a closed
    one, as CPython's sendfile path does on Linux."""
    path = tmp_path / "empty"
    path.write_bytes(b"")
    sock = memory_network.socket_factory()
    sock.close()
    with path.open("rb") as file:
        assert sock.sendfile(file) == 0


def test_a_transport_factory_called_with_no_arguments_makes_a_tcp_ipv4_socket() -> None:
    """Transport.socket_factory() with no arguments makes what socket.socket() makes: an
    AF_INET stream socket."""
    transport = Transport("memory")
    with transport.socket_factory() as sock:
        assert sock.family == socket.AF_INET
        assert sock.type == socket.SOCK_STREAM
