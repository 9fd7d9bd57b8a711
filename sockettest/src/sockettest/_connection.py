"""A memory socket as one end of a connection: connect, the bytes through the pipes, half-close,
FIN and RST, and when its port is let go. :class:`_ConnectionCalls` is a mixin of
:class:`~sockettest.MemorySocket` (with :class:`~sockettest._listener._ListenerCalls`, the other
role a socket takes): its state is made by ``_init_connection``, what it takes from the other
parts is declared in ``_socket_parts.py``, and every method but the public calls runs with the
lock held.

A connection is two :class:`Pipe` objects, one per direction, each holding what one side sent
and the other has not read; each side holds the other as its peer.
"""

from __future__ import annotations

import errno
import os
import socket
from types import EllipsisType
from typing import TYPE_CHECKING, Any, NoReturn, cast

from sockettest._addresses import as_family, family_for, unmapped
from sockettest._arguments import (
    bytes_like,
    c_int,
    c_ssize,
    writable_buffer,
)
from sockettest._deadlines import NotModelled
from sockettest._faults import FaultInjector
from sockettest._linux import (
    AF_UNIX,
    LOOPBACK,
    MSG_DONTWAIT,
    MSG_OOB,
    MSG_PEEK,
    MSG_WAITALL,
    RCVTIMEO,
    REUSEADDR,
    SHUT_HOWS,
    SNDTIMEO,
    UNMODELLED_READ_FLAGS,
    UNMODELLED_SEND_FLAGS,
    V6ONLY,
    WILDCARDS,
    os_error,
    payload,
    reset_error,
    unmodelled,
)
from sockettest._simulation.scheduler import THREADS, network_call
from sockettest._socket_parts import _SocketParts
from sockettest._types import Address
from sockettest._waiting import WRITING

if TYPE_CHECKING:
    from sockettest._memory_socket import MemorySocket

__all__ = ["_ConnectionCalls", "Pipe"]


class Pipe:
    """One direction of a connection: bytes one socket wrote that the other has not read."""

    __slots__ = ("data", "eof", "reader_closed", "reset")

    def __init__(self) -> None:
        self.data = bytearray()
        self.eof = False  # the writer shut its write side or closed: EOF once drained
        self.reader_closed = False  # the reader closed: data sent now resets the connection
        self.reset = False  # a fault reset the reader: sends fail at once with EPIPE

    def close_reader(self) -> None:
        """The reading side closed: what is in flight is dropped, and later sends reset."""
        self.reader_closed = True
        self.data.clear()


class _ConnectionCalls(_SocketParts):
    """``connect``, ``recv``, ``send``, ``shutdown`` and ``getpeername``, and the connection's
    state underneath them."""

    def _init_connection(self) -> None:
        self._peer: MemorySocket | None = None
        self._incoming: Pipe | None = None
        self._outgoing: Pipe | None = None
        self._remote: tuple[str, int] | None = None
        self._remote_lost = False  # reset: getpeername raises ENOTCONN
        self._fin_first = False  # sent its FIN before the peer's came: the active closer
        self._connect_unreported = False  # a non-blocking connect has not been confirmed yet
        self._shut_rd = False
        self._shut_wr = False
        self._broken = False  # reset: recv gives b"" once drained, send raises EPIPE
        self._pending_error: OSError | None = None  # raised once by the next recv or send

    def connect(self, address: Address, /) -> None:
        """Connect to a listener; an unbound socket gets a free local port first.

        The connection is made at once (the handshake needs no ``accept``); if the listener's
        backlog is full, this waits for room as a real SYN is retried, up to the timeout.
        Non-blocking, it raises ``EINPROGRESS`` and the socket turns writable (a refusal then
        shows in ``SO_ERROR``); the next ``connect`` confirms, then ``EISCONN``. A non-blocking
        connect joins the listener's queue past a full backlog (Linux retries its SYN instead).

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
            host, port = self._parse(address, "connect")  # before the state, as CPython
            self._check_open()
            self._connect(host, port)

    def connect_ex(self, address: Address, /) -> int:
        """:meth:`connect`, returning the errno instead of raising ``OSError`` (0: connected)."""
        if THREADS:
            network_call("connect_ex", self)
        with self._lock:
            self._enter("connect_ex", (address,), True)
            host, port = self._parse(address, "connect_ex")  # before the state, as CPython
            if self._closed:
                return errno.EBADF
            try:
                self._connect(host, port)
            except socket.gaierror:
                raise
            except TimeoutError:
                return errno.EAGAIN
            except OSError as error:
                return error.errno or errno.EIO
        return 0

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
            TimeoutError: no data within the timeout (or an injected fault).
            BlockingIOError: no data and the socket is non-blocking.
            BlockedTooLong: no timeout and no data within the network's ``max_block``.
            ConnectionResetError: the peer reset the connection, or an injected fault.
            OSError: ``ENOTCONN`` if not connected, ``EBADF`` after close (also waking a
                blocked recv).
            ValueError: a negative ``bufsize``.
        """
        if THREADS:
            network_call("recv", self)
        with self._lock:
            self._enter("recv", (bufsize, flags) if flags else (bufsize,), True)
            bufsize = c_ssize(bufsize)
            if flags or type(flags) is not int:  # the common call has none to take
                flags = c_int(flags)
            if bufsize < 0:
                raise ValueError("negative buffersize in recv")
            if bufsize == 0:
                return b""
            return self._receive(bufsize, flags)

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        """:meth:`recv` into ``buffer`` (``nbytes`` of it; 0: all); return the count. Its
        arguments may be named, as CPython's may (``recv_into(buf, flags=MSG_PEEK)``)."""
        if THREADS:
            network_call("recv_into", self)
        with self._lock:
            self._enter("recv_into", (nbytes, flags) if flags else (nbytes,), True)
            view = writable_buffer(buffer, "recv_into")
            nbytes = c_ssize(nbytes)
            if flags or type(flags) is not int:  # the common call has none to take
                flags = c_int(flags)
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
        waits for room and takes what fits; non-blocking, it takes what fits now. The socket's
        faults' ``send_limit`` shortens it further.

        Raises:
            BrokenPipeError: after this socket's ``SHUT_WR``, after a reset, or on a socket that
                is not connected (``EPIPE``, as on Linux).
            ConnectionResetError: the peer reset the connection, or an injected fault.
            TimeoutError: no room for any of it within the timeout.
            BlockingIOError: no room and the socket is non-blocking.
            BlockedTooLong: no timeout and no room within the network's ``max_block``.
            OSError: ``EBADF`` after close.
        """
        if THREADS:
            network_call("send", self)
        with self._lock:
            self._enter("send", payload(data, flags), True)
            view = bytes_like(data)
            if flags or type(flags) is not int:  # the common call has none to take
                flags = c_int(flags)
            # Released on the way out, error or not: a raised error's frames must not keep the
            # caller's buffer exported (a real socket's C call leaves none behind).
            with view:
                return self._send(view, flags, ..., "send")

    def sendall(self, data: Any, flags: int = 0, /) -> None:
        """Send all of ``data``, calling the same primitive as :meth:`send` until it is taken,
        so short sends and resets that faults inject happen inside it too. The timeout bounds
        the whole call, as in Python 3.5+.

        Raises:
            The errors of :meth:`send`; on a timeout, part of ``data`` may have been sent.
        """
        if THREADS:
            network_call("sendall", self)
        with self._lock:
            self._enter("sendall", payload(data, flags), True)
            view = bytes_like(data)
            if flags or type(flags) is not int:  # the common call has none to take
                flags = c_int(flags)
            # A timeout bounds the whole call; SO_SNDTIMEO bounds each send (see _send).
            deadline = ... if self._timeout is None else self._deadline()
            with view:  # released on the way out, error or not, as each rest below
                total = self._send(view, flags, deadline, "sendall")
                while total < len(view):
                    with view[total:] as rest:
                        total += self._send(rest, flags, deadline, "sendall")

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
                self._shut_listener(reading)
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

    def _gone(self) -> bool:
        """The connection is over for the kernel: reset, or a FIN has gone each way (Linux's
        CLOSED or TIME_WAIT), though the socket is open: ``getpeername`` and ``shutdown``
        raise ``ENOTCONN``."""
        incoming, outgoing = self._incoming, self._outgoing
        return self._remote_lost or (
            incoming is not None and outgoing is not None and incoming.eof and outgoing.eof
        )

    def _can_read(self, incoming: Pipe, want: int = 1) -> bool:
        """Whether a read would not wait: ``want`` bytes have come, or EOF, or a shut read
        side, or a reset, or an error to report."""
        return (
            len(incoming.data) >= want
            or incoming.eof
            or self._shut_rd
            or self._broken
            or self._pending_error is not None
        )

    def _can_write(self, outgoing: Pipe) -> bool:
        """Whether a send would not wait: room in the pipe, or a failure to report at once."""
        return (
            self._shut_wr
            or self._broken
            or outgoing.reader_closed
            or len(outgoing.data) < self._net.buffer_size
        )

    def _link(self, other: MemorySocket) -> None:
        """Join this socket and ``other`` into a connection, each seeing the other as peer."""
        ours, theirs = Pipe(), Pipe()
        self._peer, other._peer = other, cast("MemorySocket", self)
        self._outgoing, other._incoming = ours, ours
        self._incoming, other._outgoing = theirs, theirs
        self._remote, other._remote = other._binding.local, self._binding.local

    def _connect(self, host: str, port: int) -> None:
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

            if not room():
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
        if self._closed:
            raise os_error(errno.EBADF)
        if flags & UNMODELLED_READ_FLAGS:
            raise NotModelled(f"a read with {unmodelled(flags, 'read', self)}")
        incoming = self._incoming
        if incoming is None:
            if self._listening and self._timeout and not self._accept_ready():
                # CPython waits for readiness before it reads, and a listener is readable once
                # a connection waits: until then, or the timeout, nothing is said.
                self._block("recv", self._accept_ready, self._deadline())
                self._check_open()
            elif flags & MSG_OOB and not self._listening:
                raise os_error(errno.EINVAL)  # Linux looks for urgent data before the state
            raise os_error(errno.ENOTCONN)
        if flags & MSG_OOB:
            self._refuse_urgent_read(incoming)
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
            if self._closed:
                raise os_error(errno.EBADF)
        buffered = incoming.data
        if buffered:
            limit = bufsize if injector is None else injector.recv_limit(bufsize)
            if flags & MSG_PEEK:
                return bytes(buffered[:limit])
            if limit >= len(buffered):  # all of it, the common case: one copy, not two
                data = bytes(buffered)
                buffered.clear()
            else:
                data = bytes(buffered[:limit])
                del buffered[:limit]
            if injector is not None:
                injector.after_recv(len(data))
            if self._peer is not None:
                self._peer._notify(reading=False)  # room for a blocked sender
            if self._mirror is not None:
                self._notify(reading=False, writing=False)
            return data
        self._raise_pending()
        return b""

    def _refuse_urgent_read(self, incoming: Pipe) -> NoReturn:
        """A read with ``MSG_OOB``: a memory connection never has urgent data (a send of some
        says it is not modelled), and Linux answers ``EINVAL`` and takes nothing. With a timeout
        CPython first waits for the socket to be readable, as for any read."""
        if self._timeout and not self._can_read(incoming):
            readable = lambda: self._closed or self._can_read(incoming)  # noqa: E731
            self._block("recv", readable, self._deadline())
            self._check_open()
        raise os_error(errno.EINVAL)

    def _send(
        self, view: memoryview, flags: int, deadline: float | EllipsisType | None, call: str
    ) -> int:
        """Take what of ``view`` fits, waiting for room as a send waits until ``deadline``
        (``...``: the one ``SO_SNDTIMEO`` sets from when it first waits, as Linux's)."""
        if self._closed:
            raise os_error(errno.EBADF)
        outgoing = self._outgoing
        if outgoing is None:
            self._refuse_send(call, self._deadline(SNDTIMEO) if deadline is ... else deadline)
        if self._pending_error is not None:
            self._raise_pending()
        if self._shut_wr or self._broken or outgoing.reset:
            if self._so_error == errno.EPIPE:
                self._so_error = 0  # the send reports it
            raise os_error(errno.EPIPE)
        size = len(view)
        if size == 0:
            return 0
        if flags & UNMODELLED_SEND_FLAGS:
            raise NotModelled(f"{call} with {unmodelled(flags, 'send', self)}")
        injector = self._injector
        limit = size if injector is None else self._faulty_send_limit(injector, size)
        peer = self._peer
        if outgoing.reader_closed or (peer is not None and peer._shut_rd and peer._shut_wr):
            return self._send_to_closed(injector, limit)
        buffered = outgoing.data
        if limit > self._net.buffer_size - len(buffered):  # no room for all it may take
            return self._send_waiting(view, limit, flags, deadline, call)
        buffered += view if limit == size else view[:limit]
        if peer is not None:
            peer._notify(writing=False)
        if self._mirror is not None:
            self._notify(reading=False, writing=False)
        if injector is not None:
            injector.after_send(limit)
        return limit

    def _send_waiting(
        self,
        view: memoryview,
        limit: int,
        flags: int,
        deadline: float | EllipsisType | None,
        call: str,
    ) -> int:
        """:meth:`_send` into a pipe without room for all of ``view`` it may take (``limit``
        bytes): take what fits, and wait for room as the socket's mode says."""
        outgoing = self._outgoing
        assert outgoing is not None  # connected: _send checked
        capacity = self._net.buffer_size
        buffered = outgoing.data
        injector, peer = self._injector, self._peer
        taken = 0
        dontwait = bool(flags & MSG_DONTWAIT) and self._timeout is None  # as recv's
        whole = self._timeout is None and not dontwait
        while True:
            if len(buffered) >= capacity:

                def writable() -> bool:
                    return (
                        self._closed or self._pending_error is not None or self._can_write(outgoing)
                    )

                if deadline is ...:
                    deadline = self._deadline(SNDTIMEO)
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
                if len(buffered) >= capacity:  # the deadline came with part taken: the short
                    break  # count, as Linux's
            room = min(limit - taken, capacity - len(buffered))
            buffered += view[taken : taken + room]
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

    def _send_to_closed(self, injector: FaultInjector | None, limit: int) -> int:
        """A send to a peer that closed: Linux takes the bytes, and the peer answers a reset."""
        if injector is not None:
            injector.after_send(limit)
        self._receive_reset()
        self._send_reset()
        return limit

    def _refuse_send(self, call: str, deadline: float | None) -> NoReturn:
        """A send with no connection; a listener with a timeout waits it out first, as Linux's."""
        if self._listening and self._timeout and not self._listen_shut:  # never writable:
            ready = lambda: self._closed or self._listen_shut  # noqa: E731  # it times out
            self._block(call, ready, deadline, channel=WRITING)
            self._check_open()
        raise os_error(errno.EPIPE)

    def _faulty_send_limit(self, injector: FaultInjector, size: int) -> int:
        """What the socket's faults let this send take (or the reset they inject now)."""
        try:
            injector.before_send()
        except ConnectionResetError:
            self._reset_here()
            raise
        return injector.send_limit(size)

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
            if self._mirror is not None:  # poll's POLLERR goes with it
                self._mirror.show(*self._readiness())
            # Break the cycle error -> traceback -> this frame -> error, so that the frames,
            # and the caller's buffer they view, go when the caller drops the error.
            try:
                raise error
            finally:
                del error

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
