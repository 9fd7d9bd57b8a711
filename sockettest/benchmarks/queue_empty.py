"""A producer/consumer queue checked with ``empty()``: the consumer stops before the work came.

A receiver thread puts each line from the socket on a queue; a worker takes them off. The racy
worker loops ``while not queue.empty()``: an empty queue means "not yet" as well as "no more",
and when the worker looks before the first line (or between two), it stops with lines still to
come. The fix ends the stream with a sentinel (``None``), and the worker stops only at it.
"""

import queue
import socket
from typing import Any

from benchmarks.common import ADDRESS, TIMEOUT, join, read_line, start
from sockettest import MemoryNetwork

LINES = ["a", "b", "c"]


def program(*, fixed: bool) -> None:
    work: queue.Queue[str | None] = queue.Queue()
    done: list[str | None] = []

    def receive(conn: Any) -> None:
        with conn:
            for _ in LINES:
                work.put(read_line(conn))
        if fixed:
            work.put(None)  # no more

    def worker() -> None:
        if fixed:
            while (line := work.get(timeout=TIMEOUT)) is not None:
                done.append(line)
        else:
            while not work.empty():  # empty now is not empty for ever
                done.append(work.get(timeout=TIMEOUT))

    def send() -> None:
        with socket.create_connection(ADDRESS, timeout=TIMEOUT) as sock:
            for line in LINES:
                sock.sendall(line.encode() + b"\n")

    with MemoryNetwork().patch(), socket.create_server(ADDRESS) as listener:
        listener.settimeout(TIMEOUT)
        sender = start(send)
        receiver = start(receive, listener.accept()[0])
        join(start(worker), receiver, sender)
    assert done == LINES, f"the worker handled {done} of {LINES}"


def racy() -> None:
    program(fixed=False)


def fixed() -> None:
    program(fixed=True)
