"""A real server that accounts for what it leaves behind: its threads and its sockets.

:class:`sockettest.Transport` (``"loopback"``) is a socket factory for :class:`game.Server` that
makes real sockets and remembers every connection the listener accepts, so a test can check that
the server closed each one (a ``ResourceWarning`` would only say so whenever the garbage collector
gets to it).
:func:`open_arena` runs such a server; :func:`others_unharmed` wraps a fault in the proof the
issue asks for: a match in progress while it happens plays to its end, a fresh match after it
plays to its end, and the server's threads and sockets return to their idle state.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from game import Server
from game.testing import play_match
from sockettest import Transport
from tests.stress.players import DRAW, UNDER_LOAD, HeldMatch

__all__ = [
    "CLIENT_THREAD_PREFIX",
    "Arena",
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
    keep: frozenset[threading.Thread] = frozenset(), timeout: float = UNDER_LOAD
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


@dataclass(frozen=True)
class Arena:
    """A running server, the tracker of its sockets, and its idle count of connection threads."""

    server: Server
    address: tuple[str, int]
    sockets: Transport
    idle_threads: int

    def assert_back_to_idle(self) -> None:
        """Every connection thread has ended and every accepted socket is closed."""
        join_client_threads()
        assert len(client_threads()) == self.idle_threads
        assert self.sockets.open_socket_names(listeners=False) == []


@contextlib.contextmanager
def open_arena(**options: Any) -> Iterator[Arena]:
    """A :class:`game.Server` on an ephemeral loopback port, its sockets tracked by a
    :class:`sockettest.Transport`.

    Args:
        options: ``Server`` keywords (``idle_timeout``, ``max_clients``); the idle timeout
            defaults to the tier's deadline.
    """
    options.setdefault("idle_timeout", UNDER_LOAD)
    sockets = Transport("loopback")
    idle = len(client_threads())
    server = Server("127.0.0.1", 0, socket_factory=sockets.socket_factory, **options)
    with server.running(UNDER_LOAD) as address:
        yield Arena(server, address, sockets, idle)
    assert sockets.open_socket_names() == []


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
    assert play_match(arena.address, names=("fresh-1", "fresh-2"), timeout=UNDER_LOAD) == (
        DRAW,
        DRAW,
    )
    arena.assert_back_to_idle()
