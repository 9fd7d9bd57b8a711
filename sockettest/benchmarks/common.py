"""What every program of the benchmark shares: the address, the timeout, starting and joining
threads, reading a line.

Every blocking call in a program has a timeout (``TIMEOUT``), so that a bug shows as an error,
not a hang, on real threads as under :func:`sockettest.simulate` (where the timeout is virtual
and costs nothing).
"""

import threading
from collections.abc import Callable
from typing import Any

ADDRESS = ("127.0.0.1", 7070)
TIMEOUT = 0.5
"""Seconds any blocking call may wait: virtual under ``simulate``, real on real threads."""
JOIN_TIMEOUT = 4 * TIMEOUT
"""Seconds :func:`join` waits for a thread: long enough for the thread's own timeouts to fire
first, so that a failure names the call that waited, not the join."""


def start(
    target: Callable[..., object], *args: object, name: str | None = None
) -> threading.Thread:
    """A started thread running ``target(*args)``."""
    thread = threading.Thread(target=target, args=args, name=name)
    thread.start()
    return thread


def join(*threads: threading.Thread) -> None:
    """Wait for each thread; fail if one is still running after ``JOIN_TIMEOUT``."""
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
        assert not thread.is_alive(), f"{thread.name} still running after {JOIN_TIMEOUT} s"


def read_line(sock: Any) -> str:
    """One line, without its newline; what arrived before the end if it has none. It reads a
    byte at a time, so that it never takes the start of the next line."""
    data = b""
    while not data.endswith(b"\n"):
        chunk = sock.recv(1)
        if not chunk:
            break
        data += chunk
    return data.decode().strip()
