"""A client that connects before the server listens: ``ConnectionRefusedError``, sometimes.

The racy program starts the server's thread and the client's side by side; the client may
connect before the server has called ``listen``. The fix has the server set an ``Event`` once
it listens, and the client wait for it.
"""

import socket
import threading

from benchmarks.common import ADDRESS, TIMEOUT, join, read_line, start
from sockettest import MemoryNetwork


def program(*, fixed: bool) -> None:
    listening = threading.Event()
    replies: list[str] = []

    def serve() -> None:
        with socket.create_server(ADDRESS) as listener:
            listening.set()
            listener.settimeout(TIMEOUT)
            conn, _ = listener.accept()
            with conn:
                conn.sendall(read_line(conn).upper().encode() + b"\n")

    def client() -> None:
        if fixed:
            assert listening.wait(TIMEOUT), "the server never listened"
        with socket.create_connection(ADDRESS, timeout=TIMEOUT) as sock:
            sock.sendall(b"hello\n")
            replies.append(read_line(sock))

    with MemoryNetwork().patch():
        join(start(serve), start(client))
    assert replies == ["HELLO"]


def racy() -> None:
    program(fixed=False)


def fixed() -> None:
    program(fixed=True)
