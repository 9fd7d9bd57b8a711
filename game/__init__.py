"""A small tic-tac-toe server and client over TCP, built to show how to test network code.

The package is layered, and imports only point down:

- Core, pure and socket-free: :mod:`game.rules` (the board), :mod:`game.protocol` (the wire
  format, sans-IO), :mod:`game.lobby` (pairing and refereeing), :mod:`game.errors`.
- Net, a thin threaded shell around the core: :mod:`game.sockets` (the injectable socket
  factory and clock), :mod:`game.server`, :mod:`game.client`.
- Face: ``python -m game`` (:mod:`game.__main__`), the command line.

The product never imports its own test doubles; those live in :mod:`game.testing`, built on
the generic kit, ``sockettest``.
"""

from game.client import Client, RequestRejected
from game.errors import (
    ConnectFailed,
    ConnectionLost,
    GameError,
    IllegalMove,
    ListenFailed,
    ProtocolMismatch,
    ProtocolViolation,
    ResponseTimeout,
    ServerClosed,
    ServerShuttingDown,
)
from game.server import Server
from game.sockets import SocketFactory, SocketLike

__all__ = [
    "Client",
    "ConnectFailed",
    "ConnectionLost",
    "GameError",
    "IllegalMove",
    "ListenFailed",
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
