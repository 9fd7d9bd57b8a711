"""An in-memory TCP network for the unit tier: fake sockets that behave like Linux's.

Hand ``network.socket_factory`` to a :class:`~game.Server` and a :class:`~game.Client` and they
play a whole game with no real socket, in a process where pytest-socket forbids them::

    network = MemoryNetwork()
    server = Server(port=0, socket_factory=network.socket_factory)
    with server.running() as (host, port):
        with Client(host, port, socket_factory=network.socket_factory) as client:
            client.hello("alice")
    network.assert_all_closed()

Why a fake and not a mock: a mock checks the calls your code makes; this checks what your code
*does* with what a socket does back: partial reads, EOF, half-close, timeouts, resets. It is a
*verified* fake: :mod:`game.testing.contract` runs the same checks on it and on real loopback
sockets, so where it differs from the kernel a test says so.

Rules of this module:

1. One network, one lock. Every socket on a network shares one :class:`threading.Condition`;
   every call takes it, every change of state wakes every waiter, and each waiter re-checks what
   it waits for. Slower than per-socket locks, but there is no lock order to get wrong, and a
   reader thread and a writer thread on one socket (as the server has) are safe.
2. Nothing waits forever. A blocking call honours the socket's timeout (``TimeoutError``); with
   no timeout it gives up after the network's :attr:`MemoryNetwork.max_block` and raises
   :class:`BlockedTooLong`, which names the call and the socket, instead of hanging the suite.
3. Semantics are Linux's, call by call (errno included), except where the docstring of a method
   says otherwise. The contract suite pins them.
4. Sockets are tracked from creation to :meth:`~MemorySocket.close`:
   :meth:`MemoryNetwork.open_sockets` lists the ones a test forgot, by name.
"""

from __future__ import annotations

import errno
import ipaddress
import itertools
import os
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import TypeAlias

from game.sockets import Address, format_address
from game.testing.faults import FaultInjector, Faults

__all__ = [
    "DEFAULT_MAX_BLOCK",
    "EPHEMERAL_PORTS",
    "BlockedTooLong",
    "FaultPlan",
    "MemoryNetwork",
    "MemorySocket",
]

DEFAULT_MAX_BLOCK = 10.0
"""Seconds a blocking call with no timeout may wait before :class:`BlockedTooLong`."""

EPHEMERAL_PORTS = range(32768, 61000)
"""Ports handed out for ``bind((host, 0))`` and for connecting sockets, in order (Linux's range)."""

FaultPlan: TypeAlias = Faults | Sequence[Faults | None] | None
"""Which connections get a fault schedule: one :class:`Faults` for every connection, or a
sequence whose i-th entry goes to the i-th connection (``None``: no faults; past the end: none)."""

_ANY: dict[int, str] = {socket.AF_INET: "0.0.0.0", socket.AF_INET6: "::"}
_LOCALHOST: dict[int, str] = {socket.AF_INET: "127.0.0.1", socket.AF_INET6: "::1"}
_WILDCARDS = frozenset(_ANY.values())
_FAMILY_NAMES: dict[int, str] = {socket.AF_INET: "AF_INET", socket.AF_INET6: "AF_INET6"}


class BlockedTooLong(AssertionError):
    """A blocking call with no timeout waited longer than the network's ``max_block``.

    A real socket would have hung, most likely because both sides wait for each other. It is an
    :class:`AssertionError` so that pytest reports it as the test's failure, and so that product
    code that handles :class:`OSError` (as network code should) does not swallow it. The network
    also keeps every one in :attr:`MemoryNetwork.stuck_calls`, in case something caught it.
    """


def _error(code: int) -> OSError:
    """The :class:`OSError` subclass Python raises for ``code``, with the system's message."""
    return OSError(code, _strerror(code))


def _strerror(code: int) -> str:
    """The C library's text for an errno, as a real socket error carries it."""
    return os.strerror(code)


class _Pipe:
    """One direction of a connection: bytes one socket wrote that the other has not read."""

    __slots__ = ("data", "eof", "reader_closed")

    def __init__(self) -> None:
        self.data = bytearray()
        self.eof = False  # the writer shut its write side or closed: EOF once drained
        self.reader_closed = False  # the reader closed: the writer's send raises EPIPE


class MemoryNetwork:
    """A network of in-memory TCP sockets: listeners by ``(host, port)``, connections as pipes.

    Every address is local and every literal IP address can be bound; ``"localhost"`` means
    ``127.0.0.1`` (or ``::1`` for an IPv6 socket) and other names do not resolve.

    Args:
        max_block: seconds a blocking call with no timeout waits before it raises
            :class:`BlockedTooLong`; ``None`` lets it wait forever, as a real socket would.
            Settable at any time: each wait reads it when it starts. It bounds a server's
            ``accept`` too: a server left idle on the network for longer stops with this
            error, so raise it (or pass ``None``) for a test that keeps one waiting that long.
        send_buffer: bytes that may be in flight in one direction (sent, not yet read). ``None``
            (the default) is unlimited: ``send`` never blocks, and a peer that never reads makes
            memory grow. Set it (e.g. to 64) to see ``sendall`` block, and time out, against a
            peer that does not read, as a real socket does once the kernel's buffers are full;
            a blocked ``send`` then accepts what fits and returns that short count.
        accept_faults: fault schedules for the server side of each new connection (the sockets
            ``accept`` returns), in connection order; see :data:`FaultPlan`.
        connect_faults: fault schedules for each socket that connects, in connection order.
        socket_class: the class of every socket the network makes, accepted ones included; a
            :class:`MemorySocket` subclass. This is how a deliberately broken fake is built.
    """

    def __init__(
        self,
        *,
        max_block: float | None = DEFAULT_MAX_BLOCK,
        send_buffer: int | None = None,
        accept_faults: FaultPlan = None,
        connect_faults: FaultPlan = None,
        socket_class: type[MemorySocket] | None = None,
    ) -> None:
        if max_block is not None and not max_block > 0:
            raise ValueError(f"max_block must be positive seconds or None, not {max_block!r}")
        if send_buffer is not None and send_buffer < 1:
            raise ValueError(f"send_buffer must be at least 1 byte or None, not {send_buffer!r}")
        self.max_block = max_block
        self.send_buffer = send_buffer
        self.accept_faults = accept_faults
        self.connect_faults = connect_faults
        self.socket_class: type[MemorySocket] = socket_class or MemorySocket
        self.fault_log: list[str] = []
        """Every fault that fired on this network, as ``"<socket name>: <what>"``, in order."""
        self.stuck_calls: list[BlockedTooLong] = []
        """Every :class:`BlockedTooLong` raised on this network."""
        self.lock = threading.Condition()
        """The one lock (and condition) that guards every socket on this network."""
        self._sockets: list[MemorySocket] = []
        self._bound: dict[tuple[str, int], MemorySocket] = {}
        self._ports = itertools.cycle(EPHEMERAL_PORTS)
        self._names = itertools.count(1)
        self._connections = 0

    def __repr__(self) -> str:
        return f"<MemoryNetwork {len(self.open_sockets())} open sockets>"

    @property
    def socket_factory(self) -> Callable[[int, int], MemorySocket]:
        """The factory to hand to the code under test: ``factory(family, SOCK_STREAM)``."""
        return self.socket

    def socket(self, family: int = socket.AF_INET, type: int = socket.SOCK_STREAM) -> MemorySocket:
        """Make a new, unbound socket, as :class:`socket.socket` does.

        Raises:
            OSError: ``family`` is not ``AF_INET``/``AF_INET6`` (``EAFNOSUPPORT``), or ``type``
                is not ``SOCK_STREAM`` (``ESOCKTNOSUPPORT``): the network carries TCP only.
        """
        return self.socket_class(self, family, type)

    def connect_pair(self) -> tuple[MemorySocket, MemorySocket]:
        """Two sockets already connected to each other, like :func:`socket.socketpair`.

        No listener is involved and no fault plan applies; set each socket's ``faults``.
        """
        with self.lock:
            a = self.socket_class(self, socket.AF_INET, socket.SOCK_STREAM)
            b = self.socket_class(self, socket.AF_INET, socket.SOCK_STREAM)
            for sock in (a, b):
                sock._local = self._allocate("127.0.0.1", 0, sock)
                sock._owns_address = True
            a._link(b)
            return a, b

    def open_sockets(self) -> list[MemorySocket]:
        """Every socket made on this network and not yet closed, oldest first."""
        with self.lock:
            return [s for s in self._sockets if not s.closed]

    def assert_all_closed(self) -> None:
        """Fail, naming each one, if a socket on this network is still open.

        Raises:
            AssertionError: lists every open socket's ``repr`` (name, state, addresses).
        """
        leaked = self.open_sockets()
        if leaked:
            listed = "\n  ".join(repr(s) for s in leaked)
            raise AssertionError(f"{len(leaked)} memory socket(s) left open:\n  {listed}")

    def close_all(self) -> None:
        """Close every open socket (for a fixture's teardown, after it has checked for leaks)."""
        for sock in self.open_sockets():
            sock.close()

    # Internals, called with the lock held --------------------------------------------------------

    def _register(self, sock: MemorySocket) -> str:
        self._sockets.append(sock)
        return f"memory-socket-{next(self._names)}"

    def _in_use(self, host: str, port: int) -> bool:
        return any(
            p == port and (h == host or h in _WILDCARDS or host in _WILDCARDS)
            for h, p in self._bound
        )

    def _allocate(self, host: str, port: int, owner: MemorySocket) -> tuple[str, int]:
        """Bind ``owner`` to ``(host, port)``, picking an ephemeral port for 0."""
        if port == 0:
            for _ in EPHEMERAL_PORTS:
                port = next(self._ports)
                if not self._in_use(host, port):
                    break
            else:
                raise _error(errno.EADDRNOTAVAIL)
        elif self._in_use(host, port):
            raise _error(errno.EADDRINUSE)
        self._bound[(host, port)] = owner
        return host, port

    def _release(self, address: tuple[str, int] | None, owner: MemorySocket) -> None:
        if address is not None and self._bound.get(address) is owner:
            del self._bound[address]

    def _listener_at(self, family: int, host: str, port: int) -> MemorySocket | None:
        for candidate in ((host, port), (_ANY[family], port)):
            sock = self._bound.get(candidate)
            if sock is not None and sock._listening and not sock._listen_shut:
                return sock
        return None

    def _next_connection_faults(self) -> tuple[Faults | None, Faults | None]:
        index, self._connections = self._connections, self._connections + 1
        return _pick(self.accept_faults, index), _pick(self.connect_faults, index)


def _pick(plan: FaultPlan, index: int) -> Faults | None:
    if plan is None or isinstance(plan, Faults):
        return plan
    return plan[index] if index < len(plan) else None


class MemorySocket:
    """A TCP socket on a :class:`MemoryNetwork`: the whole :class:`game.sockets.SocketLike`
    surface plus ``send``, ``gettimeout``, ``setblocking``, ``getpeername`` and ``getsockopt``.

    Make one with ``network.socket()`` or the network's factory, not directly, unless you
    subclass it to build a broken fake (then pass ``socket_class`` to the network).

    Behaviour, as on Linux (each case is a check of :mod:`game.testing.contract`):

    - ``bind((host, 0))`` picks a free port; an address in use raises ``EADDRINUSE``.
    - ``connect`` where nothing listens raises :class:`ConnectionRefusedError`; otherwise the
      connection is made at once and waits in the listener's queue for ``accept``.
    - ``recv(n)`` blocks until data or EOF and returns at most ``n`` bytes; ``b""`` at EOF (the
      peer closed or shut its write side, or this socket shut its read side).
    - ``send`` after this socket's ``SHUT_WR``, or to a peer that closed, raises
      :class:`BrokenPipeError` (on Linux the first send to a closed peer still succeeds; here
      it fails at once, which code must handle anyway).
    - Closing with unread data resets the connection (as Linux sends an RST): the peer reads
      what was already sent, then gets :class:`ConnectionResetError` once, then EOF.
    - Timeouts: ``None`` blocks (up to the network's ``max_block``), ``0`` never blocks
      (:class:`BlockingIOError`), a positive number raises :class:`TimeoutError`.
    - ``shutdown`` from another thread wakes a blocked ``recv`` (which returns ``b""``) and a
      blocked ``accept`` (which raises ``EINVAL``). ``close`` from another thread wakes blocked
      calls too (they raise ``EBADF``); Linux does not, which is why the server shuts down first.
    - After ``close`` every call but ``close`` raises ``EBADF``.

    Attributes:
        name: a readable name, unique on the network (``memory-socket-3``).
        family, type: as given to the factory.
        options: every ``setsockopt`` call, as ``{(level, option): value}``.
        backlog: what ``listen`` was given; ``None`` before.
    """

    def __init__(
        self, network: MemoryNetwork, family: int = socket.AF_INET, type: int = socket.SOCK_STREAM
    ) -> None:
        if family not in _ANY:
            raise _error(errno.EAFNOSUPPORT)
        if type != socket.SOCK_STREAM:
            raise _error(errno.ESOCKTNOSUPPORT)
        self.family = family
        self.type = type
        self.options: dict[tuple[int, int], int] = {}
        self.backlog: int | None = None
        self._net = network
        self._cv = network.lock
        self._timeout: float | None = None
        self._closed = False
        self._local: tuple[str, int] | None = None
        self._remote: tuple[str, int] | None = None
        self._owns_address = False
        # a listener
        self._listening = False
        self._listen_shut = False
        self._queue: deque[MemorySocket] = deque()
        # a connection
        self._peer: MemorySocket | None = None
        self._incoming: _Pipe | None = None
        self._outgoing: _Pipe | None = None
        self._shut_rd = False
        self._shut_wr = False
        self._broken = False  # reset: recv gives b"" once drained, send raises EPIPE
        self._pending_error: OSError | None = None  # raised once by the next recv or send
        self._injector: FaultInjector | None = None
        with self._cv:
            self.name = network._register(self)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} {self._describe()}>"

    def _describe(self) -> str:
        if self._closed:
            return "closed"
        if self._listening:
            return f"listening on {self._show(self._local)}"
        if self._remote is not None:
            return f"connected {self._show(self._local)} -> {self._show(self._remote)}"
        if self._local is not None:
            return f"bound to {self._show(self._local)}"
        return "not connected"

    @staticmethod
    def _show(address: tuple[str, int] | None) -> str:
        return "?" if address is None else format_address(*address)

    # State, for tests ----------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called (or the listener it waited on closed)."""
        return self._closed

    @property
    def network(self) -> MemoryNetwork:
        """The network this socket belongs to."""
        return self._net

    @property
    def faults(self) -> Faults | None:
        """The fault schedule applied to this socket; ``None`` for none.

        Setting it starts the schedule afresh: byte and call counts start from zero.
        """
        return None if self._injector is None else self._injector.faults

    @faults.setter
    def faults(self, faults: Faults | None) -> None:
        with self._cv:
            self._set_faults(faults)

    @property
    def fault_injector(self) -> FaultInjector | None:
        """The running schedule, with its counts and the list of faults that fired."""
        return self._injector

    def _set_faults(self, faults: Faults | None) -> None:
        if faults is None or faults.is_empty:
            self._injector = None
        else:
            self._injector = FaultInjector(faults, self.name, self._net.fault_log.append)

    # The socket API ------------------------------------------------------------------------------

    def __enter__(self) -> MemorySocket:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def setsockopt(self, level: int, option: int, value: int, /) -> None:
        """Record the option in :attr:`options`; it changes nothing else.

        Raises:
            OSError: ``EBADF`` after close.
        """
        with self._cv:
            self._check_open()
            self.options[(level, option)] = value

    def getsockopt(self, level: int, option: int, /) -> int:
        """The value last set with :meth:`setsockopt`, or 0."""
        with self._cv:
            self._check_open()
            return self.options.get((level, option), 0)

    def settimeout(self, timeout: float | None, /) -> None:
        """Set how long blocking calls wait: ``None`` blocks, ``0`` never blocks.

        Raises:
            ValueError: a negative timeout.
            OSError: ``EBADF`` after close.
        """
        if timeout is not None:
            if isinstance(timeout, bool) or not isinstance(timeout, int | float):
                raise TypeError("Timeout value must be int, float or None")
            timeout = float(timeout)
            if timeout < 0:
                raise ValueError("Timeout value out of range")
        with self._cv:
            self._check_open()
            self._timeout = timeout

    def gettimeout(self) -> float | None:
        """The timeout :meth:`settimeout` set; ``None`` (blocking) at first and after accept."""
        return self._timeout

    def setblocking(self, flag: bool, /) -> None:
        """``setblocking(True)`` is ``settimeout(None)``; ``False`` is ``settimeout(0)``."""
        self.settimeout(None if flag else 0.0)

    def bind(self, address: Address, /) -> None:
        """Take a local address; port 0 picks a free one (read it with :meth:`getsockname`).

        Raises:
            OSError: ``EADDRINUSE`` if another socket holds the address (wildcards conflict with
                everything on their port), ``EINVAL`` if already bound, ``EBADF`` after close.
            socket.gaierror: the host is neither an IP literal, ``""`` nor ``"localhost"``.
            OverflowError: the port is outside 0-65535.
            TypeError: the address is not a tuple of the family's shape.
        """
        with self._cv:
            self._check_open()
            host, port = self._parse(address, "bind")
            if self._local is not None:
                raise _error(errno.EINVAL)
            self._local = self._net._allocate(host, port, self)
            self._owns_address = True

    def listen(self, backlog: int = 128, /) -> None:
        """Start listening; connections beyond ``backlog`` waiting for accept make connect wait.

        An unbound socket is first bound to a free port, as on Linux.

        Raises:
            OSError: ``EINVAL`` on a connected socket, ``EBADF`` after close.
        """
        with self._cv:
            self._check_open()
            if self._peer is not None:
                raise _error(errno.EINVAL)
            if self._local is None:
                self._local = self._net._allocate(_ANY[self.family], 0, self)
                self._owns_address = True
            self.backlog = max(int(backlog), 0)
            self._listening = True
            self._listen_shut = False

    def accept(self) -> tuple[MemorySocket, Address]:
        """Wait for a connection; return its socket (blocking, no timeout) and the peer address.

        Raises:
            TimeoutError: none arrived within the timeout.
            BlockingIOError: none waiting and the timeout is 0.
            BlockedTooLong: no timeout and none arrived within the network's ``max_block``.
            OSError: ``EINVAL`` if not listening or once shut down (also waking a blocked
                accept), ``EBADF`` after close (also waking a blocked accept).
        """
        with self._cv:
            self._check_open()
            if not self._listening:
                raise _error(errno.EINVAL)
            self._block(
                "accept",
                lambda: self._closed or self._listen_shut or bool(self._queue),
                self._deadline(),
            )
            self._check_open()
            if self._listen_shut:
                raise _error(errno.EINVAL)
            conn = self._queue.popleft()
            self._cv.notify_all()  # room in the backlog for a waiting connect
            assert conn._remote is not None
            return conn, self._address(conn._remote)

    def connect(self, address: Address, /) -> None:
        """Connect to a listener; an unbound socket gets a free local port first.

        The connection is made at once (the handshake needs no ``accept``); if the listener's
        backlog is full, this waits for room as a real SYN is retried.

        Raises:
            ConnectionRefusedError: nothing listens at ``address``.
            TimeoutError: the backlog stayed full for the whole timeout.
            OSError: ``EISCONN`` if connected or listening, ``EBADF`` after close.
            socket.gaierror, OverflowError, TypeError: a malformed address, as :meth:`bind`.
        """
        with self._cv:
            self._check_open()
            if self._peer is not None or self._listening:
                raise _error(errno.EISCONN)
            host, port = self._parse(address, "connect")
            listener = self._net._listener_at(self.family, host, port)
            if listener is None:
                raise ConnectionRefusedError(errno.ECONNREFUSED, _strerror(errno.ECONNREFUSED))

            def ready() -> bool:
                return (
                    self._closed
                    or listener._closed
                    or listener._listen_shut
                    or len(listener._queue) <= (listener.backlog or 0)
                )

            self._block("connect", ready, self._deadline())
            self._check_open()
            if listener._closed or listener._listen_shut:
                raise ConnectionRefusedError(errno.ECONNREFUSED, _strerror(errno.ECONNREFUSED))
            if self._local is None:
                self._local = self._net._allocate(host, 0, self)
                self._owns_address = True
            server_side = self._net.socket_class(self._net, self.family, self.type)
            server_side._local = (host, port)
            self._link(server_side)
            accept_faults, connect_faults = self._net._next_connection_faults()
            if accept_faults is not None:
                server_side._set_faults(accept_faults)
            if connect_faults is not None:
                self._set_faults(connect_faults)
            listener._queue.append(server_side)
            self._cv.notify_all()

    def getsockname(self) -> Address:
        """The local address: ``(host, port)``, or ``(host, port, 0, 0)`` for IPv6.

        Raises:
            OSError: ``EBADF`` after close.
        """
        with self._cv:
            self._check_open()
            return self._address(self._local or (_ANY[self.family], 0))

    def getpeername(self) -> Address:
        """The peer's address.

        Raises:
            OSError: ``ENOTCONN`` if not connected, ``EBADF`` after close.
        """
        with self._cv:
            self._check_open()
            if self._remote is None:
                raise _error(errno.ENOTCONN)
            return self._address(self._remote)

    def recv(self, bufsize: int, /) -> bytes:
        """Wait for data and return at most ``bufsize`` bytes of it; ``b""`` at EOF.

        Raises:
            TimeoutError: no data within the timeout (or a scheduled fault).
            BlockingIOError: no data and the timeout is 0.
            BlockedTooLong: no timeout and no data within the network's ``max_block``.
            ConnectionResetError: the peer reset the connection (closed it with unread data),
                or a scheduled fault.
            OSError: ``ENOTCONN`` if not connected, ``EBADF`` after close (also waking a
                blocked recv).
            ValueError: a negative ``bufsize``.
        """
        if bufsize < 0:
            raise ValueError("negative buffersize in recv")
        with self._cv:
            self._check_open()
            incoming = self._incoming
            if incoming is None:
                raise _error(errno.ENOTCONN)
            if bufsize == 0:
                return b""
            injector = self._injector
            if injector is not None and not self._broken:
                try:
                    if injector.before_recv():
                        return b""
                except ConnectionResetError:
                    self._reset_here()
                    raise
            self._block(
                "recv",
                lambda: (
                    self._closed
                    or bool(incoming.data)
                    or incoming.eof
                    or self._shut_rd
                    or self._broken
                    or self._pending_error is not None
                ),
                self._deadline(),
            )
            self._check_open()
            if incoming.data:
                limit = bufsize if injector is None else injector.recv_limit(bufsize)
                data = bytes(incoming.data[:limit])
                del incoming.data[:limit]
                if injector is not None:
                    injector.after_recv(len(data))
                self._cv.notify_all()  # room for a sender blocked on a full buffer
                return data
            self._raise_pending()
            return b""

    def send(self, data: bytes, /) -> int:
        """Send some of ``data`` and return how many bytes were taken (all, unless the network
        has a ``send_buffer`` limit or a fault says otherwise).

        Raises:
            BrokenPipeError: after this socket's ``SHUT_WR``, once the peer closed, after a
                reset, or on a socket that is not connected (``EPIPE``, as on Linux).
            ConnectionResetError: the peer reset the connection, or a scheduled fault.
            TimeoutError: the send buffer stayed full for the whole timeout.
            BlockingIOError: the send buffer is full and the timeout is 0.
            BlockedTooLong: no timeout and the buffer stayed full for ``max_block``.
            OSError: ``EBADF`` after close.
        """
        return self._send(data, self._deadline(), "send")

    def sendall(self, data: bytes, /) -> None:
        """Send all of ``data``, calling the same primitive as :meth:`send` until it is taken,
        so short sends and resets scheduled by faults happen inside it too.

        The timeout bounds the whole call, as in Python 3.5+.

        Raises:
            The errors of :meth:`send`; on a timeout, part of ``data`` may have been sent.
        """
        view = memoryview(data).cast("B")
        deadline = self._deadline()
        total = 0
        while total < len(view):
            total += self._send(view[total:], deadline, "sendall")

    def shutdown(self, how: int, /) -> None:
        """Shut one or both directions: ``SHUT_RD``, ``SHUT_WR`` or ``SHUT_RDWR``.

        ``SHUT_WR`` sends EOF to the peer after the bytes already sent (a half-close: the other
        direction still works). ``SHUT_RD`` makes this socket's ``recv`` return ``b""`` once
        what has arrived is read. On a listener, ``SHUT_RD``/``SHUT_RDWR`` stop listening and
        wake a blocked ``accept``.

        Raises:
            OSError: ``ENOTCONN`` on a socket neither connected nor listening, ``EINVAL`` for
                another ``how``, ``EBADF`` after close.
        """
        with self._cv:
            self._check_open()
            if how not in (socket.SHUT_RD, socket.SHUT_WR, socket.SHUT_RDWR):
                raise _error(errno.EINVAL)
            reading = how in (socket.SHUT_RD, socket.SHUT_RDWR)
            if self._listening:
                if reading:
                    self._listen_shut = True
                    self._reset_queue()
            elif self._outgoing is None:
                raise _error(errno.ENOTCONN)
            else:
                if reading:
                    self._shut_rd = True
                if how in (socket.SHUT_WR, socket.SHUT_RDWR):
                    self._shut_wr = True
                    self._outgoing.eof = True
            self._cv.notify_all()

    def close(self) -> None:
        """Close the socket; harmless if already closed.

        The peer gets EOF after what was sent, or a reset if this socket leaves unread data.
        A listener resets the connections still waiting for ``accept``. Blocked calls on this
        socket in other threads wake and raise ``EBADF``.
        """
        with self._cv:
            if self._closed:
                return
            self._closed = True
            if self._owns_address:
                self._net._release(self._local, self)
            self._reset_queue()
            incoming, outgoing, peer = self._incoming, self._outgoing, self._peer
            if outgoing is not None:
                outgoing.eof = True
            if incoming is not None:
                incoming.reader_closed = True
                if incoming.data and peer is not None and not peer._closed:
                    peer._pending_error = ConnectionResetError(
                        errno.ECONNRESET, _strerror(errno.ECONNRESET)
                    )
                incoming.data.clear()
            self._cv.notify_all()

    # Internals, called with the lock held --------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise _error(errno.EBADF)

    def _parse(self, address: Address, call: str) -> tuple[str, int]:
        family = _FAMILY_NAMES[self.family]
        sizes = (2,) if self.family == socket.AF_INET else (2, 3, 4)
        if not isinstance(address, tuple):
            raise TypeError(
                f"{call}(): {family} address must be tuple, not {type(address).__name__}"
            )
        if len(address) not in sizes:
            raise TypeError(f"{call}(): {family} address must be a tuple of {sizes[0]}")
        host, port = address[0], address[1]
        if not isinstance(host, str):
            raise TypeError(f"str, bytes or bytearray expected, not {type(host).__name__}")
        if isinstance(port, bool) or not isinstance(port, int):
            raise TypeError(f"'{type(port).__name__}' object cannot be interpreted as an integer")
        if not 0 <= port <= 65535:
            raise OverflowError(f"{call}(): port must be 0-65535.")
        if host == "":
            return _ANY[self.family], port
        if host == "localhost":
            return _LOCALHOST[self.family], port
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
        if (ip.version == 6) != (self.family == socket.AF_INET6):
            code = getattr(socket, "EAI_ADDRFAMILY", socket.EAI_FAMILY)
            raise socket.gaierror(code, "Address family for hostname not supported")
        return str(ip), port

    def _address(self, address: tuple[str, int]) -> Address:
        return address if self.family == socket.AF_INET else (*address, 0, 0)

    def _link(self, other: MemorySocket) -> None:
        """Join this socket and ``other`` into a connection, each seeing the other as peer."""
        ours, theirs = _Pipe(), _Pipe()
        self._peer, other._peer = other, self
        self._outgoing, other._incoming = ours, ours
        self._incoming, other._outgoing = theirs, theirs
        self._remote, other._remote = other._local, self._local

    def _reset_queue(self) -> None:
        """Reset every connection waiting for ``accept``: its client gets ECONNRESET."""
        while self._queue:
            pending = self._queue.popleft()
            peer = pending._peer
            if peer is not None and not peer._closed:
                peer._pending_error = ConnectionResetError(
                    errno.ECONNRESET, _strerror(errno.ECONNRESET)
                )
            pending._closed = True
            if pending._incoming is not None:
                pending._incoming.reader_closed = True
                pending._incoming.data.clear()

    def _reset_here(self) -> None:
        """A fault reset this connection: drop what is in flight and break both directions.

        The peer's later sends fail with ``EPIPE``, as they would against a host that answers
        them with RST; its reads see nothing until this side closes.
        """
        self._broken = True
        if self._incoming is not None:
            self._incoming.reader_closed = True
            self._incoming.data.clear()
        self._cv.notify_all()

    def _raise_pending(self) -> None:
        error, self._pending_error = self._pending_error, None
        if error is not None:
            self._broken = True
            raise error

    def _deadline(self) -> float | None:
        timeout = self._timeout
        return None if timeout is None else time.monotonic() + timeout

    def _block(self, call: str, ready: Callable[[], bool], deadline: float | None) -> None:
        """Wait, with the lock held, until ``ready()``; honour the timeout and ``max_block``."""
        if ready():
            return
        if self._timeout == 0:
            raise BlockingIOError(errno.EAGAIN, _strerror(errno.EAGAIN))
        limit = self._net.max_block if deadline is None else None
        stuck_at = None if limit is None else time.monotonic() + limit
        while not ready():
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                raise TimeoutError("timed out")
            if stuck_at is not None and now >= stuck_at:
                stuck = BlockedTooLong(
                    f"{call} on {self!r} blocked for more than {limit:g} s with no timeout: "
                    "is the other side waiting too?"
                )
                self._net.stuck_calls.append(stuck)
                raise stuck
            ends = [t for t in (deadline, stuck_at) if t is not None]
            self._cv.wait(min(ends) - now if ends else None)

    def _send(self, data: bytes | memoryview, deadline: float | None, call: str) -> int:
        with self._cv:
            self._check_open()
            outgoing = self._outgoing
            if outgoing is None:
                raise _error(errno.EPIPE)
            self._raise_pending()
            if self._shut_wr or self._broken:
                raise _error(errno.EPIPE)
            size = len(data)
            if size == 0:
                return 0
            injector = self._injector
            limit = size
            if injector is not None:
                try:
                    injector.before_send()
                except ConnectionResetError:
                    self._reset_here()
                    raise
                limit = injector.send_limit(size)
            capacity = self._net.send_buffer

            def ready() -> bool:
                return (
                    self._closed
                    or self._shut_wr
                    or self._broken
                    or self._pending_error is not None
                    or outgoing.reader_closed
                    or capacity is None
                    or len(outgoing.data) < capacity
                )

            self._block(call, ready, deadline)
            self._check_open()
            self._raise_pending()
            if self._shut_wr or self._broken or outgoing.reader_closed:
                raise _error(errno.EPIPE)
            if capacity is not None:
                limit = min(limit, capacity - len(outgoing.data))
            outgoing.data += data[:limit]
            if injector is not None:
                injector.after_send(limit)
            self._cv.notify_all()
            return limit
