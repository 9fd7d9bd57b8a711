"""A reply written to the wrong client after a reconnect: the old session's answer goes to the
new one.

A client says who it is (``HELLO alice``), then asks for something (``GET 1``). The racy server
keeps each user's latest connection in a dict and replies through it: when alice reconnects
(a second session, ``GET 2``) before her first request is answered, the first answer goes to the
second session. The fix replies on the connection the request came in on.
"""

import socket
from typing import Any

from benchmarks.common import ADDRESS, TIMEOUT, join, read_line, start
from sockettest import MemoryNetwork


def program(*, fixed: bool) -> None:
    sessions: dict[str, Any] = {}

    def handle(conn: Any) -> None:
        with conn:
            user = read_line(conn).removeprefix("HELLO ")
            sessions[user] = conn  # the user's latest connection
            request = read_line(conn).removeprefix("GET ")
            reply_to = conn if fixed else sessions[user]  # after a reconnect: the new one
            reply_to.sendall(f"{request}\n".encode())
            read_line(conn)  # wait for the client to hang up

    def alice() -> None:
        first = socket.create_connection(ADDRESS, timeout=TIMEOUT)
        first.sendall(b"HELLO alice\nGET 1\n")
        second = socket.create_connection(ADDRESS, timeout=TIMEOUT)  # reconnects, impatient
        with first, second:
            second.sendall(b"HELLO alice\nGET 2\n")
            assert read_line(second) == "2", "the second session got the first one's reply"
            assert read_line(first) == "1"

    with MemoryNetwork().patch(), socket.create_server(ADDRESS) as listener:
        listener.settimeout(TIMEOUT)
        client = start(alice)
        handlers = [start(handle, listener.accept()[0]) for _ in range(2)]
        join(client, *handlers)


def racy() -> None:
    program(fixed=False)


def fixed() -> None:
    program(fixed=True)
