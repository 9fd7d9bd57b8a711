"""The game server: a thin, threaded socket shell around the sans-IO :class:`~game.connection.Hub`.

One thread accepts; each connection gets a reader thread (:meth:`Server.handle_client`) and a
writer thread (:class:`~game.streams.Writer`). The reader feeds what it receives to the
connection (:class:`~game.connection.ServerConnection`, its sans-IO end), which asks the lobby
what follows, under one lock; the output goes to each connection's writer. How the two threads
share one socket, and the backpressure on a client that does not read, are in
:mod:`game.streams`.

The socket comes from an injected factory (see :mod:`game.sockets`), so a test can drive the
whole accept loop with an autospecced mock or an in-memory socket, without the network.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import socket
import sys
import threading
import time
from collections.abc import Iterator

from game.connection import Hub, ServerConnection
from game.errors import ListenFailed, ServerClosed
from game.lobby import PlayerId
from game.protocol import Error
from game.sockets import (
    Clock,
    SocketFactory,
    SocketLike,
    check_address,
    check_hook,
    check_timeout,
    family_for,
    format_address,
    quietly,
    resolve_clock,
    resolve_factory,
    set_kernel_timeout,
    set_nodelay,
)
from game.streams import Reader, Writer

__all__ = [  # and Server, imported from game
    "ACCEPT_FAILURE_LOG_INTERVAL",
    "ALLOWANCE",
    "BUSY",
    "DEFAULT_MAX_CLIENTS",
    "DEFAULT_PORT",
    "DEFAULT_WRITE_TIMEOUT",
    "FULL",
    "LINGER",
    "SHUTDOWN_NOTICE",
    "ServerOptions",
    "open_listener",
]

log = logging.getLogger(__name__)

DEFAULT_PORT = 7777
DEFAULT_MAX_CLIENTS = 512
"""Enough for hundreds of matches; each connection costs two threads."""

DEFAULT_WRITE_TIMEOUT = 30.0
"""Seconds a connection's output may make no progress (its client reads nothing) before the
connection is cut off."""

ALLOWANCE = 64 * 1024
"""Bytes of unsent output a connection may hold before its reader stops reading from it. With the
replies to one line on top (at most one 512-byte line), this bounds what the server holds for a
client, beyond the kernel's buffers."""

LINGER = 2.0
"""Seconds a closing connection waits for the peer's EOF before it is cut off."""

SHUTDOWN_NOTICE = 0.5
"""Seconds :meth:`Server.shutdown` gives the writers, in all, to send ``ERROR server shutting
down`` before it cuts every connection: best effort, so a shutdown stays prompt."""

FULL = Error("server full").encode()
"""What a connection over ``max_clients`` is told before it is closed."""
BUSY = Error("server busy").encode()
"""What a connection is told when the system has nothing to serve it with."""

ACCEPT_FAILURE_LOG_INTERVAL = 60.0
"""Seconds between two warnings while accept() keeps failing (out of descriptors, say): the
first failure is logged at once, then one line a minute, then one when a connection is
accepted again, where a warning each try would fill the log ten lines a second."""

# accept() errors that concern one incoming connection or a passing shortage, not the listener.
_TRANSIENT_ACCEPT_ERRORS = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}


def open_listener(
    factory: SocketFactory | None, host: str, port: int
) -> tuple[SocketLike, tuple[str, int]]:
    """Make the listening socket with ``factory``, set ``SO_REUSEADDR``, bind and listen;
    return it and the ``(host, port)`` it is bound to. Both shells listen with this.

    Raises:
        ListenFailed: no socket, or the address could not be bound (the socket is closed).
    """
    where = format_address(host, port)
    try:
        sock = resolve_factory(factory)(family_for(host), socket.SOCK_STREAM)
    except OSError as error:  # no socket at all: out of descriptors, say
        reason = error.strerror or str(error)
        raise ListenFailed(f"cannot listen on {where}: {reason}") from error
    try:
        if sys.platform == "win32":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)
        else:
            # Without it a restart right after a stop fails while old connections linger
            # in TIME_WAIT.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(socket.SOMAXCONN)
        bound_host, bound_port = sock.getsockname()[:2]
    except OSError as error:
        sock.close()
        reason = error.strerror or str(error)
        raise ListenFailed(f"cannot listen on {where}: {reason}; {_bind_hint(error)}") from error
    except BaseException:
        sock.close()
        raise
    return sock, (bound_host, bound_port)


def _bind_hint(error: OSError) -> str:
    """What to change after a failed bind: the host, if it is not this machine's (or no host
    at all); else the port (in use, or not permitted)."""
    if isinstance(error, socket.gaierror) or error.errno == errno.EADDRNOTAVAIL:
        return "check --host: an address or name of this machine, or '' for all of them"
    return "pick another --port, or 0 for any free port"


class ServerOptions:
    """What both shells of the server take, checked, and the one hub their connections share:
    the base of :class:`Server` and of :class:`game.AsyncServer`, whose docstrings say what each
    option means. Each shell builds its own state in :meth:`_setup`."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        *,
        socket_factory: SocketFactory | None = None,
        idle_timeout: float | None = 300.0,
        write_timeout: float | None = DEFAULT_WRITE_TIMEOUT,
        max_clients: int = DEFAULT_MAX_CLIENTS,
        clock: Clock | None = None,
    ) -> None:
        check_address(host, port)
        check_hook(socket_factory, "socket_factory")
        check_hook(clock, "clock")
        idle_timeout = check_timeout(idle_timeout, "idle_timeout")
        write_timeout = check_timeout(write_timeout, "write_timeout")
        if isinstance(max_clients, bool) or not isinstance(max_clients, int) or max_clients < 1:
            raise ValueError(f"max_clients must be an int of at least 1, not {max_clients!r}")
        self.host = host
        self.port = port
        self.socket_factory = socket_factory
        self.idle_timeout = idle_timeout
        self.write_timeout = write_timeout
        self.max_clients = max_clients
        self.clock = clock

        self._hub = Hub()
        self._address: tuple[str, int] | None = None
        self._setup()

    def _setup(self) -> None:
        """The shell's own state, made last in ``__init__``."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {format_address(self.host, self.port)}>"

    @property
    def address(self) -> tuple[str, int] | None:
        """The ``(host, port)`` actually bound, once listening; ``None`` before."""
        return self._address


class Server(ServerOptions):
    """A tic-tac-toe server. See docs/PROTOCOL.md for what it says on the wire.

    A server is used once: :meth:`start_listening` blocks while it serves, :meth:`shutdown`
    (from any thread) ends it, and :meth:`running` does both around a ``with`` block.

    Args:
        host: the address to bind, stored as given. ``"127.0.0.1"`` (the default) accepts only
            this machine; ``""`` binds every interface; an IPv6 literal such as ``"::1"`` binds
            an IPv6 socket.
        port: the port to bind; ``0`` picks a free one (read it from :meth:`wait_until_listening`).
        socket_factory: makes the listening socket as ``factory(family, SOCK_STREAM)``; ``None``
            means :class:`socket.socket`, looked up when the server starts. The testing hook.
            The connections it accepts are made blocking, with the idle and write timeouts
            set as ``SO_RCVTIMEO`` and ``SO_SNDTIMEO``: a fake must honour those (sockettest's
            memory sockets do).
        idle_timeout: seconds a client may stay silent (no complete line) before it is cut off
            with ``ERROR``; ``None`` or ``math.inf`` waits forever.
        write_timeout: seconds a client's output may make no progress, because it reads
            nothing, before its connection is cut off (a reset); ``None`` or ``math.inf``
            waits forever. A client that reads slowly is never cut off: the server stops
            reading from it instead, once :data:`ALLOWANCE` bytes wait to be sent to it.
        max_clients: connections served at once; one more gets ``ERROR server full``.
        clock: the monotonic clock the idle timer reads (and the log of failed accepts,
            :data:`ACCEPT_FAILURE_LOG_INTERVAL`), a zero-argument callable returning seconds;
            ``None`` means :func:`time.monotonic`, looked up when read. The testing hook for
            time: with a memory network's virtual clock (``clock=net.clock.monotonic``)
            the 300-second idle timeout runs in milliseconds.

    Raises:
        ValueError: ``host`` is not a ``str``, ``port`` is not an ``int`` in 0-65535,
            ``idle_timeout`` or ``write_timeout`` is not positive or too long to wait for (see
            :func:`game.sockets.check_timeout`), or ``max_clients`` is below 1.
        TypeError: ``socket_factory`` or ``clock`` is neither ``None`` nor callable.
    """

    def _setup(self) -> None:
        self._lock = threading.Lock()  # guards the hub and the tables below
        self._writers: dict[PlayerId, Writer] = {}  # of every connection the hub knows
        # Dicts, not sets: in the order they came, so that a stop is the same stop every time.
        self._open: dict[Writer, None] = {}  # the writer of every open socket, to cut off
        self._threads: dict[threading.Thread, None] = {}  # handler threads; each joins its writer
        self._listener: SocketLike | None = None
        self._accept_thread: threading.Thread | None = None
        self._failure: BaseException | None = None
        self._stopping = threading.Event()
        self._notice_until = 0.0  # monotonic time until which shutdown lets writers send
        self._ready = threading.Event()  # listening, failed to, or shut down before
        self._finished = threading.Event()  # start_listening has returned

    # Lifecycle ------------------------------------------------------------------------------

    def start_listening(self) -> None:
        """Bind, listen and serve until :meth:`shutdown`; blocking.

        Returns once every connection and thread it opened is closed and joined; at once, without
        binding, if :meth:`shutdown` came first.

        Raises:
            ListenFailed: the address could not be bound (in use, not permitted, no such host).
            RuntimeError: called a second time, or after :meth:`running`.
        """
        self._claim(threading.current_thread())
        self._serve()

    def _claim(self, thread: threading.Thread) -> None:
        """Make ``thread`` the one that serves, at the call that asked for it.

        Raises:
            RuntimeError: :meth:`start_listening` or :meth:`running` was called before.
        """
        with self._lock:
            if self._accept_thread is not None:
                raise RuntimeError(
                    "start_listening() or running() was already called; a Server runs once"
                )
            self._accept_thread = thread

    def _serve(self) -> None:
        try:
            listener = None if self._stopping.is_set() else self._listen()
            if listener is not None:
                self._accept_loop(listener)
        except BaseException as error:
            self._failure = error
            raise
        finally:
            self._stopping.set()
            self._stop_everything()
            self._ready.set()
            self._finished.set()

    def wait_until_listening(self, timeout: float) -> tuple[str, int]:
        """Wait until the server listens, and return the ``(host, port)`` it bound.

        Raises:
            ListenFailed: binding failed (re-raised at once, from the server's thread).
            ServerClosed: the server was shut down, or failed, before it listened.
            TimeoutError: it did not listen within ``timeout`` seconds.
            ValueError: ``timeout`` is not 0 or positive seconds (``math.inf``: no limit).
        """
        if not self._ready.wait(_check_wait(timeout)):
            raise TimeoutError(f"{self!r} was not listening after {timeout} s")
        if self._address is not None:
            return self._address
        if isinstance(self._failure, ListenFailed):
            raise self._failure
        if self._failure is not None:
            raise ServerClosed(f"{self!r} failed before it listened: {self._failure!r}")
        raise ServerClosed(f"{self!r} was shut down before it listened")

    def shutdown(self) -> None:
        """Stop serving: close the listener and every connection, and join every thread.

        Idempotent and callable from any thread, a handler's included (it then leaves the join
        to :meth:`start_listening`), and before :meth:`start_listening`, which then returns at
        once.
        """
        with self._lock:
            first = not self._stopping.is_set()
            self._stopping.set()
            if first:  # every client is told, and nobody forfeits: the lobby's call
                self._post(self._hub.shutdown())
                self._notice_until = time.monotonic() + SHUTDOWN_NOTICE
            listener, writers = self._listener, list(self._open)
            accept_thread, ours = self._accept_thread, set(self._threads)
        # Waking a thread blocked in accept(): close() alone does not do it on Linux, and
        # shutdown() alone does not on macOS or Windows, so do both; the accept loop treats the
        # OSError that follows as a normal exit because _stopping is set. We prefer this to a
        # polling timeout on accept (socketserver's way): no latency, and no select() on the
        # listener, so an autospecced mock can still drive the loop.
        if listener is not None:
            quietly(listener.shutdown, socket.SHUT_RDWR)
            quietly(listener.close)
        self._cut_off(writers)
        current = threading.current_thread()
        if accept_thread is not None and current is not accept_thread and current not in ours:
            self._finished.wait()

    @contextlib.contextmanager
    def running(self, timeout: float = 5.0) -> Iterator[tuple[str, int]]:
        """Serve in a background thread for the ``with`` block; yield the bound address.

        On exit the server is shut down and its thread joined; a thread still alive after
        ``timeout`` seconds is an error rather than a hang.

        Raises:
            RuntimeError: :meth:`start_listening` or :meth:`running` was called before: a
                server runs once, and the run under way is left alone.
            ValueError: ``timeout`` is not 0 or positive seconds (``math.inf``: no limit).
        """
        limit = _check_wait(timeout)
        thread = threading.Thread(target=self._serve_quietly, name="game-server")
        self._claim(thread)  # a second run is refused here, before it can touch this one
        thread.start()
        try:
            yield self.wait_until_listening(timeout)
        finally:
            self.shutdown()
            thread.join(limit)
            if thread.is_alive():
                raise RuntimeError(f"{self!r}: server thread did not exit within {timeout} s")

    def _serve_quietly(self) -> None:
        # In running(), a bind failure reaches the caller through wait_until_listening().
        with contextlib.suppress(ListenFailed):
            self._serve()

    # The listener -----------------------------------------------------------------------------

    def _listen(self) -> SocketLike | None:
        sock, (host, port) = open_listener(self.socket_factory, self.host, self.port)
        with self._lock:
            if self._stopping.is_set():
                sock.close()
                return None
            self._listener = sock
        self._address = (host, port)
        self._ready.set()
        log.info("listening on %s", format_address(host, port))
        return sock

    def _accept_loop(self, listener: SocketLike) -> None:
        failures = _FailureLog(resolve_clock(self.clock))
        while True:
            try:
                conn, peer = listener.accept()
            except OSError as error:
                if self._stopping.is_set():
                    return
                if isinstance(error, ConnectionError) or error.errno in _TRANSIENT_ACCEPT_ERRORS:
                    failures.failed(error)
                    self._stopping.wait(0.1)  # let a shortage of descriptors pass
                    continue
                raise
            failures.recovered()
            self._admit(conn, peer)

    def _admit(self, conn: SocketLike, peer: object) -> None:
        name = f"game-client-{_peer_name(peer)}"
        refusal = None
        with self._lock:
            self._threads = {t: None for t in self._threads if t.is_alive()}
            if self._stopping.is_set() or len(self._threads) >= self.max_clients:
                refusal = FULL
            else:
                thread = threading.Thread(
                    target=self.handle_client, args=(conn,), name=name, daemon=True
                )
                if _started(thread):
                    self._threads[thread] = None  # only a started thread: stopping joins them
                else:
                    refusal = BUSY
        if refusal is not None:
            self._turn_away(conn, refusal)

    def _turn_away(self, conn: SocketLike, refusal: bytes) -> None:
        """Tell one connection why it is not served (best effort, within a second) and close it."""
        quietly(conn.settimeout, 1.0)
        if not self._stopping.is_set():
            quietly(conn.sendall, refusal)
            quietly(conn.shutdown, socket.SHUT_WR)
        conn.close()

    def _stop_everything(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            writers, threads = list(self._open), list(self._threads)
        if listener is not None:
            quietly(listener.close)
        self._cut_off(writers)
        for thread in threads:
            thread.join()

    def _cut_off(self, writers: list[Writer]) -> None:
        """Abort the connections of ``writers``, once these have sent the shutdown notice, or
        its time is up (no wait unless :meth:`shutdown` gave one)."""
        for writer in writers:
            writer.flushed.wait(max(self._notice_until - time.monotonic(), 0.0))
        for writer in writers:
            writer.abort()

    # One connection ---------------------------------------------------------------------------

    def handle_client(self, conn: SocketLike) -> None:
        """Serve one connection until it ends, then close it. Runs in its own thread.

        Nothing a client sends or fails to send makes this raise: garbage, silence, resets and
        disconnects end this connection (and forfeit its match) and nothing else.
        """
        name = threading.current_thread().name
        writer = Writer(
            conn, name, write_timeout=self.write_timeout, allowance=ALLOWANCE, linger=LINGER
        )
        set_nodelay(conn)
        with contextlib.suppress(OSError):  # a socket that failed already fails its first recv
            conn.settimeout(None)  # blocking, whatever the listener's default: kernel timeouts
            if self.write_timeout is not None:
                set_kernel_timeout(conn, socket.SO_SNDTIMEO, self.write_timeout)
        writer_thread = threading.Thread(
            target=writer.write_loop, name=f"{name}-writer", daemon=True
        )
        if not _started(writer_thread):  # before the hub knows of it: nothing to undo
            self._turn_away(conn, BUSY)
            return
        with self._lock:
            self._open[writer] = None
            if self._stopping.is_set():  # shutdown() took its snapshot before we got here
                writer.abort()
            connection = self._hub.connect()
            self._writers[connection.player] = writer
            self._post([connection], writer)
        try:
            self._read_loop(connection, writer)
        finally:
            with self._lock:
                self._post(connection.receive_eof(), writer)
                del self._writers[connection.player]
            writer.reader_done.set()
            with writer.lock:
                writer.queue(b"", close=True, wake=True)
            writer_thread.join(None if self.write_timeout is not None else LINGER)
            if writer_thread.is_alive():  # no write timeout, and a peer that won't read
                writer.abort()
                writer_thread.join()
            conn.close()
            with self._lock:
                self._open.pop(writer, None)

    def _read_loop(self, connection: ServerConnection, writer: Writer) -> None:
        reader = Reader(writer.sock, self.idle_timeout, self.clock)
        writer.send_inline()  # the banner
        while writer.has_room():
            try:
                data = reader.read()
            except TimeoutError:
                with self._lock:
                    self._post(connection.fail(reader.idle_reason()), writer)
                writer.send_inline()
                return
            except OSError:
                return
            if not data:
                return
            if self._handle(connection, writer, data):
                reader.restart_timer()

    def _handle(self, connection: ServerConnection, writer: Writer, data: bytes) -> bool:
        """Handle the lines ``data`` completes, and send the replies inline; wait whenever the
        replies are over the allowance. Return whether any line was handled: a complete line
        restarts the idle timer."""
        with self._lock:
            connection.receive_data(data)
            handled, more = self._handle_lines(connection, writer)
        while more and writer.has_room():
            with self._lock:
                more = self._handle_lines(connection, writer)[1]
        writer.send_inline()
        return handled

    def _handle_lines(self, connection: ServerConnection, writer: Writer) -> tuple[bool, bool]:
        """Handle complete lines until none is left, or the replies are over the allowance;
        return whether any was handled, and whether any may be left. Call with the lock held."""
        handled = False
        while (touched := connection.handle_next()) is not None:
            handled = True
            self._post(touched, writer)
            if writer.over_allowance():
                return handled, True
        return handled, False

    def _post(self, touched: list[ServerConnection], own: Writer | None = None) -> None:
        """Queue what the hub has for each of ``touched`` on its writer. Each writer thread is
        woken, except ``own``'s: that connection's reader sends its replies itself. Call with
        the lock held."""
        for connection in touched:
            writer = self._writers[connection.player]
            with writer.lock:
                writer.queue(
                    connection.data_to_send(), connection.close_expected(), writer is not own
                )


class _FailureLog:
    """The log of a run of failed accepts: the first at once, then one line each
    :data:`ACCEPT_FAILURE_LOG_INTERVAL` seconds of ``clock`` while they go on, and one once
    a connection is accepted again after more than one."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._count = 0
        self._since = self._logged = 0.0

    def failed(self, error: OSError) -> None:
        now = self._clock()
        self._count += 1
        if self._count == 1:
            self._since = self._logged = now
            log.warning("accept failed, going on: %s", error)
        elif now - self._logged >= ACCEPT_FAILURE_LOG_INTERVAL:
            self._logged = now
            log.warning(
                "accept still failing, %d times in %.0f s: %s",
                self._count,
                now - self._since,
                error,
            )

    def recovered(self) -> None:
        if self._count > 1:  # one failure (a connection reset before its accept) was news enough
            log.info(
                "accepting again after %d failed accepts in %.0f s",
                self._count,
                self._clock() - self._since,
            )
        self._count = 0


def _check_wait(timeout: object) -> float | None:
    """``timeout`` for :meth:`Server.wait_until_listening`, checked at the call: 0 only looks,
    ``math.inf`` has no limit, and anything else must be positive seconds
    (:func:`~game.sockets.check_timeout`)."""
    if not isinstance(timeout, bool) and isinstance(timeout, int | float) and timeout == 0:
        return 0.0
    return check_timeout(timeout, "timeout")


def _started(thread: threading.Thread) -> bool:
    """Start ``thread``; False if the system has no thread to spare ("can't start new thread"),
    which costs only the connection it was for."""
    try:
        thread.start()
    except RuntimeError as error:
        log.warning("cannot start %s: %s", thread.name, error)
        return False
    return True


def _peer_name(peer: object) -> str:
    if isinstance(peer, tuple) and len(peer) >= 2:
        return format_address(str(peer[0]), int(peer[1]))
    return str(peer)
