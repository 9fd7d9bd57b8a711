"""A TCP socket on an in-memory network: :class:`MemorySocket`, call by call as Linux's.

Every socket belongs to a :class:`~sockettest.MemoryNetwork` (``_network.py``), whose lock it
takes for every call and whose clock measures its timeouts. A connection is two pipes, one per
direction, each holding what one side sent and the other has not read.

Rules of this module:

1. Semantics are Linux's, call by call (errno included), except where :class:`MemorySocket`'s
   docstring says otherwise. The contract (:mod:`sockettest.contract`) and the differential
   fuzzer (tests/stress/test_differential.py) pin them.
2. Every call is recorded (``calls``) before anything else happens, and may be poisoned.
   Then its arguments are taken as CPython takes them (``_arguments.py``), with its errors,
   before a closed socket's ``EBADF``: CPython parses them before the kernel sees the socket.
3. Every wait goes through :meth:`MemorySocket._block`, which honours the timeout, the
   network's ``max_block`` and its clock; a change of state wakes only the calls it concerns
   (reading or writing) and brings the readiness descriptor up to date.
4. In a simulated thread (:func:`sockettest.simulate`), ``accept``, ``recv``, ``recv_into``,
   ``send``, ``sendall``, ``connect``, ``connect_ex``, ``shutdown`` and ``close`` are
   scheduling points (and so are ``recvfrom``, ``recvmsg``, ``sendto``, ``sendmsg`` and their
   kin), taken before the network's lock (a thread never parks holding it), and
   a wait parks in the scheduler on virtual time (``_simulation.scheduler.SchedulableCondition``).
"""

from __future__ import annotations

import builtins
import errno
import os
import socket
import struct
import sys
import time
from collections import deque
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, NoReturn

from sockettest._addresses import as_family, family_for, format_address, unmapped
from sockettest._arguments import (
    bytes_like,
    c_flag,
    c_int,
    c_ssize,
    check_option,
    host_and_port,
    option_value,
    writable_buffer,
)
from sockettest._faults import FaultInjector, Faults
from sockettest._kernel import Binding
from sockettest._linux import (
    AF_UNIX,
    ANY,
    BUFLEN_MAX,
    KERNEL_TIMEOUTS,
    LINGER,
    LOOPBACK,
    MSG_DONTWAIT,
    MSG_PEEK,
    MSG_WAITALL,
    RCVTIMEO,
    REUSEADDR,
    SHUT_HOWS,
    SNDTIMEO,
    TIMEVAL,
    TYPE_FLAGS,
    V6ONLY,
    WILDCARDS,
    buffer_option,
    check_timeout,
    ip_literal,
    os_error,
    payload,
    reset_error,
)
from sockettest._poison import POISONABLE, Outcome, Poisons
from sockettest._rare_calls import RareCalls
from sockettest._readiness import ReadinessMirror
from sockettest._simulation.scheduler import THREADS, network_call, readiness_changed
from sockettest._types import Address
from sockettest._waiting import READING, WRITING, Channels

if TYPE_CHECKING:
    from sockettest._network import MemoryNetwork

__all__ = ["MemorySocket", "close_for_good", "socket_pair"]

_REAL_MAKEFILE = socket.socket.makefile  # CPython's own, which builds on recv_into and send


class _Pipe:
    """One direction of a connection: bytes one socket wrote that the other has not read."""

    __slots__ = ("data", "eof", "reader_closed", "reset")

    def __init__(self) -> None:
        self.data = bytearray()
        self.eof = False  # the writer shut its write side or closed: EOF once drained
        self.reader_closed = False  # the reader closed: data sent now resets the connection
        self.reset = False  # a fault reset the reader: sends fail at once with EPIPE


class MemorySocket(RareCalls):
    """A TCP socket on a :class:`MemoryNetwork`, with the API of :class:`socket.socket` that
    real code uses: blocking, timeouts and non-blocking mode, ``fileno`` for ``select`` and
    ``selectors``, ``makefile``, ``recv_into``, ``MSG_PEEK``, half-close and resets, and
    ``recvfrom``, ``recvmsg``, ``sendto``, ``sendmsg``, ``sendfile`` and the inheritable flag.
    Every argument is taken as CPython takes it: a wrong one raises CPython's error at once.

    Make one with ``network.socket_factory(...)``, or ``socket.socket(...)`` under
    :meth:`MemoryNetwork.patch`; not directly, unless you subclass it to build a broken fake
    (then pass ``socket_class`` to the network).

    Behaviour, as on Linux (each case is a check of :mod:`sockettest.contract`):

    - ``bind((host, 0))`` picks a free port; an address in use raises ``EADDRINUSE``, one the
      host does not have ``EADDRNOTAVAIL``. Accepted connections hold their listener's port, and
      the side that closes a connection first holds its address in TIME_WAIT; ``SO_REUSEADDR``
      on both sockets lets a bind share an address with any holder that does not listen.
    - ``accept`` hands out waiting connections first in, first out; an IPv6 socket reaches an
      IPv4 listener at an IPv4-mapped address (``::ffff:127.0.0.1``).
    - ``connect`` where nothing listens raises :class:`ConnectionRefusedError` at once;
      otherwise the connection is made at once and waits in the listener's backlog for
      ``accept``. A full backlog makes ``connect`` wait, and time out.
    - ``recv(n)`` blocks until data or EOF and returns at most ``n`` bytes; ``b""`` at EOF.
    - Each direction holds ``buffer_size`` bytes in flight; then ``send`` blocks, returns a
      short count (with a timeout), or raises :class:`BlockingIOError` (non-blocking).
    - Sending to a peer that closed, or that shut both directions, is accepted once and resets
      the connection; later sends raise :class:`BrokenPipeError`.
    - Closing with unread data, or with ``SO_LINGER`` ``(1, 0)``, resets the connection: the
      peer reads what had arrived, then gets :class:`ConnectionResetError` once, then EOF (just
      EOF if it had already read the closer's EOF), and ``getpeername`` raises ``ENOTCONN``.
    - A reset is reported once: by the next ``recv`` or ``send``, or by ``SO_ERROR``, which
      clears it. Once a connection is reset, or a FIN has gone each way, ``getpeername`` and
      ``shutdown`` raise ``ENOTCONN``.
    - A non-blocking ``connect`` raises :class:`BlockingIOError` (``EINPROGRESS``) and the
      socket turns writable; a refusal then shows in ``SO_ERROR``.
    - ``MSG_DONTWAIT`` and ``MSG_WAITALL`` act as on a blocking descriptor only when the
      socket has no timeout; with one, CPython waits for readiness, so ``MSG_DONTWAIT`` waits
      the timeout and ``MSG_WAITALL`` returns what is there.
    - On a blocking socket (no timeout), ``SO_RCVTIMEO`` bounds ``recv`` and ``accept`` and
      ``SO_SNDTIMEO`` bounds each ``send``, as the kernel does: a call that gives up raises
      :class:`BlockingIOError` (``EAGAIN``), a ``send`` that took part returns its short count.
      The value is a ``struct timeval`` (``struct.pack("@ll", seconds, microseconds)``); with a
      Python timeout set they do nothing, as on Linux, where CPython's waits come first.
    - ``settimeout`` and ``setblocking`` on a closed socket raise ``EBADF`` after storing the
      value, as CPython's do.
    - ``shutdown`` from another thread wakes a blocked ``recv`` (which returns ``b""``) and a
      blocked ``accept`` (which raises ``EINVAL``).
    - After ``close`` every call raises ``EBADF`` (but ``recv(0)`` returns ``b""``, as
      CPython's does), and ``fileno()`` is ``-1``.

    Where it differs, on purpose:

    - ``close`` from another thread wakes that socket's blocked calls, which raise ``EBADF``;
      on Linux they would go on blocking (which is why servers shut down before they close).
    - A non-blocking ``connect`` into a full backlog is queued anyway.
    - ``SO_SNDTIMEO`` does not bound a blocking ``connect`` (Linux's gives up with
      ``EINPROGRESS``): use ``settimeout`` to bound a connect.
    - ``dup``, ``detach`` and ancillary data (``sendmsg``'s ``ancdata``) are not modelled:
      they raise :class:`~sockettest.NotModelled`.
    - An unclosed socket gives no :class:`ResourceWarning`; :meth:`MemoryNetwork.open_sockets`
      and the leak-guarded fixtures name it instead.

    Attributes:
        name: a readable name, unique on the network (``memory-socket-3``).
        calls: every call made on the socket, as ``(method, args)``, in order; poisoned and
            failed calls included.
        options: every ``setsockopt`` value, as ``{(level, option): value}``.
        backlog: what ``listen`` was given; ``None`` before.
        accepted_by: the listener whose ``accept`` returned this socket; ``None`` for others.
    """

    def __init__(
        self,
        network: MemoryNetwork,
        family: int = socket.AF_INET,
        type: int = socket.SOCK_STREAM,
        proto: int = 0,
    ) -> None:
        family, type, proto = c_int(family), c_int(type), c_int(proto)  # as socket.socket's
        family = socket.AF_INET if family == -1 else family
        type = socket.SOCK_STREAM if type == -1 else type
        if family not in ANY:
            raise OSError(
                errno.EAFNOSUPPORT,
                f"{os.strerror(errno.EAFNOSUPPORT)}: the in-memory network carries AF_INET and "
                f"AF_INET6 only, not {family!r}",
            )
        if type & ~TYPE_FLAGS != socket.SOCK_STREAM:
            raise OSError(
                errno.ESOCKTNOSUPPORT,
                f"{os.strerror(errno.ESOCKTNOSUPPORT)}: the in-memory network carries TCP "
                f"(SOCK_STREAM) only, not type {type!r}",
            )
        if proto not in (-1, 0, socket.IPPROTO_TCP):
            raise os_error(errno.EPROTONOSUPPORT)
        self._family = family
        self._type = socket.SOCK_STREAM
        self._proto = max(proto, 0)
        self.options: dict[tuple[int, int], Any] = {}
        self.backlog: int | None = None
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.accepted_by: MemorySocket | None = None
        self._net = network
        kernel = self._kernel = network.kernel
        self._lock = kernel.lock
        self._waiting = kernel.waiting
        nonblocking = bool(type & getattr(socket, "SOCK_NONBLOCK", 0))
        self._timeout: float | None = 0.0 if nonblocking else socket.getdefaulttimeout()
        self._closed = False  # really closed
        self._close_asked = False  # close() was called; waits for makefile() objects
        self._io_refs = 0  # makefile() objects still open, as socket.socket counts them
        self._remote: tuple[str, int] | None = None
        self._remote_lost = False  # reset: getpeername raises ENOTCONN
        self._fin_first = False  # sent its FIN before the peer's came: the active closer
        self._port_locked = False  # bound to a port by hand: held until closed, whatever happens
        self._so_error = 0
        self._connect_unreported = False  # a non-blocking connect has not been confirmed yet
        self._mirror: ReadinessMirror | None = None
        self._poisons = Poisons(POISONABLE)
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
        self._binding = Binding(self, self.options, self._holds_port, self._listens)
        with self._lock:
            self.name = kernel.register(self)
        self._channels = Channels(self._lock, self.name)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} {self._describe()}>"

    def _describe(self) -> str:
        if self._closed:
            return "closed"
        if self._listening:
            return f"listening on {self._show(self._binding.local)}"
        if self._remote is not None:
            return f"connected {self._show(self._binding.local)} -> {self._show(self._remote)}"
        if self._binding.local is not None:
            return f"bound to {self._show(self._binding.local)}"
        return "not connected"

    @staticmethod
    def _show(address: tuple[str, int] | None) -> str:
        return "?" if address is None else format_address(*address)

    # State, for tests ------------------------------------------------------------------------

    @property
    def family(self) -> socket.AddressFamily:
        """The address family, as :attr:`socket.socket.family`."""
        return socket.AddressFamily(self._family)

    @property
    def type(self) -> socket.SocketKind:
        """Always ``SOCK_STREAM``."""
        return socket.SocketKind(self._type)

    @property
    def proto(self) -> int:
        """The protocol number given (0 or ``IPPROTO_TCP``), as :attr:`socket.socket.proto`."""
        return self._proto

    @property
    def closed(self) -> bool:
        """True once the socket is closed (``close()``, once its ``makefile`` objects are)."""
        return self._closed

    @property
    def network(self) -> MemoryNetwork:
        """The network this socket belongs to."""
        return self._net

    @property
    def call_names(self) -> list[str]:
        """The names of the methods called, in order: ``["setsockopt", "bind", ...]``."""
        with self._lock:
            return [name for name, _ in self.calls]

    @property
    def faults(self) -> Faults | None:
        """The fault schedule applied to this socket; ``None`` for none.

        Setting it starts the schedule afresh: byte and call counts start from zero.
        """
        return None if self._injector is None else self._injector.faults

    @faults.setter
    def faults(self, faults: Faults | None) -> None:
        if faults is not None and not isinstance(faults, Faults):
            raise TypeError(f"faults must be a Faults schedule or None, not {faults!r}")
        with self._lock:
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

    def poison(self, method: str, error: Outcome, *, times: int | None = None) -> None:
        """Make ``method`` of this socket raise ``error`` instead of doing anything.

        Args:
            method: a socket method: ``"bind"``, ``"recv"``, ``"close"`` ...
            error: the exception (instance or class) to raise.
            times: how many calls raise before the method works again; ``None``: every call.

        Raises:
            ValueError: ``method`` is not a method this fake can poison.
        """
        with self._lock:
            self._poisons.add(method, error, times)

    def cure(self, method: str) -> None:
        """Remove the poison from ``method``, if any."""
        with self._lock:
            self._poisons.pop(method, None)

    # The socket API --------------------------------------------------------------------------

    def __enter__(self) -> MemorySocket:
        return self

    def __exit__(
        self,
        exc_type: builtins.type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def fileno(self) -> int:
        """A real descriptor whose readiness for ``select`` is this socket's; ``-1`` once closed.

        Made on the first call (see :mod:`sockettest._readiness` for how, and why it is an
        ``AF_UNIX`` pair that pytest-socket does not block).

        Raises:
            OSError: on Windows, which has no ``AF_UNIX`` pairs for it.
        """
        with self._lock:
            if self._closed:
                return -1
            if self._mirror is None:
                mirror = ReadinessMirror()
                mirror.show(*self._readiness())
                self._mirror = mirror
            return self._mirror.fileno()

    def setsockopt(self, level: int, option: int, value: Any, optlen: int | None = None, /) -> None:
        """Store the option; ``getsockopt`` reads it back as Linux would. It changes nothing
        else, except ``SO_LINGER`` ``(1, 0)`` (close resets) and ``IPV6_V6ONLY``.

        Raises:
            OSError: ``EBADF`` after close.
        """
        with self._lock:
            self._enter("setsockopt", (level, option, value), True)
            level, option = c_int(level), c_int(option)
            value = option_value(value, optlen)
            self._check_open()
            value = check_option(self._family, level, option, value, setting=True)
            if level == socket.SOL_SOCKET and option in (socket.SO_RCVBUF, socket.SO_SNDBUF):
                assert isinstance(value, int)  # made one above
                value = buffer_option(option, value)
            elif level == socket.SOL_SOCKET and option in KERNEL_TIMEOUTS:
                if not isinstance(value, bytes | bytearray) or len(value) < TIMEVAL.size:
                    raise os_error(errno.EINVAL)  # Linux wants a whole struct timeval
                value = bytes(value[: TIMEVAL.size])
                if not 0 <= TIMEVAL.unpack(value)[1] < 1_000_000:
                    raise os_error(errno.EDOM)  # tv_usec out of range, as Linux says it
            self.options[(level, option)] = value

    def getsockopt(self, level: int, option: int, buflen: int | None = None, /) -> Any:
        """The option as Linux reads it back: ``SO_TYPE``, ``SO_ERROR`` (cleared by the read),
        ``SO_ACCEPTCONN``, the buffer sizes; otherwise the value set, or 0.

        With ``buflen``, the value as bytes (``SO_LINGER`` is ``struct.pack("ii", ...)``).

        Raises:
            OSError: ``EBADF`` after close.
        """
        with self._lock:
            self._enter("getsockopt", (level, option), True)
            level, option = c_int(level), c_int(option)
            if buflen is not None:
                buflen = c_int(buflen) or None  # 0 asks for the int, as no buflen does
                if buflen is not None and not 0 < buflen <= BUFLEN_MAX:
                    raise OSError("getsockopt buflen out of range")
            self._check_open()
            check_option(self._family, level, option, None, setting=False)
            value: Any = self.options.get((level, option), 0)
            if level == socket.SOL_SOCKET:
                if option == socket.SO_TYPE:
                    value = socket.SOCK_STREAM
                elif option == socket.SO_ERROR:
                    value, self._so_error = self._so_error, 0
                    if not value and self._pending_error is not None:
                        value = self._pending_error.errno or 0  # reported here, not by recv
                        self._pending_error = None
                        self._broken = True
                    self._notify()
                elif option == socket.SO_ACCEPTCONN:
                    value = int(self._listening)
                elif option in (socket.SO_RCVBUF, socket.SO_SNDBUF):
                    value = self.options.get((level, option)) or buffer_option(option, None)
            if buflen is None:
                if isinstance(value, bytes | bytearray):
                    return int.from_bytes(bytes(value[:4]).ljust(4, b"\0"), sys.byteorder)
                return int(value)
            if isinstance(value, bytes | bytearray):
                return bytes(value[:buflen])
            return struct.pack("i", int(value)).ljust(buflen, b"\0")[:buflen]

    def settimeout(self, timeout: float | None, /) -> None:
        """Set how long blocking calls wait: ``None`` blocks, ``0`` never blocks.

        Raises:
            ValueError: a negative timeout, or NaN.
            OverflowError: a timeout too large for the platform (``math.inf`` is one).
            TypeError: not a number.
            OSError: ``EBADF`` after close.
        """
        with self._lock:
            self._enter("settimeout", (timeout,), True)
            self._timeout = check_timeout(timeout)  # CPython stores it even when closed
            self._check_open()

    def gettimeout(self) -> float | None:
        """The timeout :meth:`settimeout` set: :func:`socket.getdefaulttimeout` at first."""
        return self._timeout

    def setblocking(self, flag: bool, /) -> None:
        """``setblocking(True)`` is ``settimeout(None)``; ``False`` is ``settimeout(0)``."""
        with self._lock:
            self._enter("setblocking", (flag,), True)
            self._timeout = None if c_flag(flag) else 0.0  # CPython stores it even when closed
            self._check_open()

    def getblocking(self) -> bool:
        """False when the timeout is 0 (non-blocking), True otherwise."""
        return self._timeout != 0

    def bind(self, address: Address, /) -> None:
        """Take a local address; port 0 picks a free one (read it with :meth:`getsockname`).

        Raises:
            OSError: ``EADDRINUSE`` if another socket holds the address (wildcards conflict with
                everything on their port; a connection in TIME_WAIT holds it too, see
                :class:`MemoryNetwork`), ``EADDRNOTAVAIL`` for an address the network's host
                does not have, ``EINVAL`` if already bound, ``EBADF`` after close.
            socket.gaierror: the host is not an IP literal nor a name the network knows.
            OverflowError: the port is outside 0-65535.
            TypeError: the address is not a tuple of the family's shape.
        """
        with self._lock:
            self._enter("bind", (address,), True)
            host, port = self._parse(address, "bind")
            self._check_open()
            if self._binding.local is not None:
                raise os_error(errno.EINVAL)
            self._kernel.check_local(host, self._family, bool(self.options.get(V6ONLY)))
            self._binding.local = self._kernel.allocate(host, port, self._binding)
            self._port_locked = port != 0

    def listen(self, backlog: int = 128, /) -> None:
        """Start listening; connections beyond ``backlog`` waiting for accept make connect wait.

        An unbound socket is first bound to a free port, as on Linux.

        Raises:
            OSError: ``EINVAL`` on a connected socket, ``EADDRINUSE`` if another socket
                listens on the address (``SO_REUSEADDR`` lets two bind it, not both listen),
                ``EBADF`` after close.
        """
        with self._lock:
            self._enter("listen", (backlog,), True)
            backlog = c_int(backlog)
            self._check_open()
            if self._peer is not None:
                raise os_error(errno.EINVAL)
            binding = self._binding
            if binding.local is None:
                binding.local = self._kernel.allocate(ANY[self._family], 0, binding)
            elif self._kernel.conflicts(binding, *binding.local, listening=True):
                raise os_error(errno.EADDRINUSE)
            self.backlog = max(backlog, 0)
            self._listening = True
            self._kernel.add_listener(binding)
            self._listen_shut = False
            self._notify()

    def accept(self) -> tuple[MemorySocket, Address]:
        """Wait for a connection; return its socket and the peer's address.

        The new socket's timeout is :func:`socket.getdefaulttimeout` (``None``: blocking),
        whatever the listener's, as CPython's ``accept`` gives.

        Raises:
            TimeoutError: none arrived within the timeout.
            BlockingIOError: none waiting and the socket is non-blocking.
            BlockedTooLong: no timeout and none arrived within the network's ``max_block``.
            OSError: ``EINVAL`` if not listening or once shut down (also waking a blocked
                accept), ``EBADF`` after close (also waking a blocked accept).
        """
        if THREADS:
            network_call("accept", self)
        with self._lock:
            self._enter("accept", ())
            if not self._listening:
                raise os_error(errno.EINVAL)
            self._block("accept", self._accept_ready, self._deadline(RCVTIMEO))
            self._check_open()
            if self._listen_shut:
                raise os_error(errno.EINVAL)
            conn = self._queue.popleft()
            conn._timeout = socket.getdefaulttimeout()
            conn.accepted_by = self
            self._net.accepted += 1
            self._notify(reading=False)  # room for a waiting connect; readiness
            assert conn._remote is not None
            return conn, conn._address(conn._remote)

    def connect(self, address: Address, /) -> None:
        """Connect to a listener; an unbound socket gets a free local port first.

        The connection is made at once (the handshake needs no ``accept``); if the listener's
        backlog is full, this waits for room as a real SYN is retried, up to the timeout.
        Non-blocking, it raises ``EINPROGRESS`` and the socket turns writable (a refusal then
        shows in ``SO_ERROR``); the next ``connect`` confirms, then ``EISCONN``.

        Raises:
            ConnectionRefusedError: nothing listens at ``address``.
            TimeoutError: the backlog stayed full for the whole timeout.
            BlockingIOError: ``EINPROGRESS``, for a non-blocking socket.
            OSError: ``EISCONN`` if connected or listening, ``EBADF`` after close.
            socket.gaierror, OverflowError, TypeError: a malformed address, as :meth:`bind`.
        """
        if THREADS:
            network_call("connect", self)
        with self._lock:
            self._enter("connect", (address,), True)
            host_and_port(address, self._family, "connect")  # before the state, as CPython
            self._check_open()
            self._connect(address)

    def connect_ex(self, address: Address, /) -> int:
        """:meth:`connect`, returning the errno instead of raising ``OSError`` (0: connected)."""
        if THREADS:
            network_call("connect_ex", self)
        with self._lock:
            self._enter("connect_ex", (address,), True)
            host_and_port(address, self._family, "connect_ex")
            if self._closed:
                return errno.EBADF
            try:
                self._connect(address)
            except socket.gaierror:
                raise
            except TimeoutError:
                return errno.EAGAIN
            except OSError as error:
                return error.errno or errno.EIO
        return 0

    def getsockname(self) -> Any:
        """The local address: ``(host, port)``, or ``(host, port, 0, 0)`` for IPv6.

        Raises:
            OSError: ``EBADF`` after close.
        """
        with self._lock:
            self._enter("getsockname", ())
            if self._family == AF_UNIX:
                return ""
            return self._address(self._binding.local or (ANY[self._family], 0))

    def getpeername(self) -> Any:
        """The peer's address.

        Raises:
            OSError: ``ENOTCONN`` if not connected or after a reset, ``EBADF`` after close.
        """
        with self._lock:
            self._enter("getpeername", ())
            if self._remote is None or self._gone():
                raise os_error(errno.ENOTCONN)
            if self._family == AF_UNIX:
                return ""
            return self._address(self._remote)

    def recv(self, bufsize: int, flags: int = 0, /) -> bytes:
        """Wait for data and return at most ``bufsize`` bytes of it; ``b""`` at EOF.

        ``MSG_PEEK`` leaves the data in place, ``MSG_DONTWAIT`` makes this one call
        non-blocking, ``MSG_WAITALL`` waits for ``bufsize`` bytes (or EOF).

        Raises:
            TimeoutError: no data within the timeout (or a scheduled fault).
            BlockingIOError: no data and the socket is non-blocking.
            BlockedTooLong: no timeout and no data within the network's ``max_block``.
            ConnectionResetError: the peer reset the connection, or a scheduled fault.
            OSError: ``ENOTCONN`` if not connected, ``EBADF`` after close (also waking a
                blocked recv).
            ValueError: a negative ``bufsize``.
        """
        if THREADS:
            network_call("recv", self)
        with self._lock:
            self._enter("recv", (bufsize, flags) if flags else (bufsize,), True)
            bufsize, flags = c_ssize(bufsize), c_int(flags)
            if bufsize < 0:
                raise ValueError("negative buffersize in recv")
            if bufsize == 0:
                return b""
            return self._receive(bufsize, flags)

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0, /) -> int:
        """:meth:`recv` into ``buffer`` (``nbytes`` of it; 0: all); return the count."""
        if THREADS:
            network_call("recv_into", self)
        with self._lock:
            self._enter("recv_into", (nbytes, flags) if flags else (nbytes,), True)
            view = writable_buffer(buffer, "recv_into")
            nbytes, flags = c_ssize(nbytes), c_int(flags)
            if nbytes < 0:
                raise ValueError("negative buffersize in recv_into")
            size = nbytes or len(view)
            if size > len(view):
                raise ValueError("buffer too small for requested bytes")
            if size == 0:
                return 0
            data = self._receive(size, flags)
        view[: len(data)] = data
        return len(data)

    def send(self, data: Any, flags: int = 0, /) -> int:
        """Send some of ``data`` and return how many bytes were taken.

        Blocking (no timeout), it waits until all is taken, as Linux does; with a timeout it
        waits for room and takes what fits; non-blocking, it takes what fits now. A fault
        schedule's ``send_limit`` shortens it further.

        Raises:
            BrokenPipeError: after this socket's ``SHUT_WR``, after a reset, or on a socket that
                is not connected (``EPIPE``, as on Linux).
            ConnectionResetError: the peer reset the connection, or a scheduled fault.
            TimeoutError: no room for any of it within the timeout.
            BlockingIOError: no room and the socket is non-blocking.
            BlockedTooLong: no timeout and no room within the network's ``max_block``.
            OSError: ``EBADF`` after close.
        """
        if THREADS:
            network_call("send", self)
        with self._lock:
            self._enter("send", payload(data, flags), True)
            view, flags = bytes_like(data), c_int(flags)
            return self._send(view, flags, self._deadline(SNDTIMEO), "send")

    def sendall(self, data: Any, flags: int = 0, /) -> None:
        """Send all of ``data``, calling the same primitive as :meth:`send` until it is taken,
        so short sends and resets scheduled by faults happen inside it too. The timeout bounds
        the whole call, as in Python 3.5+.

        Raises:
            The errors of :meth:`send`; on a timeout, part of ``data`` may have been sent.
        """
        if THREADS:
            network_call("sendall", self)
        with self._lock:
            self._enter("sendall", payload(data, flags), True)
            view, flags = bytes_like(data), c_int(flags)
            deadline = self._deadline(SNDTIMEO)
            total = self._send(view, flags, deadline, "sendall")
            while total < len(view):
                if self._timeout is None:  # SO_SNDTIMEO bounds each send, not the whole call
                    deadline = self._deadline(SNDTIMEO)
                total += self._send(view[total:], flags, deadline, "sendall")

    def makefile(
        self,
        mode: str = "r",
        buffering: int | None = None,
        *,
        encoding: str | None = None,
        errors: str | None = None,
        newline: str | None = None,
    ) -> Any:
        """A file object over the socket, exactly as :meth:`socket.socket.makefile` makes it
        (it is CPython's own code): the socket stays open until its files are closed too."""
        makefile: Any = _REAL_MAKEFILE
        return makefile(
            self,
            mode,
            buffering,
            encoding=encoding,
            errors=errors,
            newline=newline,
        )

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
        if THREADS:
            network_call("shutdown", self)
        with self._lock:
            self._enter("shutdown", (how,), True)
            how = c_int(how)
            self._check_open()
            if how not in SHUT_HOWS:
                raise os_error(errno.EINVAL)
            reading = how in (socket.SHUT_RD, socket.SHUT_RDWR)
            if self._listening:
                if reading:
                    self._listen_shut = True
                    self._reset_queue()
                self._notify()
                return
            if self._outgoing is None or self._gone():
                raise os_error(errno.ENOTCONN)
            writing = how in (socket.SHUT_WR, socket.SHUT_RDWR)
            if reading:
                self._shut_rd = True
            if writing:
                self._shut_wr = True
                self._send_fin()
                if self._peer is not None:
                    self._peer._notify(writing=False)  # EOF for its readers
            self._notify(reading=reading, writing=writing)

    def close(self) -> None:
        """Close the socket; harmless if already closed. With ``makefile`` objects still open
        the socket closes when the last of them does, as :class:`socket.socket` does.

        The peer gets EOF after what was sent, or a reset if this socket leaves unread data or
        has ``SO_LINGER`` ``(1, 0)``. A listener resets the connections still waiting for
        ``accept``. Blocked calls on this socket in other threads wake and raise ``EBADF``.
        """
        if THREADS:
            network_call("close", self)
        with self._lock:
            self._enter("close", (), True)
            self._close_asked = True
            if self._io_refs <= 0:
                self._close_now()

    def _decref_socketios(self) -> None:
        """A ``makefile`` object closed (called by :class:`socket.SocketIO`)."""
        with self._lock:
            if self._io_refs > 0:
                self._io_refs -= 1
            if self._close_asked and self._io_refs <= 0:
                self._close_now()

    # Internals, called with the lock held ----------------------------------------------------

    def _enter(self, method: str, args: tuple[Any, ...], when_closed: bool = False) -> None:
        """Record the call; raise its poison, or ``EBADF`` if closed (unless ``when_closed``)."""
        self.calls.append((method, args))
        if self._waiting.autojump is not None:
            self._waiting.last_use = time.monotonic()
        if self._poisons:
            self._poisons.take(method)
        if self._kernel.poisons:
            self._kernel.poisons.take(method)
        if self._closed and not when_closed:
            raise os_error(errno.EBADF)

    def _holds_port(self, now: float) -> bool:
        """Whether this socket holds its port now, as Linux's bind table has it.

        Open, it does, unless its connection is over (reset, or FINs both ways) and it took its
        port from ``bind(0)``, ``connect`` or ``accept``: then Linux lets the port go, except
        for the side whose FIN went first, which waits in TIME_WAIT. Closed, it holds only in
        TIME_WAIT (or the FIN_WAIT2 before it), until its ``held_until``.
        """
        waiting = self._binding.held_until is not None and self._binding.held_until > now
        if self._closed:
            return waiting
        if not self._gone() or self._port_locked:
            return True
        return waiting and self._fin_first and not self._remote_lost

    def _listens(self) -> bool:
        """Listening now: not shut down, not closed (what a connect reaches)."""
        return self._listening and not self._listen_shut and not self._closed

    def _gone(self) -> bool:
        """The connection is over for the kernel: reset, or a FIN has gone each way (Linux's
        CLOSED or TIME_WAIT), though the socket is open: ``getpeername`` and ``shutdown``
        raise ``ENOTCONN``."""
        incoming, outgoing = self._incoming, self._outgoing
        return self._remote_lost or (
            incoming is not None and outgoing is not None and incoming.eof and outgoing.eof
        )

    def _check_open(self) -> None:
        if self._closed:
            raise os_error(errno.EBADF)

    def _notify(self, reading: bool = True, writing: bool = True) -> None:
        """Wake this socket's calls that wait to read, or to write, or both, and bring its
        descriptor's readiness up to date (the only effect when neither is asked)."""
        asleep = self._channels.asleep
        if reading and asleep[READING]:
            self._waiting.wake(self._channels, READING)
        if writing and asleep[WRITING]:
            self._waiting.wake(self._channels, WRITING)
        if self._mirror is not None:
            self._mirror.show(*self._readiness())
            if THREADS:
                readiness_changed()

    def _readiness(self) -> tuple[bool, bool]:
        """(readable, writable), as ``select`` would report them for a real socket."""
        if self._listening:
            return bool(self._queue) or self._listen_shut, False
        incoming, outgoing = self._incoming, self._outgoing
        if incoming is None or outgoing is None:
            return True, True  # unconnected: Linux reports HUP, which select shows as both
        if self._so_error:
            return True, True
        return self._can_read(incoming), self._can_write(outgoing)

    def _can_read(self, incoming: _Pipe, want: int = 1) -> bool:
        """Whether a read would not wait: ``want`` bytes have come, or EOF, or a shut read
        side, or a reset, or an error to report."""
        return (
            len(incoming.data) >= want
            or incoming.eof
            or self._shut_rd
            or self._broken
            or self._pending_error is not None
        )

    def _can_write(self, outgoing: _Pipe) -> bool:
        """Whether a send would not wait: room in the pipe, or a failure to report at once."""
        return (
            self._shut_wr
            or self._broken
            or outgoing.reader_closed
            or len(outgoing.data) < self._net.buffer_size
        )

    def _accept_ready(self) -> bool:
        """Whether an ``accept`` would not wait (nor a listener's readiness)."""
        return self._closed or self._listen_shut or bool(self._queue)

    def _parse(self, address: Address, call: str) -> tuple[str, int]:
        host, port = host_and_port(address, self._family, call)
        if host == "":
            return ANY[self._family], port
        literal = ip_literal(host)
        if literal is None:
            return str(self._net.hosts.getaddrinfo(host, None, self._family)[0][4][0]), port
        literal_family, text = literal
        if literal_family != self._family:
            code = getattr(socket, "EAI_ADDRFAMILY", socket.EAI_FAMILY)
            raise socket.gaierror(code, "Address family for hostname not supported")
        return text, port

    def _address(self, address: tuple[str, int]) -> Address:
        return address if self._family == socket.AF_INET else (*address, 0, 0)

    def _link(self, other: MemorySocket) -> None:
        """Join this socket and ``other`` into a connection, each seeing the other as peer."""
        ours, theirs = _Pipe(), _Pipe()
        self._peer, other._peer = other, self
        self._outgoing, other._incoming = ours, ours
        self._incoming, other._outgoing = theirs, theirs
        self._remote, other._remote = other._binding.local, self._binding.local

    def _connect(self, address: Address) -> None:
        if self._listening:
            raise os_error(errno.EISCONN)
        if self._peer is not None:
            if self._connect_unreported:  # the non-blocking connect has completed
                self._connect_unreported = False
                return
            raise os_error(errno.EISCONN)
        if self._so_error:  # a non-blocking connect failed: this call reports it
            code, self._so_error = self._so_error, 0
            self._notify()
            raise os_error(code)
        host, port = self._parse(address, "connect")
        plain = unmapped(host)
        if plain in WILDCARDS:  # Linux connects "any" to this host
            host = as_family(LOOPBACK[family_for(plain)], self._family)
        elif plain != host and self.options.get(V6ONLY):
            raise os_error(errno.ENETUNREACH)  # no IPv4 for an IPV6_V6ONLY socket
        listener = self._kernel.listener_for(host, port)
        nonblocking = self._timeout == 0
        if listener is None:
            if nonblocking:
                self._so_error = errno.ECONNREFUSED
                self._notify()
                raise BlockingIOError(errno.EINPROGRESS, os.strerror(errno.EINPROGRESS))
            raise ConnectionRefusedError(errno.ECONNREFUSED, os.strerror(errno.ECONNREFUSED))
        if not nonblocking:

            def room() -> bool:
                return (
                    self._closed
                    or listener._closed
                    or listener._listen_shut
                    or len(listener._queue) <= (listener.backlog or 0)
                )

            self._block("connect", room, self._deadline(), on=listener, channel=WRITING)
            self._check_open()
            if listener._closed or listener._listen_shut:
                raise ConnectionRefusedError(errno.ECONNREFUSED, os.strerror(errno.ECONNREFUSED))
        self._join(listener, host, port)
        if nonblocking:
            self._connect_unreported = True
            raise BlockingIOError(errno.EINPROGRESS, os.strerror(errno.EINPROGRESS))

    def _join(self, listener: MemorySocket, host: str, port: int) -> None:
        """Make the connection to ``listener`` and queue its server side for ``accept``.

        Addresses are shown in each socket's family: an IPv4 client of a dual-stack listener
        is ``::ffff:`` mapped to it, and an IPv6 client that dialled a mapped address has a
        mapped local address, while the IPv4 listener's side sees plain IPv4.
        """
        net, kernel, binding = self._net, self._kernel, self._binding
        plain = unmapped(host)
        source = "127.0.0.1" if plain.startswith("127.") else plain  # Linux's route via lo
        if binding.local is None:
            binding.local = kernel.allocate(as_family(source, self._family), 0, binding)
        elif unmapped(binding.local[0]) in WILDCARDS:
            binding.local = (as_family(source, self._family), binding.local[1])
        local = binding.local
        server_side = net.socket_class(net, listener._family, socket.SOCK_STREAM)
        if listener.options.get(REUSEADDR):
            server_side.options[REUSEADDR] = listener.options[REUSEADDR]  # inherited
        server_side._binding.local = (as_family(plain, listener._family), port)
        kernel.hold(server_side._binding, port)  # an accepted socket holds the listener's port too
        self._link(server_side)
        self._remote = (host, port)
        server_side._remote = (as_family(local[0], listener._family), local[1])
        accept_faults, connect_faults = kernel.connection_faults()
        if accept_faults is not None:
            server_side._set_faults(accept_faults)
        if connect_faults is not None:
            self._set_faults(connect_faults)
        listener._queue.append(server_side)
        listener._notify(writing=False)
        self._notify(reading=False, writing=False)

    def _receive(self, bufsize: int, flags: int) -> bytes:
        self._check_open()
        incoming = self._incoming
        if incoming is None:
            if self._listening and self._timeout:
                # CPython waits for readiness before it reads, and a listener is readable once
                # a connection waits: until then, or the timeout, nothing is said.
                self._block("recv", self._accept_ready, self._deadline())
                self._check_open()
            raise os_error(errno.ENOTCONN)
        injector = self._injector
        if injector is not None and not self._broken:
            try:
                if injector.before_recv():
                    return b""
            except ConnectionResetError:
                self._reset_here()
                raise
        # CPython keeps a socket with a timeout non-blocking underneath and waits in poll():
        # MSG_WAITALL then gets what is there, and MSG_DONTWAIT waits the timeout anyway.
        blocking = self._timeout is None
        want = bufsize if flags & MSG_WAITALL and blocking else 1

        if not self._can_read(incoming, want):
            dontwait = bool(flags & MSG_DONTWAIT) and blocking
            readable = lambda: self._closed or self._can_read(incoming, want)  # noqa: E731
            self._block("recv", readable, self._deadline(RCVTIMEO), nonblocking=dontwait)
            self._check_open()
        if incoming.data:
            limit = bufsize if injector is None else injector.recv_limit(bufsize)
            data = bytes(incoming.data[:limit])
            if flags & MSG_PEEK:
                return data
            del incoming.data[:limit]
            if injector is not None:
                injector.after_recv(len(data))
            if self._peer is not None:
                self._peer._notify(reading=False)  # room for a blocked sender
            if self._mirror is not None:
                self._notify(reading=False, writing=False)
            return data
        self._raise_pending()
        return b""

    def _send(self, view: memoryview, flags: int, deadline: float | None, call: str) -> int:
        self._check_open()
        outgoing = self._outgoing
        if outgoing is None:
            self._refuse_send(call, deadline)
        self._raise_pending()
        if self._shut_wr or self._broken or outgoing.reset:
            if self._so_error == errno.EPIPE:
                self._so_error = 0  # the send reports it
            raise os_error(errno.EPIPE)
        size = len(view)
        if size == 0:
            return 0
        injector = self._injector
        limit = size if injector is None else self._faulty_send_limit(injector, size)
        peer = self._peer
        if outgoing.reader_closed or (peer is not None and peer._shut_rd and peer._shut_wr):
            # Linux takes the bytes, and the peer answers them with a reset.
            if injector is not None:
                injector.after_send(limit)
            self._receive_reset()
            self._send_reset()
            return limit
        capacity = self._net.buffer_size
        taken = 0
        dontwait = bool(flags & MSG_DONTWAIT) and self._timeout is None  # as recv's
        whole = self._timeout is None and not dontwait

        def writable() -> bool:
            return self._closed or self._pending_error is not None or self._can_write(outgoing)

        while True:
            if len(outgoing.data) >= capacity:
                self._block(
                    call,
                    writable,
                    deadline,
                    channel=WRITING,
                    nonblocking=dontwait,
                    partial=taken,
                )
            if self._closed or self._shut_wr or self._broken or outgoing.reader_closed:
                if taken:
                    return taken
                self._check_open()
                raise os_error(errno.EPIPE)
            if self._pending_error is not None:
                if taken:
                    return taken
                self._raise_pending()
            room = min(limit - taken, capacity - len(outgoing.data))
            if room <= 0:  # the deadline came with part taken: the short count, as Linux's
                break
            outgoing.data += view[taken : taken + room]
            taken += room
            if peer is not None:
                peer._notify(writing=False)
            if self._mirror is not None:
                self._notify(reading=False, writing=False)
            if taken >= limit or not whole:
                break
        if injector is not None:
            injector.after_send(taken)
        return taken

    def _refuse_send(self, call: str, deadline: float | None) -> NoReturn:
        """A send with no connection; a listener with a timeout waits it out first, as Linux's."""
        if self._listening and self._timeout:  # never writable: the send times out
            ready = lambda: self._closed or self._listen_shut  # noqa: E731
            self._block(call, ready, deadline, channel=WRITING)
            self._check_open()
        raise os_error(errno.EPIPE)

    def _faulty_send_limit(self, injector: FaultInjector, size: int) -> int:
        """What a fault schedule lets this send take (or the reset it schedules now)."""
        try:
            injector.before_send()
        except ConnectionResetError:
            self._reset_here()
            raise
        return injector.send_limit(size)

    def _reset_queue(self) -> None:
        """Reset every connection waiting for ``accept``: its client gets ECONNRESET."""
        while self._queue:
            pending = self._queue.popleft()
            peer = pending._peer
            if peer is not None and not peer._closed:
                peer._receive_reset()
            pending._closed = True
            self._kernel.release(pending._binding)
            if pending._incoming is not None:
                pending._incoming.reader_closed = True
                pending._incoming.data.clear()

    def _receive_reset(self) -> None:
        """The peer answered with RST: report it once (not after the peer's EOF, as Linux),
        then EOF for reads and EPIPE for sends; ``getpeername`` fails."""
        if self._closed or self._remote_lost:
            return  # a connection is reset once
        incoming = self._incoming
        seen_eof = incoming is not None and incoming.eof
        if seen_eof:
            self._so_error = errno.EPIPE  # Linux's error for a reset in CLOSE_WAIT
        elif self._pending_error is None:
            self._pending_error = reset_error()
        self._broken = True
        self._remote_lost = True
        self._notify()

    def _send_reset(self) -> None:
        """Send the peer an RST: an open peer reads it, a closed one's TIME_WAIT ends."""
        peer = self._peer
        if peer is None:
            return
        if peer._closed:
            self._kernel.release(peer._binding)
        else:
            peer._receive_reset()

    def _reset_here(self) -> None:
        """A fault reset this connection: drop what is in flight and break both directions.

        The peer's later sends fail with ``EPIPE``, as they would against a host that answers
        them with RST; its reads see nothing until this side closes.
        """
        self._broken = True
        if self._incoming is not None:
            self._incoming.reset = True
            self._incoming.data.clear()
        self._notify()
        if self._peer is not None:
            self._peer._notify()

    def _raise_pending(self) -> None:
        error, self._pending_error = self._pending_error, None
        if error is not None:
            self._broken = True
            raise error

    def _close_now(self) -> None:
        if self._closed:
            return
        self._closed = True
        kernel = self._kernel
        over = self._gone()  # FINs both ways already: Linux's socket is CLOSED, and sends no RST
        self._reset_queue()
        incoming, peer = self._incoming, self._peer
        linger = self.options.get(LINGER)
        resets = not over and (
            bool(incoming is not None and incoming.data)
            or (isinstance(linger, bytes | bytearray) and linger[:8] == struct.pack("ii", 1, 0))
        )
        if resets:
            self._send_reset()
        self._send_fin()
        if self._binding.owns_address:
            if self._fin_first and not (self._broken or self._remote_lost or resets):
                if self._binding.held_until is None:  # FIN_WAIT2; the peer's FIN starts TIME_WAIT
                    kernel.time_wait(self._binding)
            else:
                kernel.release(self._binding)
        if incoming is not None:
            incoming.reader_closed = True
            incoming.data.clear()
        for channel in (READING, WRITING):
            if self._channels.asleep[channel]:
                self._channels.condition(channel).notify_all()
        kernel.any_closed.notify_all()
        if peer is not None:
            peer._notify()
        if self._mirror is not None:
            self._mirror.close()
            self._mirror = None

    def _send_fin(self) -> None:
        """End what this side sends (``shutdown(SHUT_WR)``, ``close``): the peer reads EOF.

        The side whose FIN goes first closes actively: once FINs have gone both ways it waits
        in TIME_WAIT, holding its address (see ``_holds_port``) from then on.
        """
        outgoing = self._outgoing
        if outgoing is None or outgoing.eof:
            return
        outgoing.eof = True
        self._fin_first = self._incoming is not None and not self._incoming.eof
        peer = self._peer
        if peer is not None and peer._fin_first and not peer._remote_lost:
            self._kernel.time_wait(peer._binding)  # FINs both ways: the peer's TIME_WAIT starts now

    def _deadline(self, kernel_option: int | None = None) -> float | None:
        """When a blocking call gives up: the socket's timeout, or on a blocking socket the
        kernel's ``kernel_option`` (``SO_RCVTIMEO``, ``SO_SNDTIMEO``), which ends it with
        ``EAGAIN`` instead (see :meth:`_block`)."""
        timeout = self._timeout
        if timeout is None and kernel_option is not None:
            timeout = self._kernel_timeout(kernel_option)
        return None if timeout is None else self._waiting.now() + timeout

    def _kernel_timeout(self, option: int) -> float | None:
        value = self.options.get((socket.SOL_SOCKET, option))
        if not isinstance(value, bytes):
            return None
        seconds, micros = TIMEVAL.unpack(value)
        return (seconds + micros / 1e6) or None

    def _block(
        self,
        call: str,
        ready: Callable[[], bool],
        deadline: float | None,
        *,
        on: MemorySocket | None = None,
        channel: int = READING,
        nonblocking: bool = False,
        partial: int = 0,
    ) -> None:
        """Wait, with the lock held, until ``ready()``; honour the timeout and ``max_block``.

        ``on`` is the socket whose changes wake this call (this one by default), ``channel``
        whether it waits to read or to write. A call that
        already moved ``partial`` bytes returns to its caller at the deadline instead of
        raising, as a real ``send`` returns its short count.
        """
        if ready():
            return
        if nonblocking or self._timeout == 0:
            raise BlockingIOError(errno.EAGAIN, os.strerror(errno.EAGAIN))
        self._waiting.block(
            (on or self)._channels,
            channel,
            ready,
            deadline,
            call=call,
            caller=self,
            partial=bool(partial),
            kernel_timeout=self._timeout is None,
        )


# What the network asks of its sockets, besides the Binding (see _kernel.py) ----------------------


def socket_pair(
    network: MemoryNetwork, family: int | None, type: int, proto: int
) -> tuple[MemorySocket, MemorySocket]:
    """Two sockets of ``network`` connected to each other: :meth:`MemoryNetwork.socketpair`."""
    family = AF_UNIX if family is None else family
    unix = family == AF_UNIX
    make = network.socket_class
    a = make(network, socket.AF_INET if unix else family, type, proto)
    b = make(network, socket.AF_INET if unix else family, type, proto)
    with network.kernel.lock:
        for sock in (a, b):
            if unix:
                sock._family = AF_UNIX
                sock._binding.local = ("", 0)
            else:
                host = LOOPBACK[sock._family]
                sock._binding.local = network.kernel.allocate(host, 0, sock._binding)
        a._link(b)
    return a, b


def close_for_good(sock: MemorySocket) -> None:
    """Close ``sock`` now, its ``makefile`` objects open or not: :meth:`MemoryNetwork.close_all`."""
    with sock._lock:
        sock._io_refs = 0
        sock._close_now()
