"""A missed wake-up: ``Condition.wait`` without a predicate waits for a notify already sent.

A receiver thread reads a line from the socket, appends it to a list and notifies; the worker
waits on the condition, then takes the line. The racy worker waits unconditionally: when the
receiver notified first, nothing wakes it (it would hang; here it waits out its timeout). The
fix waits for the predicate, ``wait_for(lambda: messages)``, which returns at once when the line
is already there.
"""

import socket
import threading
from typing import Any

from benchmarks.common import ADDRESS, TIMEOUT, join, read_line, start
from sockettest import MemoryNetwork


def program(*, fixed: bool) -> None:
    arrived = threading.Condition()
    messages: list[str] = []

    def receive(conn: Any) -> None:
        with conn:
            line = read_line(conn)
        with arrived:
            messages.append(line)
            arrived.notify()

    def work() -> None:
        with arrived:
            if fixed:
                woken = bool(arrived.wait_for(lambda: messages, TIMEOUT))
            else:
                woken = arrived.wait(TIMEOUT)  # the notify may have come already
        assert woken, f"waited {TIMEOUT} s for a notify that had come before the wait"
        assert messages == ["hello"]

    def send() -> None:
        with socket.create_connection(ADDRESS, timeout=TIMEOUT) as sock:
            sock.sendall(b"hello\n")

    with MemoryNetwork().patch(), socket.create_server(ADDRESS) as listener:
        listener.settimeout(TIMEOUT)
        worker, sender = start(work), start(send)
        join(start(receive, listener.accept()[0]), worker, sender)


def racy() -> None:
    program(fixed=False)


def fixed() -> None:
    program(fixed=True)
