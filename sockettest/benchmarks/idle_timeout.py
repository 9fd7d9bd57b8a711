"""An idle timeout racing the last message: the server hangs up while it answers.

A reaper (a ``threading.Timer``) shuts an idle connection down after ``IDLE`` seconds, unless
the handler is busy; the client's one message arrives at about that moment. The racy reaper
checks and shuts, and the handler checks and marks itself busy, with no lock: each may act on
what the other has just changed. The handler's reply then fails (``BrokenPipeError``), or the
handler closes the socket and the reaper's ``shutdown`` finds it closed (``EBADF``). The fix
decides under one lock: the reaper shuts only a connection that is not busy, and the handler
answers only one that is not shut. (The client may then find its connection closed as idle,
a fair answer.)
"""

import socket
import threading
import time
from contextlib import nullcontext
from typing import Any

from benchmarks.common import ADDRESS, TIMEOUT, join, read_line, start
from sockettest import MemoryNetwork

IDLE = 0.01


def program(*, fixed: bool) -> None:
    lock = threading.Lock()
    state = {"busy": False, "closed": False}

    def handle(conn: Any) -> None:
        def reap() -> None:
            with lock if fixed else nullcontext():
                if not state["busy"]:
                    state["closed"] = True
                    conn.shutdown(socket.SHUT_RDWR)

        reaper = threading.Timer(IDLE, reap)
        reaper.start()
        with conn:
            try:
                message = conn.recv(64)
            except ConnectionResetError:  # the reaper shut it, then the message came
                message = b""
            with lock if fixed else nullcontext():
                if message and not state["closed"]:
                    state["busy"] = True
            if state["busy"]:
                conn.sendall(b"ACK " + message)  # racy: the reaper may have shut it already
        join(reaper)

    def client() -> None:
        with socket.create_connection(ADDRESS, timeout=TIMEOUT) as sock:
            time.sleep(IDLE)  # sleep-ok: the client's pause, as long as the idle timeout
            try:
                sock.sendall(b"last\n")
                reply = read_line(sock)
            except (BrokenPipeError, ConnectionResetError):
                reply = ""  # closed as idle before the message
        assert reply in {"ACK last", ""}, reply

    with MemoryNetwork().patch(), socket.create_server(ADDRESS) as listener:
        listener.settimeout(TIMEOUT)
        talker = start(client)
        join(start(handle, listener.accept()[0]), talker)


def racy() -> None:
    program(fixed=False)


def fixed() -> None:
    program(fixed=True)
