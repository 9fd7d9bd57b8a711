"""The memory socket takes an argument by name where CPython's socket does, and has the
attributes it has: code written against the real one runs on the fake unchanged."""

import socket

from sockettest import MemoryNetwork, MemorySocket
from tests import sockets


def connected(network: MemoryNetwork) -> tuple[MemorySocket, MemorySocket, MemorySocket]:
    """A listener and a connected (client, server) pair, with b"hello" waiting for the client."""
    listener, client, server = sockets.connected(network)
    server.sendall(b"hello")
    return listener, client, server


def test_recv_into_and_recvfrom_into_take_their_arguments_by_name(
    memory_network: MemoryNetwork,
) -> None:
    """``recv_into(buffer=, nbytes=, flags=)`` and ``recvfrom_into`` read as positionally."""
    listener, client, server = connected(memory_network)
    with listener, client, server:
        buffer = bytearray(8)
        assert client.recv_into(buffer=buffer, nbytes=2, flags=socket.MSG_PEEK) == 2
        assert client.recvfrom_into(buffer, nbytes=3) == (3, None)
        assert client.recv_into(buffer, flags=0) == 2
        assert bytes(buffer[:2]) == b"lo"


def test_set_inheritable_takes_its_flag_by_name(memory_network: MemoryNetwork) -> None:
    """``set_inheritable(inheritable=True)``, as ``socket.socket``'s Python method takes it."""
    with memory_network.socket_factory() as sock:
        sock.set_inheritable(inheritable=True)
        assert sock.get_inheritable() is True


def test_the_timeout_attribute_reads_the_timeout(memory_network: MemoryNetwork) -> None:
    """``sock.timeout`` is what ``gettimeout()`` says, as on a real socket."""
    with memory_network.socket_factory() as sock:
        for timeout in (2.5, 0.0, None):
            sock.settimeout(timeout)
            assert sock.timeout == timeout
