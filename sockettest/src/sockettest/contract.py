"""The socket contract: one set of checks that a real socket passes, and so must a fake.

A fake socket is only worth its speed if it behaves like the real thing where your code can
tell. Each check here is a plain function that takes a socket factory (``factory(family, type)``,
the hook through which code under test makes its sockets), makes its own sockets on
``127.0.0.1``, and raises :class:`AssertionError` when the behaviour differs from a TCP socket on
Linux. Run the same checks on :class:`socket.socket` over loopback and on your fake: a fake that
passes them all is a *verified* fake. It is trio's ``check_two_way_stream`` idea, for the plain
blocking socket API::

    import pytest

    from sockettest import MemoryNetwork
    from sockettest.contract import CHECKS, check_id

    @pytest.mark.parametrize("check", CHECKS, ids=check_id)
    def test_contract(check):
        network = MemoryNetwork()
        check(network.socket_factory)
        network.assert_all_closed()

and the reference run, on real sockets over loopback::

    @pytest.mark.parametrize("check", CHECKS, ids=check_id)
    def test_contract_on_loopback(check):
        check(socket.socket)

For a quick verdict outside a test suite, :func:`check_socket_contract` runs them all, each on a
fresh factory: ``check_socket_contract(lambda: MemoryNetwork().socket_factory)``.

What the checks cover: addresses, connecting and accepting, byte streams, EOF and half-close,
resets (``SO_LINGER``, unread data, data sent to a shut socket) and the errors that follow them,
timeouts and non-blocking mode, non-blocking connect, readiness through :func:`select.select`
and :mod:`selectors`, :meth:`~socket.socket.makefile`, ``recv_into`` and ``MSG_PEEK``, a full
listen backlog, bounded send buffers, socket options, a dual-stack IPv6 listener, the calls
real code makes less often (``recvfrom``, ``recvmsg``, ``sendto``, ``sendmsg``, ``sendfile``,
the inheritable flag), and :data:`WRONG_CALLS`: wrong arguments and the exception (type and
errno) Linux answers each with, at once.

Rules of this module:

1. A check cleans up after itself, pass or fail: every socket it made is closed and every thread
   it started is joined within :data:`JOIN_DEADLINE` (a thread still alive fails the check).
2. A check never hangs: every socket it makes gets a timeout of :data:`TIMEOUT` seconds, so a
   fake that forgets to wake a call fails with a message instead of stalling the suite.
3. A check asserts only what Linux guarantees on loopback, never the timing or the exact way
   bytes are split, so it passes on a loaded machine and fails on a fake that is wrong. Where
   Linux needs a moment (a reset travelling back), a check polls with a deadline, never sleeps
   a fixed time and asserts.
4. No dependency beyond the standard library: not even pytest. The package imports nothing from
   the code it tests.
"""

from __future__ import annotations

import errno
import functools
import io
import math
import select
import selectors
import socket
import struct
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import partial
from types import TracebackType
from typing import Any, BinaryIO, Literal, Protocol, TypeAlias, TypeVar, cast, overload

__all__ = [
    "CHECKS",
    "HOST",
    "JOIN_DEADLINE",
    "SHORT",
    "TIMEOUT",
    "Check",
    "StreamSocket",
    "StreamSocketFactory",
    "WRONG_CALLS",
    "WrongCall",
    "check_id",
    "check_socket_contract",
]

HOST = "127.0.0.1"
"""Where every check binds and connects."""

TIMEOUT = 2.0
"""The timeout every socket a check makes gets: a broken fake fails within it, never hangs."""

SHORT = 0.02
"""The timeout of the checks that expect a timeout, and how long a check lets a thread block."""

JOIN_DEADLINE = 2.0
"""Seconds a check waits for each thread it started; a thread still alive fails the check."""

_FILL_LIMIT = 64 << 20
"""Bytes a check sends to a peer that never reads before it calls the send buffer unbounded."""

_LINGER_RESET = struct.pack("ii", 1, 0)
"""``SO_LINGER`` on, timeout 0: ``close`` then resets the connection instead of closing it."""

_Address: TypeAlias = tuple[Any, ...]
"""A socket address: ``(host, port)`` for IPv4, ``(host, port, flowinfo, scope_id)`` for IPv6."""

_T = TypeVar("_T")


class StreamSocket(Protocol):
    """Every method the checks call on a socket: :class:`socket.socket` is one, and so must a
    fake be. ``makefile`` lists only the modes the checks use."""

    def __enter__(self) -> Any: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
        /,
    ) -> Any: ...
    def fileno(self) -> int: ...
    def setsockopt(self, level: int, option: int, value: int | bytes, /) -> None: ...
    def getsockopt(self, level: int, option: int, /) -> int: ...
    def bind(self, address: _Address, /) -> None: ...
    def listen(self, backlog: int, /) -> None: ...
    def accept(self) -> tuple[StreamSocket, Any]: ...
    def getsockname(self) -> Any: ...
    def getpeername(self) -> Any: ...
    def connect(self, address: _Address, /) -> None: ...
    def connect_ex(self, address: _Address, /) -> int: ...
    def settimeout(self, timeout: float | None, /) -> None: ...
    def gettimeout(self) -> float | None: ...
    def setblocking(self, flag: bool, /) -> None: ...
    def recv(self, bufsize: int, flags: int = 0, /) -> bytes: ...
    def recv_into(self, buffer: bytearray | memoryview, nbytes: int = 0, /) -> int: ...
    def send(self, data: bytes, flags: int = 0, /) -> int: ...
    def sendall(self, data: bytes, flags: int = 0, /) -> None: ...
    # The overloads in typeshed's order: a class's overloads match a protocol's only in order.
    @overload
    def makefile(self, mode: Literal["wb"], /, buffering: Literal[0]) -> io.RawIOBase: ...
    @overload
    def makefile(self, mode: Literal["rwb"], /) -> io.BufferedIOBase: ...
    @overload
    def makefile(self, mode: Literal["rb"], /) -> io.BufferedIOBase: ...
    @overload
    def makefile(self, mode: Literal["r"], /, *, encoding: str) -> io.TextIOBase: ...
    def shutdown(self, how: int, /) -> None: ...
    def close(self) -> None: ...
    def recvfrom(self, bufsize: int, flags: int = 0, /) -> tuple[bytes, Any]: ...
    def recvfrom_into(
        self, buffer: bytearray | memoryview, nbytes: int = 0, flags: int = 0, /
    ) -> tuple[int, Any]: ...
    def recvmsg(
        self, bufsize: int, ancbufsize: int = 0, flags: int = 0, /
    ) -> tuple[bytes, list[Any], int, Any]: ...
    def recvmsg_into(
        self, buffers: Iterable[bytearray | memoryview], ancbufsize: int = 0, flags: int = 0, /
    ) -> tuple[int, list[Any], int, Any]: ...
    @overload
    def sendto(self, data: bytes, address: _Address, /) -> int: ...
    @overload
    def sendto(self, data: bytes, flags: int, address: _Address, /) -> int: ...
    def sendmsg(self, buffers: Iterable[bytes | bytearray | memoryview], /) -> int: ...
    def sendfile(self, file: BinaryIO, offset: int = 0, count: int | None = None) -> int: ...
    def get_inheritable(self) -> bool: ...
    def set_inheritable(self, inheritable: bool, /) -> None: ...


class StreamSocketFactory(Protocol):
    """Makes a :class:`StreamSocket`, called as ``factory(family, socket.SOCK_STREAM)``."""

    def __call__(self, family: int, type: int, /) -> StreamSocket: ...


Check = Callable[[StreamSocketFactory], None]
"""A contract check: takes a factory; returns if its sockets behave, else raises AssertionError."""

_registered: list[Check] = []


def _check(check: Check) -> Check:
    """Register ``check`` in :data:`CHECKS`, where it is defined: the run order is the order of
    the definitions, and a check cannot be written and left out of the list."""
    _registered.append(check)
    return check


class _Result:
    """What a function run in a helper thread returned or raised."""

    def __init__(self) -> None:
        self.value: object = None
        self.error: BaseException | None = None


class _Harness:
    """Makes a check's sockets and threads, and cleans up after it whatever happens."""

    def __init__(self, factory: StreamSocketFactory, name: str) -> None:
        self.factory = factory
        self.name = name
        self.sockets: list[StreamSocket] = []
        self.threads: list[threading.Thread] = []

    def socket(self, family: int = socket.AF_INET) -> StreamSocket:
        sock = self.factory(family, socket.SOCK_STREAM)
        self.sockets.append(sock)
        sock.settimeout(TIMEOUT)
        return sock

    def listener(self, backlog: int = 8) -> tuple[StreamSocket, tuple[str, int]]:
        sock = self.socket()
        sock.bind((HOST, 0))
        sock.listen(backlog)
        host, port = sock.getsockname()[:2]
        return sock, (host, port)

    def accept(self, listener: StreamSocket) -> tuple[StreamSocket, Any]:
        """``listener.accept()``; the accepted socket is cleaned up and gets :data:`TIMEOUT`."""
        server, peer = _timely(listener.accept, "accept")
        self.sockets.append(server)
        server.settimeout(TIMEOUT)
        return server, peer

    def pair(self) -> tuple[StreamSocket, StreamSocket]:
        """A connected (client, server) pair; the listener is closed at once."""
        listener, address = self.listener()
        client = self.socket()
        client.connect(address)
        server, _ = self.accept(listener)
        listener.close()
        return client, server

    def thread(self, target: Callable[[], object], role: str) -> tuple[threading.Thread, _Result]:
        result = _Result()

        def run() -> None:
            try:
                result.value = target()
            except BaseException as error:  # reported by the check that reads the result
                result.error = error

        thread = threading.Thread(target=run, name=f"contract-{self.name}-{role}", daemon=True)
        self.threads.append(thread)
        thread.start()
        return thread, result

    def join(self, thread: threading.Thread) -> None:
        thread.join(JOIN_DEADLINE)
        if thread.is_alive():
            raise AssertionError(f"thread {thread.name} did not exit within {JOIN_DEADLINE} s")

    def cleanup(self) -> None:
        for sock in reversed(self.sockets):
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes a thread still blocked on it
            sock.close()
        for thread in self.threads:
            self.join(thread)


@contextmanager
def _harness(factory: StreamSocketFactory, name: str) -> Iterator[_Harness]:
    harness = _Harness(factory, name)
    try:
        yield harness
    finally:
        harness.cleanup()


def _expect(kind: type[BaseException], call: Callable[[], object], what: str) -> BaseException:
    """Call ``call``; fail unless it raises ``kind``. Returns the exception."""
    try:
        value = call()
    except kind as error:
        return error
    except Exception as error:
        raise AssertionError(f"{what}: expected {kind.__name__}, got {error!r}") from error
    raise AssertionError(f"{what}: expected {kind.__name__}, but it returned {value!r}")


def _expect_errno(code: int, call: Callable[[], object], what: str) -> None:
    error = _expect(OSError, call, what)
    assert isinstance(error, OSError)
    assert error.errno == code, f"{what}: expected errno {errno.errorcode[code]}, got {error!r}"


def _expect_os_error(kind: type[OSError], code: int, call: Callable[[], object], what: str) -> None:
    """Fail unless ``call`` raises ``kind`` with errno ``code``."""
    error = _expect(kind, call, what)
    assert isinstance(error, OSError)
    assert error.errno == code, f"{what}: expected errno {errno.errorcode[code]}, got {error!r}"


def _timely(call: Callable[[], _T], what: str) -> _T:
    """``call()``, with a timeout turned into a failure that says what was awaited."""
    try:
        return call()
    except TimeoutError:
        raise AssertionError(f"{what}: timed out") from None


def _recv(sock: StreamSocket, bufsize: int, what: str) -> bytes:
    """``recv`` that turns a timeout into a failure that says what was awaited."""
    try:
        data = sock.recv(bufsize)
    except TimeoutError:
        raise AssertionError(f"{what}: recv timed out after {sock.gettimeout()} s") from None
    assert len(data) <= bufsize, f"{what}: recv({bufsize}) returned {len(data)} bytes"
    return data


def _recv_exactly(sock: StreamSocket, size: int, what: str, bufsize: int = 4096) -> bytes:
    chunks: list[bytes] = []
    received = 0
    while received < size:
        data = _recv(sock, min(bufsize, size - received), what)
        assert data, f"{what}: EOF after {received} of {size} bytes"
        chunks.append(data)
        received += len(data)
    return b"".join(chunks)


def _expect_eof(sock: StreamSocket, what: str) -> None:
    data = _recv(sock, 1024, what)
    assert data == b"", f"{what}: expected EOF (b''), got {data!r}"


def _wait_until_blocked() -> None:
    """Give a helper thread time to enter its blocking call. The check passes either way;
    this only makes it likely that it tests a *blocked* call being woken."""
    time.sleep(SHORT)


def _readable(sock: StreamSocket, timeout: float) -> bool:
    """Whether ``select`` reports ``sock`` readable within ``timeout`` seconds."""
    readable, _, _ = select.select([sock], [], [], timeout)
    return bool(readable)


def _writable(sock: StreamSocket, timeout: float) -> bool:
    """Whether ``select`` reports ``sock`` writable within ``timeout`` seconds."""
    _, writable, _ = select.select([], [sock], [], timeout)
    return bool(writable)


def _send_until_blocked(sock: StreamSocket, what: str) -> int:
    """Send on a non-blocking ``sock`` until BlockingIOError; return how many bytes it took.
    Fails if it takes more than :data:`_FILL_LIMIT`: the send path is unbounded."""
    chunk = bytes(65536)
    sent = 0
    while sent < _FILL_LIMIT:
        try:
            sent += sock.send(chunk)
        except BlockingIOError:
            return sent
    raise AssertionError(f"{what}: {sent} bytes to a peer that never reads, and send never blocks")


def _fill_send_path(sock: StreamSocket, writable: Callable[[], bool], what: str) -> int:
    """Fill a non-blocking ``sock``'s send path until ``writable()`` says no; return the bytes
    sent. Right after the first BlockingIOError Linux may still report writable while the
    peer's receive window takes the last bytes; refilling closes it."""
    sent = 0
    for _ in range(5):
        sent += _send_until_blocked(sock, what)
        if not writable():
            return sent
    raise AssertionError(f"{what}: still writable after send blocked ({sent} bytes sent)")


def _send_until_error(sock: StreamSocket, what: str) -> OSError:
    """Send a byte at a time until a send fails, and return its error. Linux accepts sends
    until the reset that the first one provokes comes back; on loopback that is at once, so
    a few tries with short pauses suffice."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        try:
            sock.send(b"x")
        except OSError as error:
            return error
        time.sleep(SHORT / 4)
    raise AssertionError(f"{what}: send kept succeeding for {TIMEOUT} s")


def _wait_until_reset(sock: StreamSocket, what: str) -> None:
    """Wait until ``sock`` has taken its peer's reset: ``getpeername`` raises ENOTCONN (it does
    not consume the pending error, as ``recv`` and ``send`` would)."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        try:
            sock.getpeername()
        except OSError as error:
            if error.errno != errno.ENOTCONN:
                raise AssertionError(f"{what}: getpeername raised {error!r}") from error
            return
        time.sleep(SHORT / 4)
    raise AssertionError(f"{what}: getpeername still answers {TIMEOUT} s after the reset")


def _linger_reset(sock: StreamSocket) -> None:
    """Close ``sock`` with ``SO_LINGER`` (1, 0): the connection is reset, not closed."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
    sock.close()


# The checks ------------------------------------------------------------------------------------


@_check
def check_bind_port_zero_assigns_a_port(factory: StreamSocketFactory) -> None:
    """``bind((host, 0))`` picks a real port, which ``getsockname()`` reports."""
    with _harness(factory, "bind_port_zero") as h:
        sock = h.socket()
        assert sock.getsockname()[1] == 0, "an unbound socket's port should be 0"
        sock.bind((HOST, 0))
        host, port = sock.getsockname()[:2]
        assert host == HOST, f"bound to {HOST}, getsockname() says {host!r}"
        assert 0 < port < 65536, f"bind to port 0 gave port {port!r}"


@_check
def check_bind_address_in_use_fails(factory: StreamSocketFactory) -> None:
    """Binding the address a listener holds raises ``EADDRINUSE``, even with SO_REUSEADDR."""
    with _harness(factory, "bind_in_use") as h:
        _, address = h.listener()
        second = h.socket()
        second.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        _expect_errno(errno.EADDRINUSE, lambda: second.bind(address), "bind to a used address")


def _bind_error(factory: StreamSocketFactory, address: _Address, reuse: bool) -> int | None:
    """The errno of binding a fresh socket (``SO_REUSEADDR`` set or not) to ``address``; ``None``
    if it binds. The socket is closed at once."""
    sock = factory(socket.AF_INET6 if ":" in address[0] else socket.AF_INET, socket.SOCK_STREAM)
    try:
        if reuse:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as error:
        return error.errno
    finally:
        sock.close()
    return None


def _expect_bind(
    factory: StreamSocketFactory, address: _Address, reuse: bool, code: int | None, what: str
) -> None:
    found = _bind_error(factory, address, reuse)
    name = "SO_REUSEADDR" if reuse else "no SO_REUSEADDR"
    expected, got = (errno.errorcode[c] if c else "success" for c in (code, found))
    assert found == code, f"{what}, bind with {name}: expected {expected}, got {got}"


def _connection_closed_by(
    h: _Harness, first: Literal["server", "client"], reuse: bool
) -> tuple[tuple[str, int], tuple[str, int]]:
    """Make a connection on a listener (``SO_REUSEADDR`` set or not), close the listener, then
    close the ``first`` side and then the other; return (listener address, client address)."""
    listener = h.socket()
    if reuse:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((HOST, 0))
    listener.listen(8)
    address = listener.getsockname()[:2]
    client = h.socket()
    client.connect(address)
    server, _ = h.accept(listener)
    client_address = client.getsockname()[:2]
    listener.close()
    for sock in (server, client) if first == "server" else (client, server):
        sock.close()
    return address, client_address


@_check
def check_active_close_holds_the_address_in_time_wait(factory: StreamSocketFactory) -> None:
    """The side that closes a connection first holds its address afterwards (TIME_WAIT): when
    the server's side closed first, binding the server's port fails with ``EADDRINUSE``, also
    with ``SO_REUSEADDR`` unless the old listener had it too; the client's port is free. When
    the client closed first, its port is held and the server's is free again."""
    with _harness(factory, "time_wait") as h:
        port, client_port = _connection_closed_by(h, "server", reuse=False)
        what = "the port of a server whose side closed first"
        _expect_bind(factory, port, False, errno.EADDRINUSE, what)
        _expect_bind(factory, port, True, errno.EADDRINUSE, f"{what} without SO_REUSEADDR")
        _wait_for_the_last_ack(factory, client_port)
        _expect_bind(factory, client_port, False, None, "the port of a client that closed last")

        port, _ = _connection_closed_by(h, "server", reuse=True)
        what = "the port of a SO_REUSEADDR server whose side closed first"
        _expect_bind(factory, port, False, errno.EADDRINUSE, what)
        _expect_bind(factory, port, True, None, what)

        port, client_port = _connection_closed_by(h, "client", reuse=False)
        _expect_bind(factory, client_port, False, errno.EADDRINUSE, "a client port, closed first")
        _wait_for_the_last_ack(factory, port)
        _expect_bind(factory, port, False, None, "the port of a server whose client closed first")


def _wait_for_the_last_ack(factory: StreamSocketFactory, address: _Address) -> None:
    """Wait, up to ``TIMEOUT``, until ``address`` binds: the side that closed last holds it
    (LAST_ACK) until the final ACK of the side that closed first arrives, which on loopback may
    still be on its way; a fake that holds it for good still fails the bind that follows."""
    deadline = time.monotonic() + TIMEOUT
    while _bind_error(factory, address, False) is not None and time.monotonic() < deadline:
        time.sleep(SHORT / 4)


@_check
def check_open_connection_holds_the_listener_port(factory: StreamSocketFactory) -> None:
    """An accepted connection holds the listener's port after the listener closes: a new bind
    there fails with ``EADDRINUSE`` unless both it and the old listener set ``SO_REUSEADDR``."""
    with _harness(factory, "accepted_holds") as h:
        for reuse in (False, True):
            listener = h.socket()
            if reuse:
                listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((HOST, 0))
            listener.listen(8)
            address = listener.getsockname()[:2]
            h.socket().connect(address)
            h.accept(listener)
            listener.close()
            what = f"the port of a closed listener (SO_REUSEADDR {int(reuse)}) with a connection"
            _expect_bind(factory, address, False, errno.EADDRINUSE, what)
            _expect_bind(factory, address, True, None if reuse else errno.EADDRINUSE, what)


@_check
def check_reuseaddr_lets_two_sockets_bind_but_one_listen(factory: StreamSocketFactory) -> None:
    """Two sockets with ``SO_REUSEADDR`` may bind one address while neither listens; a third
    without it may not; once one listens, the other's ``listen`` fails with ``EADDRINUSE``."""
    with _harness(factory, "reuse_two_binds") as h:
        first, second = h.socket(), h.socket()
        for sock in (first, second):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        first.bind((HOST, 0))
        address = first.getsockname()[:2]
        second.bind(address)
        assert second.getsockname()[:2] == address
        _expect_bind(factory, address, False, errno.EADDRINUSE, "an address two sockets share")
        first.listen(8)
        _expect_errno(errno.EADDRINUSE, lambda: second.listen(8), "a second listen")
        _expect_bind(factory, address, True, errno.EADDRINUSE, "an address a socket listens on")


_BIND_ANSWERS: tuple[tuple[str, int | None], ...] = (
    ("192.0.2.1", errno.EADDRNOTAVAIL),  # a documentation address: no host has it
    ("127.0.0.2", None),  # all of 127.0.0.0/8 is loopback
    ("224.0.0.1", None),  # Linux lets TCP bind an IPv4 multicast address...
    ("255.255.255.255", None),  # ...and the broadcast one
    ("::2", errno.EADDRNOTAVAIL),
    ("::ffff:127.0.0.2", None),  # IPv4-mapped: the IPv4 address's answer
    ("::ffff:192.0.2.1", errno.EADDRNOTAVAIL),
    ("fe80::1", errno.EINVAL),  # link-local: needs a scope id
    ("ff02::1", errno.EINVAL),  # IPv6 multicast
)
"""Addresses and what Linux's ``bind`` answers for each: ``None`` when it binds."""


@_check
def check_bind_to_an_address_not_local_fails(factory: StreamSocketFactory) -> None:
    """``bind`` to an address this host does not have raises ``EADDRNOTAVAIL``, as each entry
    of ``_BIND_ANSWERS`` says (IPv6 ones where the host has IPv6); an ``IPV6_V6ONLY``
    socket cannot bind an IPv4-mapped address (``EINVAL``)."""
    with _harness(factory, "not_local") as h:
        try:
            h.socket(socket.AF_INET6).close()
        except OSError as error:
            if error.errno not in (errno.EAFNOSUPPORT, errno.EPROTONOSUPPORT):
                raise
            ipv6 = False  # no IPv6 on this host: its entries are not checked
        else:
            ipv6 = True
        for host, code in _BIND_ANSWERS:
            if ":" not in host or ipv6:
                _expect_bind(factory, (host, 0), False, code, f"bind {host}")
        if ipv6:
            only6 = h.socket(socket.AF_INET6)
            only6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            bind = functools.partial(only6.bind, ("::ffff:127.0.0.1", 0))
            _expect_errno(errno.EINVAL, bind, "IPV6_V6ONLY bind to an IPv4-mapped address")


@_check
def check_wildcards_of_both_families_share_a_port_unless_v6only(
    factory: StreamSocketFactory,
) -> None:
    """``0.0.0.0:p`` and ``[::]:p`` collide (``EADDRINUSE``) unless the IPv6 socket is
    ``IPV6_V6ONLY``; ``[::1]:p`` beside ``0.0.0.0:p`` never does."""
    with _harness(factory, "wildcards") as h:
        try:
            h.socket(socket.AF_INET6).close()
        except OSError as error:
            if error.errno in (errno.EAFNOSUPPORT, errno.EPROTONOSUPPORT):
                return  # no IPv6 on this host: there is nothing to check
            raise
        ipv4 = h.socket()
        ipv4.bind(("0.0.0.0", 0))
        port = ipv4.getsockname()[1]
        _expect_bind(factory, ("::", port), False, errno.EADDRINUSE, "[::] beside 0.0.0.0")
        _expect_bind(factory, ("::1", port), False, None, "[::1] beside 0.0.0.0")
        only6 = h.socket(socket.AF_INET6)
        only6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        only6.bind(("::", port))
        assert only6.getsockname()[1] == port


@_check
def check_connect_refused_where_nothing_listens(factory: StreamSocketFactory) -> None:
    """``connect`` to a bound port with no listener raises ConnectionRefusedError."""
    with _harness(factory, "refused") as h:
        bound = h.socket()
        bound.bind((HOST, 0))  # holds the port so nothing else can listen there
        client = h.socket()
        _expect(
            ConnectionRefusedError,
            lambda: client.connect(bound.getsockname()),
            "connect where nothing listens",
        )


@_check
def check_accept_returns_connected_socket(factory: StreamSocketFactory) -> None:
    """``accept`` returns a connected socket and the client's address; both ends agree on the
    addresses; the accepted socket blocks (timeout ``None``) whatever the listener's timeout."""
    with _harness(factory, "accept") as h:
        listener, address = h.listener()
        client = h.socket()
        client.connect(address)
        server, peer = listener.accept()
        h.sockets.append(server)
        assert peer[:2] == client.getsockname()[:2], (
            f"accept() says the peer is {peer!r}, the client is {client.getsockname()!r}"
        )
        assert server.getpeername()[:2] == client.getsockname()[:2]
        assert client.getpeername()[:2] == address
        assert server.getsockname()[:2] == address
        assert server.gettimeout() is None, (
            f"an accepted socket should block, its timeout is {server.gettimeout()!r}"
        )
        server.settimeout(TIMEOUT)
        client.sendall(b"ping")
        assert _recv_exactly(server, 4, "accepted socket") == b"ping"


@_check
def check_accept_is_first_in_first_out(factory: StreamSocketFactory) -> None:
    """``accept`` hands out waiting connections in the order they were made (the backlog is a
    queue), each with its own client's address."""
    with _harness(factory, "accept_fifo") as h:
        listener, address = h.listener()
        clients = [h.socket() for _ in range(3)]
        for client in clients:
            client.connect(address)
        peers = [h.accept(listener)[1][:2] for _ in clients]
        made = [client.getsockname()[:2] for client in clients]
        assert peers == made, f"accept() gave the peers {peers!r}; they connected as {made!r}"


@_check
def check_bytes_arrive_in_order(factory: StreamSocketFactory) -> None:
    """Many small sends arrive complete and in order, in both directions."""
    with _harness(factory, "order") as h:
        client, server = h.pair()
        messages = [f"message {i}\n".encode() for i in range(50)]
        expected = b"".join(messages)
        for sender, receiver in ((client, server), (server, client)):
            for message in messages:
                sender.sendall(message)
            received = _recv_exactly(receiver, len(expected), "ordered bytes", bufsize=100)
            assert received == expected, "bytes arrived out of order or changed"


@_check
def check_recv_returns_at_most_bufsize(factory: StreamSocketFactory) -> None:
    """``recv(n)`` never returns more than ``n`` bytes, and what it leaves stays for the next."""
    with _harness(factory, "partial_reads") as h:
        client, server = h.pair()
        client.sendall(b"abcdefghij" * 10)
        assert _recv(server, 1, "recv(1)") == b"a"
        assert _recv(server, 3, "recv(3)") == b"bcd"
        rest = _recv_exactly(server, 96, "the rest", bufsize=7)
        assert rest == (b"abcdefghij" * 10)[4:]


@_check
def check_big_send_arrives_complete(factory: StreamSocketFactory) -> None:
    """A ``sendall`` far bigger than any ``recv`` arrives complete, across many reads."""
    data = bytes(range(256)) * 1024  # 256 KiB: may exceed the kernel's buffers, so a thread
    with _harness(factory, "big_send") as h:
        client, server = h.pair()
        thread, result = h.thread(lambda: client.sendall(data), "sender")
        received = _recv_exactly(server, len(data), "big send", bufsize=65536)
        h.join(thread)
        assert result.error is None, f"sendall failed: {result.error!r}"
        assert received == data, "a big send arrived changed"


@_check
def check_blocked_recv_wakes_on_data(factory: StreamSocketFactory) -> None:
    """A ``recv`` blocked in another thread returns the data as soon as it is sent."""
    with _harness(factory, "wake_on_data") as h:
        client, server = h.pair()
        thread, result = h.thread(lambda: server.recv(100), "reader")
        _wait_until_blocked()
        client.sendall(b"hello")
        h.join(thread)
        assert result.error is None, f"blocked recv failed: {result.error!r}"
        assert result.value == b"hello", f"blocked recv returned {result.value!r}"


@_check
def check_eof_after_peer_close(factory: StreamSocketFactory) -> None:
    """After the peer closes, ``recv`` returns what it sent, then ``b""``, and ``b""`` again."""
    with _harness(factory, "eof_after_close") as h:
        client, server = h.pair()
        client.sendall(b"last words")
        client.close()
        assert _recv_exactly(server, 10, "data before close") == b"last words"
        _expect_eof(server, "recv after the peer closed")
        _expect_eof(server, "a second recv after the peer closed")


@_check
def check_eof_after_peer_shut_wr_other_direction_works(factory: StreamSocketFactory) -> None:
    """Half-close: after the peer's ``shutdown(SHUT_WR)`` this side reads EOF, and can still
    send to the peer, which can still read."""
    with _harness(factory, "half_close") as h:
        client, server = h.pair()
        client.sendall(b"request")
        client.shutdown(socket.SHUT_WR)
        assert _recv_exactly(server, 7, "data before SHUT_WR") == b"request"
        _expect_eof(server, "recv after the peer's SHUT_WR")
        server.sendall(b"response")
        assert _recv_exactly(client, 8, "the other direction after SHUT_WR") == b"response"
        server.close()
        _expect_eof(client, "recv after the peer closed")


@_check
def check_own_shut_rd_gives_eof(factory: StreamSocketFactory) -> None:
    """After this socket's ``shutdown(SHUT_RD)``, ``recv`` with nothing pending returns ``b""``
    at once, and sending still works."""
    with _harness(factory, "shut_rd") as h:
        client, server = h.pair()
        server.shutdown(socket.SHUT_RD)
        _expect_eof(server, "recv after own SHUT_RD")
        server.sendall(b"still sending")
        assert _recv_exactly(client, 13, "send after own SHUT_RD") == b"still sending"


@_check
def check_send_after_shut_wr_raises_broken_pipe(factory: StreamSocketFactory) -> None:
    """After this socket's ``shutdown(SHUT_WR)``, ``send`` raises BrokenPipeError."""
    with _harness(factory, "send_after_shut_wr") as h:
        client, _ = h.pair()
        client.shutdown(socket.SHUT_WR)
        _expect(BrokenPipeError, lambda: client.send(b"x"), "send after own SHUT_WR")
        _expect(BrokenPipeError, lambda: client.sendall(b"x"), "sendall after own SHUT_WR")


@_check
def check_send_to_closed_peer_fails(factory: StreamSocketFactory) -> None:
    """Sending to a peer that closed fails with BrokenPipeError or ConnectionResetError within a
    few sends (Linux takes the first one, then learns of the close)."""
    with _harness(factory, "send_to_closed_peer") as h:
        client, server = h.pair()
        server.close()
        for _ in range(20):
            try:
                client.send(b"x")
            except (BrokenPipeError, ConnectionResetError):
                return
            time.sleep(SHORT / 4)
        raise AssertionError("send to a closed peer kept succeeding")


@_check
def check_close_with_unread_data_resets_peer(factory: StreamSocketFactory) -> None:
    """Closing with unread data resets the connection: the peer first reads what was sent to it,
    then gets ConnectionResetError, then EOF."""
    with _harness(factory, "close_unread") as h:
        client, server = h.pair()
        server.sendall(b"goodbye")
        client.sendall(b"never read")
        _ = _recv_exactly(server, 1, "a byte, so the rest has surely arrived")
        server.close()
        assert _recv_exactly(client, 7, "data sent before the reset") == b"goodbye"
        _expect(ConnectionResetError, lambda: client.recv(100), "recv after the peer's reset")
        _expect_eof(client, "recv after the reset was reported")


@_check
def check_recv_timeout_raises_timeout_error(factory: StreamSocketFactory) -> None:
    """With a timeout and no data, ``recv`` raises TimeoutError after about that long; the
    socket still works afterwards."""
    with _harness(factory, "recv_timeout") as h:
        client, server = h.pair()
        server.settimeout(SHORT)
        started = time.monotonic()
        _expect(TimeoutError, lambda: server.recv(100), "recv with a timeout and no data")
        waited = time.monotonic() - started
        assert waited >= SHORT * 0.5, f"timed out after {waited:.3f} s, not {SHORT} s"
        server.settimeout(TIMEOUT)
        client.sendall(b"late")
        assert _recv_exactly(server, 4, "recv after a timeout") == b"late"


@_check
def check_accept_timeout_raises_timeout_error(factory: StreamSocketFactory) -> None:
    """With a timeout and no connection, ``accept`` raises TimeoutError."""
    with _harness(factory, "accept_timeout") as h:
        listener, _ = h.listener()
        listener.settimeout(SHORT)
        _expect(TimeoutError, listener.accept, "accept with a timeout and no connection")


@_check
def check_zero_timeout_never_blocks(factory: StreamSocketFactory) -> None:
    """With timeout 0, ``recv`` and ``accept`` that would block raise BlockingIOError."""
    with _harness(factory, "zero_timeout") as h:
        client, server = h.pair()
        server.settimeout(0)
        _expect(BlockingIOError, lambda: server.recv(10), "recv with timeout 0 and no data")
        listener, _ = h.listener()
        listener.settimeout(0)
        _expect(BlockingIOError, listener.accept, "accept with timeout 0 and no connection")
        client.sendall(b"now")
        server.settimeout(TIMEOUT)
        assert _recv_exactly(server, 3, "recv once data is there") == b"now"


def _timeval(seconds: float) -> bytes:
    """``seconds`` as the ``struct timeval`` that ``SO_RCVTIMEO`` and ``SO_SNDTIMEO`` take."""
    whole = int(seconds)
    return struct.pack("@ll", whole, round((seconds - whole) * 1e6))


@_check
def check_kernel_timeouts_bound_blocking_calls_with_eagain(factory: StreamSocketFactory) -> None:
    """On a blocking socket (no Python timeout), ``SO_RCVTIMEO`` makes a ``recv`` with no data,
    and an ``accept`` with no connection, raise BlockingIOError (``EAGAIN``) after about that
    long; ``SO_SNDTIMEO`` makes a ``send`` to a peer that never reads return a short count,
    then raise BlockingIOError."""
    with _harness(factory, "kernel_timeouts") as h:
        client, server = h.pair()
        server.settimeout(None)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, _timeval(SHORT))
        started = time.monotonic()
        _expect_os_error(
            BlockingIOError, errno.EAGAIN, lambda: server.recv(100), "recv with SO_RCVTIMEO"
        )
        waited = time.monotonic() - started
        assert waited >= SHORT * 0.5, f"recv gave up after {waited:.3f} s, not {SHORT} s"
        client.sendall(b"late")
        assert _recv_exactly(server, 4, "recv after SO_RCVTIMEO expired") == b"late"
        listener, _ = h.listener()
        listener.settimeout(None)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, _timeval(SHORT))
        _expect_os_error(BlockingIOError, errno.EAGAIN, listener.accept, "accept with SO_RCVTIMEO")
        client.settimeout(None)
        client.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, _timeval(SHORT))
        chunk, gave_up = bytes(1 << 20), None
        for _ in range(256):  # far beyond any loopback buffers
            try:
                taken = client.send(chunk)
            except BlockingIOError as error:
                gave_up = error
                break
            assert 0 < taken <= len(chunk), f"send with SO_SNDTIMEO returned {taken!r}"
        assert gave_up is not None, "send with SO_SNDTIMEO to a peer that never reads never gave up"
        assert gave_up.errno == errno.EAGAIN, f"send with SO_SNDTIMEO: {gave_up!r}"


def _bound_sends(sock: StreamSocket, bound: str) -> int:
    """Bound ``sock``'s sends as ``bound`` says; return the flags a send then takes."""
    if bound == "SO_SNDTIMEO":
        sock.settimeout(None)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, _timeval(SHORT))
    elif bound == "a timeout":
        sock.settimeout(SHORT)
    elif bound == "non-blocking":
        sock.setblocking(False)
    else:  # MSG_DONTWAIT, on a blocking socket
        sock.settimeout(None)
        return socket.MSG_DONTWAIT
    return 0


def _answer_in_time(h: _Harness, call: Callable[[], _T], what: str) -> _T:
    """``call()`` in a helper thread, so that a call that never returns fails the check within
    :data:`JOIN_DEADLINE` instead of hanging it; returns what ``call`` returns, or raises what
    it raises."""
    thread, result = h.thread(call, "caller")
    thread.join(JOIN_DEADLINE)
    if thread.is_alive():
        raise AssertionError(f"{what}: no answer within {JOIN_DEADLINE} s")
    if result.error is not None:
        raise result.error
    return cast(_T, result.value)


@_check
def check_send_bigger_than_the_buffers_returns_its_short_count(
    factory: StreamSocketFactory,
) -> None:
    """A ``send`` bigger than all the buffering, to a peer that never reads, takes what fits and
    returns that short count, whatever bounds it: ``SO_SNDTIMEO`` on a blocking socket (Linux
    takes part, waits that long for more room, then returns the count), a timeout,
    non-blocking mode or ``MSG_DONTWAIT``; the peer gets exactly that many bytes. A
    ``sendall`` then sends part and gives up as its bound says: BlockingIOError (``EAGAIN``),
    or TimeoutError with a timeout (CPython's ``sendall`` gives up at the first send that
    takes nothing)."""
    data = bytes(_FILL_LIMIT)
    for bound in ("SO_SNDTIMEO", "a timeout", "non-blocking", "MSG_DONTWAIT"):
        with _harness(factory, "short_send") as h:
            client, server = h.pair()
            flags = _bound_sends(client, bound)
            what = f"send of {len(data)} bytes with {bound} to a peer that never reads"
            taken = _answer_in_time(h, partial(client.send, data, flags), what)
            assert 0 < taken < len(data), f"{what} returned {taken!r}, not a short count"
            _recv_exactly(server, taken, f"the peer of a {what}", bufsize=1 << 16)
            assert not _readable(server, SHORT), f"{what}: the peer got more than {taken} bytes"
            what = f"sendall of {len(data)} bytes with {bound} to a peer that never reads"
            sendall = partial(_answer_in_time, h, partial(client.sendall, data, flags), what)
            if bound == "a timeout":
                _expect(TimeoutError, sendall, what)
            else:
                _expect_os_error(BlockingIOError, errno.EAGAIN, sendall, what)


@_check
def check_use_after_close_raises_ebadf(factory: StreamSocketFactory) -> None:
    """After ``close``, every call raises OSError ``EBADF``; a second ``close`` is harmless."""
    with _harness(factory, "use_after_close") as h:
        client, _ = h.pair()
        client.close()
        client.close()
        calls: dict[str, Callable[[], object]] = {
            "recv": lambda: client.recv(1),
            "send": lambda: client.send(b"x"),
            "sendall": lambda: client.sendall(b"x"),
            "getsockname": client.getsockname,
            "settimeout": lambda: client.settimeout(1.0),
            "shutdown": lambda: client.shutdown(socket.SHUT_RDWR),
        }
        for name, call in calls.items():
            _expect_errno(errno.EBADF, call, f"{name} after close")


@_check
def check_unconnected_socket_raises_enotconn(factory: StreamSocketFactory) -> None:
    """On a socket never connected, ``shutdown``, ``recv`` and ``getpeername`` raise
    ``ENOTCONN``."""
    with _harness(factory, "not_connected") as h:
        # A fresh socket for each call: on Linux a failed shutdown still marks the socket shut.
        calls: dict[str, Callable[[StreamSocket], object]] = {
            "shutdown": lambda sock: sock.shutdown(socket.SHUT_RDWR),
            "recv": lambda sock: sock.recv(1),
            "getpeername": lambda sock: sock.getpeername(),
        }
        for name, call in calls.items():
            _expect_errno(
                errno.ENOTCONN, partial(call, h.socket()), f"{name} on an unconnected socket"
            )


@_check
def check_shutdown_wakes_blocked_recv(factory: StreamSocketFactory) -> None:
    """``shutdown(SHUT_RDWR)`` from another thread wakes a ``recv`` blocked with no timeout,
    which returns ``b""``: how the server stops its reader threads."""
    with _harness(factory, "shutdown_wakes_recv") as h:
        _, server = h.pair()
        server.settimeout(None)
        thread, result = h.thread(lambda: server.recv(100), "reader")
        _wait_until_blocked()
        server.shutdown(socket.SHUT_RDWR)
        h.join(thread)
        assert result.error is None, f"the woken recv raised {result.error!r}"
        assert result.value == b"", f"the woken recv returned {result.value!r}, not b''"


@_check
def check_shutdown_wakes_blocked_accept(factory: StreamSocketFactory) -> None:
    """``shutdown(SHUT_RDWR)`` from another thread wakes an ``accept`` blocked with no timeout,
    which raises OSError: how the server stops its accept loop."""
    with _harness(factory, "shutdown_wakes_accept") as h:
        listener, _ = h.listener()
        listener.settimeout(None)
        thread, result = h.thread(listener.accept, "acceptor")
        _wait_until_blocked()
        listener.shutdown(socket.SHUT_RDWR)
        h.join(thread)
        assert isinstance(result.error, OSError), (
            f"the woken accept should raise OSError; it gave {result.error or result.value!r}"
        )


@_check
def check_context_manager_closes(factory: StreamSocketFactory) -> None:
    """``with sock:`` closes the socket on exit: the peer sees EOF."""
    with _harness(factory, "context_manager") as h:
        client, server = h.pair()
        with client:
            client.sendall(b"bye")
        _expect_errno(errno.EBADF, client.getsockname, "getsockname after the with block")
        assert _recv_exactly(server, 3, "data sent in the with block") == b"bye"
        _expect_eof(server, "recv after the with block closed the peer")


# Readiness -------------------------------------------------------------------------------------


@_check
def check_select_readable_on_data_and_eof(factory: StreamSocketFactory) -> None:
    """``select`` reports a connected socket readable only when ``recv`` would not block: not
    with no data, yes once data arrives, no again once it is read, and yes at EOF (for good)."""
    with _harness(factory, "select_readable") as h:
        client, server = h.pair()
        assert not _readable(server, 0), "a connected socket with no data is readable"
        client.sendall(b"x")
        assert _readable(server, TIMEOUT), "data was sent, but the socket never became readable"
        assert _recv_exactly(server, 1, "recv once readable") == b"x"
        assert not _readable(server, 0), "still readable after its only data was read"
        client.close()
        assert _readable(server, TIMEOUT), "the peer closed, but the socket never became readable"
        _expect_eof(server, "recv once readable at EOF")
        assert _readable(server, 0), "a socket at EOF stopped being readable after reading b''"


@_check
def check_select_listener_readable_when_connection_pending(factory: StreamSocketFactory) -> None:
    """``select`` reports a listener readable when a connection waits to be accepted, and not
    before or after."""
    with _harness(factory, "select_listener") as h:
        listener, address = h.listener()
        assert not _readable(listener, 0), "a listener with no pending connection is readable"
        client = h.socket()
        client.connect(address)
        assert _readable(listener, TIMEOUT), "a connection is pending, the listener not readable"
        h.accept(listener)
        assert not _readable(listener, 0), "readable after its only connection was accepted"


@_check
def check_select_writable_until_send_path_full(factory: StreamSocketFactory) -> None:
    """A fresh connected socket is writable; once non-blocking sends to a peer that does not
    read fill the send path (BlockingIOError), it is not; once the peer reads it all, it is."""
    with _harness(factory, "select_writable") as h:
        client, server = h.pair()
        assert _writable(client, TIMEOUT), "a fresh connected socket is not writable"
        client.setblocking(False)
        sent = _fill_send_path(client, partial(_writable, client, 0), "filling the send path")
        _recv_exactly(server, sent, "the peer reads all that was sent", bufsize=1 << 18)
        assert _writable(client, TIMEOUT), "not writable again after the peer read everything"


@_check
def check_selector_reports_read_and_write_readiness(factory: StreamSocketFactory) -> None:
    """:class:`selectors.DefaultSelector` sees the same readiness: read when data arrives (not
    before), write on a connected socket, and nothing once the send path is full."""
    with _harness(factory, "selector") as h, selectors.DefaultSelector() as selector:
        client, server = h.pair()

        def ready() -> list[tuple[object, int]]:
            return [(key.fileobj, events) for key, events in selector.select(0)]

        selector.register(server, selectors.EVENT_READ)
        assert ready() == [], "selector: a socket with no data is ready to read"
        client.sendall(b"x")
        events = [(key.fileobj, mask) for key, mask in selector.select(TIMEOUT)]
        assert events == [(server, selectors.EVENT_READ)], f"selector after data: {events!r}"
        selector.unregister(server)

        selector.register(client, selectors.EVENT_WRITE)
        events = [(key.fileobj, mask) for key, mask in selector.select(TIMEOUT)]
        assert events == [(client, selectors.EVENT_WRITE)], f"selector, writable: {events!r}"
        client.setblocking(False)
        sent = _fill_send_path(client, lambda: bool(ready()), "selector, filling the send path")
        _recv_exactly(server, sent, "the peer reads all that was sent", bufsize=1 << 18)
        events = [(key.fileobj, mask) for key, mask in selector.select(TIMEOUT)]
        assert events == [(client, selectors.EVENT_WRITE)], f"selector, drained: {events!r}"
        selector.unregister(client)


# Non-blocking mode -----------------------------------------------------------------------------


@_check
def check_non_blocking_calls_raise_blocking_io_error(factory: StreamSocketFactory) -> None:
    """After ``setblocking(False)`` (timeout 0.0), ``recv`` with no data, ``accept`` with no
    connection and ``send`` on a full buffer raise BlockingIOError; ``settimeout(0)`` is the
    same; ``setblocking(True)`` gives timeout ``None``."""
    with _harness(factory, "non_blocking") as h:
        client, server = h.pair()
        listener, _ = h.listener()
        for sock in (client, server, listener):
            sock.setblocking(False)
            assert sock.gettimeout() == 0.0, f"setblocking(False): timeout {sock.gettimeout()!r}"
        _expect(BlockingIOError, lambda: server.recv(10), "non-blocking recv with no data")
        _expect(BlockingIOError, listener.accept, "non-blocking accept with no connection")
        _send_until_blocked(client, "non-blocking sends to a peer that never reads")
        _expect(BlockingIOError, lambda: client.send(b"x"), "non-blocking send, buffer full")
        client.setblocking(True)
        assert client.gettimeout() is None, f"setblocking(True): timeout {client.gettimeout()!r}"
        client.settimeout(0)
        _expect(BlockingIOError, lambda: client.send(b"x"), "send with timeout 0, buffer full")
        _expect(BlockingIOError, lambda: client.sendall(b"x"), "sendall, timeout 0, buffer full")


@_check
def check_non_blocking_connect_completes_when_writable(factory: StreamSocketFactory) -> None:
    """A non-blocking ``connect`` raises BlockingIOError ``EINPROGRESS`` (``connect_ex`` returns
    it); the socket turns writable with ``SO_ERROR`` 0, and then it is connected."""
    with _harness(factory, "non_blocking_connect") as h:
        listener, address = h.listener()
        client = h.socket()
        client.setblocking(False)
        _expect_os_error(
            BlockingIOError, errno.EINPROGRESS, lambda: client.connect(address), "connect"
        )
        assert _writable(client, TIMEOUT), "a non-blocking connect never became writable"
        error = client.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        assert error == 0, f"SO_ERROR after a connect that succeeded: {error!r}"
        client.settimeout(TIMEOUT)
        server, _ = h.accept(listener)
        assert client.getpeername()[:2] == address
        client.sendall(b"hello")
        assert _recv_exactly(server, 5, "data after a non-blocking connect") == b"hello"

        second = h.socket()
        second.setblocking(False)
        code = second.connect_ex(address)
        assert code == errno.EINPROGRESS, f"non-blocking connect_ex returned {code!r}"
        assert _writable(second, TIMEOUT), "a non-blocking connect_ex never became writable"
        assert second.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0


@_check
def check_non_blocking_connect_refused_sets_so_error(factory: StreamSocketFactory) -> None:
    """A non-blocking ``connect`` where nothing listens still raises ``EINPROGRESS``; the
    socket turns writable with ``SO_ERROR`` ``ECONNREFUSED``, which reading clears."""
    with _harness(factory, "non_blocking_refused") as h:
        bound = h.socket()
        bound.bind((HOST, 0))  # holds the port so nothing else can listen there
        client = h.socket()
        client.setblocking(False)
        _expect_os_error(
            BlockingIOError,
            errno.EINPROGRESS,
            lambda: client.connect(bound.getsockname()),
            "non-blocking connect where nothing listens",
        )
        assert _writable(client, TIMEOUT), "a refused non-blocking connect never became writable"
        error = client.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        assert error == errno.ECONNREFUSED, f"SO_ERROR after a refused connect: {error!r}"
        error = client.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        assert error == 0, f"SO_ERROR read a second time: {error!r}, not 0"


# makefile --------------------------------------------------------------------------------------


@_check
def check_makefile_rwb_round_trip(factory: StreamSocketFactory) -> None:
    """``makefile("rwb")``: written bytes reach the peer after ``flush``; ``readline`` reads
    the peer's reply."""
    with _harness(factory, "makefile_rwb") as h:
        client, server = h.pair()
        with client.makefile("rwb") as file:
            file.write(b"ping\n")
            file.flush()
            assert _recv_exactly(server, 5, "bytes written and flushed") == b"ping\n"
            server.sendall(b"pong\n")
            line = _timely(file.readline, "makefile readline")
            assert line == b"pong\n", f"makefile readline returned {line!r}"


@_check
def check_makefile_readline_across_odd_splits(factory: StreamSocketFactory) -> None:
    """``makefile("rb").readline`` joins lines sent in pieces that split them anywhere; at EOF
    it returns the unterminated last line, then ``b""``."""
    with _harness(factory, "makefile_readline") as h:
        client, server = h.pair()
        for piece in (b"fi", b"rst\nsec", b"ond\nthi", b"rd"):
            server.sendall(piece)
        server.close()
        with client.makefile("rb") as file:
            lines = [_timely(file.readline, "makefile readline") for _ in range(4)]
        assert lines == [b"first\n", b"second\n", b"third", b""], f"readline gave {lines!r}"


@_check
def check_makefile_text_mode_readline(factory: StreamSocketFactory) -> None:
    """``makefile("r", encoding="utf-8")`` decodes lines, even where a piece splits a
    multi-byte character; at EOF ``readline`` returns ``""``."""
    with _harness(factory, "makefile_text") as h:
        client, server = h.pair()
        data = "héllo wörld\nzweite Zeile\n".encode()
        for piece in (data[:2], data[2:9], data[9:]):  # data[:2] ends inside "é"
            server.sendall(piece)
        server.close()
        with client.makefile("r", encoding="utf-8") as file:
            lines = [_timely(file.readline, "text readline") for _ in range(3)]
        assert lines == ["héllo wörld\n", "zweite Zeile\n", ""], f"readline gave {lines!r}"


@_check
def check_makefile_keeps_socket_open_until_file_closed(factory: StreamSocketFactory) -> None:
    """Closing a socket that has a file open (``makefile``) leaves the connection open: the
    file still reads and writes, and the peer sees EOF only once the file is closed too."""
    with _harness(factory, "makefile_refs") as h:
        client, server = h.pair()
        with client.makefile("rwb") as file:
            client.close()
            file.write(b"still open\n")
            file.flush()
            assert _recv_exactly(server, 11, "written after sock.close()") == b"still open\n"
            server.settimeout(0)
            _expect(BlockingIOError, lambda: server.recv(1), "peer recv before the file closed")
            server.settimeout(TIMEOUT)
            server.sendall(b"line\n")
            line = _timely(file.readline, "readline after sock.close()")
            assert line == b"line\n", f"readline after sock.close() returned {line!r}"
            file.close()
            _expect_eof(server, "recv once the socket and its file are both closed")


@_check
def check_makefile_unbuffered_write_goes_straight_through(factory: StreamSocketFactory) -> None:
    """``makefile("wb", buffering=0)`` is unbuffered: ``write`` sends at once, no flush."""
    with _harness(factory, "makefile_unbuffered") as h:
        client, server = h.pair()
        with client.makefile("wb", buffering=0) as file:
            written = file.write(b"raw")
            assert written == 3, f"unbuffered write of 3 bytes returned {written!r}"
            assert _recv_exactly(server, 3, "unbuffered write, not flushed") == b"raw"


# recv variants ---------------------------------------------------------------------------------


@_check
def check_recv_into_fills_buffer(factory: StreamSocketFactory) -> None:
    """``recv_into(buffer)`` and ``recv_into(memoryview, nbytes)`` fill the buffer from its
    start, at most ``nbytes`` (default: its length), return the count, leave the rest alone."""
    with _harness(factory, "recv_into") as h:
        client, server = h.pair()
        client.sendall(b"abcdefXY")
        buffer = bytearray(10)
        received = 0
        while received < 6:
            view = memoryview(buffer)[received:]
            count = _timely(partial(server.recv_into, view, 6 - received), "recv_into")
            assert 0 < count <= 6 - received, f"recv_into(view, {6 - received}) gave {count!r}"
            received += count
        assert buffer == b"abcdef\0\0\0\0", f"recv_into(memoryview, nbytes) filled {buffer!r}"
        whole = bytearray(100)
        count = _timely(partial(server.recv_into, whole), "recv_into")
        assert 0 < count <= 2, f"recv_into(bytearray(100)) with 2 bytes waiting gave {count!r}"
        assert whole[:count] == b"XY"[:count], f"recv_into filled {bytes(whole[:count])!r}"
        assert whole[count:] == bytes(100 - count), "recv_into wrote past what it received"


@_check
def check_recv_peek_does_not_consume(factory: StreamSocketFactory) -> None:
    """``recv(n, MSG_PEEK)`` returns the data waiting without consuming it."""
    with _harness(factory, "recv_peek") as h:
        client, server = h.pair()
        client.sendall(b"peekaboo")
        peeked = _timely(partial(server.recv, 8, socket.MSG_PEEK), "recv with MSG_PEEK")
        assert peeked, "recv(8, MSG_PEEK) returned b'' with data waiting"
        assert b"peekaboo".startswith(peeked), f"recv(8, MSG_PEEK) returned {peeked!r}"
        again = _timely(partial(server.recv, 8, socket.MSG_PEEK), "recv with MSG_PEEK")
        assert b"peekaboo".startswith(again), f"a second peek returned {again!r}"
        assert len(again) >= len(peeked), f"a second peek returned less: {again!r}"
        assert _recv_exactly(server, 8, "recv after peeking") == b"peekaboo"


# Connecting ------------------------------------------------------------------------------------


@_check
def check_connect_times_out_when_backlog_full(factory: StreamSocketFactory) -> None:
    """A listener that never accepts fills its backlog (``listen(0)`` holds one connection on
    Linux); a blocking ``connect`` with a timeout to it then raises TimeoutError: Linux drops
    the SYN rather than refuse it."""
    with _harness(factory, "backlog_full") as h:
        _, address = h.listener(backlog=0)  # never accepts
        for attempt in range(8):
            client = h.socket()
            client.settimeout(SHORT)
            try:
                client.connect(address)
            except TimeoutError:
                return
            except OSError as error:
                raise AssertionError(
                    f"connect {attempt + 1} to a full backlog: expected TimeoutError, got {error!r}"
                ) from error
        raise AssertionError("8 connects to a listen(0) that never accepts all succeeded")


@_check
def check_connect_to_any_address_reaches_loopback(factory: StreamSocketFactory) -> None:
    """``connect(("0.0.0.0", port))`` means this host: it reaches a listener on 127.0.0.1,
    and the peer name is ``("127.0.0.1", port)``."""
    with _harness(factory, "connect_any") as h:
        listener, (_, port) = h.listener()
        client = h.socket()
        client.connect(("0.0.0.0", port))
        server, _ = h.accept(listener)
        assert client.getpeername()[:2] == (HOST, port), f"peer is {client.getpeername()!r}"
        assert server.getpeername()[:2] == client.getsockname()[:2]
        client.sendall(b"hi")
        assert _recv_exactly(server, 2, "data after connecting to 0.0.0.0") == b"hi"


@_check
def check_dual_stack_listener_accepts_ipv4(factory: StreamSocketFactory) -> None:
    """An IPv6 listener on ``::`` accepts IPv4 clients (``IPV6_V6ONLY`` is 0 by default, the
    ``net.ipv6.bindv6only`` default); the peer shows as ``("::ffff:127.0.0.1", port, 0, 0)``.
    With ``IPV6_V6ONLY`` 1 set before ``bind``, an IPv4 client is refused."""
    with _harness(factory, "dual_stack") as h:
        try:
            listener = h.socket(socket.AF_INET6)
            listener.bind(("::", 0))
        except OSError as error:
            if error.errno in (errno.EAFNOSUPPORT, errno.EADDRNOTAVAIL, errno.EPROTONOSUPPORT):
                return  # no IPv6 on this host: there is nothing to check
            raise
        v6only = listener.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY)
        assert v6only == 0, f"IPV6_V6ONLY of a fresh IPv6 socket: {v6only!r}"
        listener.listen(8)
        port = listener.getsockname()[1]
        client = h.socket()
        client.connect((HOST, port))
        server, peer = h.accept(listener)
        expected = ("::ffff:127.0.0.1", client.getsockname()[1], 0, 0)
        assert tuple(peer) == expected, f"accept() on a dual-stack listener gave {peer!r}"
        assert client.getpeername()[:2] == (HOST, port)
        client.sendall(b"v4")
        assert _recv_exactly(server, 2, "IPv4 data on an IPv6 socket") == b"v4"

        only6 = h.socket(socket.AF_INET6)
        only6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        only6.bind(("::", 0))
        only6.listen(8)
        assert only6.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY) == 1
        ipv4 = h.socket()
        _expect(
            ConnectionRefusedError,
            lambda: ipv4.connect((HOST, only6.getsockname()[1])),
            "IPv4 connect to an IPV6_V6ONLY listener",
        )


@_check
def check_ipv4_mapped_address_reaches_an_ipv4_listener(factory: StreamSocketFactory) -> None:
    """An IPv6 socket reaches an IPv4 listener at ``::ffff:127.0.0.1``: it sees both addresses
    mapped, the listener's side sees plain IPv4. With ``IPV6_V6ONLY`` 1 the connect fails with
    ``ENETUNREACH``."""
    with _harness(factory, "mapped") as h:
        listener, (_, port) = h.listener()
        try:
            client = h.socket(socket.AF_INET6)
        except OSError as error:
            if error.errno in (errno.EAFNOSUPPORT, errno.EPROTONOSUPPORT):
                return  # no IPv6 on this host: there is nothing to check
            raise
        client.connect(("::ffff:127.0.0.1", port))
        server, peer = h.accept(listener)
        local = tuple(client.getsockname())
        assert local[0] == "::ffff:127.0.0.1", f"the IPv6 client's name is {local!r}"
        assert tuple(client.getpeername()) == ("::ffff:127.0.0.1", port, 0, 0), (
            f"the IPv6 client's peer is {client.getpeername()!r}"
        )
        assert tuple(peer) == (HOST, local[1]), f"accept() gave {peer!r} for {local!r}"
        assert tuple(server.getsockname()) == (HOST, port)
        client.sendall(b"v6")
        assert _recv_exactly(server, 2, "data from an IPv6 socket to an IPv4 one") == b"v6"

        only6 = h.socket(socket.AF_INET6)
        only6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        _expect_errno(
            errno.ENETUNREACH,
            lambda: only6.connect(("::ffff:127.0.0.1", port)),
            "IPV6_V6ONLY connect to an IPv4-mapped address",
        )


# Resets and what follows them ------------------------------------------------------------------


@_check
def check_linger_zero_close_resets_peer(factory: StreamSocketFactory) -> None:
    """Closing with ``SO_LINGER`` (1, 0) resets the connection: the peer reads the bytes already
    delivered to it, then gets ConnectionResetError, then EOF."""
    with _harness(factory, "linger_reset") as h:
        client, server = h.pair()
        client.sendall(b"hello")
        assert _readable(server, TIMEOUT), "the data never reached the peer"
        _linger_reset(client)
        assert _recv_exactly(server, 5, "data delivered before the reset") == b"hello"
        _expect(ConnectionResetError, lambda: server.recv(100), "recv after a linger reset")
        _expect_eof(server, "recv after the reset was reported")


@_check
def check_reset_socket_is_not_connected_and_pipe_broken(factory: StreamSocketFactory) -> None:
    """After a reset, ``getpeername`` raises ``ENOTCONN``; the first ``send`` or ``recv``
    reports the reset (ConnectionResetError), and every later ``send`` raises BrokenPipeError
    (``EPIPE``) while ``recv`` returns ``b""``. Both for a peer that closed with unread data and
    for a linger reset."""
    with _harness(factory, "after_reset") as h:
        # A peer that closes with unread data resets; nothing was sent to the client, so it
        # turns readable only when the reset arrives.
        client, server = h.pair()
        client.sendall(b"unread")
        assert _readable(server, TIMEOUT), "the data never reached the peer"
        server.close()
        assert _readable(client, TIMEOUT), "a reset socket never became readable"
        _expect_os_error(OSError, errno.ENOTCONN, client.getpeername, "getpeername after reset")
        _expect(ConnectionResetError, lambda: client.send(b"x"), "the first send after a reset")
        _expect_os_error(BrokenPipeError, errno.EPIPE, lambda: client.send(b"x"), "send again")
        _expect_os_error(BrokenPipeError, errno.EPIPE, lambda: client.sendall(b"x"), "sendall")
        _expect_eof(client, "recv after the reset was reported")
        _expect_os_error(OSError, errno.ENOTCONN, client.getpeername, "getpeername, later")

        client, server = h.pair()
        _linger_reset(server)
        _expect(ConnectionResetError, lambda: client.recv(100), "recv after a linger reset")
        _expect_os_error(OSError, errno.ENOTCONN, client.getpeername, "getpeername after reset")
        _expect_os_error(BrokenPipeError, errno.EPIPE, lambda: client.send(b"x"), "send")
        _expect_os_error(BrokenPipeError, errno.EPIPE, lambda: client.sendall(b"x"), "sendall")
        _expect_eof(client, "recv after the reset was reported")


@_check
def check_data_to_shut_rdwr_socket_resets_connection(factory: StreamSocketFactory) -> None:
    """Data that reaches a socket after its ``shutdown(SHUT_RDWR)`` resets the connection: the
    sender's sends soon raise BrokenPipeError (the first is accepted, then the reset comes
    back), its ``recv`` returns ``b""``, and the shut socket's ``recv`` raises
    ConnectionResetError, then returns ``b""``."""
    with _harness(factory, "data_to_shut_socket") as h:
        client, server = h.pair()
        server.shutdown(socket.SHUT_RDWR)
        _expect_eof(client, "recv after the peer's SHUT_RDWR")
        error = _send_until_error(client, "send to a socket that shut down")
        assert isinstance(error, BrokenPipeError), f"send after the reset raised {error!r}"
        _expect_eof(client, "the sender's recv after the reset")
        _expect(ConnectionResetError, lambda: server.recv(10), "the shut socket's recv")
        _expect_eof(server, "the shut socket's recv after the reset was reported")


@_check
def check_reset_after_peer_eof_reads_eof_and_breaks_pipe(factory: StreamSocketFactory) -> None:
    """A reset that comes after the peer's EOF (the peer did SHUT_WR, then closed with
    ``SO_LINGER`` (1, 0)) is not reported by ``recv``, which keeps returning ``b""``;
    ``send`` raises BrokenPipeError."""
    with _harness(factory, "reset_after_eof") as h:
        client, server = h.pair()
        server.shutdown(socket.SHUT_WR)
        _expect_eof(client, "recv after the peer's SHUT_WR")
        client.sendall(b"unread")
        _linger_reset(server)
        _wait_until_reset(client, "after the peer's linger reset")
        _expect_eof(client, "recv after a reset that followed EOF")
        _expect_os_error(BrokenPipeError, errno.EPIPE, lambda: client.send(b"x"), "send")
        _expect_eof(client, "recv after the broken pipe")


# The calls that real code makes less often ------------------------------------------------------


def _read_all(read: Callable[[int], bytes], size: int, what: str) -> bytes:
    """Call ``read(n)`` until ``size`` bytes came, however the transport splits them."""
    data = b""
    while len(data) < size:
        chunk = _timely(partial(read, size - len(data)), what)
        assert chunk, f"{what}: EOF after {len(data)} of {size} bytes"
        data += chunk
    return data


@_check
def check_recvfrom_and_recvmsg_read_as_recv(factory: StreamSocketFactory) -> None:
    """On a connected TCP socket ``recvfrom`` gives ``(data, None)``, ``recvfrom_into``
    ``(count, None)``, ``recvmsg`` ``(data, [], 0, None)`` and ``recvmsg_into``
    ``(count, [], 0, None)``: no sender's address, no ancillary data, no flags. Unconnected,
    they raise ``ENOTCONN``."""
    with _harness(factory, "recvfrom_recvmsg") as h:
        client, server = h.pair()
        client.sendall(b"abcdefgh")

        def recvfrom(size: int) -> bytes:
            data, address = server.recvfrom(size)
            assert address is None, f"recvfrom gave the address {address!r}, Linux None"
            return bytes(data)

        def recvfrom_into(size: int) -> bytes:
            buffer = bytearray(size)
            count, address = server.recvfrom_into(buffer)
            assert address is None, f"recvfrom_into gave the address {address!r}, Linux None"
            return bytes(buffer[:count])

        def recvmsg(size: int) -> bytes:
            data, ancillary, flags, address = server.recvmsg(size, 64)
            assert (ancillary, flags, address) == ([], 0, None), (
                f"recvmsg gave {(ancillary, flags, address)!r} beside the data, Linux ([], 0, None)"
            )
            return bytes(data)

        def recvmsg_into(size: int) -> bytes:
            first, second = bytearray(1), bytearray(size - 1)
            count, ancillary, flags, address = server.recvmsg_into([first, second])
            assert (ancillary, flags, address) == ([], 0, None), (
                f"recvmsg_into gave {(ancillary, flags, address)!r}, Linux ([], 0, None)"
            )
            return bytes(first + second)[:count]

        received = b"".join(
            _read_all(read, 2, name)
            for name, read in (
                ("recvfrom", recvfrom),
                ("recvfrom_into", recvfrom_into),
                ("recvmsg", recvmsg),
                ("recvmsg_into", recvmsg_into),
            )
        )
        assert received == b"abcdefgh", f"the four reads together gave {received!r}"
        lone = h.socket()
        _expect_errno(errno.ENOTCONN, lambda: lone.recvfrom(1), "recvfrom unconnected")
        _expect_errno(errno.ENOTCONN, lambda: lone.recvmsg(1), "recvmsg unconnected")


@_check
def check_zero_length_recvfrom_and_recvmsg_wait_for_data(factory: StreamSocketFactory) -> None:
    """``recvfrom(0)`` and ``recvmsg(0)`` wait, as a read does, until there is something to
    read (a timeout: TimeoutError), then return nothing and leave it in place; ``recv(0)``
    returns ``b""`` at once (CPython asks the kernel for nothing)."""
    with _harness(factory, "zero_length_reads") as h:
        client, server = h.pair()
        server.settimeout(SHORT)
        assert server.recv(0) == b"", "recv(0) with nothing to read"
        _expect(TimeoutError, lambda: server.recvfrom(0), "recvfrom(0) with nothing to read")
        _expect(TimeoutError, lambda: server.recvmsg(0), "recvmsg(0) with nothing to read")
        client.sendall(b"ab")
        server.settimeout(TIMEOUT)
        got = _timely(lambda: server.recvfrom(0), "recvfrom(0) with data on its way")
        assert got == (b"", None), f"recvfrom(0) with data waiting gave {got!r}"
        message = _timely(lambda: server.recvmsg(0), "recvmsg(0) with data waiting")
        assert message == (b"", [], 0, None), f"recvmsg(0) with data waiting gave {message!r}"
        received = _recv_exactly(server, 2, "recv after the zero-length reads")
        assert received == b"ab", f"the zero-length reads took data: then recv gave {received!r}"


@_check
def check_listener_recv_and_send_wait_for_readiness(factory: StreamSocketFactory) -> None:
    """On a listener with a timeout, ``recv`` waits as CPython waits for readiness: it times
    out, or once a connection waits raises ``ENOTCONN``; ``send`` always times out (a listener
    is never writable). Blocking, both fail at once: ``ENOTCONN`` and ``EPIPE``."""
    with _harness(factory, "listener_recv_send") as h:
        listener, address = h.listener()
        listener.settimeout(SHORT)
        _expect(TimeoutError, lambda: listener.recv(1), "recv on a listener, no connection")
        client = h.socket()
        client.connect(address)
        _expect_errno(errno.ENOTCONN, lambda: listener.recv(1), "recv, a connection waiting")
        _expect(TimeoutError, lambda: listener.send(b"x"), "send on a listener")
        listener.settimeout(None)
        _expect_errno(errno.ENOTCONN, lambda: listener.recv(1), "blocking recv on a listener")
        _expect_os_error(BrokenPipeError, errno.EPIPE, lambda: listener.send(b"x"), "blocking send")


@_check
def check_sendto_and_sendmsg_send_as_send(factory: StreamSocketFactory) -> None:
    """On a connected TCP socket ``sendto`` sends as ``send`` and ignores its address (which
    must still be well formed), and ``sendmsg`` sends its buffers joined; unconnected, both
    raise BrokenPipeError (``EPIPE``), as ``send`` does."""
    with _harness(factory, "sendto_sendmsg") as h:
        client, server = h.pair()
        sent = client.sendto(b"ab", (HOST, 1))
        assert sent == 2, f"sendto(b'ab', elsewhere) returned {sent!r}"
        sent = client.sendto(b"cd", 0, (HOST, 1))
        assert sent == 2, f"sendto(b'cd', 0, elsewhere) returned {sent!r}"
        sent = client.sendmsg([b"ef", memoryview(b"gh"), bytearray(b"ij")])
        assert sent == 6, f"sendmsg of three buffers, 6 bytes, returned {sent!r}"
        received = _read_all(server.recv, 10, "recv after sendto and sendmsg")
        assert received == b"abcdefghij", f"sendto and sendmsg delivered {received!r}"
        lone = h.socket()
        _expect_os_error(
            BrokenPipeError, errno.EPIPE, lambda: lone.sendto(b"x", (HOST, 1)), "sendto"
        )
        _expect_os_error(BrokenPipeError, errno.EPIPE, lambda: lone.sendmsg([b"x"]), "sendmsg")


@_check
def check_sendfile_sends_from_offset_and_moves_file(factory: StreamSocketFactory) -> None:
    """``sendfile(file, offset, count)`` sends ``count`` bytes from ``offset`` and leaves the
    file after them; with no count, to the end; a text file or a count of 0 is ValueError."""
    with _harness(factory, "sendfile") as h:
        client, server = h.pair()
        file = io.BytesIO(b"0123456789")
        sent = client.sendfile(file, 2, 5)
        assert sent == 5, f"sendfile(file, 2, 5) returned {sent!r}"
        assert file.tell() == 7, f"after sendfile(file, 2, 5) the file is at {file.tell()}"
        sent = client.sendfile(file)
        assert sent == 3, f"sendfile(file) from position 7 of 10 returned {sent!r}"
        received = _read_all(server.recv, 8, "recv after sendfile")
        assert received == b"23456789", f"sendfile delivered {received!r}"
        _expect(ValueError, lambda: client.sendfile(io.BytesIO(b"x"), 0, 0), "count 0")


@_check
def check_sendfile_of_a_regular_file(factory: StreamSocketFactory) -> None:
    """A regular file (one with a descriptor) is sent whole, an empty one gives 0, and on a
    closed socket one is ValueError, as CPython's ``os.sendfile`` path answers."""
    with _harness(factory, "sendfile_regular") as h, tempfile.TemporaryFile() as file:
        client, server = h.pair()
        file.write(b"regular")
        file.seek(0)
        sent = client.sendfile(file)
        assert sent == 7, f"sendfile of a 7-byte regular file returned {sent!r}"
        received = _read_all(server.recv, 7, "recv after sendfile of a regular file")
        assert received == b"regular", f"sendfile of a regular file delivered {received!r}"
        with tempfile.TemporaryFile() as empty:
            sent = client.sendfile(empty)
            assert sent == 0, f"sendfile of an empty regular file returned {sent!r}"
        client.close()
        file.seek(0)
        _expect(ValueError, lambda: client.sendfile(file), "sendfile after close")


@_check
def check_inheritable_flag(factory: StreamSocketFactory) -> None:
    """A new socket is not inheritable (PEP 446); ``set_inheritable`` sets what
    ``get_inheritable`` reads; both raise ``EBADF`` after close."""
    with _harness(factory, "inheritable") as h:
        sock = h.socket()
        assert sock.get_inheritable() is False, "a new socket is inheritable"
        sock.set_inheritable(True)
        assert sock.get_inheritable() is True, "set_inheritable(True) did not stick"
        sock.set_inheritable(False)
        assert sock.get_inheritable() is False, "set_inheritable(False) did not stick"
        sock.close()
        _expect_errno(errno.EBADF, sock.get_inheritable, "get_inheritable after close")
        _expect_errno(errno.EBADF, lambda: sock.set_inheritable(True), "set_inheritable")


# Wrong calls -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WrongCall:
    """One call that Linux refuses (or takes, where a fake might not), with its answer: a row of
    :data:`WRONG_CALLS`, which :func:`check_wrong_calls_answer_as_linux` runs.

    Attributes:
        on: what it is called on: ``"fresh"`` (a new socket), ``"fresh AF_INET6"``,
            ``"connected"`` (a client with its server), ``"listener"``, ``"closed"``,
            ``"factory"`` (the socket factory itself, as ``__call__``), or a ``makefile``
            object of a connected socket: ``"rb file"``, ``"wb file"``, ``"r file"``,
            ``"raw file"`` (``"rb"``, unbuffered).
        method, args: the call; ``ADDRESS`` and ``PORT`` in ``args`` stand for a
            listener's, ``FILE`` for a fresh binary file.
        raises: the exception type Linux answers with (exactly that type); ``None``: it returns.
        errno: the errno it carries, where it has one.
    """

    on: str
    method: str
    args: tuple[Any, ...]
    raises: type[BaseException] | None
    errno: int | None = None

    @property
    def call(self) -> str:
        """The call as written: ``recv(4.0)``, ``setsockopt(SOL_SOCKET, SO_LINGER, b'ab')``."""
        method = "factory" if self.method == "__call__" else self.method
        return f"{method}({', '.join(map(repr, self.args))})"

    def make(self, target: Any, address: _Address) -> object:
        """Call it on ``target``, with a listener's ``address`` for ``ADDRESS``."""
        args = tuple(_fill(arg, address) for arg in self.args)
        return getattr(target, self.method)(*args)


class _Arg:
    """An argument of a wrong call filled in when it runs, and named in the call's text."""

    def __init__(self, name: str, make: Callable[[_Address], object]) -> None:
        self.name = name
        self.make = make

    def __repr__(self) -> str:
        return self.name


def _O(name: str) -> _Arg:  # noqa: N802 (an option's name, as it reads in the table)
    """A constant of :mod:`socket`, by name: ``_O("SO_LINGER")``."""
    return _Arg(name, lambda address: getattr(socket, name))


ADDRESS = _Arg("address", lambda address: address)
PORT = _Arg("port", lambda address: address[1])
FILE = _Arg("file", lambda address: io.BytesIO(b"ab"))
TEXT_FILE = _Arg("text_file", lambda address: io.StringIO("x"))


def _fill(arg: object, address: _Address) -> object:
    if isinstance(arg, _Arg):
        return arg.make(address)
    if isinstance(arg, tuple | list):
        return type(arg)(_fill(item, address) for item in arg)
    return arg


_ANY_FLAG = sys.version_info >= (3, 12)
"""Python 3.12 takes ``setblocking``'s flag as any object's truth; 3.11 wants an int."""


def _rows(on: str, *rows: tuple[Any, ...]) -> tuple[WrongCall, ...]:
    return tuple(WrongCall(on, *row) for row in rows)


WRONG_CALLS: tuple[WrongCall, ...] = (
    *_rows(
        "connected",
        ("recv", (8 / 2,), TypeError),
        ("recv", (-1,), ValueError),
        ("recv", (2**63,), OverflowError),
        ("recv", ("1",), TypeError),
        ("recv", (None,), TypeError),
        ("recv", (1, "x"), TypeError),
        ("recv", (1, 2**40), OverflowError),
        ("recv", (1, 1.0), TypeError),
        ("recv", (), TypeError),
        ("recv", (1, 0, 0), TypeError),
        ("recv_into", (b"abc",), TypeError),
        ("recv_into", (memoryview(b"abc"),), TypeError),
        ("recv_into", ("abc",), TypeError),
        ("recv_into", (None,), TypeError),
        ("recv_into", (bytearray(4), -1), ValueError),
        ("recv_into", (bytearray(4), 5), ValueError),
        ("recv_into", (bytearray(4), 1.0), TypeError),
        ("recv_into", (bytearray(4), 1, "x"), TypeError),
        ("recv_into", (bytearray(4), 2**63), OverflowError),
        ("send", ("str",), TypeError),
        ("send", (1,), TypeError),
        ("send", (None,), TypeError),
        ("send", ([1],), TypeError),
        ("send", (b"x", "x"), TypeError),
        ("send", (b"x", 2**40), OverflowError),
        ("sendall", ("str",), TypeError),
        ("sendall", (1,), TypeError),
        ("sendall", (b"x", "x"), TypeError),
        ("sendall", (b"x", 1.0), TypeError),
        ("shutdown", ("x",), TypeError),
        ("shutdown", (7,), OSError, errno.EINVAL),
        ("shutdown", (-1,), OSError, errno.EINVAL),
        ("shutdown", (2**40,), OverflowError),
        ("shutdown", (1.0,), TypeError),
        ("shutdown", (None,), TypeError),
        ("shutdown", (), TypeError),
        ("settimeout", (-1,), ValueError),
        ("settimeout", ("x",), TypeError),
        ("settimeout", (math.nan,), ValueError),
        ("settimeout", (math.inf,), OverflowError),
        ("settimeout", (2**70,), OverflowError),
        ("settimeout", (), TypeError),
        ("makefile", ("x",), ValueError),
        ("makefile", ("rt",), ValueError),
        ("makefile", (1,), TypeError),
        ("getpeername", (1,), TypeError),
        ("fileno", (1,), TypeError),
        ("recvfrom", (1.0,), TypeError),
        ("recvfrom", (-1,), ValueError),
        ("recvfrom_into", (b"abc",), TypeError),
        ("recvmsg", (-1,), ValueError),
        ("recvmsg", ("x",), TypeError),
        ("recvmsg", (1, -1), ValueError),
        ("recvmsg", (1, 1.0), TypeError),
        ("recvmsg", (1, 0, "x"), TypeError),
        ("sendto", ("x", ADDRESS), TypeError),
        ("sendto", (b"x", "y"), TypeError),
        ("sendto", (b"x", "y", "z"), TypeError),
        ("sendto", (b"x", (HOST, 70000)), OverflowError),
        ("sendto", (b"x",), TypeError),
        ("sendto", (b"x", ADDRESS), None),
        ("sendto", (b"x", 0, ADDRESS), None),
        ("sendmsg", ("x",), TypeError),
        ("sendmsg", (b"x",), TypeError),
        ("sendmsg", (["x"],), TypeError),
        ("sendmsg", ([b"x"], None), TypeError),
        ("sendmsg", ([b"x"], [1]), TypeError),
        ("sendmsg", ([b"x"], [], "x"), TypeError),
        ("sendmsg", ([b"x"], [], 0, "a"), TypeError),
        ("sendmsg", ([b"x"], [], 0, ADDRESS), None),
        ("set_inheritable", ("x",), TypeError),
        ("set_inheritable", (None,), TypeError),
        ("set_inheritable", (2,), None),
        ("sendfile", (TEXT_FILE,), TypeError),
        ("sendfile", (FILE, 0, 0), ValueError),
        ("sendfile", (FILE, 0, "x"), TypeError),
        ("sendfile", (FILE, "x"), TypeError),
        ("sendfile", (FILE, -1), ValueError),
        ("connect_ex", ("x",), TypeError),
        ("connect_ex", (ADDRESS,), None),
        ("listen", ("1",), TypeError),
    ),
    *_rows(
        "fresh",
        ("listen", ("1",), TypeError),
        ("listen", (1.5,), TypeError),
        ("listen", (2**40,), OverflowError),
        ("listen", (None,), TypeError),
        ("listen", (-1,), None),
        ("setblocking", ("x",), None if _ANY_FLAG else TypeError),
        ("setblocking", (None,), None if _ANY_FLAG else TypeError),
        ("setblocking", (2.5,), None if _ANY_FLAG else TypeError),
        ("setblocking", ([],), None if _ANY_FLAG else TypeError),
        ("setblocking", (2**70,), None if _ANY_FLAG else OverflowError),
        ("setblocking", (), TypeError),
        ("bind", ("x",), TypeError),
        ("bind", ([HOST, 0],), TypeError),
        ("bind", ((HOST,),), TypeError),
        ("bind", ((HOST, 0, 0),), TypeError),
        ("bind", ((HOST, 70000),), OverflowError),
        ("bind", ((HOST, -1),), OverflowError),
        ("bind", ((HOST, 2**70),), OverflowError),
        ("bind", ((HOST, "80"),), TypeError),
        ("bind", ((HOST, 0.0),), TypeError),
        ("bind", ((HOST, True),), None),
        ("bind", ((1, 0),), TypeError),
        ("bind", ((None, 0),), TypeError),
        ("bind", ((b"127.0.0.1", 0),), None),
        ("bind", ((bytearray(b"127.0.0.1"), 0),), None),
        ("bind", (("127.0.0.1\x00", 0),), TypeError),
        ("bind", (("\udcff", 0),), TypeError),
        ("bind", (("::1", 0),), socket.gaierror, socket.EAI_ADDRFAMILY),
        ("connect", ((HOST,),), TypeError),
        ("connect", ((HOST, 70000),), OverflowError),
        ("connect_ex", ((None, 1),), TypeError),
        ("connect", ((HOST, None),), TypeError),
        ("connect_ex", ("x",), TypeError),
        ("connect_ex", ((HOST, 70000),), OverflowError),
        # connect itself with these three: pytest-socket's host guard cannot read the host
        ("connect_ex", ((b"127.0.0.1", PORT),), None),
        ("setsockopt", (_O("SOL_SOCKET"), _O("SO_LINGER"), b"ab"), OSError, errno.EINVAL),
        ("setsockopt", (_O("SOL_SOCKET"), _O("SO_LINGER"), 1), OSError, errno.EINVAL),
        ("setsockopt", (_O("SOL_SOCKET"), _O("SO_REUSEADDR"), b""), OSError, errno.EINVAL),
        ("setsockopt", (_O("SOL_SOCKET"), _O("SO_REUSEADDR"), "1"), TypeError),
        ("setsockopt", (_O("SOL_SOCKET"), _O("SO_REUSEADDR"), 1.0), TypeError),
        ("setsockopt", (_O("SOL_SOCKET"), _O("SO_REUSEADDR"), None), TypeError),
        ("setsockopt", (_O("SOL_SOCKET"), _O("SO_REUSEADDR"), 2**40), TypeError),
        ("setsockopt", (_O("SOL_SOCKET"), _O("SO_REUSEADDR"), None, 4), OSError, errno.EFAULT),
        ("setsockopt", (_O("SOL_SOCKET"), _O("SO_REUSEADDR"), 1, 4), TypeError),
        ("setsockopt", (_O("SOL_SOCKET"), _O("SO_REUSEADDR")), TypeError),
        ("setsockopt", ("x", _O("SO_REUSEADDR"), 1), TypeError),
        ("setsockopt", (_O("SOL_SOCKET"), "x", 1), TypeError),
        ("setsockopt", (_O("SOL_SOCKET"), 9999, 1), OSError, errno.ENOPROTOOPT),
        ("setsockopt", (9999, 1, 1), OSError, errno.ENOPROTOOPT),
        ("setsockopt", (_O("IPPROTO_TCP"), 9999, 1), OSError, errno.ENOPROTOOPT),
        ("setsockopt", (_O("IPPROTO_IPV6"), _O("IPV6_V6ONLY"), 1), OSError, errno.ENOPROTOOPT),
        ("setsockopt", (_O("SOL_SOCKET"), _O("SO_TYPE"), 1), OSError, errno.ENOPROTOOPT),
        ("setsockopt", (_O("SOL_SOCKET"), _O("SO_RCVBUF"), b""), OSError, errno.EINVAL),
        ("setsockopt", (_O("SOL_SOCKET"), _O("SO_RCVBUF"), b"\x00\x01\x00\x00"), None),
        ("setsockopt", (_O("SOL_SOCKET"), _O("SO_RCVTIMEO"), 1), OSError, errno.EINVAL),
        ("setsockopt", (_O("IPPROTO_TCP"), _O("TCP_NODELAY"), b""), OSError, errno.EINVAL),
        ("setsockopt", (_O("IPPROTO_IP"), _O("IP_TOS"), b"\x01"), None),
        ("getsockopt", ("x", 1), TypeError),
        ("getsockopt", (2**40, 1), OverflowError),
        ("getsockopt", (_O("SOL_SOCKET"),), TypeError),
        ("getsockopt", (_O("SOL_SOCKET"), 9999), OSError, errno.ENOPROTOOPT),
        ("getsockopt", (9999, 1), OSError, errno.EOPNOTSUPP),
        ("getsockopt", (_O("IPPROTO_TCP"), 9999), OSError, errno.ENOPROTOOPT),
        ("getsockopt", (_O("IPPROTO_IPV6"), _O("IPV6_V6ONLY")), OSError, errno.EOPNOTSUPP),
        ("getsockopt", (_O("SOL_SOCKET"), _O("SO_TYPE"), -1), OSError),
        ("getsockopt", (_O("SOL_SOCKET"), _O("SO_TYPE"), 2000), OSError),
        ("getsockopt", (_O("SOL_SOCKET"), _O("SO_TYPE"), "x"), TypeError),
        ("getsockopt", (_O("SOL_SOCKET"), _O("SO_TYPE"), 0), None),
        ("setsockopt", (_O("IPPROTO_IP"), 9999, 1), OSError, errno.ENOPROTOOPT),
        ("getsockopt", (_O("IPPROTO_IP"), 9999), OSError, errno.ENOPROTOOPT),
        ("setsockopt", (_O("IPPROTO_TCP"), _O("TCP_NODELAY"), None, 4), OSError, errno.EFAULT),
        ("setsockopt", (_O("IPPROTO_IP"), _O("IP_TOS"), None, 4), OSError, errno.EFAULT),
        ("setsockopt", (_O("IPPROTO_IP"), 9999, None, 4), OSError, errno.ENOPROTOOPT),
        ("setsockopt", (_O("SOL_SOCKET"), _O("SO_LINGER"), bytes(8)), None),
        ("shutdown", ("x",), TypeError),
        ("shutdown", (7,), OSError, errno.EINVAL),
        ("shutdown", (_O("SHUT_RD"),), OSError, errno.ENOTCONN),
        ("accept", (), OSError, errno.EINVAL),
        ("recvfrom", (1,), OSError, errno.ENOTCONN),
        ("sendto", (b"x", ADDRESS), BrokenPipeError, errno.EPIPE),
    ),
    *_rows(
        "listener",
        ("accept", (1,), TypeError),
        ("listen", ("1",), TypeError),
        # with a timeout CPython waits for readiness first, which a listener never has to send
        # and has to read only once a connection waits
        ("recv", (1,), TimeoutError),
        ("recvfrom", (1,), TimeoutError),
        ("send", (b"x",), TimeoutError),
        ("sendall", (b"x",), TimeoutError),
    ),
    *_rows(
        "closed",
        ("recv", ("x",), TypeError),
        ("recv", (-1,), ValueError),
        ("send", ("x",), TypeError),
        ("sendall", (1,), TypeError),
        ("listen", ("1",), TypeError),
        ("shutdown", ("x",), TypeError),
        ("settimeout", ("x",), TypeError),
        ("setblocking", ("x",), *((OSError, errno.EBADF) if _ANY_FLAG else (TypeError,))),
        ("setsockopt", ("x", 1, 1), TypeError),
        ("getsockopt", (_O("SOL_SOCKET"), _O("SO_TYPE"), -1), OSError),
        ("bind", ((HOST, "80"),), TypeError),
        ("recvfrom", (0,), OSError, errno.EBADF),
        ("recvmsg", (0,), OSError, errno.EBADF),
        ("get_inheritable", (), OSError, errno.EBADF),
        ("set_inheritable", ("x",), TypeError),
        ("dup", (), OSError, errno.EBADF),
        ("detach", (), None),
        ("sendfile", (FILE,), OSError, errno.EBADF),
        ("sendfile", (FILE, -1), ValueError),
        ("connect_ex", ("x",), TypeError),
        ("connect_ex", ((HOST, 1),), None),
        ("getsockname", (), OSError, errno.EBADF),
        ("getsockname", (1,), TypeError),
        ("close", (1,), TypeError),
        ("gettimeout", (1,), TypeError),
        ("getblocking", (1,), TypeError),
    ),
    *_rows(
        "fresh AF_INET6",
        ("bind", (("::1", 0, 2**20),), OverflowError),
        ("bind", (("::1", 0, -1),), OverflowError),
        ("bind", (("::1",),), TypeError),
        ("bind", (("::1", 0, 0, 0, 0),), TypeError),
        ("bind", (("::1", 0, "x"),), TypeError),
        ("bind", (("::1", 0, 0, "x"),), TypeError),
        ("bind", ((HOST, 0),), socket.gaierror, socket.EAI_ADDRFAMILY),
        ("connect_ex", (("::1", 70000),), OverflowError),
        ("getsockopt", (9999, 1), OSError, errno.ENOPROTOOPT),
        ("getsockopt", (_O("IPPROTO_IPV6"), 9999), OSError, errno.ENOPROTOOPT),
        ("getsockopt", (_O("IPPROTO_IP"), _O("IP_TOS")), None),
        ("setsockopt", (9999, 1, 1), OSError, errno.ENOPROTOOPT),
        ("setsockopt", (_O("IPPROTO_IPV6"), 9999, 1), OSError, errno.ENOPROTOOPT),
        ("setsockopt", (_O("IPPROTO_IPV6"), _O("IPV6_V6ONLY"), b"\x01"), OSError, errno.EINVAL),
    ),
    *_rows(
        "factory",
        ("__call__", ("x", _O("SOCK_STREAM")), TypeError),
        ("__call__", (_O("AF_INET"), "x"), TypeError),
        ("__call__", (1.0, _O("SOCK_STREAM")), TypeError),
        ("__call__", (2**40, _O("SOCK_STREAM")), OverflowError),
    ),
    *_rows(
        "rb file",
        ("read", ("x",), TypeError),
        ("readinto", (b"abc",), TypeError),
        ("write", (b"x",), io.UnsupportedOperation),
    ),
    *_rows(
        "raw file",
        ("readinto", (b"abc",), TypeError),
        ("readinto", (memoryview(b"abc"),), TypeError),
    ),
    *_rows(
        "wb file",
        ("write", ("str",), TypeError),
        ("write", (1,), TypeError),
        ("read", (1,), io.UnsupportedOperation),
    ),
    *_rows(
        "r file",
        ("write", ("x",), io.UnsupportedOperation),
        ("read", ("x",), TypeError),
    ),
)
"""Wrong calls and Linux's answers: each raises exactly this type (and errno) at once, or, with
``raises=None``, returns. Found by running each on a real loopback socket, which the contract's
loopback run keeps doing."""

_FILE_MODES = {"rb file": ("rb", None), "raw file": ("rb", 0), "wb file": ("wb", None)}


def _answer(row: WrongCall, error: BaseException | None, value: object) -> str | None:
    """What is wrong with how a call answered, or ``None``."""
    if error is None:
        if row.raises is None:
            return None
        return f"expected {row.raises.__name__}, but it returned {value!r}"
    if row.raises is None:
        return f"expected it to return, got {error!r}"
    if type(error) is not row.raises:
        return f"expected {row.raises.__name__}, got {error!r}"
    code = getattr(error, "errno", None)
    if row.errno is not None and code != row.errno:
        return f"expected errno {errno.errorcode.get(row.errno, row.errno)}, got {error!r}"
    return None


def _wrong_call(h: _Harness, row: WrongCall) -> str | None:
    listener, address = h.listener()
    target: Any
    if row.on == "fresh":
        target = h.socket()
    elif row.on == "fresh AF_INET6":
        try:
            target = h.socket(socket.AF_INET6)
        except OSError as error:
            if error.errno in (errno.EAFNOSUPPORT, errno.EPROTONOSUPPORT):
                return None  # no IPv6 on this host: nothing to compare
            raise
    elif row.on == "factory":
        target = h.factory
    elif row.on == "listener":
        target = listener
        target.settimeout(SHORT)
    elif row.on == "closed":
        target = h.socket()
        target.close()
    else:
        target, _ = h.pair()
        target.settimeout(SHORT)  # a call that waits instead of failing at once fails fast
    files: list[Any] = []
    if row.on in _FILE_MODES:
        mode, buffering = _FILE_MODES[row.on]
        files.append(target.makefile(mode, buffering))
    elif row.on == "r file":
        files.append(target.makefile("r", encoding="utf-8"))
    try:
        value = row.make(files[0] if files else target, address)
    except Exception as error:
        return _answer(row, error, None)
    finally:
        for file in files:
            file.close()
    return _answer(row, None, value)


@_check
def check_wrong_calls_answer_as_linux(factory: StreamSocketFactory) -> None:
    """Each call of :data:`WRONG_CALLS` answers as on Linux: the same exception type (and errno),
    at once, or a return where Linux takes it. The failure lists every call that differs."""
    wrong: list[str] = []
    for row in WRONG_CALLS:
        with _harness(factory, "wrong_call") as h:
            problem = _wrong_call(h, row)
        if problem is not None:
            wrong.append(f"  {row.on}: {row.call}: {problem}")
    if wrong:  # raised, not asserted: pytest's rewriting would repeat the list
        listed = "\n".join(wrong)
        raise AssertionError(f"{len(wrong)} of {len(WRONG_CALLS)} wrong calls differ:\n{listed}")


# Small print -----------------------------------------------------------------------------------


@_check
def check_closed_socket_zero_length_calls(factory: StreamSocketFactory) -> None:
    """On a closed socket ``recv(0)`` returns ``b""`` (Python asks the kernel for nothing), but
    ``send(b"")`` and ``sendall(b"")`` raise OSError ``EBADF``."""
    with _harness(factory, "closed_zero_length") as h:
        client, _ = h.pair()
        client.close()
        data = client.recv(0)
        assert data == b"", f"recv(0) on a closed socket returned {data!r}"
        _expect_errno(errno.EBADF, lambda: client.send(b""), "send(b'') after close")
        _expect_errno(errno.EBADF, lambda: client.sendall(b""), "sendall(b'') after close")


@_check
def check_settimeout_accepts_bool(factory: StreamSocketFactory) -> None:
    """``settimeout(True)`` is ``settimeout(1.0)`` and ``settimeout(False)`` is
    ``settimeout(0.0)``: a bool is an int."""
    with _harness(factory, "settimeout_bool") as h:
        sock = h.socket()
        sock.settimeout(True)
        assert sock.gettimeout() == 1.0, f"settimeout(True): timeout {sock.gettimeout()!r}"
        sock.settimeout(False)
        assert sock.gettimeout() == 0.0, f"settimeout(False): timeout {sock.gettimeout()!r}"


@_check
def check_socket_type_and_buffer_options(factory: StreamSocketFactory) -> None:
    """``SO_TYPE`` is ``SOCK_STREAM``; ``SO_RCVBUF`` and ``SO_SNDBUF`` start positive, and
    setting one to 32768 reads back 65536 (Linux doubles it for its bookkeeping)."""
    with _harness(factory, "socket_options") as h:
        sock = h.socket()
        kind = sock.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE)
        assert kind == socket.SOCK_STREAM, f"SO_TYPE is {kind!r}"
        for name, option in (("SO_RCVBUF", socket.SO_RCVBUF), ("SO_SNDBUF", socket.SO_SNDBUF)):
            fresh = sock.getsockopt(socket.SOL_SOCKET, option)
            assert isinstance(fresh, int), f"{name} of a fresh socket: {fresh!r}"
            assert fresh > 0, f"{name} of a fresh socket: {fresh!r}"
            sock.setsockopt(socket.SOL_SOCKET, option, 32768)
            doubled = sock.getsockopt(socket.SOL_SOCKET, option)
            assert doubled == 65536, f"{name} set to 32768 reads back {doubled!r}, not 65536"
        _, server = h.pair()
        kind = server.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE)
        assert kind == socket.SOCK_STREAM, f"SO_TYPE of an accepted socket is {kind!r}"


@_check
def check_kernel_timeout_out_of_range_is_refused(factory: StreamSocketFactory) -> None:
    """A ``struct timeval`` for ``SO_RCVTIMEO`` or ``SO_SNDTIMEO`` whose ``tv_usec`` is not
    0-999,999 is refused with ``EDOM`` (Linux's ``sock_set_timeout``); 999,999 is accepted."""
    with _harness(factory, "kernel_timeout_range") as h:
        sock = h.socket()
        for option in (socket.SO_RCVTIMEO, socket.SO_SNDTIMEO):
            sock.setsockopt(socket.SOL_SOCKET, option, struct.pack("@ll", 2, 999_999))
            for micros in (1_000_000, -1):
                value = struct.pack("@ll", 2, micros)
                setting = functools.partial(sock.setsockopt, socket.SOL_SOCKET, option, value)
                _expect_os_error(OSError, errno.EDOM, setting, f"a timeval with tv_usec {micros}")


@_check
def check_send_buffer_is_bounded(factory: StreamSocketFactory) -> None:
    """Buffers are bounded: a ``sendall`` of 64 MiB with a short timeout to a peer that never
    reads raises TimeoutError; it never returns."""
    with _harness(factory, "bounded_send") as h:
        client, _ = h.pair()
        client.settimeout(SHORT)
        _expect(
            TimeoutError,
            lambda: client.sendall(bytes(64 << 20)),
            "sendall of 64 MiB to a peer that never reads",
        )


CHECKS: tuple[Check, ...] = tuple(_registered)
"""Every check of the contract, in the order the module defines them (each registers itself
with ``@_check``), which is the order they run in."""

__all__ += [check.__name__ for check in CHECKS]  # each check, by its name: one list, not two


def check_id(check: Check) -> str:
    """A check's short name for test ids: ``check_eof_after_peer_close`` gives
    ``eof_after_peer_close``.

    Use it as ``pytest.mark.parametrize(..., ids=check_id)``.
    """
    name = getattr(check, "__name__", repr(check))
    return name.removeprefix("check_")


def check_socket_contract(
    factory: Callable[[], StreamSocketFactory], checks: tuple[Check, ...] = CHECKS
) -> None:
    """Run every check, each on a fresh factory, and stop at the first that fails.

    One call for a quick verdict on a fake; a test suite should rather parametrize over
    :data:`CHECKS` so that each check is its own test with its own id.

    Args:
        factory: called once per check to make a fresh socket factory (for an in-memory fake, a
            fresh network, so one check's leftovers cannot hide another's failure).
        checks: the checks to run.

    Raises:
        AssertionError: the first check that failed, named in the message (a check that raised
            something else, such as an OSError it did not expect, failed too).
    """
    for check in checks:
        try:
            check(factory())
        except AssertionError as error:
            raise AssertionError(f"socket contract, {check_id(check)}: {error}") from error
        except Exception as error:  # a call the check did not expect to fail: still a failure
            raise AssertionError(f"socket contract, {check_id(check)}: {error!r}") from error
