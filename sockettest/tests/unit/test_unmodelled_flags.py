"""Flags that make Linux do what the fake has no model of raise ``NotModelled`` at the call,
naming the flag, rather than being ignored: a read with ``MSG_TRUNC`` (Linux discards the
bytes), or ``MSG_ERRQUEUE`` (it reads the error queue, and finds nothing), and a send with
``MSG_FASTOPEN`` (a connect)."""

import socket
from collections.abc import Callable
from typing import Any

import pytest

from sockettest import MemoryNetwork, MemorySocket, NotModelled
from tests import sockets

READS: dict[str, Callable[[MemorySocket, int], Any]] = {
    "recv": lambda sock, flag: sock.recv(8, flag),
    "recv_into": lambda sock, flag: sock.recv_into(bytearray(8), 8, flag),
    "recvfrom": lambda sock, flag: sock.recvfrom(8, flag),
    "recvmsg": lambda sock, flag: sock.recvmsg(8, 0, flag),
}
SENDS: dict[str, Callable[[MemorySocket, int], Any]] = {
    "send": lambda sock, flag: sock.send(b"x", flag),
    "sendall": lambda sock, flag: sock.sendall(b"x", flag),
    "sendto": lambda sock, flag: sock.sendto(b"x", flag, sock.getpeername()),
    "sendmsg": lambda sock, flag: sock.sendmsg([b"x"], [], flag),
}


def connected(network: MemoryNetwork) -> tuple[MemorySocket, MemorySocket, MemorySocket]:
    """A listener and a connected (client, server) pair, with five bytes waiting for the client."""
    listener, client, server = sockets.connected(network)
    server.sendall(b"hello")
    return listener, client, server


@pytest.mark.parametrize("flag", ["MSG_TRUNC", "MSG_ERRQUEUE"])
@pytest.mark.parametrize("call", READS)
def test_a_read_with_a_flag_the_fake_does_not_model_says_so(
    memory_network: MemoryNetwork, call: str, flag: str
) -> None:
    """A read with MSG_TRUNC or MSG_ERRQUEUE raises NotModelled naming it, and takes nothing."""
    listener, client, server = connected(memory_network)
    with listener, client, server:
        with pytest.raises(NotModelled, match=f"{flag} on <MemorySocket"):
            READS[call](client, getattr(socket, flag))
        assert client.recv(8) == b"hello"


@pytest.mark.parametrize("call", SENDS)
def test_a_send_with_fastopen_says_it_is_not_modelled(
    memory_network: MemoryNetwork, call: str
) -> None:
    """A send with MSG_FASTOPEN raises NotModelled naming it, and sends nothing."""
    listener, client, server = connected(memory_network)
    with listener, client, server:
        with pytest.raises(NotModelled, match="MSG_FASTOPEN on <MemorySocket"):
            SENDS[call](client, socket.MSG_FASTOPEN)
        client.sendall(b"!")
        assert server.recv(8) == b"!"
