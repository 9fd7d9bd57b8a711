"""A ``shutdown()`` racing ``serve_forever``: a server stopped before its thread ran serves on.

A background server starts ``serve_forever`` in a thread, which sets ``running`` first. The racy
``stop`` calls ``shutdown()`` only when ``running`` is set, then closes the listener: stopped
before the thread ran, it skips the shutdown, and ``serve_forever`` then starts on a closed
socket. The fix always calls ``shutdown()``, which is safe before ``serve_forever`` starts: it
then returns at once.
"""

import socketserver
import threading

from benchmarks.common import ADDRESS, join, read_line
from sockettest import MemoryNetwork


class Echo(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        self.wfile.write(read_line(self.request).encode() + b"\n")


class BackgroundServer:
    def __init__(self, *, fixed: bool) -> None:
        self.fixed = fixed
        self.server = socketserver.ThreadingTCPServer(ADDRESS, Echo)
        self.running = False
        self.thread = threading.Thread(target=self._serve, name="serve_forever")

    def _serve(self) -> None:
        self.running = True
        self.server.serve_forever(poll_interval=0.01)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        if self.fixed or self.running:  # not running yet: there seems to be nothing to stop
            self.server.shutdown()
        self.server.server_close()
        join(self.thread)


def program(*, fixed: bool) -> None:
    with MemoryNetwork().patch():
        server = BackgroundServer(fixed=fixed)
        server.start()
        assert server.server.server_address[1] == ADDRESS[1]  # a test that asks for no more
        server.stop()


def racy() -> None:
    program(fixed=False)


def fixed() -> None:
    program(fixed=True)
