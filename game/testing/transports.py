"""One test, two transports: the in-memory network and real loopback sockets.

A :class:`Transport` builds servers and clients wired to one kind of socket. A test written
against it runs unchanged on both, which is how a behaviour gets pinned in the fast tier and
proven on the real network with the same lines of code (the plugin's ``transport`` fixture
runs each test once per transport).
"""

from __future__ import annotations

import socket
from typing import Any

from game.client import Client
from game.server import Server
from game.sockets import SocketLike
from game.testing.memory import MemoryNetwork

__all__ = ["TRANSPORTS", "Transport"]

TRANSPORTS = ("memory", "loopback")


class Transport:
    """Servers and clients on one transport, with every socket they create tracked.

    Args:
        name: ``"memory"`` for a fresh :class:`MemoryNetwork`, ``"loopback"`` for real sockets.
    """

    def __init__(self, name: str) -> None:
        if name not in TRANSPORTS:
            raise ValueError(f"a transport is one of {TRANSPORTS}, not {name!r}")
        self.name = name
        self.network = MemoryNetwork() if name == "memory" else None
        self._made: list[SocketLike] = []

    @classmethod
    def named(cls, name: str) -> Transport:
        """The transport called ``name``."""
        return cls(name)

    def __repr__(self) -> str:
        return f"<Transport {self.name}>"

    def socket_factory(self, family: int, type: int, /) -> SocketLike:
        """Make a socket of this transport, and remember it for :meth:`open_sockets`."""
        made: SocketLike
        if self.network is not None:
            made = self.network.socket_factory(family, type)
        else:
            made = socket.socket(family, type)  # looked up now, so pytest-socket can guard it
        self._made.append(made)
        return made

    def server(self, **options: Any) -> Server:
        """A :class:`game.Server` on an ephemeral port of this transport; not started."""
        options.setdefault("port", 0)
        return Server(socket_factory=self.socket_factory, **options)

    def client(self, address: tuple[str, int], **options: Any) -> Client:
        """A :class:`game.Client` for ``address`` on this transport; not connected."""
        host, port = address
        return Client(host, port, socket_factory=self.socket_factory, **options)

    def close_all(self) -> None:
        """Close every socket this transport made (for teardown, after the leak check)."""
        if self.network is not None:
            self.network.close_all()
        for made in self._made:
            made.close()

    def open_sockets(self) -> list[str]:
        """Sockets this transport made that are still open (accepted ones included in memory)."""
        if self.network is not None:
            return [repr(s) for s in self.network.open_sockets()]
        return [repr(s) for s in self._made if isinstance(s, socket.socket) and s.fileno() != -1]
