"""The game's second shell: :class:`AsyncServer` and :class:`AsyncClient`, on an asyncio loop.

The same sans-IO objects as the threaded :class:`game.Server` and :class:`game.Client` do all the
deciding: the server feeds each connection's bytes to its
:class:`~game.connection.ServerConnection`, which asks the one :class:`~game.connection.Hub`
what follows; the client pumps a :class:`~game.connection.ClientConnection`. Only the waiting
differs: an event loop's callbacks and timers instead of blocking threads. (websockets keeps one
``Protocol`` and two shells, ``sync`` and ``asyncio``, in the same way.)

The listening socket comes from the same injected factory as :class:`game.Server`'s, bound and
listening (:func:`game.server.open_listener`) before it is handed to the loop, so a test can
check ``bind``, ``listen`` and their order on an autospecced mock, and run a whole game on
``sockettest``'s memory network.

On the wire the shells behave alike: pipelined lines are answered in order; a connection with
more than :data:`~game.server.ALLOWANCE` bytes of unsent output is no longer read from
(``pause_reading``) until that drains; a client silent for the idle timeout gets ``ERROR`` and is
closed; one whose output makes no progress for the write timeout is cut off with a reset; one
more than ``max_clients`` gets ``ERROR server full``; a shutdown tells everyone ``ERROR server
shutting down`` and forfeits nobody.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import socket
import time
from collections.abc import Callable
from types import TracebackType
from typing import Self, TypeVar, cast

from game.client import (
    ClientOptions,
    MatchPlay,
    check_banner,
    check_cell,
    check_name,
    check_ping_token,
    connect_failed,
)
from game.connection import ClientConnection, ServerConnection
from game.errors import ConnectionLost, ResponseTimeout, ServerClosed
from game.lobby import PlayerId
from game.protocol import (
    Bye,
    ClientCommand,
    End,
    Hello,
    Message,
    Move,
    Ping,
    Pong,
    Quit,
    ServerMessage,
    Welcome,
)
from game.rules import Board, suggest_move
from game.server import (
    ALLOWANCE,
    FULL,
    LINGER,
    SHUTDOWN_NOTICE,
    ServerOptions,
    open_listener,
)
from game.sockets import (
    check_timeout,
    format_address,
    reset_on_close,
    resolve_clock,
    set_nodelay,
)

__all__ = ["ACCEPTS_PER_TURN"]  # and AsyncServer and AsyncClient, imported from game

log = logging.getLogger(__name__)

_RECV_SIZE = 4096

ACCEPTS_PER_TURN = 1
"""The most connections the server accepts each time its listener is readable, before its event
loop turns again; ``create_server``'s ``backlog``. asyncio starts a task for each, so a batch of
``SOMAXCONN`` (4096), during a connect/close storm, held every other client's lines and a stop
for seconds. And out of descriptors (``EMFILE``), asyncio logs a traceback and schedules a retry
for every accept of the batch, each retry another batch: thousands of tracebacks a second
where one accept a turn gives one a second. The kernel still queues ``SOMAXCONN`` connections:
a storm waits, nobody is refused."""

_M = TypeVar("_M", bound=Message)


class _AsyncWith:
    """``async with``: :meth:`_enter` on entry, :meth:`_exit` on the way out."""

    async def _enter(self) -> None:
        raise NotImplementedError

    async def _exit(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        await self._enter()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._exit()


class AsyncServer(ServerOptions, _AsyncWith):
    """A tic-tac-toe server on an asyncio event loop: :class:`game.Server`'s options and wire.

    Used once: ``await start()`` binds, listens and returns the bound ``(host, port)``;
    ``await shutdown()`` ends it; ``async with server:`` does both; ``await serve_forever()``
    serves until :meth:`shutdown` (or its own cancellation, which shuts the server down).

    Args:
        host, port, idle_timeout, write_timeout, max_clients: as :class:`game.Server`'s.
        socket_factory: makes the listening socket as ``factory(family, SOCK_STREAM)``; ``None``
            means :class:`socket.socket`, looked up when the server starts. It is bound and
            listening before the loop takes it over, so it must be a socket the loop can watch
            (a real one, or a ``sockettest`` memory socket, whose ``fileno()`` is a readiness
            descriptor).
        clock: the monotonic clock the idle timer reads, as :class:`game.Server`'s; ``None``
            means the loop's own, ``loop.time()``. The loop's timers do the waiting, so with a
            virtual clock run the server on a loop whose time is that clock.

    Raises:
        ValueError, TypeError: as :class:`game.Server`.
    """

    def _setup(self) -> None:
        self._connections: dict[PlayerId, _ServedConnection] = {}  # every one the hub knows
        self._open: dict[_ServedConnection, None] = {}  # every open transport, in order
        self._server: asyncio.Server | None = None
        self._started = False
        self._stopping = False
        self._stopped = asyncio.Event()

    async def _enter(self) -> None:
        await self.start()

    async def _exit(self) -> None:
        await self.shutdown()

    # Lifecycle ------------------------------------------------------------------------------

    async def start(self) -> tuple[str, int]:
        """Bind, listen, hand the socket to the running loop; return the bound ``(host, port)``.

        Raises:
            ListenFailed: the address could not be bound (in use, not permitted, no such host).
            ServerClosed: :meth:`shutdown` came first.
            RuntimeError: called a second time.
        """
        if self._started:
            raise RuntimeError(f"start() was already called; {self!r} runs once")
        self._started = True
        if self._stopping:
            raise ServerClosed(f"{self!r} was shut down before it listened")
        sock, address = open_listener(self.socket_factory, self.host, self.port)
        loop = asyncio.get_running_loop()
        try:
            # create_server's backlog is both how many connections a turn of the loop accepts
            # and the listen() queue, which is set back to SOMAXCONN at once.
            self._server = await loop.create_server(
                lambda: _ServedConnection(self),
                sock=cast(socket.socket, sock),
                backlog=ACCEPTS_PER_TURN,
            )
            sock.listen(socket.SOMAXCONN)
        except BaseException:
            sock.close()
            raise
        self._address = address
        log.info("listening on %s", format_address(*address))
        return address

    async def serve_forever(self) -> None:
        """Start if not started, then serve until :meth:`shutdown`; cancelled, shut down."""
        if not self._started:
            await self.start()
        try:
            await self._stopped.wait()
        except asyncio.CancelledError:
            await self.shutdown()
            raise

    async def shutdown(self) -> None:
        """Stop serving: every client is told ``ERROR server shutting down`` (best effort,
        within :data:`~game.server.SHUTDOWN_NOTICE` in all), and nobody forfeits; then the
        listener and every connection are closed. Idempotent; before :meth:`start` too."""
        if self._stopping:
            await self._stopped.wait()
            return
        self._stopping = True
        if self._server is not None:
            self._server.close()  # no more accepts
        self._post(self._hub.shutdown())
        connections = list(self._open)
        flushed = [connection.flushed() for connection in connections]
        if flushed:
            await asyncio.wait(flushed, timeout=SHUTDOWN_NOTICE)
        for connection in connections:
            connection.cut_off()
        lost = [connection.lost for connection in self._open]
        if lost:
            await asyncio.wait(lost)
        if self._server is not None:
            await self._server.wait_closed()
        self._stopped.set()

    # For the connections ------------------------------------------------------------------------

    def _now(self) -> float:
        return resolve_clock(self.clock)() if self.clock is not None else _loop_time()

    def _admit(self, served: _ServedConnection) -> ServerConnection | None:
        """A connection was accepted: its sans-IO end, or ``None`` if it is turned away."""
        if self._stopping or len(self._open) >= self.max_clients:
            return None
        self._open[served] = None
        connection = self._hub.connect()
        self._connections[connection.player] = served
        return connection

    def _forget(self, connection: ServerConnection | None) -> None:
        if connection is not None:
            self._post(connection.receive_eof())
            self._connections.pop(connection.player, None)

    def _post(self, touched: list[ServerConnection]) -> None:
        """Write what the hub has for each of ``touched`` to its transport."""
        for connection in touched:
            self._connections[connection.player].send(
                connection.data_to_send(), connection.close_expected()
            )


def _loop_time() -> float:
    return asyncio.get_running_loop().time()


class _ServedConnection(asyncio.Protocol):
    """One accepted connection: its bytes to its :class:`~game.connection.ServerConnection`, the
    replies to its transport; the idle timer, the write timeout, backpressure and the linger.

    Backpressure is the transport's own: its write buffer's high and low water marks are both
    the allowance, so it calls :meth:`pause_writing` once the unsent output passes it, and
    :meth:`resume_writing` once it is back within; in between the connection is not read from,
    and the lines already received wait, exactly as :class:`game.Server`'s reader does.
    """

    def __init__(self, server: AsyncServer) -> None:
        self._server = server
        self._transport: asyncio.Transport | None = None
        self._connection: ServerConnection | None = None
        self._room = True  # the unsent output is within the allowance
        self._closing = False  # half-closed, or closing: nothing more is written
        self._written = 0  # bytes handed to the transport, to measure the progress of sends
        self._idle_deadline = 0.0
        self._idle_timer: asyncio.TimerHandle | None = None
        self._write_timer: asyncio.TimerHandle | None = None
        self._linger_timer: asyncio.TimerHandle | None = None
        self._progress = (0, 0.0)  # bytes sent, and when that figure last grew
        self._flushed: asyncio.Future[None] | None = None
        self.lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    # asyncio's calls --------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport = cast(asyncio.Transport, transport)
        server = self._server
        self._connection = connection = server._admit(self)
        if connection is None:
            if not server._stopping:
                transport.write(FULL)
                # The end of the stream before the close, as the threaded server does: a close
                # with the client's first line unread resets, and the reset could cost it the
                # ERROR; after our FIN a client reads ERROR, then EOF.
                with contextlib.suppress(OSError):
                    transport.write_eof()
            transport.close()
            return
        set_nodelay(transport.get_extra_info("socket"))
        transport.set_write_buffer_limits(high=ALLOWANCE, low=ALLOWANCE)
        server._post([connection])  # the banner
        if server.idle_timeout is not None:
            self._idle_deadline = server._now() + server.idle_timeout
            self._idle_timer = _call_later(server.idle_timeout, self._idle_check)

    def data_received(self, data: bytes) -> None:
        if self._connection is not None:
            self._connection.receive_data(data)
            self._handle()

    def eof_received(self) -> bool:
        """The client's stream ended: the connection leaves the hub (during a match the opponent
        wins by forfeit); what is unsent is sent, within the linger, then it closes."""
        self._server._forget(self._connection)
        self._closing = True
        assert self._transport is not None
        self._transport.close()  # after the unsent output
        self._linger()
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        for timer in (self._idle_timer, self._write_timer, self._linger_timer):
            if timer is not None:
                timer.cancel()
        self._server._forget(self._connection)
        self._server._open.pop(self, None)  # not at EOF: shutdown closes one that lingers
        if self._flushed is not None and not self._flushed.done():
            self._flushed.set_result(None)
        self.lost.set_result(None)

    def pause_writing(self) -> None:
        self._room = False
        assert self._transport is not None
        self._transport.pause_reading()

    def resume_writing(self) -> None:
        self._room = True
        self._restart_idle_timer()  # the pause was the server's not reading, no silence
        if self._flushed is not None and not self._flushed.done():
            self._flushed.set_result(None)
        self._handle()  # the lines that waited
        if self._room and self._transport is not None:
            self._transport.resume_reading()

    # The server's calls -------------------------------------------------------------------------

    def send(self, data: bytes, close: bool) -> None:
        """Write ``data``; then, if ``close``, half-close once it is sent, and linger."""
        transport = self._transport
        if self._closing or transport is None or transport.is_closing():
            return
        if data:
            self._written += len(data)
            transport.write(data)
            self._watch_progress()
        if close:
            self._closing = True
            try:
                transport.write_eof()
            except OSError:  # reset or gone meanwhile: nothing more to send
                transport.abort()
                return
            self._linger()

    def flushed(self) -> asyncio.Future[None]:
        """Done once every byte written has been sent (or the connection is gone)."""
        self._flushed = flushed = asyncio.get_running_loop().create_future()
        transport = self._transport
        if transport is None or transport.is_closing() or not transport.get_write_buffer_size():
            flushed.set_result(None)
        else:  # resume_writing() once the buffer is empty
            transport.set_write_buffer_limits(high=0, low=0)
        return flushed

    def cut_off(self) -> None:
        """Close now: at once if everything was sent, else with a reset."""
        transport = self._transport
        if transport is None or (transport.is_closing() and not transport.get_write_buffer_size()):
            return
        if transport.get_write_buffer_size():
            reset_on_close(transport.get_extra_info("socket"))
            transport.abort()
        else:
            transport.close()

    # Inside -----------------------------------------------------------------------------------

    def _handle(self) -> None:
        """Handle the complete lines received, while the output is within the allowance."""
        connection, server = self._connection, self._server
        if connection is None:
            return
        handled = False
        while self._room and (touched := connection.handle_next()) is not None:
            handled = True
            server._post(touched)
        if handled:
            self._restart_idle_timer()

    def _restart_idle_timer(self) -> None:
        if self._server.idle_timeout is not None:
            self._idle_deadline = self._server._now() + self._server.idle_timeout

    def _idle_check(self) -> None:
        self._idle_timer = None
        server, connection = self._server, self._connection
        assert server.idle_timeout is not None
        assert connection is not None
        if not self._room:  # not reading it, while its replies drain: the client is not idle
            self._restart_idle_timer()
        left = self._idle_deadline - server._now()
        if self._closing:
            return
        if left > 0:
            self._idle_timer = _call_later(left, self._idle_check)
            return
        server._post(connection.fail(f"idle for more than {server.idle_timeout:g} s"))

    def _watch_progress(self) -> None:
        """Check, four times a write timeout, that the output makes progress while any waits;
        cut the client off once none has been made for the write timeout."""
        timeout = self._server.write_timeout
        if timeout is None or self._write_timer is not None or self._transport is None:
            return
        if not self._transport.get_write_buffer_size():
            return
        self._progress = (self._sent(), self._server._now())
        self._write_timer = _call_later(timeout / 4, self._check_progress)

    def _check_progress(self) -> None:
        self._write_timer = None
        transport, timeout = self._transport, self._server.write_timeout
        assert transport is not None
        assert timeout is not None
        if transport.is_closing() and not transport.get_write_buffer_size():
            return
        sent, since = self._progress
        now = self._server._now()
        if not transport.get_write_buffer_size():
            return
        if self._sent() > sent:
            self._progress = (self._sent(), now)
        elif now - since >= timeout:
            log.warning(
                "%s does not read what it is sent (no progress for %g s); cutting it off",
                self,
                timeout,
            )
            reset_on_close(transport.get_extra_info("socket"))
            transport.abort()
            return
        self._write_timer = _call_later(timeout / 4, self._check_progress)

    def _sent(self) -> int:
        assert self._transport is not None
        return self._written - self._transport.get_write_buffer_size()

    def _linger(self) -> None:
        if self._linger_timer is None:
            self._linger_timer = _call_later(LINGER, self._linger_over)

    def _linger_over(self) -> None:
        """The linger is over: the client has not closed its end. Unless its output is still
        moving (and the write timeout watches it), close."""
        self._linger_timer = None
        transport = self._transport
        assert transport is not None
        if transport.get_write_buffer_size() and self._server.write_timeout is not None:
            self._linger()
            return
        self.cut_off()


def _call_later(delay: float, callback: Callable[[], None]) -> asyncio.TimerHandle:
    return asyncio.get_running_loop().call_later(delay, callback)


class AsyncClient(ClientOptions, _AsyncWith):
    """A player's connection to a game server, on an asyncio event loop: :class:`game.Client`'s
    methods, each a coroutine, with the same arguments, results and exceptions.

    Args:
        host, port, timeout: as :class:`game.Client`'s.
        socket_factory: makes the socket as ``factory(family, SOCK_STREAM)``; ``None`` means
            :class:`socket.socket`, looked up when connecting. The loop takes the socket over,
            so it must be one the loop can watch (a real one, or a ``sockettest`` memory
            socket).
        clock: the monotonic clock that measures the waits; ``None``: the loop's own. The loop's
            timers do the waiting.

    Use it as an async context manager to connect on entry and close on exit::

        async with AsyncClient(port=port) as client:
            await client.hello("alice")
            print(await client.next_message(timeout=60))
    """

    def _setup(self) -> None:
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def _enter(self) -> None:
        await self.connect()

    async def _exit(self) -> None:
        await self.close()

    @property
    def connected(self) -> bool:
        """True between a successful :meth:`connect` and :meth:`close`."""
        return self._streams is not None

    async def connect(self, host: str | None = None, port: int | None = None) -> None:
        """Open the TCP connection, as :meth:`game.Client.connect` does.

        Raises:
            ValueError: ``host`` is not a ``str`` or ``port`` not an ``int`` in 0-65535.
            ConnectFailed: refused, unreachable, or no answer within the timeout.
            RuntimeError: already connected.
        """
        sock, (host, port) = self._new_socket(host, port)
        where = self._where
        try:
            real = cast(socket.socket, sock)
            real.setblocking(False)
            async with asyncio.timeout(_for_loop(self.timeout)):
                await asyncio.get_running_loop().sock_connect(real, (host, port))
            streams = await asyncio.open_connection(sock=real, limit=_RECV_SIZE)
        except OSError as error:
            sock.close()
            raise connect_failed(error, where, self.timeout) from None
        except BaseException:
            sock.close()
            raise
        self._streams = streams
        self._connection = ClientConnection(where)
        self._held.clear()
        self._greeted = False

    async def close(self) -> None:
        """Close the connection; harmless if it is not open."""
        streams, self._streams = self._streams, None
        if streams is not None:
            writer = streams[1]
            writer.close()
            with contextlib.suppress(OSError):  # a reset: closed all the same
                await writer.wait_closed()

    # Requests ---------------------------------------------------------------------------------

    async def hello(self, name: str) -> Welcome:
        """Check the server's banner, then join the lobby as ``name``; see
        :meth:`game.Client.hello`, whose exceptions this raises."""
        check_name(name)
        if not self._greeted:  # once a connection: a second HELLO is the server's to refuse
            check_banner(await self._receive(self.timeout), self._where)
            self._greeted = True
        await self._send(Hello(name))
        return await self._wait_for(Welcome)

    async def move(self, cell: int) -> None:
        """Ask to take ``cell`` (1-9); see :meth:`game.Client.move`."""
        check_cell(cell)
        await self._send(Move(cell))

    async def ping(self, token: str = "") -> float:
        """Send ``PING token``, wait for its ``PONG``, return the round trip in seconds; see
        :meth:`game.Client.ping`."""
        check_ping_token(token)
        started = time.perf_counter()
        await self._send(Ping(token))
        await self._wait_for(Pong, lambda pong: pong.token == token)
        return time.perf_counter() - started

    async def quit(self) -> None:
        """Say ``QUIT`` and wait for the server's ``BYE``; see :meth:`game.Client.quit`."""
        await self._send(Quit())
        await self._wait_for(Bye)

    async def play(
        self,
        name: str,
        choose: Callable[[Board], int] = suggest_move,
        *,
        wait: float = 60.0,
        on_message: Callable[[ServerMessage], None] | None = None,
    ) -> End:
        """Join as ``name`` and play one whole match; see :meth:`game.Client.play`."""
        match = MatchPlay(self._where, choose, on_message)  # checked before the HELLO
        check_timeout(wait, "wait")
        await self.hello(name)
        while True:
            step = match.take(await self.next_message(timeout=wait))
            if isinstance(step, End):
                return step
            if step is not None:
                await self.move(step)

    async def next_message(self, timeout: float | None = None) -> ServerMessage:
        """The next line from the server, parsed; see :meth:`game.Client.next_message`."""
        if (held := self._held_message(timeout)) is not None:
            return held
        return await self._receive(self.timeout if timeout is None else timeout)

    # I/O --------------------------------------------------------------------------------------

    def _connected(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._streams is None:
            raise RuntimeError(f"{self!r}: call connect() first")
        return self._streams

    def _now(self) -> float:
        return resolve_clock(self.clock)() if self.clock is not None else _loop_time()

    async def _send(self, command: ClientCommand) -> None:
        writer = self._connected()[1]
        try:
            writer.write(self._connection.send(command))
            if writer.transport.get_write_buffer_size():  # the kernel did not take it all
                async with asyncio.timeout(_for_loop(self.timeout)):
                    await writer.drain()
            else:
                await writer.drain()  # at once; raises if the connection was lost
        except TimeoutError:
            raise ResponseTimeout(
                f"{self._where} did not take our data within {self.timeout:g} s"
            ) from None
        except (OSError, RuntimeError) as error:  # RuntimeError: written after the close
            raise ConnectionLost(f"connection to {self._where} lost: {error}") from error

    async def _wait_for(self, kind: type[_M], match: Callable[[_M], bool] = lambda _: True) -> _M:
        """Read until a ``kind`` message that ``match`` accepts; the others are held, as
        :meth:`game.Client._wait_for` does, within the client's timeout in all."""
        held: list[ServerMessage] = []
        deadline = self._now() + self.timeout
        try:
            while True:
                timeout = deadline - self._now()
                try:
                    if timeout <= 0:
                        raise ResponseTimeout
                    message = await self._receive(timeout)
                except ResponseTimeout:
                    raise ResponseTimeout(
                        f"no {kind.WORD} from {self._where} within {self.timeout:g} s"
                    ) from None
                if (wanted := self._wanted(message, kind, match, held)) is not None:
                    return wanted
        finally:
            self._held.extend(held)

    async def _receive(self, timeout: float) -> ServerMessage:
        """Read and parse one message, waiting at most ``timeout`` seconds in all."""
        reader = self._connected()[0]
        connection = self._connection
        if (message := connection.next_message()) is not None:
            return message
        deadline = self._now() + timeout
        while True:
            remaining = deadline - self._now()
            if remaining <= 0:
                raise ResponseTimeout(f"no message from {self._where} within {timeout:g} s")
            try:
                async with asyncio.timeout(_for_loop(remaining)):
                    data: bytes | OSError | None = await reader.read(_RECV_SIZE)
            except TimeoutError:
                data = None
            except OSError as error:
                data = error
            if (message := self._take(data)) is not None:
                return message


def _for_loop(seconds: float) -> float | None:
    """A timeout as ``asyncio.timeout`` takes it: ``None`` for ``math.inf``, no limit."""
    return None if math.isinf(seconds) else seconds
