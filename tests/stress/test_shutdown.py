"""Shutdown under load: prompt, and nothing left behind on either side."""

import contextlib
import socket
import threading
import time

from game import Server
from game.protocol import SHUTTING_DOWN, Banner, End, Error, Welcome, parse_message
from sockettest import Transport
from tests.stress.arena import client_threads
from tests.stress.players import UNDER_LOAD
from tests.stress.scale import scaled

CLIENTS = scaled(small=100, full=100)


def read_until(sock: socket.socket, marker: bytes) -> bytes:
    """Read until ``marker`` has arrived; return everything read."""
    received = b""
    while marker not in received:
        chunk = sock.recv(4096)
        assert chunk, f"EOF before {marker!r}; read {received!r}"
        received += chunk
    return received


def read_to_eof(sock: socket.socket) -> bytes:
    """Read until EOF; a reset or a timeout fails the test (the server must close politely)."""
    received = b""
    while chunk := sock.recv(4096):
        received += chunk
    return received


def test_shutdown_with_100_clients_connected_is_prompt_and_leaves_nothing() -> None:
    """With 100 clients connected (50 matches just started), shutdown() returns in under a
    second, leaves no server thread and no open server socket, and every client reads
    ERROR server shutting down, no forfeit, then EOF."""
    sockets = Transport("loopback")
    server = Server("127.0.0.1", 0, socket_factory=sockets.socket_factory, idle_timeout=UNDER_LOAD)
    idle = len(client_threads())
    with contextlib.ExitStack() as clients:
        with server.running(UNDER_LOAD) as address:
            peers = []
            for index in range(CLIENTS):
                peer = clients.enter_context(socket.create_connection(address, UNDER_LOAD))
                peer.sendall(f"HELLO p{index}\n".encode())
                # Once WELCOME is here the server has read all this client sent, so its close
                # will be a FIN, not a reset for unread data.
                peers.append((f"p{index}", peer, read_until(peer, b"WELCOME")))
            assert len(client_threads()) == idle + 2 * CLIENTS

            started = time.perf_counter()
            server.shutdown()
            took = time.perf_counter() - started

        assert took < 1.0, f"shutdown() took {took:.3f} s"
        assert [t.name for t in threading.enumerate() if t.name.startswith("game-")] == []
        assert sockets.open_socket_names() == []
        assert sockets.accepted == CLIENTS
        for name, peer, before in peers:
            lines = (before + read_to_eof(peer)).decode().splitlines(keepends=True)
            assert all(line.endswith("\n") for line in lines), lines
            messages = [parse_message(line) for line in lines]
            assert messages[:2] == [Banner(), Welcome(name)]
            # Every client is told, and nobody forfeits a match that was just starting.
            assert messages[-1] == Error(SHUTTING_DOWN), messages
            assert not any(isinstance(m, End) for m in messages), messages
