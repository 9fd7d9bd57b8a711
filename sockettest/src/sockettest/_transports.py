"""One test, two transports: the in-memory network and real loopback sockets.

A :class:`Transport` is a socket factory that tracks what it makes and what those accept. A test
written against it runs unchanged on both, which is how a behaviour gets pinned in the unit tier
and proven on the real network with the same lines of code (the plugin's ``memory_or_loopback``
fixture runs each test once per transport).
"""

from __future__ import annotations

import socket
import threading
from typing import Any

from sockettest._network import MemoryNetwork
from sockettest._patch import in_force
from sockettest._types import Socket

__all__ = ["TRANSPORTS", "Transport"]

TRANSPORTS = ("memory", "loopback")
"""The names a :class:`Transport` takes: a fresh in-memory network, or real loopback sockets."""


class Transport:
    """A socket factory for one transport, with every socket it makes tracked.

    Args:
        name: ``"memory"`` for a fresh :class:`~sockettest.MemoryNetwork` (``.network``),
            ``"loopback"`` for real sockets (connect them to ``127.0.0.1`` or ``::1``).

    Raises:
        ValueError: another name.
    """

    def __init__(self, name: str) -> None:
        if name not in TRANSPORTS:
            raise ValueError(f"a transport is one of {TRANSPORTS}, not {name!r}")
        self.name = name
        self.network = MemoryNetwork() if name == "memory" else None
        self._lock = threading.Lock()
        self._made: list[socket.socket] = []
        self._accepted: list[socket.socket] = []
        self._classes: dict[type, type] = {}

    def __repr__(self) -> str:
        return f"<Transport {self.name}>"

    def socket_factory(self, family: int = -1, type: int = -1, /) -> Socket:
        """Make a socket of this transport: pass it as the code under test's factory.

        On loopback it is a real :class:`socket.socket` (a subclass that records what its
        ``accept`` returns), made from the class bound *now*, so pytest-socket's guard sees it.

        Raises:
            RuntimeError: on loopback, while the socket module is patched to an in-memory
                network: the socket would be in memory, and the loopback case would test it.
        """
        if self.network is not None:
            return self.network.socket_factory(family, type)
        patched = in_force()
        if patched is not None:
            raise RuntimeError(
                f"the loopback transport makes real sockets, but the socket module is patched "
                f"to {patched!r}: end the patch (or drop patched_network) to test on loopback"
            )
        made = self._tracking(socket.socket)(family, type)
        with self._lock:
            self._made.append(made)
        return made

    @property
    def accepted(self) -> int:
        """How many connections the sockets of this transport have accepted."""
        if self.network is not None:
            return self.network.accepted
        with self._lock:
            return len(self._accepted)

    def open_socket_names(self, *, listeners: bool = True) -> list[str]:
        """The names (reprs) of the sockets this transport made, and of the connections they
        accepted, still open.

        Args:
            listeners: include the sockets the factory made; ``False``: accepted ones only.
        """
        if self.network is not None:
            return [
                repr(s)
                for s in self.network.open_sockets()
                if listeners or s.accepted_by is not None
            ]
        with self._lock:
            watched = [*self._accepted, *(self._made if listeners else ())]
        return [repr(s) for s in watched if s.fileno() != -1]

    def close_all(self) -> None:
        """Close every socket this transport made or accepted (for teardown, after the check)."""
        if self.network is not None:
            self.network.close_all()
        with self._lock:
            watched = [*self._made, *self._accepted]
        for sock in watched:
            sock.close()

    def _tracking(self, base: type[socket.socket]) -> type[socket.socket]:
        """``base`` (the class :class:`socket.socket` names now) with an ``accept`` that
        records each connection; one subclass per base."""
        with self._lock:
            tracking = self._classes.get(base)
            if tracking is None:
                tracking = self._classes[base] = _tracking_class(base, self)
        return tracking


def _tracking_class(base: type[socket.socket], transport: Transport) -> type[socket.socket]:
    def accept(self: socket.socket) -> tuple[socket.socket, Any]:
        conn, address = base.accept(self)
        with transport._lock:
            transport._accepted.append(conn)
        return conn, address

    return type(base.__name__, (base,), {"accept": accept, "__module__": base.__module__})
