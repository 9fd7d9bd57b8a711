"""One connection's protocol, sans-IO: what each side does with the bytes it receives.

The shape is h11's ``Connection`` and websockets' ``Protocol``: the caller hands in what the
socket gave (:meth:`~ServerConnection.receive_data`, :meth:`~ServerConnection.receive_eof`),
takes out what follows (events, and :meth:`~ServerConnection.data_to_send`), and asks whether
the connection should now close (:meth:`~ServerConnection.close_expected`). Nothing here touches
a socket, a clock or a thread, so the threaded :class:`game.Server`, the blocking
:class:`game.Client` and the in-memory :class:`game.testing.GamePair` are all thin pumps around
the same objects, and none of them decides anything about the protocol on its own.

- :class:`ServerConnection` is the server's end of one client's connection. Its lines go to the
  :class:`~game.lobby.Lobby`, which every connection of one server shares through a
  :class:`Hub`; the hub routes each effect to the connection it is for.
- :class:`ClientConnection` is the client's end: it turns the server's bytes into typed
  messages and knows which ending is expected (after ``BYE``, or ``ERROR server shutting down``).

Rules of this module:

1. A byte stream gives the same events however it is split: both ends frame with one
   :class:`~game.protocol.LineBuffer`, and the complete lines that came before a fatal framing
   error are handled, in order, before the error itself.
2. After a fatal error, or once the lobby closed the connection, the server's end drops
   whatever else arrives: the shell goes on reading until EOF, so that its close sends a FIN,
   not a reset for unread data.
"""

from __future__ import annotations

from collections import deque

from game.errors import ConnectionLost, ProtocolMismatch, ProtocolViolation, ServerShuttingDown
from game.lobby import Effect, Lobby, PlayerId, Send
from game.protocol import (
    GAME,
    SHUTTING_DOWN,
    VERSION,
    Bye,
    ClientCommand,
    Error,
    LineBuffer,
    ServerMessage,
    parse_message,
)

__all__ = ["ClientConnection", "Hub", "ServerConnection"]


class _Lines:
    """Framing, as both ends do it: complete lines in order, then the stream's fatal error."""

    def __init__(self) -> None:
        self._buffer = LineBuffer()
        self._lines: deque[str] = deque()
        self.error: ProtocolViolation | None = None  # comes after every line in _lines

    def feed(self, data: bytes) -> None:
        if self.error is not None:
            return
        try:
            self._lines.extend(self._buffer.feed(data))
        except ProtocolViolation as error:
            self._lines.extend(error.lines)
            self.error = error

    def next(self) -> str | None:
        """The next complete line; ``None`` once none is left (then look at :attr:`error`)."""
        return self._lines.popleft() if self._lines else None


# The server's end -----------------------------------------------------------------------------


class Hub:
    """The server's side of every connection, and the one :class:`~game.lobby.Lobby` they share.

    The lobby decides; the hub puts each of its effects on the connection it is for. Every
    method returns the connections that have something new to send, or that are now to be
    closed, in the order the lobby named them: the shell sends those (or wakes their writers).

    Not thread-safe: one lock around every call, as :class:`game.Server` holds.
    """

    def __init__(self) -> None:
        self.lobby = Lobby()
        self._connections: dict[PlayerId, ServerConnection] = {}

    def connect(self) -> ServerConnection:
        """A client connected: its connection, with the banner already waiting to be sent."""
        player, effects = self.lobby.connect()
        connection = ServerConnection(self, player)
        self._connections[player] = connection
        self._deliver(effects)
        return connection

    def shutdown(self) -> list[ServerConnection]:
        """The server is stopping: every connection gets ``ERROR server shutting down`` and is
        to be closed; nobody forfeits."""
        return self._deliver(self.lobby.shutdown())

    def _deliver(self, effects: list[Effect]) -> list[ServerConnection]:
        touched: dict[PlayerId, ServerConnection] = {}
        for effect in effects:
            connection = self._connections[effect.player]
            if isinstance(effect, Send):
                connection._outgoing += effect.message.encode()
            else:
                connection._closing = True
            touched[connection.player] = connection
        return list(touched.values())


class ServerConnection:
    """The server's end of one client's connection. Made by :meth:`Hub.connect`.

    Feed it bytes with :meth:`receive_data`, then call :meth:`handle_next` until it returns
    ``None``; send :meth:`data_to_send`; once :meth:`close_expected` is true and that data is
    sent, half-close. :meth:`receive_eof` when the peer's stream ends (EOF, reset, or the shell
    giving up on it), and the connection leaves the hub.
    """

    def __init__(self, hub: Hub, player: PlayerId) -> None:
        self.player = player
        self._hub = hub
        self._lines = _Lines()
        self._outgoing = bytearray()
        self._closing = False
        self._failed = False  # the fatal framing error has been handled
        self._gone = False

    def __repr__(self) -> str:
        return f"<ServerConnection player={self.player}>"

    def receive_data(self, data: bytes) -> None:
        """Take bytes the client sent; the lines they complete wait for :meth:`handle_next`."""
        if not self._closing:
            self._lines.feed(data)

    def handle_next(self) -> list[ServerConnection] | None:
        """Handle the next complete line, or else the framing error that ends the stream.

        Returns:
            The connections with something new to send (this one, the opponent's ...), or
            ``None`` when nothing is left to handle until more data arrives.
        """
        if self._gone or self._closing:
            return None
        hub = self._hub
        line = self._lines.next()
        if line is not None:
            return hub._deliver(hub.lobby.receive(self.player, line))
        if self._lines.error is not None and not self._failed:
            self._failed = True
            return self.fail(str(self._lines.error))
        return None

    def fail(self, reason: str) -> list[ServerConnection]:
        """End this connection with ``ERROR reason`` and no ``BYE``: the framing broke, or the
        shell's own verdict (the idle timer). During a match the opponent wins by forfeit."""
        if self._gone:
            return []
        return self._hub._deliver(self._hub.lobby.fail(self.player, reason))

    def receive_eof(self) -> list[ServerConnection]:
        """The client's stream ended: EOF, a reset, or the shell cut it off. The connection
        leaves the hub; during a match the opponent wins by forfeit. Again is harmless."""
        if self._gone:
            return []
        self._gone = True
        hub = self._hub
        touched = hub._deliver(hub.lobby.disconnect(self.player))
        del hub._connections[self.player]
        return touched

    def data_to_send(self) -> bytes:
        """The bytes to send to the client, in order; each byte is returned once."""
        data = bytes(self._outgoing)
        self._outgoing.clear()
        return data

    def close_expected(self) -> bool:
        """True once the lobby closed this connection: send what :meth:`data_to_send` gave,
        then half-close; whatever the client still sends is dropped."""
        return self._closing


# The client's end -----------------------------------------------------------------------------


class ClientConnection:
    """The client's end of a connection to a game server.

    Args:
        peer: how error messages name the server, e.g. ``"127.0.0.1:7777"``.
    """

    def __init__(self, peer: str = "the server") -> None:
        self.peer = peer
        self._lines = _Lines()
        self._eof = False
        self._close_expected = False

    def __repr__(self) -> str:
        return f"<ClientConnection {self.peer}>"

    def send(self, command: ClientCommand) -> bytes:
        """The bytes that send ``command``."""
        return command.encode()

    def receive_data(self, data: bytes) -> None:
        """Take bytes the server sent; the messages they complete wait for
        :meth:`next_message`."""
        self._lines.feed(data)

    def receive_eof(self) -> None:
        """The server's stream ended (EOF, or a reset once a close was expected)."""
        self._eof = True

    def close_expected(self) -> bool:
        """True once the server said it closes: ``BYE``, or ``ERROR server shutting down``."""
        return self._close_expected

    def next_message(self) -> ServerMessage | None:
        """The next message the server sent, parsed; ``None`` until more data arrives.

        Raises:
            ProtocolMismatch: the server sent a line that is not of this protocol, or broke
                the framing (after every complete line before it was returned).
            ServerShuttingDown: the server is stopping; it closes the connection next.
            ConnectionLost: the stream ended (after every complete line was returned).
        """
        line = self._lines.next()
        if line is None:
            if self._lines.error is not None:
                error = self._lines.error
                raise ProtocolMismatch(f"{self.peer} sent something unexpected: {error}")
            if self._eof:
                after = " after BYE" if self._close_expected else ""
                raise ConnectionLost(f"{self.peer} closed the connection{after}")
            return None
        try:
            message = parse_message(line)
        except ProtocolViolation:
            raise ProtocolMismatch(
                f"{self.peer} is not a {GAME} {VERSION} server: it sent {line[:64]!r}"
            ) from None
        if isinstance(message, Bye):
            self._close_expected = True
        elif message == Error(SHUTTING_DOWN):
            self._close_expected = True
            raise ServerShuttingDown(f"{self.peer} is shutting down")
        return message
