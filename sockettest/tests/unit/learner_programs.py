"""Programs written the usual way, with no testing hook: plain ``socket.socket()``,
``socket.create_connection``, ``socketserver``, ``selectors`` and ``http.server``.

Nothing here takes a socket factory or a clock: the tests run these programs unmodified under
``MemoryNetwork.patch()`` (or the ``patched_network`` fixture). Every name is looked up in the
:mod:`socket` module when called (``import socket``, never ``from socket import socket``), as
newcomers' code does.
"""

from __future__ import annotations

import selectors
import socket
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import TracebackType
from typing import Any

# A key-value server: socketserver.ThreadingTCPServer and a StreamRequestHandler ---------------


class KeyValueServer(socketserver.ThreadingTCPServer):
    """``SET k v`` -> ``OK``, ``GET k`` -> the value or ``NONE``, ``QUIT`` -> ``BYE`` and close."""

    def __init__(self, address: tuple[str, int]) -> None:
        self.store: dict[str, str] = {}
        self.store_lock = threading.Lock()
        super().__init__(address, KeyValueHandler)


class KeyValueHandler(socketserver.StreamRequestHandler):
    """One connection of a :class:`KeyValueServer`: one command a line, one answer a line."""

    def handle(self) -> None:
        server = self.server
        assert isinstance(server, KeyValueServer)
        for raw in self.rfile:
            words = raw.decode("utf-8", "replace").strip().split(maxsplit=2)
            if words == ["QUIT"]:
                self.wfile.write(b"BYE\n")
                return
            if len(words) == 3 and words[0] == "SET":
                with server.store_lock:
                    server.store[words[1]] = words[2]
                reply = "OK"
            elif len(words) == 2 and words[0] == "GET":
                with server.store_lock:
                    reply = server.store.get(words[1], "NONE")
            else:
                reply = "ERROR bad command"
            self.wfile.write(reply.encode() + b"\n")


class KeyValueClient:
    """A client of :class:`KeyValueServer` over ``create_connection`` and ``makefile("rwb")``."""

    def __init__(self, host: str, port: int, timeout: float = 5.0) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.file = self.sock.makefile("rwb")

    def __enter__(self) -> KeyValueClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def ask(self, line: str) -> str:
        """Send one command line and return the server's one-line answer."""
        self.file.write(line.encode() + b"\n")
        self.file.flush()
        reply = self.file.readline()
        if not reply:
            raise ConnectionError("the server closed the connection")
        return reply.decode().rstrip("\n")

    def set(self, key: str, value: str) -> str:
        return self.ask(f"SET {key} {value}")

    def get(self, key: str) -> str:
        return self.ask(f"GET {key}")

    def quit(self) -> str:
        return self.ask("QUIT")

    def read_rest(self) -> bytes:
        """Whatever the server sends until it closes (``b""`` once it has)."""
        return self.file.read()

    def close(self) -> None:
        self.file.close()
        self.sock.close()


# A non-blocking echo server with selectors, after the Python docs' example ----------------------


class SelectorEchoServer:
    """The ``selectors`` echo server of the Python documentation, with a stop flag.

    As in the docs, ``read`` ignores a short ``send``: fine while the buffers are large.
    """

    def __init__(self, host: str = "localhost", port: int = 0) -> None:
        self.sel = selectors.DefaultSelector()
        self.sock = socket.socket()
        self.sock.bind((host, port))
        self.sock.listen(100)
        self.sock.setblocking(False)
        self.sel.register(self.sock, selectors.EVENT_READ, self.accept)
        self._stopping = threading.Event()

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.sock.getsockname()[:2]
        return host, port

    def accept(self, sock: socket.socket, mask: int) -> None:
        conn, _addr = sock.accept()
        conn.setblocking(False)
        self.sel.register(conn, selectors.EVENT_READ, self.read)

    def read(self, conn: socket.socket, mask: int) -> None:
        data = conn.recv(1000)
        if data:
            conn.send(data)
        else:
            self.sel.unregister(conn)
            conn.close()

    def serve_forever(self) -> None:
        while not self._stopping.is_set():
            events = self.sel.select(timeout=0.05)
            for key, mask in events:
                callback = key.data
                callback(key.fileobj, mask)

    def stop(self) -> None:
        self._stopping.set()

    def close(self) -> None:
        """Close every registered socket (the listener included) and the selector."""
        for key in list(self.sel.get_map().values()):
            self.sel.unregister(key.fileobj)
            fileobj: Any = key.fileobj
            fileobj.close()
        self.sel.close()


# A tiny web server with http.server -------------------------------------------------------------

HELLO_BODY = b"hello from a learner's web server\n"


class HelloHandler(BaseHTTPRequestHandler):
    """Answers every GET with :data:`HELLO_BODY` and an ``X-Learner`` header."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(HELLO_BODY)))
        self.send_header("X-Learner", "yes")
        self.end_headers()
        self.wfile.write(HELLO_BODY)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep stderr clean."""


def hello_server(host: str = "127.0.0.1", port: int = 0) -> HTTPServer:
    return HTTPServer((host, port), HelloHandler)


# A server that hangs up on idle clients -------------------------------------------------------


class IdleHangupServer:
    """Echoes lines; a connection silent for ``idle_timeout`` seconds gets ``BYE idle`` and is
    closed. One connection at a time; :meth:`stop` (from another thread) ends the accept loop.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, idle_timeout: float = 300) -> None:
        self.idle_timeout = idle_timeout
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind((host, port))
        self.listener.listen(5)
        self._stopping = threading.Event()

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.listener.getsockname()[:2]
        return host, port

    def serve_forever(self) -> None:
        while True:
            try:
                conn, _addr = self.listener.accept()
            except OSError:
                if self._stopping.is_set():
                    return
                raise
            with conn:
                self.handle(conn)

    def handle(self, conn: socket.socket) -> None:
        conn.settimeout(self.idle_timeout)
        try:
            while data := conn.recv(1024):
                conn.sendall(data)
        except TimeoutError:
            conn.sendall(b"BYE idle\n")

    def stop(self) -> None:
        self._stopping.set()
        self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept, on Linux too

    def close(self) -> None:
        self.listener.close()
