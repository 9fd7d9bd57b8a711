"""A lock-order deadlock between two handlers: one moves from A to B, the other from B to A.

Each account has a lock; a transfer holds both. The racy handler takes the source's lock, then
the destination's: with two opposite transfers, each may hold one lock and wait for the other
(for ever; here until its timeout). The fix takes the two locks in one global order.
"""

import socket
import threading
from typing import Any

from benchmarks.common import ADDRESS, TIMEOUT, join, read_line, start
from sockettest import MemoryNetwork


def program(*, fixed: bool) -> None:
    balances = {"A": 10, "B": 10}
    locks = {name: threading.Lock() for name in balances}

    def handle(conn: Any) -> None:
        with conn:
            source, destination = read_line(conn).split()
            first, second = sorted((source, destination)) if fixed else (source, destination)
            with locks[first]:
                assert locks[second].acquire(timeout=TIMEOUT), f"deadlock: holding {first}"
                try:
                    balances[source] -= 1
                    balances[destination] += 1
                finally:
                    locks[second].release()
            conn.sendall(b"DONE\n")

    def transfer(command: bytes) -> None:
        # It waits longer than the handlers do, so that a deadlock's error is theirs.
        with socket.create_connection(ADDRESS, timeout=2 * TIMEOUT) as sock:
            sock.sendall(command)
            assert read_line(sock) == "DONE"

    with MemoryNetwork().patch(), socket.create_server(ADDRESS) as listener:
        listener.settimeout(TIMEOUT)
        clients = [start(transfer, b"A B\n"), start(transfer, b"B A\n")]
        handlers = [start(handle, listener.accept()[0]) for _ in clients]
        join(*clients, *handlers)
    assert balances == {"A": 10, "B": 10}


def racy() -> None:
    program(fixed=False)


def fixed() -> None:
    program(fixed=True)
