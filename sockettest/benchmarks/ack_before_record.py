"""Acknowledged before recorded (the benchmark's own): the client reads the server's log
between the server's reply and its write to the log.

The server answers ``OK`` to a request, then writes it to its log; the client, once it has its
``OK``, reads the log, as a test of the server would. The ``OK`` promises what is not yet true:
the client may run between the ``sendall`` and the write. The fix records first, then replies.

The log takes a lock, as a log shared by threads must: that lock is the scheduling point where
the client can run. With a bare ``list.append`` there is none between the reply and the write,
and ``simulate`` cannot find the bug (it never preempts plain Python), though real threads can.
"""

import socket
import threading
from typing import Any

from benchmarks.common import ADDRESS, TIMEOUT, join, read_line, start
from sockettest import MemoryNetwork


class Log:
    """Lines written by several threads."""

    def __init__(self) -> None:
        self._lines: list[str] = []
        self._lock = threading.Lock()

    def write(self, line: str) -> None:
        with self._lock:
            self._lines.append(line)

    def read(self) -> list[str]:
        with self._lock:
            return list(self._lines)


def program(*, fixed: bool) -> None:
    log = Log()

    def serve(listener: Any) -> None:
        conn, _ = listener.accept()
        with conn:
            request = read_line(conn)
            if fixed:
                log.write(request)
            conn.sendall(b"OK\n")
            if not fixed:
                log.write(request)  # the client may already have read the log

    def client() -> None:
        with socket.create_connection(ADDRESS, timeout=TIMEOUT) as sock:
            sock.sendall(b"save 42\n")
            assert read_line(sock) == "OK"
        lines = log.read()
        assert lines == ["save 42"], f"acknowledged, but the log holds {lines}"

    with MemoryNetwork().patch(), socket.create_server(ADDRESS) as listener:
        listener.settimeout(TIMEOUT)
        server = start(serve, listener)
        join(start(client), server)


def racy() -> None:
    program(fixed=False)


def fixed() -> None:
    program(fixed=True)
