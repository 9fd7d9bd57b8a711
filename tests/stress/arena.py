"""A real server that accounts for what it leaves behind: its threads and its sockets.

:class:`TrackedSockets` is a socket factory for :class:`game.Server` that makes real sockets and
remembers every connection the listener accepts, so a test can check that the server closed each
one (a ``ResourceWarning`` would only say so whenever the garbage collector gets to it).
:func:`open_arena` runs such a server; :func:`others_unharmed` wraps a fault in the proof the
issue asks for: a match in progress while it happens plays to its end, a fresh match after it
plays to its end, and the server's threads and sockets return to their idle state.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from game import Server
from game.sockets import Address, SocketLike
from tests.stress.players import DEADLINE, DRAW, HeldMatch, play_match

__all__ = [
    "CLIENT_THREAD_PREFIX",
    "Arena",
    "SocketWrapper",
    "TrackedSockets",
    "client_threads",
    "join_client_threads",
    "open_arena",
    "others_unharmed",
]

CLIENT_THREAD_PREFIX = "game-client"
"""Every connection's reader (``game-client-<peer>``) and writer (``...-writer``) thread."""


def client_threads() -> list[threading.Thread]:
    """The server connection threads alive now, in this process."""
    return [t for t in threading.enumerate() if t.name.startswith(CLIENT_THREAD_PREFIX)]


def join_client_threads(
    keep: frozenset[threading.Thread] = frozenset(), timeout: float = DEADLINE
) -> None:
    """Join every connection thread not in ``keep``, all within ``timeout`` seconds.

    Raises:
        AssertionError: naming the threads still alive at the deadline.
    """
    give_up = time.monotonic() + timeout
    for thread in client_threads():
        if thread not in keep:
            thread.join(max(give_up - time.monotonic(), 0.0))
    alive = [t.name for t in client_threads() if t not in keep]
    assert not alive, f"connection threads still running after {timeout:g} s: {alive}"


class SocketWrapper:
    """A real socket behind the :class:`game.sockets.SocketLike` surface, every call passed on.

    Subclass it and override one method to watch or change what the game does with a socket.
    """

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def accept(self) -> tuple[SocketLike, Any]:
        return self.sock.accept()

    def setsockopt(self, level: int, option: int, value: int, /) -> None:
        self.sock.setsockopt(level, option, value)

    def bind(self, address: Address, /) -> None:
        self.sock.bind(address)

    def listen(self, backlog: int, /) -> None:
        self.sock.listen(backlog)

    def getsockname(self) -> Any:
        return self.sock.getsockname()

    def connect(self, address: Address, /) -> None:
        self.sock.connect(address)

    def settimeout(self, timeout: float | None, /) -> None:
        self.sock.settimeout(timeout)

    def recv(self, bufsize: int, /) -> bytes:
        return self.sock.recv(bufsize)

    def sendall(self, data: bytes, /) -> None:
        self.sock.sendall(data)

    def shutdown(self, how: int, /) -> None:
        self.sock.shutdown(how)

    def close(self) -> None:
        self.sock.close()

    @property
    def closed(self) -> bool:
        return self.sock.fileno() == -1


class _TrackedListener(SocketWrapper):
    """A listening socket that records every connection it accepts in its tracker."""

    def __init__(self, sock: socket.socket, tracker: TrackedSockets) -> None:
        super().__init__(sock)
        self._tracker = tracker

    def accept(self) -> tuple[SocketLike, Any]:
        conn, peer = self.sock.accept()
        self._tracker.add(conn)
        return conn, peer


class TrackedSockets:
    """A socket factory (``factory(family, type)``) of real sockets that keeps every listener
    it made and every connection those accepted; :meth:`open_sockets` names those still open."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: list[_TrackedListener] = []
        self._accepted: list[socket.socket] = []

    def __call__(self, family: int, type: int, /) -> SocketLike:
        listener = _TrackedListener(socket.socket(family, type), self)
        with self._lock:
            self._listeners.append(listener)
        return listener

    def add(self, conn: socket.socket) -> None:
        with self._lock:
            self._accepted.append(conn)

    @property
    def accepted(self) -> int:
        """How many connections the listeners accepted."""
        with self._lock:
            return len(self._accepted)

    def open_sockets(self, *, listeners: bool = True) -> list[str]:
        """The accepted connections (and listeners, unless told not to) still open."""
        with self._lock:
            found = [repr(s) for s in self._accepted if s.fileno() != -1]
            if listeners:
                found += [f"listener {i}" for i, s in enumerate(self._listeners) if not s.closed]
        return found


@dataclass(frozen=True)
class Arena:
    """A running server, the tracker of its sockets, and its idle count of connection threads."""

    server: Server
    address: tuple[str, int]
    sockets: TrackedSockets
    idle_threads: int

    def assert_back_to_idle(self) -> None:
        """Every connection thread has ended and every accepted socket is closed."""
        join_client_threads()
        assert len(client_threads()) == self.idle_threads
        assert self.sockets.open_sockets(listeners=False) == []


@contextlib.contextmanager
def open_arena(**options: Any) -> Iterator[Arena]:
    """A :class:`game.Server` on an ephemeral loopback port with :class:`TrackedSockets`.

    Args:
        options: ``Server`` keywords (``idle_timeout``, ``max_clients``); the idle timeout
            defaults to the tier's deadline.
    """
    options.setdefault("idle_timeout", DEADLINE)
    sockets = TrackedSockets()
    idle = len(client_threads())
    server = Server("127.0.0.1", 0, socket_factory=sockets, **options)
    with server.running(DEADLINE) as address:
        yield Arena(server, address, sockets, idle)
    assert sockets.open_sockets() == []


@contextlib.contextmanager
def others_unharmed(arena: Arena, keepalive: float = 1.0) -> Iterator[HeldMatch]:
    """Hold a match in progress around the block, then prove the fault inside it harmed nobody.

    After the block (which must close the connections it opened): the held match plays to its
    end, a fresh match plays to its end, every connection thread has ended and every accepted
    socket is closed.

    Args:
        arena: the server under test; nobody may be waiting in its lobby.
        keepalive: seconds between the held players' pings (below the server's idle timeout).
    """
    with HeldMatch(arena.address, keepalive) as held:
        yield held
        assert held.finish() == (DRAW, DRAW)
    assert play_match(arena.address) == (DRAW, DRAW)
    arena.assert_back_to_idle()
