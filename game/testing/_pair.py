"""The sans-IO pair: the server's connection objects and its clients', joined in memory.

Like h11's ``tests/helpers.py::ConnectionPair``: no socket, no thread, no clock. A
:class:`GamePair` owns a :class:`~game.connection.Hub`, and per client the two sans-IO ends
that :class:`game.Server` and :class:`game.Client` are thin shells around: a
:class:`~game.connection.ServerConnection` and a :class:`~game.connection.ClientConnection`.
Every call is pumped to completion before it returns, in the test's own thread:

    client command --ClientConnection.send--> bytes --ServerConnection--> Lobby --> effects
    --> bytes --ClientConnection--> ServerMessage

So a test through the pair exercises the wire format (encoding, framing, parsing) and the very
objects that decide what the server and the client do, and it does so in microseconds: the
fastest tier of protocol tests.

Rules of this module:

1. The pair only pumps: what follows from the bytes is decided by the connection objects, as in
   the socket shells. A ``Close`` closes the connection after the lines queued before it.
2. ``chunk_size`` splits every byte stream, both ways, into pieces of that size, to show the
   protocol does not care how TCP splits its bytes.
3. What a client received is kept until read: :meth:`GamePair.messages` drains it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from game.connection import ClientConnection, Hub, ServerConnection
from game.lobby import Lobby, PlayerId
from game.protocol import (
    Bye,
    ClientCommand,
    End,
    Error,
    Hello,
    Move,
    ServerMessage,
    Turn,
    Update,
)
from game.rules import Board, suggest_move

__all__ = ["GamePair", "PairClient", "play_game"]


@dataclass(eq=False)
class PairClient:
    """One client's end of a :class:`GamePair`: a handle to pass back to the pair.

    Attributes:
        name: the label given to :meth:`GamePair.connect` (not sent: say ``HELLO`` for that).
        player: the lobby's id for this connection.
    """

    name: str
    player: PlayerId
    _server: ServerConnection = field(repr=False)
    _client: ClientConnection = field(repr=False)
    _server_closed: bool = field(default=False, repr=False)
    _raw: bytearray = field(default_factory=bytearray, repr=False)
    _inbox: list[ServerMessage] = field(default_factory=list, repr=False)
    _hung_up: bool = field(default=False, repr=False)

    def __repr__(self) -> str:
        return f"<PairClient {self.name} player={self.player}>"


class GamePair:
    """A server's protocol objects and any number of clients', pumped synchronously.

    Args:
        chunk_size: deliver every byte stream in pieces of this many bytes (``None``: whole).

    Example::

        pair = GamePair()
        alice, bob = pair.connect("alice"), pair.connect("bob")
        pair.send(alice, Hello("alice"))
        pair.send(bob, Hello("bob"))
        assert Start(Mark.X, "bob") in pair.messages(alice)
    """

    def __init__(self, *, chunk_size: int | None = None) -> None:
        if chunk_size is not None and chunk_size < 1:
            raise ValueError(f"chunk_size must be at least 1 or None, not {chunk_size!r}")
        self.hub = Hub()
        self.chunk_size = chunk_size
        self._clients: dict[PlayerId, PairClient] = {}

    def __repr__(self) -> str:
        return f"<GamePair clients={[c.name for c in self._clients.values()]}>"

    @property
    def lobby(self) -> Lobby:
        """The lobby every connection of the pair shares."""
        return self.hub.lobby

    @property
    def clients(self) -> list[PairClient]:
        """Every client connected so far, in order, hung up or not."""
        return list(self._clients.values())

    # Client actions ---------------------------------------------------------------------------

    def connect(self, name: str = "") -> PairClient:
        """Open a connection: the lobby registers a player and its banner is delivered.

        Args:
            name: a label for messages and ``repr``; ``client-<id>`` if empty.
        """
        server = self.hub.connect()
        label = name or f"client-{server.player}"
        client = PairClient(label, server.player, server, ClientConnection(label))
        self._clients[server.player] = client
        self._deliver([server])
        return client

    def join(self, name: str) -> PairClient:
        """:meth:`connect` and say ``HELLO name``: the usual first two steps."""
        client = self.connect(name)
        self.send(client, Hello(name))
        return client

    def send(self, client: PairClient, command: ClientCommand) -> None:
        """Send ``command`` as its wire bytes; every effect is delivered before this returns."""
        self.send_bytes(client, client._client.send(command))

    def send_line(self, client: PairClient, line: str) -> None:
        """Send ``line`` plus ``\\n``, verbatim: for lines no :class:`Message` can make."""
        self.send_bytes(client, (line + "\n").encode("utf-8"))

    def send_bytes(self, client: PairClient, data: bytes) -> None:
        """Send raw bytes as the client's socket would, split by ``chunk_size``.

        Raises:
            RuntimeError: the client hung up (:meth:`hang_up`); a closed socket cannot send.
        """
        if client._hung_up:
            raise RuntimeError(f"{client.name} hung up: it cannot send any more")
        for chunk in self._chunks(data):
            client._server.receive_data(chunk)
            while (touched := client._server.handle_next()) is not None:
                self._deliver(touched)

    def hang_up(self, client: PairClient) -> None:
        """The client closes its connection: the server sees EOF. Again is harmless."""
        if client._hung_up:
            return
        client._hung_up = True
        self._deliver(client._server.receive_eof())

    # What clients saw -------------------------------------------------------------------------

    def messages(self, client: PairClient) -> list[ServerMessage]:
        """Return what ``client`` received since the last call, parsed, and forget it."""
        inbox, client._inbox = client._inbox, []
        return inbox

    def raw(self, client: PairClient) -> bytes:
        """Every byte the server sent ``client``, in order (not drained)."""
        return bytes(client._raw)

    def is_closed(self, client: PairClient) -> bool:
        """True once the server closed ``client``'s connection (a ``Close`` effect)."""
        return client._server_closed

    # The game, whole --------------------------------------------------------------------------

    def play(
        self,
        first: PairClient,
        second: PairClient,
        choose: Callable[[Board], int] = suggest_move,
        *,
        max_rounds: int = 100,
    ) -> tuple[End, End]:
        """Let two connected clients say ``HELLO`` and play one match to its end.

        Each client acts as :meth:`game.Client.play` does: it tracks the board from ``BOARD``
        and answers ``TURN`` with ``MOVE choose(board)``. Both hang up after ``BYE``.

        Returns:
            The ``END`` each received, ``(first's, second's)``.

        Raises:
            AssertionError: a client got ``ERROR``, or ``BYE`` before ``END``, or the match
                did not end within ``max_rounds`` rounds; the message has what each received.
        """
        seen: dict[PairClient, list[ServerMessage]] = {first: [], second: []}
        boards = {first: Board(), second: Board()}
        ends: dict[PairClient, End] = {}
        self.send(first, Hello(first.name))
        self.send(second, Hello(second.name))
        for _ in range(max_rounds):
            for client in (first, second):
                for message in self.messages(client):
                    seen[client].append(message)
                    if isinstance(message, Update):
                        boards[client] = message.board
                    elif isinstance(message, Turn):
                        self.send(client, Move(choose(boards[client])))
                    elif isinstance(message, End):
                        ends[client] = message
                    elif isinstance(message, Bye) and client in ends:
                        self.hang_up(client)
                    elif isinstance(message, Bye | Error):
                        raise AssertionError(f"{client.name} got {message.to_line()!r}: {seen}")
            if len(ends) == 2 and first._hung_up and second._hung_up:
                return ends[first], ends[second]
        raise AssertionError(f"no END within {max_rounds} rounds: {seen}")

    # Pumping ----------------------------------------------------------------------------------

    def _chunks(self, data: bytes) -> Iterator[bytes]:
        size = self.chunk_size or max(len(data), 1)
        for start in range(0, len(data), size):
            yield data[start : start + size]

    def _deliver(self, touched: list[ServerConnection]) -> None:
        """Carry what the server's ends have to send to the clients' ends, as the server's
        threads would; nothing reaches a client after the server closed it, or it hung up."""
        for server in touched:
            client = self._clients[server.player]
            data = server.data_to_send()
            if not (client._server_closed or client._hung_up):
                client._raw += data
                for chunk in self._chunks(data):
                    client._client.receive_data(chunk)
                    while (message := client._client.next_message()) is not None:
                        client._inbox.append(message)
            client._server_closed = client._server_closed or server.close_expected()


def play_game(
    choose: Callable[[Board], int] = suggest_move,
    *,
    names: tuple[str, str] = ("alice", "bob"),
    chunk_size: int | None = None,
) -> tuple[End, End]:
    """Play one whole match through a fresh :class:`GamePair`; return both ``END`` results.

    The sans-IO leg of the timing comparison (loopback vs in-memory network vs this): the same
    two bots, the same bytes, no socket and no thread.

    Returns:
        ``(END for names[0], END for names[1])``; ``names[0]`` plays X.
    """
    pair = GamePair(chunk_size=chunk_size)
    first, second = pair.connect(names[0]), pair.connect(names[1])
    return pair.play(first, second, choose)
