"""A lost update across a ``recv``: two clients add to one total, and one addition is lost.

The racy handler reads the total, waits for its client's number, then writes back the total
it read plus the number: the other handler's update, made during the ``recv``, is overwritten.
The fix receives first, then reads and writes the total under one lock.
"""

import socket
import threading
from typing import Any

from benchmarks.common import ADDRESS, TIMEOUT, join, read_line, start
from sockettest import MemoryNetwork


class Account:
    def __init__(self) -> None:
        self.total = 0
        self.lock = threading.Lock()


def program(*, fixed: bool) -> None:
    account = Account()

    def handle(conn: Any) -> None:
        with conn:
            if fixed:
                amount = int(read_line(conn))
                with account.lock:
                    account.total += amount
            else:
                before = account.total  # read ...
                amount = int(read_line(conn))  # ... a recv, where the other handler may add ...
                account.total = before + amount  # ... write back: its addition is lost
            conn.sendall(b"OK\n")

    def deposit(amount: int) -> None:
        with socket.create_connection(ADDRESS, timeout=TIMEOUT) as sock:
            sock.sendall(b"%d\n" % amount)
            assert read_line(sock) == "OK"

    with MemoryNetwork().patch(), socket.create_server(ADDRESS) as listener:
        listener.settimeout(TIMEOUT)
        clients = [start(deposit, 1), start(deposit, 2)]
        handlers = [start(handle, listener.accept()[0]) for _ in clients]
        join(*clients, *handlers)
    assert account.total == 3, f"deposits of 1 and 2 left a total of {account.total}"


def racy() -> None:
    program(fixed=False)


def fixed() -> None:
    program(fixed=True)
