"""Check-then-act across a socket call: two clients claim one name, and both get ``OK``.

The racy handler checks that the name is free, answers ``OK``, then records it: another
handler can run during the ``sendall`` and find the name still free. The fix checks and
records under one lock, and answers after.
"""

import socket
import threading
from typing import Any

from benchmarks.common import ADDRESS, TIMEOUT, join, read_line, start
from sockettest import MemoryNetwork


def program(*, fixed: bool) -> None:
    names: set[str] = set()
    lock = threading.Lock()
    replies: list[str] = []

    def handle(conn: Any) -> None:
        with conn:
            name = read_line(conn)
            if fixed:
                with lock:
                    free = name not in names
                    names.add(name)
                conn.sendall(b"OK\n" if free else b"TAKEN\n")
            elif name not in names:  # check ...
                conn.sendall(b"OK\n")  # ... a socket call, where the other handler may run ...
                names.add(name)  # ... then act
            else:
                conn.sendall(b"TAKEN\n")

    def claim() -> None:
        with socket.create_connection(ADDRESS, timeout=TIMEOUT) as sock:
            sock.sendall(b"alice\n")
            replies.append(read_line(sock))

    with MemoryNetwork().patch(), socket.create_server(ADDRESS) as listener:
        listener.settimeout(TIMEOUT)
        clients = [start(claim), start(claim)]
        handlers = [start(handle, listener.accept()[0]) for _ in clients]
        join(*clients, *handlers)
    assert sorted(replies) == ["OK", "TAKEN"], f"two claims of one name got {replies}"


def racy() -> None:
    program(fixed=False)


def fixed() -> None:
    program(fixed=True)
