"""The game server: a thin, threaded socket shell around the sans-IO :class:`~game.connection.Hub`.

One thread accepts; each connection gets a reader thread (:meth:`Server.handle_client`) and a
writer thread. The reader feeds what it receives to the connection's sans-IO end
(:class:`~game.connection.ServerConnection`), which asks the lobby what follows, under one lock.
The reader then sends its own connection's replies itself, at once: a reply the kernel takes
right away costs no hand-off between threads. Lines caused by another player (the opponent's
move, a forfeit) are only queued, for this connection's writer to send, so that a player who
does not read never blocks anybody else. Both threads take their bytes, in order, from the one
queue of unsent output, and only one of them sends at a time, so lines to one connection are
never reordered.

Backpressure, not a cut-off: when a connection's unsent output passes :data:`ALLOWANCE`, its
reader stops reading until the output drains, and the client's own ``send`` eventually blocks. A
client that reads nothing at all is cut off only once its output has made no progress for the
server's write timeout.

A connection's socket stays blocking, with its timeouts in the kernel (``SO_RCVTIMEO`` for the
idle timer, ``SO_SNDTIMEO`` for the write timeout; see :func:`game.sockets.set_kernel_timeout`):
each ``recv`` and ``send`` is then one system call, and the reader's inline send can be truly
non-blocking (``MSG_DONTWAIT``), so it never waits on a client that does not read.

The socket comes from an injected factory (see :mod:`game.sockets`), so a test can drive the
whole accept loop with an autospecced mock or an in-memory socket, without the network.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterator

from game.connection import Hub, ServerConnection
from game.errors import ListenFailed, ServerClosed
from game.lobby import PlayerId
from game.protocol import Error
from game.sockets import (
    Clock,
    SocketFactory,
    SocketLike,
    check_address,
    check_timeout,
    family_for,
    format_address,
    resolve_clock,
    resolve_factory,
    set_kernel_timeout,
    set_nodelay,
)

__all__ = [
    "ALLOWANCE",
    "DEFAULT_MAX_CLIENTS",
    "DEFAULT_PORT",
    "DEFAULT_WRITE_TIMEOUT",
    "Server",
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

_RECV_SIZE = 4096
_DONTWAIT = getattr(socket, "MSG_DONTWAIT", None)  # not on Windows: the writer sends it all
_SEND_SIZE = 16384  # the most one send() is given: what a blocked writer holds a copy of
_RESET_ON_CLOSE = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends RST
_FULL = Error("server full").encode()
_BUSY = Error("server busy").encode()

# accept() errors that concern one incoming connection or a passing shortage, not the listener.
_TRANSIENT_ACCEPT_ERRORS = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}


def _quietly(call: Callable[..., object], *args: object) -> None:
    """Call a socket method whose failure only means the socket is already shut or closed."""
    with contextlib.suppress(OSError):
        call(*args)


class _Link:
    """One connection's socket and its unsent output, shared by its reader and its writer.

    Whoever sends (the reader, inline, or the writer) claims the send side under :attr:`lock`,
    sends from the front of :attr:`unsent` with one ``send``, and removes what the kernel took:
    one sender at a time, in order, and progress known to the byte.
    """

    def __init__(self, sock: SocketLike, name: str, write_timeout: float | None) -> None:
        self.sock = sock
        self.name = name
        self.lock = threading.Lock()  # guards everything below
        self.changed = threading.Condition(self.lock)  # the writer's and the reader's waits
        self.unsent = bytearray()
        self.closing = False  # half-close once unsent is sent
        self.aborted = False
        self._sending = False
        self._waiting_for_room = False
        self._write_timeout = write_timeout
        self.reader_done = threading.Event()
        self.flushed = threading.Event()  # the writer has finished: all sent, or aborted

    def queue(self, data: bytes, close: bool, wake: bool) -> None:
        """Add output (and the lobby's close), in order, waking the writer if ``wake``: not
        for the reader's own replies, which it sends itself. Call with :attr:`lock` held."""
        if self.aborted:
            return
        self.unsent += data
        if close:
            self.closing = wake = True
        if wake:
            self.changed.notify_all()

    def send_inline(self) -> None:
        """The reader sends its own connection's output, without waiting, unless a send is
        under way already (the writer's: it will send this too). What the kernel does not take
        at once is left for the writer."""
        with self.lock:
            if self._sending or not self.unsent or self.aborted:
                return
            if _DONTWAIT is None:
                self.changed.notify_all()
                return
            self._sending = True
            data = bytes(self.unsent[:_SEND_SIZE])
        self._send(data, _DONTWAIT)

    def has_room(self) -> bool:
        """Wait while the unsent output is over :data:`ALLOWANCE`; False once aborted."""
        with self.lock:
            if len(self.unsent) > ALLOWANCE and not self.aborted:
                self.changed.notify_all()  # the writer takes over what the reader could not send
                self._waiting_for_room = True
                while len(self.unsent) > ALLOWANCE and not self.aborted:
                    self.changed.wait()
                self._waiting_for_room = False
            return not self.aborted

    def write_loop(self) -> None:
        """Send whatever the reader leaves; on close, half-close so the peer reads all before
        EOF, then wait a little for its EOF."""
        while True:
            with self.lock:
                self.changed.wait_for(self._writer_has_work)
                if self.aborted or not self.unsent:
                    break
                self._sending = True
                data = bytes(self.unsent[:_SEND_SIZE])
            self._send(data, 0)
        self.flushed.set()
        if self.aborted:
            return
        _quietly(self.sock.shutdown, socket.SHUT_WR)
        if not self.reader_done.wait(LINGER):
            _quietly(self.sock.shutdown, socket.SHUT_RDWR)

    def _writer_has_work(self) -> bool:
        """Output no one is sending, a close to make, or an abort: call with :attr:`lock` held."""
        return self.aborted or (not self._sending and bool(self.unsent or self.closing))

    def _send(self, data: bytes, flags: int) -> None:
        """One ``send`` of ``data``, the front of the output; the caller claimed the send side.

        The writer's ``send`` blocks; the reader's, with ``MSG_DONTWAIT``, does not. Either way
        what the kernel took is removed. The kernel tracks the progress: a blocking send gives
        up only when it could queue nothing for ``SO_SNDTIMEO``, the write timeout, and then the
        client is cut off.
        """
        sent, failed, stuck = 0, False, False
        try:
            sent = self.sock.send(data, flags)
        except (BlockingIOError, TimeoutError):  # nothing taken: at once, or in time
            stuck = not flags and self._write_timeout is not None
        except OSError:
            failed = True
        finally:
            with self.lock:
                self._sending = False
                del self.unsent[:sent]
                if self.unsent or self.closing or self._waiting_for_room:
                    self.changed.notify_all()  # the writer's turn, or the reader's room
        if stuck:
            log.warning(
                "%s does not read what it is sent (no progress for %g s); cutting it off",
                self.name,
                self._write_timeout,
            )
            # A reset, not a FIN: after a FIN, Linux may keep advertising a zero window, and a
            # peer that goes on sending would block in send() for a minute instead of failing.
            _quietly(self.sock.setsockopt, socket.SOL_SOCKET, socket.SO_LINGER, _RESET_ON_CLOSE)
        if failed or stuck:
            self.abort()

    def abort(self) -> None:
        """Stop both directions now: wakes a reader blocked in recv or waiting for room, and a
        writer in send or waiting for output."""
        with self.lock:
            self.aborted = self.closing = True
            self.changed.notify_all()
        _quietly(self.sock.shutdown, socket.SHUT_RDWR)


class Server:
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
        clock: the monotonic clock the idle timer reads, a zero-argument callable returning
            seconds; ``None`` means :func:`time.monotonic`, looked up when read. The testing
            hook for time: with a memory network's virtual clock (``clock=net.clock.monotonic``)
            the 300-second idle timeout runs in milliseconds.

    Raises:
        ValueError: ``host`` is not a ``str``, ``port`` is not an ``int`` in 0-65535,
            ``idle_timeout`` or ``write_timeout`` is not positive or too long to wait for (see
            :func:`game.sockets.check_timeout`), or ``max_clients`` is below 1.
    """

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
        self._lock = threading.Lock()  # guards the hub and the tables below
        self._links: dict[PlayerId, _Link] = {}  # every connection the hub knows
        # Dicts, not sets: in the order they came, so that a stop is the same stop every time.
        self._connections: dict[_Link, None] = {}  # every connection with a socket, to cut off
        self._threads: dict[threading.Thread, None] = {}  # handler threads; each joins its writer
        self._listener: SocketLike | None = None
        self._accept_thread: threading.Thread | None = None
        self._address: tuple[str, int] | None = None
        self._failure: BaseException | None = None
        self._stopping = threading.Event()
        self._notice_until = 0.0  # monotonic time until which shutdown lets writers send
        self._ready = threading.Event()  # listening, failed to, or shut down before
        self._finished = threading.Event()  # start_listening has returned

    def __repr__(self) -> str:
        return f"<Server {format_address(self.host, self.port)}>"

    @property
    def address(self) -> tuple[str, int] | None:
        """The ``(host, port)`` actually bound, once listening; ``None`` before."""
        return self._address

    # Lifecycle ------------------------------------------------------------------------------

    def start_listening(self) -> None:
        """Bind, listen and serve until :meth:`shutdown`; blocking.

        Returns once every connection and thread it opened is closed and joined; at once, without
        binding, if :meth:`shutdown` came first.

        Raises:
            ListenFailed: the address could not be bound (in use, not permitted, no such host).
            RuntimeError: called a second time.
        """
        with self._lock:
            if self._accept_thread is not None:
                raise RuntimeError("start_listening() was already called; a Server runs once")
            self._accept_thread = threading.current_thread()
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
        """
        if not self._ready.wait(timeout):
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
            listener, connections = self._listener, list(self._connections)
            accept_thread, ours = self._accept_thread, set(self._threads)
        # Waking a thread blocked in accept(): close() alone does not do it on Linux, and
        # shutdown() alone does not on macOS or Windows, so do both; the accept loop treats the
        # OSError that follows as a normal exit because _stopping is set. We prefer this to a
        # polling timeout on accept (socketserver's way): no latency, and no select() on the
        # listener, so an autospecced mock can still drive the loop.
        if listener is not None:
            _quietly(listener.shutdown, socket.SHUT_RDWR)
            _quietly(listener.close)
        self._cut_off(connections)
        current = threading.current_thread()
        if accept_thread is not None and current is not accept_thread and current not in ours:
            self._finished.wait()

    @contextlib.contextmanager
    def running(self, timeout: float = 5.0) -> Iterator[tuple[str, int]]:
        """Serve in a background thread for the ``with`` block; yield the bound address.

        On exit the server is shut down and its thread joined; a thread still alive after
        ``timeout`` seconds is an error rather than a hang.
        """
        thread = threading.Thread(target=self._serve_quietly, name="game-server")
        thread.start()
        try:
            yield self.wait_until_listening(timeout)
        finally:
            self.shutdown()
            thread.join(timeout)
            if thread.is_alive():
                raise RuntimeError(f"{self!r}: server thread did not exit within {timeout} s")

    def _serve_quietly(self) -> None:
        # In running(), a bind failure reaches the caller through wait_until_listening().
        with contextlib.suppress(ListenFailed):
            self.start_listening()

    # The listener -----------------------------------------------------------------------------

    def _listen(self) -> SocketLike | None:
        where = format_address(self.host, self.port)
        hint = "pick another --port, or 0 for any free port"
        try:
            sock = resolve_factory(self.socket_factory)(family_for(self.host), socket.SOCK_STREAM)
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
            sock.bind((self.host, self.port))
            sock.listen(socket.SOMAXCONN)
            host, port = sock.getsockname()[:2]
        except OSError as error:
            sock.close()
            reason = error.strerror or str(error)
            raise ListenFailed(f"cannot listen on {where}: {reason}; {hint}") from error
        except BaseException:
            sock.close()
            raise
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
        while True:
            try:
                conn, peer = listener.accept()
            except OSError as error:
                if self._stopping.is_set():
                    return
                if isinstance(error, ConnectionError) or error.errno in _TRANSIENT_ACCEPT_ERRORS:
                    log.warning("accept failed, going on: %s", error)
                    self._stopping.wait(0.1)  # let a shortage of descriptors pass
                    continue
                raise
            self._admit(conn, peer)

    def _admit(self, conn: SocketLike, peer: object) -> None:
        name = f"game-client-{_peer_name(peer)}"
        refusal = None
        with self._lock:
            self._threads = {t: None for t in self._threads if t.is_alive()}
            if self._stopping.is_set() or len(self._threads) >= self.max_clients:
                refusal = _FULL
            else:
                thread = threading.Thread(
                    target=self.handle_client, args=(conn,), name=name, daemon=True
                )
                if _started(thread):
                    self._threads[thread] = None  # only a started thread: stopping joins them
                else:
                    refusal = _BUSY
        if refusal is not None:
            self._turn_away(conn, refusal)

    def _turn_away(self, conn: SocketLike, refusal: bytes) -> None:
        """Tell one connection why it is not served (best effort, within a second) and close it."""
        _quietly(conn.settimeout, 1.0)
        if not self._stopping.is_set():
            _quietly(conn.sendall, refusal)
            _quietly(conn.shutdown, socket.SHUT_WR)
        conn.close()

    def _stop_everything(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            connections, threads = list(self._connections), list(self._threads)
        if listener is not None:
            _quietly(listener.close)
        self._cut_off(connections)
        for thread in threads:
            thread.join()

    def _cut_off(self, connections: list[_Link]) -> None:
        """Abort ``connections``, once their writers have sent the shutdown notice, or its
        time is up (no wait unless :meth:`shutdown` gave one)."""
        for connection in connections:
            connection.flushed.wait(max(self._notice_until - time.monotonic(), 0.0))
        for connection in connections:
            connection.abort()

    # One connection ---------------------------------------------------------------------------

    def handle_client(self, conn: SocketLike) -> None:
        """Serve one connection until it ends, then close it. Runs in its own thread.

        Nothing a client sends or fails to send makes this raise: garbage, silence, resets and
        disconnects end this connection (and forfeit its match) and nothing else.
        """
        name = threading.current_thread().name
        link = _Link(conn, name, self.write_timeout)
        set_nodelay(conn)
        with contextlib.suppress(OSError):  # a socket that failed already fails its first recv
            conn.settimeout(None)  # blocking, whatever the listener's default: kernel timeouts
            if self.write_timeout is not None:
                set_kernel_timeout(conn, socket.SO_SNDTIMEO, self.write_timeout)
        writer = threading.Thread(target=link.write_loop, name=f"{name}-writer", daemon=True)
        if not _started(writer):  # before the hub knows of it: nothing to undo
            self._turn_away(conn, _BUSY)
            return
        with self._lock:
            self._connections[link] = None
            if self._stopping.is_set():  # shutdown() took its snapshot before we got here
                link.abort()
            connection = self._hub.connect()
            self._links[connection.player] = link
            self._post([connection], link)
        try:
            self._read_loop(connection, link)
        finally:
            with self._lock:
                self._post(connection.receive_eof(), link)
                del self._links[connection.player]
            link.reader_done.set()
            with link.lock:
                link.queue(b"", close=True, wake=True)
            writer.join(None if self.write_timeout is not None else LINGER)
            if writer.is_alive():  # no write timeout, and stuck sending to a peer that won't read
                link.abort()
                writer.join()
            conn.close()
            with self._lock:
                self._connections.pop(link, None)

    def _read_loop(self, connection: ServerConnection, link: _Link) -> None:
        reader = _Reader(link.sock, self.idle_timeout, self.clock)
        link.send_inline()  # the banner
        while link.has_room():
            try:
                data = reader.read()
            except TimeoutError:
                with self._lock:
                    self._post(connection.fail(reader.idle_reason()), link)
                link.send_inline()
                return
            except OSError:
                return
            if not data:
                return
            if self._handle(connection, link, data):
                reader.restart_timer()

    def _handle(self, connection: ServerConnection, link: _Link, data: bytes) -> bool:
        """Handle the lines ``data`` completes, and send the replies inline; wait whenever the
        replies are over :data:`ALLOWANCE`. Return whether any line was handled: a complete line
        restarts the idle timer."""
        with self._lock:
            connection.receive_data(data)
            handled, more = self._handle_lines(connection, link)
        while more and link.has_room():
            with self._lock:
                more = self._handle_lines(connection, link)[1]
        link.send_inline()
        return handled

    def _handle_lines(self, connection: ServerConnection, link: _Link) -> tuple[bool, bool]:
        """Handle complete lines until none is left, or the replies are over the allowance;
        return whether any was handled, and whether any may be left. Call with the lock held."""
        handled = False
        while (touched := connection.handle_next()) is not None:
            handled = True
            self._post(touched, link)
            if len(link.unsent) > ALLOWANCE:
                return handled, True
        return handled, False

    def _post(self, touched: list[ServerConnection], own: _Link | None = None) -> None:
        """Queue what the hub has for each of ``touched`` on its link. Each link's writer is
        woken, except ``own``'s: that link's reader sends its replies itself. Call with the
        lock held."""
        for connection in touched:
            link = self._links[connection.player]
            with link.lock:
                link.queue(connection.data_to_send(), connection.close_expected(), link is not own)


class _Reader:
    """Reads from a socket under an idle deadline that restarts on each complete line.

    The deadline lives in the kernel, as ``SO_RCVTIMEO``, set only when the time left changes:
    not at all while every read completes a line, since the timer then restarts at its whole
    length.
    """

    def __init__(self, sock: SocketLike, idle_timeout: float | None, clock: Clock | None) -> None:
        self._sock = sock
        self._idle_timeout = idle_timeout
        self._clock = clock
        self._deadline: float | None = None
        self._fresh = True  # the timer restarted since the last read: the whole idle time is left
        self._set: float | None = None  # the socket's SO_RCVTIMEO, as last set
        self.restart_timer()

    def restart_timer(self) -> None:
        if self._idle_timeout is not None:
            self._deadline = resolve_clock(self._clock)() + self._idle_timeout
        self._fresh = True

    def idle_reason(self) -> str:
        if self._idle_timeout is None:  # only a socket that times out on its own gets here
            return "timed out waiting for a line"
        return f"idle for more than {self._idle_timeout:g} s"

    def read(self) -> bytes:
        """Block for the next bytes; ``b""`` at EOF.

        Raises:
            TimeoutError: the idle deadline passed.
            OSError: the connection failed (reset, shut down).
        """
        while True:
            timeout = self._timeout()
            if timeout != self._set:
                set_kernel_timeout(self._sock, socket.SO_RCVTIMEO, timeout)
                self._set = timeout
            try:
                data = self._sock.recv(_RECV_SIZE)
            except BlockingIOError:
                if self._deadline is None:
                    raise  # no timer of ours: a socket that will not block
                self._fresh = False  # SO_RCVTIMEO: the deadline, or as good as
                continue  # _timeout() raises once the deadline has passed
            self._fresh = False
            return data

    def _timeout(self) -> float | None:
        if self._deadline is None or self._idle_timeout is None:
            return None
        if self._fresh:
            return self._idle_timeout
        left = self._deadline - resolve_clock(self._clock)()
        if left <= 0:
            raise TimeoutError
        return left


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
