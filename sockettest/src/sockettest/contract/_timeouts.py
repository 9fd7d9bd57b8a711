"""Waiting: timeouts, kernel timeouts, non-blocking mode and connect, readiness through
:func:`select.select` and :mod:`selectors`, and bounded send buffers."""

from __future__ import annotations

import errno
import selectors
import socket
import struct
import time
from collections.abc import Callable
from functools import partial

from sockettest._types import Socket
from sockettest.contract._harness import (
    FILL_LIMIT,
    HOST,
    SHORT,
    TIMEOUT,
    Harness,
    expect,
    expect_eof,
    expect_errno,
    harness,
    readable,
    recv_exactly,
    register,
    writable,
)


def _timeval(seconds: float) -> bytes:
    """``seconds`` as the ``struct timeval`` that ``SO_RCVTIMEO`` and ``SO_SNDTIMEO`` take,
    rounded as a whole: 2.9999999 s is (3, 0), never a ``tv_usec`` of 1,000,000 (``EDOM``)."""
    return struct.pack("@ll", *divmod(round(seconds * 1_000_000), 1_000_000))


def _send_until_blocked(sock: Socket, what: str) -> int:
    """Send on a non-blocking ``sock`` until BlockingIOError; return how many bytes it took.
    Fails if it takes more than :data:`FILL_LIMIT`: the send path is unbounded."""
    chunk = bytes(65536)
    sent = 0
    while sent < FILL_LIMIT:
        try:
            sent += sock.send(chunk)
        except BlockingIOError:
            return sent
    raise AssertionError(f"{what}: {sent} bytes to a peer that never reads, and send never blocks")


def _fill_send_path(sock: Socket, writable: Callable[[], bool], what: str) -> int:
    """Fill a non-blocking ``sock``'s send path until ``writable()`` says no; return the bytes
    sent. Right after the first BlockingIOError Linux may still report writable while the
    peer's receive window takes the last bytes; refilling closes it."""
    sent = 0
    for _ in range(5):
        sent += _send_until_blocked(sock, what)
        if not writable():
            return sent
    raise AssertionError(f"{what}: still writable after send blocked ({sent} bytes sent)")


@register
def check_recv_timeout_raises_timeout_error(h: Harness) -> None:
    """With a timeout and no data, ``recv`` raises TimeoutError after about that long; the
    socket still works afterwards."""
    client, server = h.pair()
    server.settimeout(SHORT)
    started = time.monotonic()
    expect(TimeoutError, lambda: server.recv(100), "recv with a timeout and no data")
    waited = time.monotonic() - started
    assert waited >= SHORT * 0.5, f"timed out after {waited:.3f} s, not {SHORT} s"
    server.settimeout(TIMEOUT)
    client.sendall(b"late")
    assert recv_exactly(server, 4, "recv after a timeout") == b"late"


@register
def check_accept_timeout_raises_timeout_error(h: Harness) -> None:
    """With a timeout and no connection, ``accept`` raises TimeoutError."""
    listener, _ = h.listener()
    listener.settimeout(SHORT)
    expect(TimeoutError, listener.accept, "accept with a timeout and no connection")


@register
def check_zero_timeout_never_blocks(h: Harness) -> None:
    """With timeout 0, ``recv`` and ``accept`` that would block raise BlockingIOError."""
    client, server = h.pair()
    server.settimeout(0)
    expect(BlockingIOError, lambda: server.recv(10), "recv with timeout 0 and no data")
    listener, _ = h.listener()
    listener.settimeout(0)
    expect(BlockingIOError, listener.accept, "accept with timeout 0 and no connection")
    client.sendall(b"now")
    server.settimeout(TIMEOUT)
    assert recv_exactly(server, 3, "recv once data is there") == b"now"


@register
def check_kernel_timeouts_bound_blocking_calls_with_eagain(h: Harness) -> None:
    """On a blocking socket (no Python timeout), ``SO_RCVTIMEO`` makes a ``recv`` with no data,
    and an ``accept`` with no connection, raise BlockingIOError (``EAGAIN``) after about that
    long; ``SO_SNDTIMEO`` makes a ``send`` to a peer that never reads return a short count,
    then raise BlockingIOError."""
    client, server = h.pair()
    server.settimeout(None)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, _timeval(SHORT))
    started = time.monotonic()
    expect_errno(errno.EAGAIN, lambda: server.recv(100), "recv with SO_RCVTIMEO", BlockingIOError)
    waited = time.monotonic() - started
    assert waited >= SHORT * 0.5, f"recv gave up after {waited:.3f} s, not {SHORT} s"
    client.sendall(b"late")
    assert recv_exactly(server, 4, "recv after SO_RCVTIMEO expired") == b"late"
    listener, _ = h.listener()
    listener.settimeout(None)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, _timeval(SHORT))
    expect_errno(errno.EAGAIN, listener.accept, "accept with SO_RCVTIMEO", BlockingIOError)
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


def _bound_sends(sock: Socket, bound: str) -> int:
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


@register
def check_send_bigger_than_the_buffers_returns_its_short_count(h: Harness) -> None:
    """A ``send`` bigger than all the buffering, to a peer that never reads, takes what fits and
    returns that short count, whatever bounds it: ``SO_SNDTIMEO`` on a blocking socket (Linux
    takes part, waits that long for more room, then returns the count), a timeout,
    non-blocking mode or ``MSG_DONTWAIT``; the peer gets exactly that many bytes. A
    ``sendall`` then sends part and gives up as its bound says: BlockingIOError (``EAGAIN``),
    or TimeoutError with a timeout (CPython's ``sendall`` gives up at the first send that
    takes nothing)."""
    data = bytes(FILL_LIMIT)
    for bound in ("SO_SNDTIMEO", "a timeout", "non-blocking", "MSG_DONTWAIT"):
        with harness(h.factory, "short_send") as each:  # sockets and threads of its own
            client, server = each.pair()
            flags = _bound_sends(client, bound)
            what = f"send of {len(data)} bytes with {bound} to a peer that never reads"
            taken = each.in_time(partial(client.send, data, flags), what)
            assert 0 < taken < len(data), f"{what} returned {taken!r}, not a short count"
            recv_exactly(server, taken, f"the peer of a {what}", bufsize=1 << 16)
            assert not readable(server, SHORT), f"{what}: the peer got more than {taken} bytes"
            what = f"sendall of {len(data)} bytes with {bound} to a peer that never reads"
            sendall = partial(each.in_time, partial(client.sendall, data, flags), what)
            if bound == "a timeout":
                expect(TimeoutError, sendall, what)
            else:
                expect_errno(errno.EAGAIN, sendall, what, BlockingIOError)


@register
def check_select_readable_on_data_and_eof(h: Harness) -> None:
    """``select`` reports a connected socket readable only when ``recv`` would not block: not
    with no data, yes once data arrives, no again once it is read, and yes at EOF (for good)."""
    client, server = h.pair()
    assert not readable(server, 0), "a connected socket with no data is readable"
    client.sendall(b"x")
    assert readable(server, TIMEOUT), "data was sent, but the socket never became readable"
    assert recv_exactly(server, 1, "recv once readable") == b"x"
    assert not readable(server, 0), "still readable after its only data was read"
    client.close()
    assert readable(server, TIMEOUT), "the peer closed, but the socket never became readable"
    expect_eof(server, "recv once readable at EOF")
    assert readable(server, 0), "a socket at EOF stopped being readable after reading b''"


@register
def check_select_listener_readable_when_connection_pending(h: Harness) -> None:
    """``select`` reports a listener readable when a connection waits to be accepted, and not
    before or after."""
    listener, address = h.listener()
    assert not readable(listener, 0), "a listener with no pending connection is readable"
    client = h.socket()
    client.connect(address)
    assert readable(listener, TIMEOUT), "a connection is pending, the listener not readable"
    h.accept(listener)
    assert not readable(listener, 0), "readable after its only connection was accepted"


@register
def check_select_writable_until_send_path_full(h: Harness) -> None:
    """A fresh connected socket is writable; once non-blocking sends to a peer that does not
    read fill the send path (BlockingIOError), it is not; once the peer reads it all, it is."""
    client, server = h.pair()
    assert writable(client, TIMEOUT), "a fresh connected socket is not writable"
    client.setblocking(False)
    sent = _fill_send_path(client, partial(writable, client, 0), "filling the send path")
    recv_exactly(server, sent, "the peer reads all that was sent", bufsize=1 << 18)
    assert writable(client, TIMEOUT), "not writable again after the peer read everything"


@register
def check_selector_reports_read_and_write_readiness(h: Harness) -> None:
    """:class:`selectors.DefaultSelector` sees the same readiness: read when data arrives (not
    before), write on a connected socket, and nothing once the send path is full."""
    with selectors.DefaultSelector() as selector:
        client, server = h.pair()

        def ready(timeout: float = 0) -> list[tuple[object, int]]:
            return [(key.fileobj, events) for key, events in selector.select(timeout)]

        selector.register(server, selectors.EVENT_READ)
        assert ready() == [], "selector: a socket with no data is ready to read"
        client.sendall(b"x")
        assert (events := ready(TIMEOUT)) == [(server, selectors.EVENT_READ)], (
            f"selector after data: {events!r}"
        )
        selector.unregister(server)

        selector.register(client, selectors.EVENT_WRITE)
        assert (events := ready(TIMEOUT)) == [(client, selectors.EVENT_WRITE)], (
            f"selector, writable: {events!r}"
        )
        client.setblocking(False)
        sent = _fill_send_path(client, lambda: bool(ready()), "selector, filling the send path")
        recv_exactly(server, sent, "the peer reads all that was sent", bufsize=1 << 18)
        assert (events := ready(TIMEOUT)) == [(client, selectors.EVENT_WRITE)], (
            f"selector, drained: {events!r}"
        )
        selector.unregister(client)


@register
def check_non_blocking_calls_raise_blocking_io_error(h: Harness) -> None:
    """After ``setblocking(False)`` (timeout 0.0), ``recv`` with no data, ``accept`` with no
    connection and ``send`` on a full buffer raise BlockingIOError; ``settimeout(0)`` is the
    same; ``setblocking(True)`` gives timeout ``None``."""
    client, server = h.pair()
    listener, _ = h.listener()
    for sock in (client, server, listener):
        sock.setblocking(False)
        assert sock.gettimeout() == 0.0, f"setblocking(False): timeout {sock.gettimeout()!r}"
    expect(BlockingIOError, lambda: server.recv(10), "non-blocking recv with no data")
    expect(BlockingIOError, listener.accept, "non-blocking accept with no connection")
    _send_until_blocked(client, "non-blocking sends to a peer that never reads")
    expect(BlockingIOError, lambda: client.send(b"x"), "non-blocking send, buffer full")
    client.setblocking(True)
    assert client.gettimeout() is None, f"setblocking(True): timeout {client.gettimeout()!r}"
    client.settimeout(0)
    expect(BlockingIOError, lambda: client.send(b"x"), "send with timeout 0, buffer full")
    expect(BlockingIOError, lambda: client.sendall(b"x"), "sendall, timeout 0, buffer full")


@register
def check_non_blocking_connect_completes_when_writable(h: Harness) -> None:
    """A non-blocking ``connect`` raises BlockingIOError ``EINPROGRESS`` (``connect_ex`` returns
    it); the socket turns writable with ``SO_ERROR`` 0, and then it is connected."""
    listener, address = h.listener()
    client = h.socket()
    client.setblocking(False)
    expect_errno(errno.EINPROGRESS, lambda: client.connect(address), "connect", BlockingIOError)
    assert writable(client, TIMEOUT), "a non-blocking connect never became writable"
    error = client.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    assert error == 0, f"SO_ERROR after a connect that succeeded: {error!r}"
    client.settimeout(TIMEOUT)
    server, _ = h.accept(listener)
    assert client.getpeername()[:2] == address
    client.sendall(b"hello")
    assert recv_exactly(server, 5, "data after a non-blocking connect") == b"hello"

    second = h.socket()
    second.setblocking(False)
    code = second.connect_ex(address)
    assert code == errno.EINPROGRESS, f"non-blocking connect_ex returned {code!r}"
    assert writable(second, TIMEOUT), "a non-blocking connect_ex never became writable"
    assert second.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0


@register
def check_non_blocking_connect_refused_sets_so_error(h: Harness) -> None:
    """A non-blocking ``connect`` where nothing listens still raises ``EINPROGRESS``; the
    socket turns writable with ``SO_ERROR`` ``ECONNREFUSED``, which reading clears."""
    bound = h.socket()
    bound.bind((HOST, 0))  # holds the port so nothing else can listen there
    client = h.socket()
    client.setblocking(False)
    expect_errno(
        errno.EINPROGRESS,
        lambda: client.connect(bound.getsockname()),
        "non-blocking connect where nothing listens",
        BlockingIOError,
    )
    assert writable(client, TIMEOUT), "a refused non-blocking connect never became writable"
    error = client.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    assert error == errno.ECONNREFUSED, f"SO_ERROR after a refused connect: {error!r}"
    error = client.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    assert error == 0, f"SO_ERROR read a second time: {error!r}, not 0"


@register
def check_settimeout_accepts_bool(h: Harness) -> None:
    """``settimeout(True)`` is ``settimeout(1.0)`` and ``settimeout(False)`` is
    ``settimeout(0.0)``: a bool is an int."""
    sock = h.socket()
    sock.settimeout(True)
    assert sock.gettimeout() == 1.0, f"settimeout(True): timeout {sock.gettimeout()!r}"
    sock.settimeout(False)
    assert sock.gettimeout() == 0.0, f"settimeout(False): timeout {sock.gettimeout()!r}"


@register
def check_kernel_timeout_out_of_range_is_refused(h: Harness) -> None:
    """A ``struct timeval`` for ``SO_RCVTIMEO`` or ``SO_SNDTIMEO`` whose ``tv_usec`` is not
    0-999,999 is refused with ``EDOM`` (Linux's ``sock_set_timeout``); 0 and 999,999 are
    accepted."""
    sock = h.socket()
    for option in (socket.SO_RCVTIMEO, socket.SO_SNDTIMEO):
        for micros in (0, 999_999):
            sock.setsockopt(socket.SOL_SOCKET, option, struct.pack("@ll", 2, micros))
        for micros in (1_000_000, -1):
            value = struct.pack("@ll", 2, micros)
            setting = partial(sock.setsockopt, socket.SOL_SOCKET, option, value)
            expect_errno(errno.EDOM, setting, f"a timeval with tv_usec {micros}")


@register
def check_send_buffer_is_bounded(h: Harness) -> None:
    """Buffers are bounded: a ``sendall`` of 64 MiB with a short timeout to a peer that never
    reads raises TimeoutError; it never returns."""
    client, _ = h.pair()
    client.settimeout(SHORT)
    expect(
        TimeoutError,
        lambda: client.sendall(bytes(64 << 20)),
        "sendall of 64 MiB to a peer that never reads",
    )
