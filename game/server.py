"""The game server: a thin, threaded socket shell around the pure :class:`~game.lobby.Lobby`.

One thread accepts; each connection gets a reader thread (:meth:`Server.handle_client`) and a
writer thread. The reader turns bytes into lines with :class:`~game.protocol.LineBuffer` and asks
the lobby what follows; the lobby's effects are queued, under one lock, on the outbox of the
connection they are for; the writer sends that outbox in order. So lines to one connection are
never reordered, and a client that stops reading stalls only its own writer.

The socket comes from an injected factory (see :mod:`game.sockets`), so a test can drive the
whole accept loop with an autospecced mock or an in-memory socket, without the network.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import queue
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterator

from game.errors import ListenFailed, ProtocolViolation, ServerClosed
from game.lobby import Close, Effect, Lobby, PlayerId, Send
from game.protocol import Error, LineBuffer
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
    set_nodelay,
)

__all__ = ["DEFAULT_MAX_CLIENTS", "DEFAULT_PORT", "Server"]

log = logging.getLogger(__name__)

DEFAULT_PORT = 7777
DEFAULT_MAX_CLIENTS = 512
"""Enough for hundreds of matches; each connection costs two threads."""

LINGER = 2.0
"""Seconds a closing connection waits for the peer's EOF before it is cut off."""

SHUTDOWN_NOTICE = 0.5
"""Seconds :meth:`Server.shutdown` gives the writers, in all, to send ``ERROR server shutting
down`` before it cuts every connection: best effort, so a shutdown stays prompt."""

MAX_BACKLOG = 1024
"""Lines queued for a client that does not read them before its connection is cut."""

_RECV_SIZE = 4096
_RESET_ON_CLOSE = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends RST
_FULL = Error("server full").encode()
_BUSY = Error("server busy").encode()

# accept() errors that concern one incoming connection or a passing shortage, not the listener.
_TRANSIENT_ACCEPT_ERRORS = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}


def _quietly(call: Callable[..., object], *args: object) -> None:
    """Call a socket method whose failure only means the socket is already shut or closed."""
    with contextlib.suppress(OSError):
        call(*args)


class _Connection:
    """One client's socket with its ordered outbox; shared by its reader and writer threads."""

    def __init__(self, sock: SocketLike, name: str) -> None:
        self.sock = sock
        self.name = name
        self.closing = False
        self.reader_done = threading.Event()
        self.flushed = threading.Event()  # the writer has sent all it was given
        self._outbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()

    def send(self, data: bytes) -> None:
        if self.closing:
            return
        if self._outbox.qsize() >= MAX_BACKLOG:
            log.warning("%s does not read what it is sent; cutting it off", self.name)
            # A reset, not a FIN: after a FIN, Linux may keep advertising a zero window, and a
            # peer that goes on sending would block in send() for a minute instead of failing.
            _quietly(self.sock.setsockopt, socket.SOL_SOCKET, socket.SO_LINGER, _RESET_ON_CLOSE)
            self.abort()
            return
        self._outbox.put(data)

    def close_after_flush(self) -> None:
        if not self.closing:
            self.closing = True
            self._outbox.put(None)

    def abort(self) -> None:
        """Stop both directions now: wakes a reader blocked in recv and a writer in sendall."""
        self.close_after_flush()
        _quietly(self.sock.shutdown, socket.SHUT_RDWR)

    def write_loop(self) -> None:
        """Send the outbox in order; on close, half-close so the peer reads all before EOF."""
        while (data := self._outbox.get()) is not None:
            try:
                self.sock.sendall(data)
            except OSError:
                self.abort()
                self.flushed.set()
                return
        self.flushed.set()
        _quietly(self.sock.shutdown, socket.SHUT_WR)
        if not self.reader_done.wait(LINGER):
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
        idle_timeout: seconds a client may stay silent (no complete line) before it is cut off
            with ``ERROR``; ``None`` or ``math.inf`` waits forever.
        max_clients: connections served at once; one more gets ``ERROR server full``.
        clock: the monotonic clock the idle timer reads, a zero-argument callable returning
            seconds; ``None`` means :func:`time.monotonic`, looked up when read. The testing
            hook for time: with a memory network's virtual clock (``clock=net.clock.monotonic``)
            the 300-second idle timeout runs in milliseconds.

    Raises:
        ValueError: ``host`` is not a ``str``, ``port`` is not an ``int`` in 0-65535,
            ``idle_timeout`` is not positive or too long to wait for (see
            :func:`game.sockets.check_timeout`), or ``max_clients`` is below 1.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        *,
        socket_factory: SocketFactory | None = None,
        idle_timeout: float | None = 300.0,
        max_clients: int = DEFAULT_MAX_CLIENTS,
        clock: Clock | None = None,
    ) -> None:
        check_address(host, port)
        idle_timeout = check_timeout(idle_timeout, "idle_timeout")
        if isinstance(max_clients, bool) or not isinstance(max_clients, int) or max_clients < 1:
            raise ValueError(f"max_clients must be an int of at least 1, not {max_clients!r}")
        self.host = host
        self.port = port
        self.socket_factory = socket_factory
        self.idle_timeout = idle_timeout
        self.max_clients = max_clients
        self.clock = clock

        self._lobby = Lobby()
        self._lock = threading.Lock()  # guards the lobby, the tables below and outbox order
        self._players: dict[PlayerId, _Connection] = {}
        self._connections: set[_Connection] = set()
        self._threads: set[threading.Thread] = set()  # handler threads; each joins its writer
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
                self._deliver(self._lobby.shutdown())
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
            self._threads = {t for t in self._threads if t.is_alive()}
            if self._stopping.is_set() or len(self._threads) >= self.max_clients:
                refusal = _FULL
            else:
                thread = threading.Thread(
                    target=self.handle_client, args=(conn,), name=name, daemon=True
                )
                if _started(thread):
                    self._threads.add(thread)  # only a started thread: stopping joins them
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

    def _cut_off(self, connections: list[_Connection]) -> None:
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
        connection = _Connection(conn, threading.current_thread().name)
        set_nodelay(conn)
        writer = threading.Thread(
            target=connection.write_loop, name=f"{connection.name}-writer", daemon=True
        )
        if not _started(writer):  # before the lobby knows of it: nothing to undo
            self._turn_away(conn, _BUSY)
            return
        with self._lock:
            self._connections.add(connection)
            if self._stopping.is_set():  # shutdown() took its snapshot before we got here
                connection.abort()
            player, effects = self._lobby.connect()
            self._players[player] = connection
            self._deliver(effects)
        try:
            self._read_loop(player, connection)
        finally:
            with self._lock:
                self._deliver(self._lobby.disconnect(player))
                del self._players[player]
            connection.reader_done.set()
            connection.close_after_flush()
            writer.join(LINGER)
            if writer.is_alive():  # stuck in sendall to a peer that does not read
                connection.abort()
                writer.join()
            conn.close()
            with self._lock:
                self._connections.discard(connection)

    def _read_loop(self, player: PlayerId, connection: _Connection) -> None:
        lines = _LineReader(connection.sock, self.idle_timeout, self.clock)
        while True:
            try:
                received = lines.read()
            except TimeoutError:
                self._fail(player, lines.idle_reason())
                return
            except ProtocolViolation as error:
                self._handle(player, error.lines)  # the good lines before it, first
                self._fail(player, str(error))
                lines.discard()  # keep reading until EOF, so the close sends FIN, not RST
                continue
            except OSError:
                return
            if received is None:
                return
            self._handle(player, received)

    def _handle(self, player: PlayerId, lines: list[str]) -> None:
        for line in lines:
            with self._lock:
                self._deliver(self._lobby.receive(player, line))

    def _fail(self, player: PlayerId, reason: str) -> None:
        with self._lock:
            self._deliver(self._lobby.fail(player, reason))

    def _deliver(self, effects: list[Effect]) -> None:
        """Queue each effect on its connection, in order; call with the lock held."""
        for effect in effects:
            if isinstance(effect, Send):
                self._players[effect.to].send(effect.message.encode())
            elif isinstance(effect, Close):
                self._players[effect.who].close_after_flush()


class _LineReader:
    """Reads lines from a socket under an idle deadline that restarts on each complete line."""

    def __init__(self, sock: SocketLike, idle_timeout: float | None, clock: Clock | None) -> None:
        self._sock = sock
        self._idle_timeout = idle_timeout
        self._clock = clock
        self._buffer: LineBuffer | None = LineBuffer()
        self._deadline: float | None = None
        self._restart_timer()

    def _restart_timer(self) -> None:
        if self._idle_timeout is not None:
            self._deadline = resolve_clock(self._clock)() + self._idle_timeout

    def idle_reason(self) -> str:
        if self._idle_timeout is None:  # only a socket that times out on its own gets here
            return "timed out waiting for a line"
        return f"idle for more than {self._idle_timeout:g} s"

    def discard(self) -> None:
        """Stop parsing: from now on, bytes are read and dropped until EOF."""
        self._buffer = None

    def read(self) -> list[str] | None:
        """Block for the next bytes; return the complete lines they make, or None at EOF.

        Raises:
            TimeoutError: the idle deadline passed.
            ProtocolViolation: the bytes broke the framing (over-long line, not UTF-8).
            OSError: the connection failed (reset, shut down).
        """
        timeout = None
        if self._deadline is not None:
            timeout = self._deadline - resolve_clock(self._clock)()
            if timeout <= 0:
                raise TimeoutError
        self._sock.settimeout(timeout)
        data = self._sock.recv(_RECV_SIZE)
        if not data:
            return None
        if self._buffer is None:
            return []
        lines = self._buffer.feed(data)
        if lines:
            self._restart_timer()
        return lines


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
