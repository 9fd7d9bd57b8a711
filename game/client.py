"""The game client: a thin blocking-socket shell around the sans-IO
:class:`~game.connection.ClientConnection`.

:meth:`Client.connect` opens only the TCP connection; :meth:`Client.hello` reads the banner and
joins the lobby; :meth:`Client.next_message` returns what the server says, parsed and typed.
Every blocking call is bounded by a timeout, so a silent server gives an error, never a hang.

The socket comes from an injected factory (see :mod:`game.sockets`), so a test can hand the
client a mock and check ``settimeout`` then ``connect``, or an in-memory socket and play a game.
"""

from __future__ import annotations

import math
import socket
import time
from collections import deque
from collections.abc import Callable
from types import TracebackType
from typing import TypeVar

from game.connection import ClientConnection
from game.errors import (
    ConnectFailed,
    ConnectionLost,
    ProtocolMismatch,
    ProtocolViolation,
    RequestRejected,
    ResponseTimeout,
)
from game.protocol import (
    GAME,
    MAX_LINE,
    NAME_PATTERN,
    VERSION,
    Banner,
    Bye,
    ClientCommand,
    End,
    Error,
    Hello,
    Message,
    Move,
    Ping,
    Pong,
    Quit,
    ServerMessage,
    Turn,
    Update,
    Welcome,
    check_token,
)
from game.rules import Board, suggest_move
from game.sockets import (
    Clock,
    KernelTimeouts,
    SocketFactory,
    SocketLike,
    check_address,
    check_hook,
    check_timeout,
    family_for,
    format_address,
    resolve_clock,
    resolve_factory,
)

__all__ = [  # and Client, imported from game
    "MAX_HELD",
    "ClientOptions",
    "MatchPlay",
    "check_banner",
    "check_cell",
    "check_name",
    "check_ping_token",
    "connect_failed",
    "unwanted",
]

_RECV_SIZE = 4096

MAX_HELD = 1024
"""Messages a client keeps, unread, while it waits for the answer to a request."""
_M = TypeVar("_M", bound=Message)
_START_SERVER = "is the server running? start one with `python -m game serve`"


class ClientOptions:
    """What both shells of the client take, checked, and the state they share: the sans-IO
    :class:`~game.connection.ClientConnection` and the messages held for later. The base of
    :class:`Client` and of :class:`game.AsyncClient`, whose docstrings say what each option
    means. Each shell adds its own state in :meth:`_setup`."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 7777,
        *,
        socket_factory: SocketFactory | None = None,
        timeout: float = 5.0,
        clock: Clock | None = None,
    ) -> None:
        check_address(host, port)
        check_hook(socket_factory, "socket_factory")
        check_hook(clock, "clock")
        check_timeout(timeout, "timeout")
        self.host = host
        self.port = port
        self.socket_factory = socket_factory
        self.timeout = timeout
        self.clock = clock
        self._where = format_address(host, port)
        self._connection = ClientConnection(self._where)
        self._held: deque[ServerMessage] = deque()  # read while waiting for something else
        self._greeted = False  # the banner of this connection was read and checked
        self._setup()

    def _setup(self) -> None:
        """The shell's own state, made last in ``__init__``."""

    def __repr__(self) -> str:
        state = "connected" if self.connected else "not connected"
        return f"<{type(self).__name__} {self._where} {state}>"

    @property
    def connected(self) -> bool:
        """True between a successful ``connect`` and ``close``."""
        raise NotImplementedError

    def _take(self, data: bytes | OSError | None) -> ServerMessage | None:
        """Feed what one read gave (bytes, ``b""`` at EOF, the error, ``None`` on a timeout)
        to the connection; return the next message, if it completes one.

        Raises:
            ConnectionLost: the read failed, and no close was expected (a reset after ``BYE``
                is how some servers close).
        """
        connection = self._connection
        if isinstance(data, OSError):
            if not connection.close_expected():
                raise ConnectionLost(f"connection to {self._where} lost: {data}") from data
            data = b""
        if data:
            connection.receive_data(data)
        elif data is not None:
            connection.receive_eof()
        return connection.next_message()

    def _wanted(
        self,
        message: ServerMessage,
        kind: type[_M],
        match: Callable[[_M], bool],
        held: list[ServerMessage],
    ) -> _M | None:
        """``message`` if it is the ``kind`` that ``match`` accepts; else ``None``, with it
        added to ``held`` (see :func:`unwanted`)."""
        if isinstance(message, kind) and match(message):
            return message
        held.append(unwanted(message, kind, self._where, len(self._held) + len(held)))
        return None

    def _new_socket(self, host: str | None, port: int | None) -> tuple[SocketLike, tuple[str, int]]:
        """``connect``'s start: a new socket from the factory, and the address to connect it
        to, ``(host, port)`` or else the stored one.

        Raises:
            ValueError: ``host`` is not a ``str`` or ``port`` not an ``int`` in 0-65535.
            RuntimeError: already connected.
        """
        if self.connected:
            raise RuntimeError(f"{self!r} is already connected")
        host = self.host if host is None else host
        port = self.port if port is None else port
        check_address(host, port)
        self._where = format_address(host, port)
        sock = resolve_factory(self.socket_factory)(family_for(host), socket.SOCK_STREAM)
        return sock, (host, port)

    def _held_message(self, timeout: float | None) -> ServerMessage | None:
        """``next_message``'s start: a message held while waiting for another, else ``None``
        once ``timeout`` is found usable."""
        if self._held:
            return self._held.popleft()
        if timeout is not None:
            check_timeout(timeout, "timeout")
        return None


class Client(ClientOptions):
    """A player's connection to a game server.

    Args:
        host: the server's address, stored as given (default: this machine).
        port: the server's port, stored as given.
        socket_factory: makes the socket as ``factory(family, SOCK_STREAM)``; ``None`` means
            :class:`socket.socket`, looked up when connecting. The testing hook.
        timeout: seconds that bound the connect and each request/response; ``math.inf``: no
            limit.
        clock: the monotonic clock that measures those waits, a zero-argument callable
            returning seconds; ``None`` means :func:`time.monotonic`, looked up when read.

    Raises:
        ValueError: ``host`` is not a ``str``, ``port`` is not an ``int`` in 0-65535, or
            ``timeout`` is not positive or too long to wait for (see
            :func:`game.sockets.check_timeout`).
        TypeError: ``socket_factory`` or ``clock`` is neither ``None`` nor callable.

    Use it as a context manager to connect on entry and close on exit::

        with Client(port=port) as client:
            client.hello("alice")
            print(client.next_message(timeout=60))
    """

    def _setup(self) -> None:
        self._sock: SocketLike | None = None
        self._timeouts: KernelTimeouts | None = None  # the socket's, set with it

    def __enter__(self) -> Client:
        self.connect()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def connected(self) -> bool:
        """True between a successful :meth:`connect` and :meth:`close`."""
        return self._sock is not None

    def connect(self, host: str | None = None, port: int | None = None) -> None:
        """Open the TCP connection, to ``(host, port)`` if given, else to the stored address.

        Only the connection: nothing is read or sent, so this works against any TCP server.
        Using the client as a context manager (``with Client(...) as client``) calls this on
        entry, and :meth:`close` on exit.

        Raises:
            ValueError: ``host`` is not a ``str`` or ``port`` not an ``int`` in 0-65535.
            ConnectFailed: refused, unreachable, or no answer within the timeout. The socket
                is closed before this is raised.
            RuntimeError: already connected.
        """
        sock, (host, port) = self._new_socket(host, port)
        where = self._where
        try:
            sock.settimeout(_for_socket(self.timeout))
            sock.connect((host, port))
            # Then blocking, with the timeouts in the kernel: one system call a recv or send.
            sock.settimeout(None)
            timeouts = KernelTimeouts(sock)
            timeouts.set(socket.SO_SNDTIMEO, self.timeout)
        except OSError as error:
            sock.close()
            raise connect_failed(error, where, self.timeout) from _cause(error)
        except BaseException:
            sock.close()
            raise
        self._sock, self._timeouts = sock, timeouts
        self._connection = ClientConnection(where)
        self._held.clear()
        self._greeted = False

    def close(self) -> None:
        """Close the connection; harmless if it is not open."""
        sock, self._sock, self._timeouts = self._sock, None, None
        if sock is not None:
            sock.close()

    # Requests -------------------------------------------------------------------------------

    def hello(self, name: str) -> Welcome:
        """Check the server's banner, then join the lobby as ``name``.

        What follows (``WAIT``, ``START`` ...) comes from :meth:`next_message`. The banner is
        read once a connection: called again, ``hello`` sends another ``HELLO``, which the
        server refuses (:class:`RequestRejected`), and what came meanwhile is kept.

        Raises:
            ValueError: ``name`` is not 1-16 of ``A-Z a-z 0-9 _ -``.
            TypeError: ``name`` is not a ``str``.
            ConnectFailed: the server turned the connection away instead of sending its
                banner (``ERROR server full``).
            ConnectionLost: the server closed or reset the connection before the ``WELCOME``:
                before its banner, or after reading the ``HELLO``. (Its subclass
                :class:`~game.errors.ServerShuttingDown`: the server said it is stopping.)
            ProtocolMismatch: the peer is not a server of this game and version, or sent
                :data:`MAX_HELD` other messages without the ``WELCOME``.
            RequestRejected: the server refused the HELLO (the reason is the message).
            ResponseTimeout: no answer, or the ``HELLO`` not taken, within the timeout.
            RuntimeError: not connected: call :meth:`connect` first, or use a ``with`` block.
        """
        check_name(name)
        if not self._greeted:  # once a connection: a second HELLO is the server's to refuse
            check_banner(self._receive(self.timeout), self._where)
            self._greeted = True
        self._send(Hello(name))
        return self._wait_for(Welcome)

    def move(self, cell: int) -> None:
        """Ask to take ``cell`` (1-9). The answer, ``BOARD`` or ``ERROR``, comes from
        :meth:`next_message`; the server, not the client, judges whether the move is legal.

        Raises:
            TypeError: ``cell`` is not an ``int`` (a ``bool`` is refused too).
            ValueError: ``cell`` has too many digits for one line (the server would end the
                connection for it).
            ConnectionLost: the connection is closed or reset, so the move cannot be sent.
            ResponseTimeout: the server did not take the bytes within the timeout.
            RuntimeError: not connected.
        """
        check_cell(cell)
        self._send(Move(cell))

    def ping(self, token: str = "") -> float:
        """Send ``PING token`` and wait for its ``PONG``; return the round trip in seconds.

        Messages that arrive meanwhile are kept for :meth:`next_message`, in order.

        Raises:
            ValueError: a token the server would refuse (the same check,
                :func:`game.protocol.check_token`): a control character, a line separator,
                trailing whitespace, or more than the 506 bytes of UTF-8 that fit the line.
            TypeError: ``token`` is not a ``str``.
            ResponseTimeout: no ``PONG`` within the timeout.
            ConnectionLost: the server closed or reset the connection first.
            RequestRejected: the server answered ``ERROR``.
            ProtocolMismatch: the server sent something not of this protocol, or
                :data:`MAX_HELD` other messages without the ``PONG``.
            RuntimeError: not connected.
        """
        check_ping_token(token)
        started = time.perf_counter()
        self._send(Ping(token))
        self._wait_for(Pong, lambda pong: pong.token == token)
        return time.perf_counter() - started

    def quit(self) -> None:
        """Say ``QUIT`` and wait for the server's ``BYE``.

        Raises:
            ResponseTimeout: no ``BYE`` within the timeout.
            ConnectionLost: the server closed or reset the connection before its ``BYE``.
            RequestRejected: the server answered ``ERROR``.
            ProtocolMismatch: the server sent something not of this protocol, or
                :data:`MAX_HELD` other messages without the ``BYE``.
            RuntimeError: not connected.
        """
        self._send(Quit())
        self._wait_for(Bye)

    def play(
        self,
        name: str,
        choose: Callable[[Board], int] = suggest_move,
        *,
        wait: float = 60.0,
        on_message: Callable[[ServerMessage], None] | None = None,
    ) -> End:
        """Join as ``name`` and play one whole match, moving with ``choose(board)``.

        A bot in one call: the demo, the load tests and the benchmarks play with it.
        ``on_message`` sees every server line as it arrives; ``wait`` bounds each wait,
        the one for an opponent included. Returns the ``END`` the server sent.

        Raises:
            RequestRejected: the server answered the ``HELLO`` or a move with ``ERROR``.
            ConnectionLost: the connection ended before ``END`` and ``BYE``.
            ResponseTimeout: the server said nothing for ``wait`` seconds (or, for the
                ``WELCOME``, within the client's timeout).
            ProtocolMismatch: the peer is not a server of this game and version, or sent a
                line that is not of this protocol.
            ConnectFailed: the server turned the connection away (``ERROR server full``).
            ValueError: ``name`` is not a valid name, or ``wait`` not a usable timeout (both
                checked before anything is sent).
            TypeError: ``choose`` or ``on_message`` is not callable (checked before anything
                is sent), or ``choose`` returned something that is not an ``int``.
            RuntimeError: not connected.
        """
        match = MatchPlay(self._where, choose, on_message)  # checked before the HELLO
        check_timeout(wait, "wait")
        self.hello(name)
        while True:
            step = match.take(self.next_message(timeout=wait))
            if isinstance(step, End):
                return step
            if step is not None:
                self.move(step)

    def next_message(self, timeout: float | None = None) -> ServerMessage:
        """Return the next line from the server, parsed.

        Args:
            timeout: seconds to wait; ``None`` uses the client's timeout. Waiting for an
                opponent can take longer: pass a larger figure, or ``math.inf`` to wait as
                long as it takes.

        Raises:
            ValueError: ``timeout`` is not positive, or too long to wait for.
            ResponseTimeout: nothing arrived in time.
            ConnectionLost: the server closed or reset the connection (also after ``BYE``);
                :class:`~game.errors.ServerShuttingDown` if it said it is stopping.
            ProtocolMismatch: the server sent a line that is not of this protocol.
            RuntimeError: not connected.
        """
        if (held := self._held_message(timeout)) is not None:
            return held
        return self._receive(self.timeout if timeout is None else timeout)

    # I/O ------------------------------------------------------------------------------------

    def _connected(self) -> tuple[SocketLike, KernelTimeouts]:
        if self._sock is None or self._timeouts is None:
            raise RuntimeError(f"{self!r}: call connect() first")
        return self._sock, self._timeouts

    def _send(self, command: ClientCommand) -> None:
        sock, timeouts = self._connected()
        timeouts.set(socket.SO_SNDTIMEO, self.timeout)
        try:
            sock.sendall(self._connection.send(command))
        except (BlockingIOError, TimeoutError):  # SO_SNDTIMEO
            raise ResponseTimeout(
                f"{self._where} did not take our data within {self.timeout:g} s"
            ) from None
        except OSError as error:
            raise ConnectionLost(f"connection to {self._where} lost: {error}") from error

    def _wait_for(self, kind: type[_M], match: Callable[[_M], bool] = lambda _: True) -> _M:
        """Read until a ``kind`` message that ``match`` accepts arrives; raise on ``ERROR``.

        Other messages are held, in order, for :meth:`next_message`. The client's timeout
        bounds the whole wait, not each line, and at most :data:`MAX_HELD` messages are kept:
        a server that talks without answering cannot keep the client waiting, or fill its
        memory.

        Raises:
            ResponseTimeout: no such message within the client's timeout.
            ProtocolMismatch: :data:`MAX_HELD` other messages came first.
            RequestRejected: the server answered ``ERROR``.
        """
        held: list[ServerMessage] = []
        now = resolve_clock(self.clock)
        deadline = now() + self.timeout
        timeout = self.timeout
        try:
            while True:
                try:
                    if timeout <= 0:
                        raise ResponseTimeout
                    message = self._receive(timeout)
                except ResponseTimeout:
                    raise ResponseTimeout(
                        f"no {kind.WORD} from {self._where} within {self.timeout:g} s"
                    ) from None
                if (wanted := self._wanted(message, kind, match, held)) is not None:
                    return wanted
                timeout = deadline - now()
        finally:
            self._held.extend(held)

    def _receive(self, timeout: float) -> ServerMessage:
        """Read and parse one message, waiting at most ``timeout`` seconds in all.

        The first read of a wait uses the whole ``timeout``, so the socket's receive timeout
        changes only when the wait's does: not once a message while requests keep one.
        """
        sock, timeouts = self._connected()
        connection = self._connection
        if (message := connection.next_message()) is not None:
            return message
        now = resolve_clock(self.clock)
        deadline = now() + timeout
        remaining = timeout
        while True:
            if remaining <= 0:
                raise ResponseTimeout(f"no message from {self._where} within {timeout:g} s")
            timeouts.set(socket.SO_RCVTIMEO, remaining)
            try:
                data: bytes | OSError | None = sock.recv(_RECV_SIZE)
            except (BlockingIOError, TimeoutError):  # SO_RCVTIMEO
                data = None
            except OSError as error:
                data = error
            if (message := self._take(data)) is not None:
                return message
            remaining = deadline - now()


def check_name(name: str) -> None:
    """Raise :class:`ValueError` unless ``name`` is 1-16 of ``A-Z a-z 0-9 _ -``
    (:class:`TypeError` unless it is a ``str`` at all)."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a str such as 'alice', not {name!r}")
    if not NAME_PATTERN.fullmatch(name):
        raise ValueError(f"a name is 1-16 of A-Z a-z 0-9 _ -, not {name!r}")


def check_cell(cell: int) -> None:
    """Raise :class:`TypeError` unless ``cell`` is an ``int`` (not a ``bool``), and
    :class:`ValueError` for one whose ``MOVE`` line would be too long for the server: any other
    cell, 0 or 10 say, is sent, and the server's ``ERROR`` is the answer."""
    if isinstance(cell, bool) or not isinstance(cell, int):
        raise TypeError(f"cell must be an int 1-9, not {cell!r}")
    # The server would end the connection for an over-long line: a fatal mistake, not an ERROR.
    if len(line := Move(cell).encode()) > MAX_LINE:
        raise ValueError(f"a cell makes a MOVE line of {len(line)} bytes, longer than {MAX_LINE}")


def check_ping_token(token: str) -> None:
    """Raise :class:`ValueError` for a ``PING`` token the server would refuse
    (:class:`TypeError` unless it is a ``str`` at all)."""
    if not isinstance(token, str):
        raise TypeError(f"token must be a str, not {token!r}")
    try:
        check_token(token)
    except ProtocolViolation as error:
        raise ValueError(str(error)) from None
    # The server would end the connection for an over-long line: a fatal mistake, not an ERROR.
    if len(line := Ping(token).encode()) > MAX_LINE:
        raise ValueError(
            f"a PING token makes a line of {len(line)} bytes, longer than {MAX_LINE} bytes "
            f"(a token may take {MAX_LINE - len(Ping('x').encode()) + 1} bytes of UTF-8)"
        )


def check_banner(banner: ServerMessage, where: str) -> None:
    """Raise unless ``banner`` is this game's: :class:`ConnectFailed` for ``ERROR server full``,
    :class:`ProtocolMismatch` for anything else."""
    if isinstance(banner, Error):
        raise ConnectFailed(f"{where} turned the connection away: {banner.reason}")
    if banner != Banner():
        raise ProtocolMismatch(
            f"{where} is not a {GAME} {VERSION} server: it said {banner.to_line()!r}"
        )


def connect_failed(error: OSError, where: str, timeout: float) -> ConnectFailed:
    """The :class:`ConnectFailed` that says why connecting to ``where`` failed with ``error``."""
    if isinstance(error, ConnectionRefusedError):
        return ConnectFailed(f"cannot connect to {where}: connection refused; {_START_SERVER}")
    if isinstance(error, TimeoutError):
        return ConnectFailed(
            f"cannot connect to {where}: no answer within {timeout:g} s; "
            "check the host and port, and any firewall between"
        )
    return ConnectFailed(
        f"cannot connect to {where}: {error.strerror or error}; check the host and port"
    )


def _cause(error: OSError) -> OSError | None:
    """What a :func:`connect_failed` error is raised from: a refusal or a timeout says all."""
    return None if isinstance(error, ConnectionRefusedError | TimeoutError) else error


def unwanted(message: ServerMessage, kind: type[Message], where: str, held: int) -> ServerMessage:
    """``message`` came while waiting for a ``kind``: return it to be held for later, unless it
    is an ``ERROR`` (:class:`RequestRejected`) or the ``held`` messages before it fill
    :data:`MAX_HELD` (:class:`ProtocolMismatch`)."""
    if isinstance(message, Error):
        raise RequestRejected(f"{where} refused: {message.reason}")
    if held + 1 >= MAX_HELD:
        raise ProtocolMismatch(
            f"{where} sent {MAX_HELD} messages without the {kind.WORD} asked for"
        )
    return message


class MatchPlay:
    """A bot's side of one match, whatever carries its messages: both clients' ``play``.

    Args:
        where: how errors name the server.
        choose: picks the cell to take on a board.
        on_message: sees every message first, if given.

    Raises:
        TypeError: ``choose`` is not callable, or ``on_message`` neither ``None`` nor callable:
            at once, not at the first ``TURN`` or message.
    """

    def __init__(
        self,
        where: str,
        choose: Callable[[Board], int],
        on_message: Callable[[ServerMessage], None] | None = None,
    ) -> None:
        if not callable(choose):
            raise TypeError(f"choose must be a callable that picks a cell, not {choose!r}")
        check_hook(on_message, "on_message")
        self._where = where
        self._choose = choose
        self._on_message = on_message
        self._board = Board()
        self._end: End | None = None

    def take(self, message: ServerMessage) -> int | End | None:
        """What follows ``message``: a cell to move to, the ``END`` once the match is over (at
        ``BYE``), or ``None``: wait for the next message.

        Raises:
            RequestRejected: ``ERROR``.
            ConnectionLost: ``BYE`` before ``END``.
        """
        if self._on_message is not None:
            self._on_message(message)
        if isinstance(message, Update):
            self._board = message.board
        elif isinstance(message, Turn):
            return self._choose(self._board)
        elif isinstance(message, End):
            self._end = message
        elif isinstance(message, Error):
            raise RequestRejected(f"{self._where} refused: {message.reason}")
        elif isinstance(message, Bye):
            if self._end is None:
                raise ConnectionLost(f"{self._where} said BYE before the match ended")
            return self._end
        return None


def _for_socket(seconds: float) -> float | None:
    """A timeout as ``settimeout`` takes it: ``None`` for ``math.inf``, no limit."""
    return None if math.isinf(seconds) else seconds
