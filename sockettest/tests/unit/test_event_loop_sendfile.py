"""``loop.sock_sendfile`` on the network's loop delivers the file to the peer: asyncio's native
path writes with ``os.sendfile`` to ``sock.fileno()``, which for a memory socket is a readiness
descriptor, so the loop sends with ``sock_sendall`` instead, as asyncio does for any socket it
cannot ``sendfile`` to."""

import asyncio
import socket
import tempfile
from typing import cast

import pytest

from sockettest import MemoryNetwork, MemorySocket
from tests import sockets


def connected(network: MemoryNetwork) -> tuple[MemorySocket, MemorySocket, MemorySocket]:
    """A listener and a connected (client, server) pair, the client non-blocking for the loop."""
    listener, client, server = sockets.connected(network)
    client.setblocking(False)
    return listener, client, server


def as_socket(sock: MemorySocket) -> socket.socket:
    """The memory socket as the loop's methods are typed to take it (it works as one)."""
    return cast(socket.socket, sock)


def test_sock_sendfile_delivers_the_file_to_the_peer(memory_network: MemoryNetwork) -> None:
    """The peer reads the file's bytes, and sock_sendfile counts them."""
    listener, client, server = connected(memory_network)
    with listener, client, server, tempfile.TemporaryFile() as file:
        file.write(b"file contents")
        file.seek(0)
        with asyncio.Runner(loop_factory=memory_network.new_event_loop) as runner:
            sent = runner.run(runner.get_loop().sock_sendfile(as_socket(client), file))
        assert sent == 13
        server.settimeout(5)
        assert server.recv(100) == b"file contents"


def test_sock_sendfile_without_fallback_says_it_is_not_available(
    memory_network: MemoryNetwork,
) -> None:
    """With ``fallback=False`` it raises asyncio's SendfileNotAvailableError, sending nothing."""
    listener, client, server = connected(memory_network)
    with listener, client, server, tempfile.TemporaryFile() as file:
        file.write(b"x")
        file.seek(0)
        with asyncio.Runner(loop_factory=memory_network.new_event_loop) as runner:
            send = runner.get_loop().sock_sendfile(as_socket(client), file, fallback=False)
            with pytest.raises(asyncio.SendfileNotAvailableError, match="in-memory socket"):
                runner.run(send)
        server.setblocking(False)
        with pytest.raises(BlockingIOError):
            server.recv(1)
