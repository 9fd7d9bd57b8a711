"""Scripted peers: a fake server and a fake client, on loopback or on any socket factory.

The blog post this project grew from ends with "you might want to break out the fake server and
fake client in to their own classes for easy re-use". These are those classes, made safe:

- :class:`FakeServer` listens on loopback port 0 (so tests never collide on a port), binds in
  its own thread and signals readiness with an :class:`threading.Event` (no ``sleep`` before
  connecting), runs a *script* for each connection, records every line it received, and on exit
  joins its threads with a deadline and fails loudly instead of hanging. The model is urllib3's
  ``dummyserver/socketserver.py::SocketServerThread(ready_event=...)``.
- :class:`FakeClient` connects with a timeout, sends lines or raw bytes, reads lines with a
  timeout, and keeps a transcript of both directions.

A *script* is any callable taking a :class:`ScriptedConnection`; the ready-made ones are
:func:`accept_and_close`, :func:`answer_from_table`, :func:`send_canned` and
:func:`stay_silent`. Writing your own is the point::

    def greet_then_echo(conn: ScriptedConnection) -> None:
        conn.send_line("HELLO")
        for line in conn.lines():
            conn.send_line(line)

    with FakeServer(greet_then_echo) as server, FakeClient(server.address) as client:
        client.send_line("PING")
        assert client.read_line() == "HELLO"

Both take a ``socket_factory``: by default they open real sockets (looked up at call time, so
pytest-socket's guard sees them), and with ``network.socket_factory`` they are scripted peers on
the in-memory network, in the unit tier.

Rules of this module:

1. Nothing blocks forever. Client reads default to :data:`~sockettest.DEFAULT_TIMEOUT`; a server
   script's reads wait for data, EOF or the server's stop, which shuts every connection down to
   wake them.
2. Nothing is lost in a thread. An exception raised by a script is re-raised by
   :meth:`FakeServer.stop` (so at the end of the ``with`` block); a thread that does not exit in
   time is a :class:`~sockettest.BlockedTooLong` error naming it. (The one exception, an
   ``OSError`` of a connection that is gone, is :class:`ScriptedConnection`'s to explain.)
3. Everything is closed on exit: listener, connections, client sockets.
4. ``timeout=None`` means "this object's default timeout"; ``math.inf`` means "no limit".
"""

from __future__ import annotations

import contextlib
import inspect
import math
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from sockettest._addresses import family_for
from sockettest._clock import VirtualClock
from sockettest._deadlines import DEFAULT_TIMEOUT, BlockedTooLong
from sockettest._scripts import accept_and_close
from sockettest._threads import serve_in_thread
from sockettest._types import Address, Socket, SocketFactory
from sockettest._validation import check_int, check_seconds

if TYPE_CHECKING:
    from sockettest._network import MemoryNetwork

__all__ = [
    "FakeClient",
    "FakeServer",
    "Script",
    "ScriptedConnection",
]

_RECV_SIZE = 4096


def _make_socket(factory: SocketFactory | None, host: str) -> Socket:
    """A socket for ``host`` from ``factory``, or from :class:`socket.socket` looked up now."""
    make = socket.socket if factory is None else factory
    sock: Socket = make(family_for(host), socket.SOCK_STREAM)
    return sock


def _set_nodelay(sock: Socket) -> None:
    """Send each line at once (no Nagle delay); best effort. (The game has its own copy in
    ``game/sockets.py``; the kit cannot import the game.)"""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


# Lines over a socket --------------------------------------------------------------------------


def _real_time() -> float:
    return time.monotonic()  # looked up at each call: simulate replaces it


def _clock_of(sock: Socket) -> Callable[[], float]:
    """The clock ``sock``'s timeouts run on: its network's :class:`VirtualClock`, or real time."""
    clock = getattr(getattr(sock, "network", None), "clock", None)
    return clock.monotonic if isinstance(clock, VirtualClock) else _real_time


class _LineSocket:
    """A connected socket with a line buffer: reads lines under a deadline, records both ways."""

    def __init__(
        self, sock: Socket, timeout: float, stopping: threading.Event | None = None
    ) -> None:
        self.sock = sock
        self.timeout = timeout
        self.monotonic = _clock_of(sock)  # where the socket's timeouts run, so a deadline too
        self.stopping = stopping  # a server connection's: set when its server stops
        self.pending = b""  # bytes after the last line ending
        self.eof = False
        self.reset = False
        self.received: list[str] = []
        self.received_bytes = bytearray()
        self.sent = bytearray()
        self.failure: OSError | None = None
        """The last error a read or send here raised (a timeout included)..."""
        self.failed_stopping = False
        """... and whether the server was stopping when it did."""

    def read_line(self, timeout: float | None, who: str) -> str | None:
        """The next line without its ending; ``None`` at EOF. Raises TimeoutError."""
        limit = self.timeout if timeout is None else timeout
        deadline = self.monotonic() + limit
        while b"\n" not in self.pending:
            if self.eof:
                return None
            remaining = deadline - self.monotonic()
            if remaining <= 0:
                raise self._failed(
                    TimeoutError(
                        f"{who}: no complete line within {limit:g} s; "
                        f"pending bytes: {self.pending!r}, lines so far: {self.received!r}"
                    )
                )
            self.sock.settimeout(None if math.isinf(remaining) else remaining)
            try:
                data = self.sock.recv(_RECV_SIZE)
            except TimeoutError:
                continue
            except ConnectionResetError:
                self.reset = True
                data = b""
            except OSError as error:
                self._failed(error)
                raise
            if not data:
                self.eof = True
                continue
            self.received_bytes += data
            self.pending += data
        raw, _, self.pending = self.pending.partition(b"\n")
        line = raw.removesuffix(b"\r").decode("utf-8", errors="replace")
        self.received.append(line)
        return line

    def send(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except OSError as error:
            self._failed(error)
            raise
        self.sent += data

    def _failed(self, error: OSError) -> OSError:
        self.failure = error
        self.failed_stopping = self.stopping is not None and self.stopping.is_set()
        return error

    def ended_by(self, error: OSError) -> bool:
        """Whether ``error`` is this socket's own, saying that the connection is gone: the peer
        left (a reset, or a send after its close), or the server was stopping, whose shutdown
        (or a read's timeout racing it) is what a script then meets."""
        gone = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)
        return error is self.failure and (self.failed_stopping or isinstance(error, gone))


def _quietly(call: Callable[..., object], *args: object) -> None:
    with contextlib.suppress(OSError):
        call(*args)


class _LinePeer:
    """What a scripted connection and a fake client share: lines and bytes over one socket."""

    _io: _LineSocket | None
    _who: str

    def _line_socket(self) -> _LineSocket:
        if self._io is None:
            raise RuntimeError(f"{self!r}: connect first")
        return self._io

    def _record(self, way: Literal["sent", "received"], line: str) -> None:
        """Keep a line sent or read, where this kind of peer keeps them."""

    def read_line(self, timeout: float | None = None) -> str | None:
        """Read one line, record it, and return it without its ``\\n`` or ``\\r\\n``.

        A partial line before EOF is not a line: it stays pending.

        Args:
            timeout: seconds for the whole line; ``None``: this peer's ``timeout``.

        Returns:
            The line (undecodable bytes replaced by U+FFFD), or ``None`` at EOF.

        Raises:
            TimeoutError: no complete line in time; the message shows what is pending.
            OSError: the connection failed.
        """
        line = self._line_socket().read_line(timeout, self._who)
        if line is not None:
            self._record("received", line)
        return line

    def _lines_within(self, timeout: float | None) -> Iterator[str]:
        """Lines until EOF, all within ``timeout`` (``None``: this peer's ``timeout``)."""
        io = self._line_socket()
        deadline = io.monotonic() + (io.timeout if timeout is None else timeout)
        while (line := self.read_line(max(0.0, deadline - io.monotonic()))) is not None:
            yield line

    def send_line(self, line: str) -> None:
        """Send ``line`` and a ``\\n`` (UTF-8)."""
        self._line_socket().send((line + "\n").encode("utf-8"))
        self._record("sent", line)

    def send_bytes(self, data: bytes) -> None:
        """Send ``data`` as it is: for partial lines, bad UTF-8, odd line endings (recorded
        decoded, undecodable bytes escaped)."""
        self._line_socket().send(data)
        self._record("sent", data.decode("utf-8", errors="backslashreplace"))


# The fake server ------------------------------------------------------------------------------


class ScriptedConnection(_LinePeer):
    """One accepted connection, as a :class:`FakeServer` script sees it.

    The script runs in the connection's own thread. When it returns, the server half-closes the
    connection (the client reads EOF after everything sent) and closes it. If the client sent
    bytes the script never read, the kernel answers that close with a reset: scripts that must
    end politely read until EOF first (:meth:`lines` does).

    What a script raises fails the test (:meth:`FakeServer.stop` re-raises it), with one
    exception: an ``OSError`` raised by this connection's own reads and sends because the
    connection is gone, which only ends the script. That is a ``BrokenPipeError``,
    ``ConnectionResetError`` or ``ConnectionAbortedError`` once the client has left (whether a
    send meets it depends on how fast the client's kernel answered, so it cannot decide a test;
    assert on what the client saw, or on :attr:`eof` and :attr:`reset`), and any error of this
    connection's own once the server is stopping (its shutdown caused it). A read that meets a
    reset is not an error at all: it reads EOF and sets :attr:`reset`. Any other ``OSError``, a
    read's ``TimeoutError`` before the stop included, fails the test.

    Attributes:
        index: 1 for the first connection the server accepted, 2 for the next ...
        peer: the client's address.
        stopping: set when the server stops; a script that waits should wait on it.
        timeout: the default for reads (``math.inf``: until a line, EOF or the server's stop).
    """

    _io: _LineSocket

    def __init__(self, sock: Socket, peer: Address, index: int, server: FakeServer) -> None:
        self.index = index
        self.peer = peer
        self.stopping = server._stopping
        self._server = server
        self._io = _LineSocket(sock, server.timeout, server._stopping)
        self._who = f"fake server connection #{index}"

    def __repr__(self) -> str:
        return f"<ScriptedConnection #{self.index} from {self.peer!r}>"

    @property
    def timeout(self) -> float:
        """The default read timeout in seconds, from :class:`FakeServer` (``math.inf``: none)."""
        return self._io.timeout

    @property
    def received(self) -> list[str]:
        """The lines this connection has read so far, without their endings."""
        return list(self._io.received)

    @property
    def received_bytes(self) -> bytes:
        """Every byte read on this connection, line endings and partial lines included."""
        return bytes(self._io.received_bytes)

    @property
    def sent(self) -> bytes:
        """Every byte sent on this connection."""
        return bytes(self._io.sent)

    @property
    def eof(self) -> bool:
        """True once a read saw the client's EOF (or a reset, or the server's stop)."""
        return self._io.eof

    @property
    def reset(self) -> bool:
        """True if the client reset the connection (read as EOF)."""
        return self._io.reset

    def _record(self, way: Literal["sent", "received"], line: str) -> None:
        if way == "received":
            self._server._record(line)

    def lines(self, timeout: float | None = None) -> Iterator[str]:
        """Yield lines until EOF; ``timeout`` bounds each wait (see :meth:`read_line`)."""
        while (line := self.read_line(timeout)) is not None:
            yield line

    def read_until_eof(self, timeout: float | None = None) -> list[str]:
        """Read and return every line until EOF; ``timeout`` bounds the whole wait, as
        :meth:`FakeClient.read_until_eof`'s does (``None``: the server's ``timeout``).

        Raises:
            TimeoutError: the connection was still open after ``timeout``.
        """
        return list(self._lines_within(timeout))

    def hang_up(self) -> None:
        """Half-close now: the client reads EOF after what was sent; reading still works."""
        _quietly(self._io.sock.shutdown, socket.SHUT_WR)

    def wait_until_stopped(self, timeout: float | None = None) -> bool:
        """Wait until the server stops (``None``: as long as it takes); return whether it did.
        By then the stop has shut this connection down: a send fails."""
        return self._server._shut.wait(timeout)


Script: TypeAlias = Callable[[ScriptedConnection], object]
"""What a :class:`FakeServer` runs for each connection, in that connection's thread; what it
returns is ignored."""


class FakeServer:
    """A scripted TCP server on loopback, in a background thread, for integration tests.

    Args:
        script: run for each accepted connection, in its own thread (see :data:`Script`).
        host: the address to listen on; ``"::1"`` listens on IPv6 loopback.
        port: the port; ``0`` (the default) lets the OS pick a free one: read :attr:`port`.
        timeout: the default read timeout of each :class:`ScriptedConnection`; ``math.inf``
            (the default): reads wait until the server stops.
        join_timeout: seconds :meth:`stop` waits for the threads before it fails.
        ready_timeout: seconds :meth:`start` waits for the listener.
        socket_factory: makes the listening socket; ``None``: :class:`socket.socket`, looked up
            when the server starts. ``network.socket_factory`` runs it on a
            :class:`~sockettest.MemoryNetwork`, in the unit tier.

    Use it as a context manager; it is listening when the block starts::

        with FakeServer(answer_from_table({"PING": "PONG"})) as server:
            my_client.connect(server.address)
        assert server.received == ["PING"]

    Raises (from ``__exit__``/:meth:`stop`):
        BlockedTooLong: a thread was still running after ``join_timeout`` seconds.
        Exception: the first exception a script raised (the others are in :attr:`errors`).
    """

    def __init__(
        self,
        script: Script = accept_and_close,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        timeout: float = math.inf,
        join_timeout: float = DEFAULT_TIMEOUT,
        ready_timeout: float = DEFAULT_TIMEOUT,
        socket_factory: SocketFactory | None = None,
    ) -> None:
        _check_script(script)
        if check_int("port", port, 0) > 65535:
            raise ValueError(f"port must be 0-65535, not {port!r}")
        check_seconds("timeout", timeout, finite=False, positive=True)
        check_seconds("join_timeout", join_timeout, positive=True)
        check_seconds("ready_timeout", ready_timeout, positive=True)
        self.script = script
        self.requested = (host, port)
        self.timeout = timeout
        self.join_timeout = join_timeout
        self.ready_timeout = ready_timeout
        self.socket_factory = socket_factory
        self.ready = threading.Event()
        """Set once the server listens (or failed to)."""
        self.errors: list[BaseException] = []
        """Exceptions raised in the server's threads, in order."""
        self._stopping = threading.Event()
        self._shut = threading.Event()  # set once the stop has shut every connection down
        self._lock = threading.Condition()
        self._received: list[str] = []
        self._connections: list[ScriptedConnection] = []
        self._threads: list[threading.Thread] = []  # the connections'
        self._listener_thread: threading.Thread | None = None
        self._running = contextlib.ExitStack()
        self._deadline = math.inf  # for the threads' join: join_timeout after the stop
        self._listener: Socket | None = None
        self._address: tuple[str, int] | None = None
        self._state: Literal["new", "running", "stopped"] = "new"

    def __repr__(self) -> str:
        where = self._address or self.requested
        on = "" if self.network is None else f" on {self.network!r}"
        return f"<FakeServer {where[0]}:{where[1]} {self._state}{on}>"

    def __enter__(self) -> FakeServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # Where it listens -------------------------------------------------------------------------

    @property
    def address(self) -> tuple[str, int]:
        """``(host, port)`` it listens on; pass it to :class:`FakeClient`.

        Raises:
            RuntimeError: the server has not started.
        """
        if self._address is None:
            raise RuntimeError(f"{self!r} is not listening: use it in a with block or start()")
        return self._address

    @property
    def network(self) -> MemoryNetwork | None:
        """The :class:`~sockettest.MemoryNetwork` it listens on (its factory's, or the one a
        patch put in force when it started); ``None`` on real sockets, or before it starts."""
        network: MemoryNetwork | None = getattr(self._listener, "network", None)
        return network

    @property
    def host(self) -> str:
        """The host it listens on."""
        return self.address[0]

    @property
    def port(self) -> int:
        """The port it listens on (the one the OS picked, for port 0)."""
        return self.address[1]

    # What it saw ------------------------------------------------------------------------------

    @property
    def received(self) -> list[str]:
        """Every line any script read, in the order they were read (a copy)."""
        with self._lock:
            return list(self._received)

    @property
    def accepted(self) -> int:
        """How many connections it accepted."""
        with self._lock:
            return len(self._connections)

    @property
    def connections(self) -> list[ScriptedConnection]:
        """Each accepted connection, in order; each has its own ``received`` lines."""
        with self._lock:
            return list(self._connections)

    @property
    def threads(self) -> list[threading.Thread]:
        """The server's threads still alive."""
        with self._lock:
            threads = [self._listener_thread, *self._threads]
        return [t for t in threads if t is not None and t.is_alive()]

    def wait_for_lines(self, count: int, timeout: float = DEFAULT_TIMEOUT) -> list[str]:
        """Wait until scripts have read ``count`` lines in all; return every line read.

        Raises:
            TimeoutError: fewer lines after ``timeout`` seconds (the message lists them).
        """
        self._wait_for(self._received, count, timeout, "read {} of {} lines")
        return self.received

    def wait_for_connections(self, count: int, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Wait until ``count`` connections were accepted.

        Raises:
            TimeoutError: fewer after ``timeout`` seconds.
        """
        self._wait_for(self._connections, count, timeout, "accepted {} of {} connections")

    def _wait_for(self, items: list[Any], count: int, timeout: float, what: str) -> None:
        with self._lock:
            if not self._lock.wait_for(lambda: len(items) >= count, timeout):
                shown = f": {items!r}" if items is self._received else ""
                raise TimeoutError(
                    f"{self!r} {what.format(len(items), count)} within {timeout:g} s{shown}"
                )

    def _record(self, line: str) -> None:
        with self._lock:
            self._received.append(line)
            self._lock.notify_all()

    # Lifecycle --------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the server thread and wait until it listens.

        Raises:
            OSError: the address could not be bound (re-raised from the server's thread).
            TimeoutError: not listening after ``ready_timeout`` seconds.
            RuntimeError: started before.
        """
        if self._state != "new":
            raise RuntimeError(f"{self!r}: a FakeServer starts once")
        self._state = "running"
        # The listener's thread joins the connections' threads before it ends, within
        # join_timeout of the stop; the extra DEFAULT_TIMEOUT only bounds a bug of its own.
        running = serve_in_thread(
            self._serve,
            ready=self._wait_until_listening,
            stop=self._shut_down,
            timeout=self.join_timeout + DEFAULT_TIMEOUT,
            name="fake-server",
        )
        try:
            self._listener_thread = self._running.enter_context(running)
        except BaseException:
            self._state = "stopped"
            raise

    def stop(self) -> None:
        """Stop accepting, shut every connection down, join every thread, close every socket.

        Idempotent: a second call does nothing.

        Raises:
            BlockedTooLong: a thread did not exit within ``join_timeout`` seconds.
            Exception: the first exception a script raised; the others are in :attr:`errors`
                and named in its notes.
        """
        if self._state != "stopped":
            self._state = "stopped"
            self._running.close()

    def join(self, timeout: float = DEFAULT_TIMEOUT) -> bool:
        """Join every server thread within ``timeout`` seconds in all; return whether all did.

        :meth:`stop` calls it; call it again after releasing a stuck script.
        """
        deadline = time.monotonic() + timeout
        for thread in self.threads:
            if thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))
        return all(t is threading.current_thread() for t in self.threads)

    # Threads ----------------------------------------------------------------------------------

    def _wait_until_listening(self) -> None:
        if not self.ready.wait(self.ready_timeout):
            raise TimeoutError(f"{self!r} was not listening after {self.ready_timeout:g} s")
        if self._address is None:  # the listener's thread failed: serve_in_thread raises why
            raise RuntimeError(f"{self!r} failed to listen")

    def _shut_down(self) -> None:
        """Wake every thread: the listener's accept, and the scripts' reads (they read EOF)."""
        with self._lock:
            self._deadline = time.monotonic() + self.join_timeout
            self._stopping.set()
            listener, sockets = self._listener, [c._io.sock for c in self._connections]
        if listener is not None:
            # close() alone does not wake accept() on Linux; shutdown() alone not on macOS.
            _quietly(listener.shutdown, socket.SHUT_RDWR)
            listener.close()
        for sock in sockets:
            _quietly(sock.shutdown, socket.SHUT_RDWR)
        self._shut.set()

    def _serve(self) -> None:
        """The listener's thread: bind, listen, signal ready, accept until stopped; then join
        the connections' threads and raise what their scripts raised."""
        try:
            listener = self._listen()
        finally:
            self.ready.set()
        try:
            if listener is not None:
                self._accept(listener)
        except OSError as error:
            if not self._stopping.is_set():
                self.errors.append(error)
        self._stopping.wait()  # a failed accept leaves the scripts running until the stop
        self._end_connections()

    def _listen(self) -> Socket | None:
        host, port = self.requested
        listener = _make_socket(self.socket_factory, host)
        try:
            listener.bind((host, port))
            listener.listen(16)
            bound = listener.getsockname()
        except BaseException:
            listener.close()
            raise
        with self._lock:
            if self._stopping.is_set():
                listener.close()
                return None
            self._listener = listener
        self._address = (bound[0], bound[1])
        return listener

    def _accept(self, listener: Socket) -> None:
        while True:
            sock, peer = listener.accept()
            _set_nodelay(sock)
            with self._lock:
                if self._stopping.is_set():
                    sock.close()
                    return
                index = len(self._connections) + 1
                conn = ScriptedConnection(sock, peer, index, self)
                thread = threading.Thread(
                    target=self._handle, args=(conn,), name=f"fake-server-connection-{index}"
                )
                thread.daemon = True
                self._connections.append(conn)
                self._threads.append(thread)
                self._lock.notify_all()
            thread.start()

    def _handle(self, conn: ScriptedConnection) -> None:
        """A connection's thread: run the script, then half-close and close."""
        try:
            made = self.script(conn)
            if callable(made):  # FakeServer(send_canned): the maker made a script, unused
                name = getattr(self.script, "__name__", repr(self.script))
                raise TypeError(
                    f"the script {name} returned a callable: it is a script maker, which must"
                    f" be called to make the script: FakeServer({name}(...))"
                )
        except OSError as error:
            if not conn._io.ended_by(error):  # see ScriptedConnection
                self.errors.append(error)
        except BaseException as error:
            self.errors.append(error)
        finally:
            conn.hang_up()
            conn._io.sock.close()

    def _end_connections(self) -> None:
        """Join the connections' threads by the deadline, close their sockets, and raise what
        went wrong: a thread still running, or what the scripts raised."""
        stuck = not self.join(max(0.0, self._deadline - time.monotonic()))
        with self._lock:
            sockets, errors = [c._io.sock for c in self._connections], list(self.errors)
        for sock in sockets:
            sock.close()
        if stuck:
            names = ", ".join(t.name for t in self.threads if t is not threading.current_thread())
            error = BlockedTooLong(
                f"fake server thread did not exit within {self.join_timeout:g} s: {names} "
                "still running; a script that waits must wait on conn.stopping or with a "
                "timeout. Release it, then call join()."
            )
            for other in errors:
                error.add_note(f"a script also raised {other!r}")
            raise error
        if errors:
            for other in errors[1:]:
                errors[0].add_note(f"another fake server thread raised {other!r}")
            raise errors[0]


# The fake client ------------------------------------------------------------------------------


def _check_script(script: object) -> None:
    """Refuse, at the call, what cannot be run on a connection: a class, or a callable that
    takes no argument, such as a script maker (``stay_silent``) not called."""
    if isinstance(script, type) or not callable(script):
        raise TypeError(f"script must be a callable taking a connection, not {script!r}")
    try:
        signature = inspect.signature(script)
    except (TypeError, ValueError):  # a callable with no signature to read: run it as it is
        return
    try:
        signature.bind(None)
    except TypeError:
        name = getattr(script, "__name__", repr(script))
        raise TypeError(
            f"script must be a callable taking a connection, and {name}{signature} takes none;"
            f" a script maker must be called to make one: {name}()"
        ) from None


def _host_and_port(address: str | Sequence[Any], port: int | None) -> tuple[str, int]:
    """``(host, port)`` from ``("::1", 7777)``, ``("::1", 7777, 0, 0)`` or ``"::1", 7777``."""
    if isinstance(address, str):
        if port is None:
            raise TypeError(f"a host needs a port: FakeClient({address!r}, port)")
        return address, port
    if port is not None:
        raise TypeError("give an address pair or a host and a port, not both")
    return str(address[0]), int(address[1])


class FakeClient(_LinePeer):
    """A line-oriented TCP client for driving a server in a test, with a transcript.

    Args:
        address: where to connect on entering the ``with`` block: a ``(host, port)`` pair
            (e.g. a :class:`FakeServer`'s address), or a host
            with ``port`` beside it; ``None``: call :meth:`connect` yourself.
        port: the port, when ``address`` is a host.
        timeout: seconds for the connect and the default for each read.
        socket_factory: makes the socket; ``None``: :class:`socket.socket`, looked up when
            connecting. ``network.socket_factory`` runs it on a memory network.

    Reads return ``None`` at EOF (they do not raise), so "the server hung up" is an ordinary
    assertion: ``assert client.read_line() is None``. :meth:`read_until` is the exception: it
    raises :class:`EOFError`, since it was promised a particular line.

    Example::

        with FakeClient(server_address) as client:
            assert client.read_line() == "READY"
            client.send_line("PING")
            client.read_until("PONG")
        print(client.transcript)  # [("received", "READY"), ("sent", "PING"), ...]
    """

    def __init__(
        self,
        address: str | Sequence[Any] | None = None,
        port: int | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        socket_factory: SocketFactory | None = None,
    ) -> None:
        self.address = None if address is None else _host_and_port(address, port)
        self.timeout = check_seconds("timeout", timeout, finite=False, positive=True)
        self.socket_factory = socket_factory
        self.transcript: list[tuple[Literal["sent", "received"], str]] = []
        """``("sent" | "received", line)`` in the order they happened."""
        self._io: _LineSocket | None = None
        self._who = "fake client"

    def __repr__(self) -> str:
        state = "connected" if self._io is not None else "not connected"
        return f"<FakeClient {self.address!r} {state}>"

    def __enter__(self) -> FakeClient:
        if self._io is None and self.address is not None:
            self.connect()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def connected(self) -> bool:
        """True between :meth:`connect` and :meth:`close`."""
        return self._io is not None

    def connect(self, address: str | Sequence[Any] | None = None, port: int | None = None) -> None:
        """Open the connection, to ``address`` (as in the constructor) or the one given before.

        Raises:
            ConnectionRefusedError, TimeoutError, OSError: as :meth:`socket.socket.connect`;
                the socket is closed first.
            RuntimeError: already connected, or no address at all.
        """
        if self._io is not None:
            raise RuntimeError(f"{self!r} is already connected")
        if address is not None:
            self.address = _host_and_port(address, port)
        if self.address is None:
            raise RuntimeError("FakeClient.connect() needs an address")
        host, port = self.address
        sock = _make_socket(self.socket_factory, host)
        try:
            _set_nodelay(sock)
            sock.settimeout(self.timeout)
            sock.connect((host, port))
        except BaseException:
            sock.close()
            raise
        self._io = _LineSocket(sock, self.timeout)

    def close(self) -> None:
        """Close the connection; harmless if it is not open."""
        io, self._io = self._io, None
        if io is not None:
            io.sock.close()

    def _record(self, way: Literal["sent", "received"], line: str) -> None:
        self.transcript.append((way, line))

    # Sending ----------------------------------------------------------------------------------

    def shutdown_write(self) -> None:
        """Half-close: the server reads EOF, and this client can still read its answers."""
        self._line_socket().sock.shutdown(socket.SHUT_WR)

    # Reading ----------------------------------------------------------------------------------

    @property
    def received(self) -> list[str]:
        """Every line read so far (a copy)."""
        return [line for way, line in self.transcript if way == "received"]

    @property
    def pending(self) -> bytes:
        """Bytes received after the last line ending: a partial line."""
        return self._io.pending if self._io is not None else b""

    def read_until(
        self, match: str | Callable[[str], bool], timeout: float | None = None
    ) -> list[str]:
        """Read lines until one matches; return them all, the matching one last.

        Args:
            match: a predicate, or a string matching a line equal to it or starting with it
                and a space (``"END"`` matches ``END WIN``).
            timeout: seconds for the whole wait; ``None``: the client's timeout.

        Raises:
            TimeoutError: no match in time.
            EOFError: the connection ended first; the message lists the lines read.
        """
        matches: Callable[[str], bool]
        if isinstance(match, str):
            word = match
            matches = lambda line: line == word or line.startswith(word + " ")  # noqa: E731
        else:
            matches = match
        lines: list[str] = []
        for line in self._lines_within(timeout):
            lines.append(line)
            if matches(line):
                return lines
        raise EOFError(f"EOF before a line matching {match!r}; read {lines!r}")

    def read_until_eof(self, timeout: float | None = None) -> list[str]:
        """Read and return every line until EOF.

        Args:
            timeout: seconds for the whole wait; ``None``: the client's timeout.

        Raises:
            TimeoutError: the connection was still open after ``timeout``.
        """
        return list(self._lines_within(timeout))
