"""A small tic-tac-toe server and client over TCP, built to show how to test network code.

The package is layered, and imports only point down:

- Core, pure and socket-free: :mod:`game.rules` (the board), :mod:`game.protocol` (the wire
  format), :mod:`game.lobby` (pairing and refereeing), :mod:`game.connection` (each end of a
  connection, sans-IO: what follows the bytes it receives), :mod:`game.errors`.
- Net, a thin threaded shell around the core: :mod:`game.sockets` (the injectable socket
  factory and clock), :mod:`game.streams` (a connection's reader and writer),
  :mod:`game.server`, :mod:`game.client`; the second shell, on an asyncio event loop, in
  :mod:`game.asyncio_shell`.
- Face: ``python -m game`` (:mod:`game.__main__`), the command line.

The product never imports its own test doubles; those live in :mod:`game.testing`, built on
the generic kit, ``sockettest``.

Every name below is imported from here, ``from game import Server``, and from nowhere else: the
modules it lives in list in their ``__all__`` only what this does not (``game.server.ALLOWANCE``).

Importing the package is cheap: each name below is loaded on first use (PEP 562), so that
``python -m game`` installs its Ctrl-C handling before anything slow is imported.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing, which takes ~10 ms
if TYPE_CHECKING:
    from game.asyncio_shell import AsyncClient, AsyncServer
    from game.client import Client
    from game.errors import (
        ConnectFailed,
        ConnectionLost,
        GameError,
        IllegalMove,
        LineTooLong,
        ListenFailed,
        NotUTF8,
        ProtocolMismatch,
        ProtocolViolation,
        RequestRejected,
        ResponseTimeout,
        ServerClosed,
        ServerShuttingDown,
    )
    from game.server import Server
    from game.sockets import SocketFactory, SocketLike


__all__ = [
    "AsyncClient",
    "AsyncServer",
    "Client",
    "ConnectFailed",
    "ConnectionLost",
    "GameError",
    "IllegalMove",
    "LineTooLong",
    "ListenFailed",
    "NotUTF8",
    "ProtocolMismatch",
    "ProtocolViolation",
    "RequestRejected",
    "ResponseTimeout",
    "Server",
    "ServerClosed",
    "ServerShuttingDown",
    "SocketFactory",
    "SocketLike",
]

_HOMES = {
    "AsyncClient": "game.asyncio_shell",
    "AsyncServer": "game.asyncio_shell",
    "Client": "game.client",
    "Server": "game.server",
    "SocketFactory": "game.sockets",
    "SocketLike": "game.sockets",
}


def __getattr__(name: str) -> object:
    home = _HOMES.get(name, "game.errors" if name in __all__ else None)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
