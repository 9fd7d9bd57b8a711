"""A TCP socket on an in-memory network: :class:`MemorySocket`, call by call as Linux's.

Every socket belongs to a :class:`~sockettest.MemoryNetwork` (``_network.py``), whose lock it
takes for every call and whose clock measures its timeouts; it reaches the network through the
network's kernel alone (``_kernel.py``, which says what passes between them). This module holds
the class, the state every socket has and the calls that are neither a listener's nor a
connection's; the roles and the rest are mixins, one module each (``_socket_parts.py`` lists
them and what they take from one another).

Rules of the socket's modules:

1. Semantics are Linux's, call by call (errno included), except where :class:`MemorySocket`'s
   docstring says otherwise. The contract (:mod:`sockettest.contract`) and the differential
   fuzzer (tests/stress/test_differential.py) pin them.
2. Every call is recorded (``calls``) before anything else happens, and may be poisoned.
   Then its arguments are taken as CPython takes them (``_arguments.py``), with its errors,
   before a closed socket's ``EBADF``: CPython parses them before the kernel sees the socket.
3. Every wait goes through :meth:`MemorySocket._block`, which hands it to the network's way of
   waiting (``_waiting.py``: real time with ``max_block``, the virtual clock, or the
   simulation); a change of state wakes only the calls it concerns (reading or writing) and
   brings the readiness descriptor up to date.
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
import time
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from sockettest._addresses import format_address
from sockettest._arguments import (
    c_int,
    host_and_port,
)
from sockettest._connection import _ConnectionCalls
from sockettest._deadlines import NotModelled
from sockettest._faults import FaultInjector, Faults
from sockettest._kernel import Binding
from sockettest._linux import (
    AF_UNIX,
    ANY,
    LINGER,
    LOOPBACK,
    TYPE_FLAGS,
    V6ONLY,
    ip_literal,
    os_error,
)
from sockettest._listener import _ListenerCalls
from sockettest._poison import POISONABLE, Outcome, Poisons
from sockettest._rare_calls import _RareCalls
from sockettest._readiness import ReadinessMirror
from sockettest._simulation.scheduler import THREADS, network_call, readiness_changed
from sockettest._socket_options import _OptionCalls
from sockettest._types import Address
from sockettest._waiting import READING, WRITING, Channels

if TYPE_CHECKING:
    from sockettest._network import MemoryNetwork

__all__ = ["MemorySocket", "close_for_good", "socket_pair"]

_REAL_MAKEFILE = socket.socket.makefile  # CPython's own, which builds on recv_into and send
_NONBLOCK = int(getattr(socket, "SOCK_NONBLOCK", 0))


_SOCK_MAX = 11  # Linux's: a type past it (flags aside) is EINVAL
_UNMODELLED_KINDS = {int(socket.SOCK_DGRAM): "SOCK_DGRAM (UDP)", int(socket.SOCK_RAW): "SOCK_RAW"}


class MemorySocket(_ListenerCalls, _ConnectionCalls, _OptionCalls, _RareCalls):
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
    - UDP and raw sockets, ``dup``, ``detach``, ancillary data (``sendmsg``'s ``ancdata``),
      urgent data (a send with ``MSG_OOB``) and the flags ``MSG_TRUNC`` and ``MSG_ERRQUEUE``
      (a read) and ``MSG_FASTOPEN`` (a send) are not modelled: they raise
      :class:`~sockettest.NotModelled`.
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
        kind = type & ~TYPE_FLAGS
        if not 0 <= kind < _SOCK_MAX:  # Linux refuses a type that is none before the family
            raise os_error(errno.EINVAL)
        if family not in ANY:
            raise OSError(
                errno.EAFNOSUPPORT,
                f"{os.strerror(errno.EAFNOSUPPORT)}: the in-memory network carries AF_INET and "
                f"AF_INET6 only, not {family!r}",
            )
        if kind in _UNMODELLED_KINDS:  # Linux makes these: answering otherwise would mislead
            raise NotModelled(
                f"a {_UNMODELLED_KINDS[kind]} socket: the in-memory network carries TCP "
                "(SOCK_STREAM) only"
            )
        if kind != socket.SOCK_STREAM:  # and these Linux's TCP/IP has not either
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
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.accepted_by: MemorySocket | None = None
        self._net = network
        kernel = self._kernel = network.kernel
        self._lock = kernel.lock
        self._waiting = kernel.waiting
        nonblocking = bool(type & _NONBLOCK)
        self._timeout: float | None = 0.0 if nonblocking else socket.getdefaulttimeout()
        self._closed = False  # really closed
        self._close_asked = False  # close() was called; waits for makefile() objects
        self._io_refs = 0  # makefile() objects still open, as socket.socket counts them
        self._port_locked = False  # bound to a port by hand: held until closed, whatever happens
        self._so_error = 0
        self._mirror: ReadinessMirror | None = None
        self._poisons: Poisons | None = None  # made by the first poison()
        self._injector: FaultInjector | None = None
        self._init_listener()
        self._init_connection()
        self._binding = Binding(self, self.options, self._holds_port, self._listens)
        with self._lock:
            self.name = kernel.register(self)
        self._channels: Channels | None = None  # made by the first wait (_waiters)

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
        """The faults injected into this socket; ``None`` for none.

        Setting it starts them afresh: byte and call counts start from zero.
        """
        return None if self._injector is None else self._injector.faults

    @faults.setter
    def faults(self, faults: Faults | None) -> None:
        if faults is not None and not isinstance(faults, Faults):
            raise TypeError(f"faults must be a Faults or None, not {faults!r}")
        with self._lock:
            self._set_faults(faults)

    @property
    def fault_injector(self) -> FaultInjector | None:
        """The faults at work on this socket, with their counts and the list of those that fired."""
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
            if self._poisons is None:
                self._poisons = Poisons(POISONABLE)
            self._poisons.add(method, error, times)

    def cure(self, method: str) -> None:
        """Remove the poison from ``method``, if any."""
        with self._lock:
            if self._poisons is not None:
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
                mirror = ReadinessMirror(self._kernel)
                mirror.show(*self._readiness())
                self._mirror = mirror
            return self._mirror.fileno()

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

    def _check_open(self) -> None:
        if self._closed:
            raise os_error(errno.EBADF)

    def _notify(self, reading: bool = True, writing: bool = True) -> None:
        """Wake this socket's calls that wait to read, or to write, or both, and bring its
        descriptor's readiness up to date (the only effect when neither is asked)."""
        channels = self._channels
        if channels is not None:
            if reading and channels.asleep[READING]:
                self._waiting.wake(channels, READING)
            if writing and channels.asleep[WRITING]:
                self._waiting.wake(channels, WRITING)
        if self._mirror is not None:
            self._mirror.show(*self._readiness())
            if THREADS:
                readiness_changed()
            selecting = self._kernel.selecting
            if selecting.asleep[READING]:
                self._waiting.wake(selecting, READING)

    def _readiness(self) -> tuple[bool, bool, int]:
        """(readable, writable, ends), as ``select`` and ``poll`` would report them for a real
        socket: ``ends`` is 1 once the read side has ended, 2 both sides, 3 with an error
        (:meth:`ReadinessMirror.show`)."""
        if self._listening:
            return bool(self._queue) or self._listen_shut, self._listen_shut, 0  # shut: HUP
        incoming, outgoing = self._incoming, self._outgoing
        if incoming is None or outgoing is None:
            return True, True, 0  # unconnected: Linux reports HUP, which select shows as both
        read_ended = incoming.eof or self._shut_rd or self._broken
        ends = 2 if self._broken or (read_ended and self._shut_wr) else int(read_ended)
        ends += ends == 2 and (self._pending_error is not None or self._so_error != 0)
        if self._so_error:
            return True, True, ends
        return self._can_read(incoming), self._can_write(outgoing), ends

    def _parse(self, address: Address, call: str) -> tuple[str, int]:
        return host_and_port(address, self._family, call, self._resolve)

    def _resolve(self, host: str) -> str:
        if host == "":
            return ANY[self._family]
        literal = ip_literal(host)
        if literal is None:  # a name: CPython hands glibc an ASCII one as it is, not IDNA's
            name = host.encode("ascii") if host.isascii() else host
            return str(self._net.hosts.getaddrinfo(name, None, self._family)[0][4][0])
        literal_family, text = literal
        if literal_family != self._family:
            code = getattr(socket, "EAI_ADDRFAMILY", socket.EAI_FAMILY)
            raise socket.gaierror(code, "Address family for hostname not supported")
        return text

    def _address(self, address: tuple[str, int]) -> Address:
        return address if self._family == socket.AF_INET else (*address, 0, 0)

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
            incoming.close_reader()
        channels = self._channels
        for channel in (READING, WRITING):
            if channels is not None and channels.asleep[channel]:
                channels.wake_all(channel)
        kernel.any_closed.notify_all()
        if peer is not None:
            peer._notify()
        if self._mirror is not None:
            self._mirror.close()
            self._mirror = None
            if kernel.selecting.asleep[READING]:  # its select sees the descriptor go
                self._waiting.wake(kernel.selecting, READING)

    def _waiters(self) -> Channels:
        """Where this socket's calls wait, made on the first wait: most sockets never wait,
        and a socket is made for every connection."""
        if self._channels is None:
            self._channels = Channels(self._lock, self.name)
        return self._channels

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
        """Wait, with the lock held, until ``ready()``, which the caller has just found false,
        as the network waits (``_waiting.py``); a non-blocking call raises ``EAGAIN`` instead.

        ``on`` is the socket whose changes wake this call (this one by default), ``channel``
        whether it waits to read or to write. A call that already moved ``partial`` bytes
        returns to its caller at the deadline instead of raising, as a real ``send`` returns its
        short count.
        """
        if nonblocking or self._timeout == 0:
            raise BlockingIOError(errno.EAGAIN, os.strerror(errno.EAGAIN))
        target = on or self
        self._waiting.block(
            target._channels or target._waiters(),
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
