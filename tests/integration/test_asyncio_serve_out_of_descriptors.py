"""``python -m game serve --asyncio`` out of file descriptors: it waits, logs it about once a
second, serves the waiting connections once descriptors are free, and stops cleanly.

(asyncio logs a traceback and schedules a retry for every accept of a batch that fails with
``EMFILE``, and each retry accepts a batch again: with a batch of ``SOMAXCONN`` that was
thousands of tracebacks a second.)
"""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from tests.deadline import DEADLINE
from tests.serve_under_load import BANNER

DESCRIPTORS = 64
"""The server process's limit on open files: a few dozen connections exhaust it."""

OUT_OF_DESCRIPTORS = "socket.accept() out of system resource"


SERVE_WITH_FEW_DESCRIPTORS = f"""
import resource, runpy, sys
resource.setrlimit(resource.RLIMIT_NOFILE, ({DESCRIPTORS}, {DESCRIPTORS}))
sys.argv = ["python -m game", "serve", "--asyncio", "--port", "0"]
runpy.run_module("game", run_name="__main__", alter_sys=True)
"""
"""``python -m game serve --asyncio --port 0``, limited to :data:`DESCRIPTORS` open files."""


@contextlib.contextmanager
def serve_with_few_descriptors() -> Iterator[tuple[subprocess.Popen[str], int, Path]]:
    """The asyncio server in a process limited to :data:`DESCRIPTORS` open files; yields the
    process, its port and the file its log goes to. Killed on exit if still running."""
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "stderr"
        with log.open("w") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-c", SERVE_WITH_FEW_DESCRIPTORS],
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
            )
        assert process.stdout is not None
        try:
            banner = process.stdout.readline()  # the readiness signal
            found = BANNER.match(banner)
            assert found is not None, f"not the serve banner: {banner!r}; {log.read_text()}"
            yield process, int(found.group(2)), log
        finally:
            if process.poll() is None:
                process.kill()
            process.wait(DEADLINE)
            process.stdout.close()


def test_out_of_descriptors_the_asyncio_server_logs_once_a_second_and_recovers() -> None:
    """With more connections than descriptors, the log says so at most about once a second
    (not thousands of tracebacks), the connections that waited get their banner once the
    first ones close, and SIGTERM stops the server cleanly."""
    with serve_with_few_descriptors() as (process, port, log), contextlib.ExitStack() as stack:
        clients = [
            stack.enter_context(socket.create_connection(("127.0.0.1", port), DEADLINE))
            for _ in range(DESCRIPTORS * 2)
        ]
        for client in clients:
            client.settimeout(DEADLINE)
        first = clients[0].recv(100)
        waited = threading.Event()
        waited.wait(3.0)  # sleep-ok: the log is counted over a span of time, out of descriptors
        logged = log.read_text().count(OUT_OF_DESCRIPTORS)
        waiting = [c for c in clients[1:] if _waiting(c)]
        served = [c for c in clients if c not in waiting]
        for client in served:
            client.close()
        next_in_line = waiting[0].recv(100)
        process.send_signal(signal.SIGTERM)
        assert process.wait(DEADLINE) == 0
    assert first == next_in_line == b"GAME tictactoe 1\n"
    assert 1 <= logged <= 6, f"{logged} reports of running out of descriptors in 3 s"
    assert 0 < len(served) < DESCRIPTORS


def _waiting(client: socket.socket) -> bool:
    """Whether ``client`` has had no banner yet (it waits in the listener's queue)."""
    client.setblocking(False)
    try:
        client.recv(100)
    except BlockingIOError:
        return True
    finally:
        client.settimeout(DEADLINE)
    return False
