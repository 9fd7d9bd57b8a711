"""The exceptions the game raises, in one place so callers can catch them by kind.

Every error is a :class:`GameError`. The ones that mean "the connection to the other side
failed" also derive from the builtin :class:`ConnectionError`, and a timeout also derives from
:class:`TimeoutError`, so code that already handles socket errors handles ours too.

Messages say what happened, where, and what to do next: they are shown to people by the CLI.
"""

from __future__ import annotations

__all__: list[str] = []  # every exception is imported from game


class GameError(Exception):
    """Base class of every error this package raises on purpose."""


class IllegalMove(GameError, ValueError):
    """A move the rules forbid: out of turn, onto a taken cell, or after the game ended."""


class ProtocolViolation(GameError, ValueError):
    """A line that does not follow the wire protocol (see docs/PROTOCOL.md).

    Attributes:
        lines: when the violation broke a byte stream, the complete lines that came before it
            in the same bytes, in order: the reader handles them first, so that what follows
            from a stream does not depend on how it was split.
    """

    def __init__(self, *args: object, lines: list[str] | None = None) -> None:
        super().__init__(*args)
        self.lines: list[str] = [] if lines is None else lines


class LineTooLong(ProtocolViolation):
    """512 bytes (``MAX_LINE``) arrived without a line ending (fatal: the stream cannot resync)."""


class NotUTF8(ProtocolViolation):
    """A line's bytes are not valid UTF-8 (fatal)."""


class ListenFailed(GameError, OSError):
    """The server could not bind or listen on its address (in use, not permitted, bad host)."""


class ServerClosed(GameError):
    """The server was shut down before it started listening."""


class ConnectFailed(GameError, ConnectionError):
    """The client could not open a TCP connection to the server."""


class ConnectionLost(GameError, ConnectionError):
    """The connection ended (EOF, reset) while the client still expected the server to talk."""


class ServerShuttingDown(ConnectionLost):
    """The server said it is stopping (``ERROR server shutting down``) and closes the connection."""


class ProtocolMismatch(GameError, ConnectionError):
    """The peer answered, but it does not speak this game's protocol."""


class RequestRejected(GameError):
    """The server answered a request with ``ERROR``; the message is the server's reason."""


class ResponseTimeout(GameError, TimeoutError):
    """The server did not answer within the client's timeout."""
