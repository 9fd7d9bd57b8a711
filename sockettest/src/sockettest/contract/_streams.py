"""Connections as byte streams: accepting, order, EOF and half-close, shutdown, close, resets
and the errors that follow them."""

from __future__ import annotations

import errno
import select
import socket
import time
from collections.abc import Callable
from functools import partial

from sockettest._types import Socket
from sockettest.contract._harness import (
    SHORT,
    TIMEOUT,
    Harness,
    expect,
    expect_eof,
    expect_errno,
    linger_reset,
    poll,
    readable,
    recv,
    recv_exactly,
    register,
    writable,
)


@register
def check_accept_returns_connected_socket(h: Harness) -> None:
    """``accept`` returns a connected socket and the client's address; both ends agree on the
    addresses; the accepted socket blocks (timeout ``None``) whatever the listener's timeout."""
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
    assert recv_exactly(server, 4, "accepted socket") == b"ping"


@register
def check_accept_is_first_in_first_out(h: Harness) -> None:
    """``accept`` hands out waiting connections in the order they were made (the backlog is a
    queue), each with its own client's address."""
    listener, address = h.listener()
    clients = [h.socket() for _ in range(3)]
    for client in clients:
        client.connect(address)
    peers = [h.accept(listener)[1][:2] for _ in clients]
    made = [client.getsockname()[:2] for client in clients]
    assert peers == made, f"accept() gave the peers {peers!r}; they connected as {made!r}"


@register
def check_bytes_arrive_in_order(h: Harness) -> None:
    """Many small sends arrive complete and in order, in both directions."""
    client, server = h.pair()
    messages = [f"message {i}\n".encode() for i in range(50)]
    expected = b"".join(messages)
    for sender, receiver in ((client, server), (server, client)):
        for message in messages:
            sender.sendall(message)
        received = recv_exactly(receiver, len(expected), "ordered bytes", bufsize=100)
        assert received == expected, "bytes arrived out of order or changed"


@register
def check_recv_returns_at_most_bufsize(h: Harness) -> None:
    """``recv(n)`` never returns more than ``n`` bytes, and what it leaves stays for the next."""
    client, server = h.pair()
    client.sendall(b"abcdefghij" * 10)
    assert recv(server, 1, "recv(1)") == b"a"
    assert recv(server, 3, "recv(3)") == b"bcd"
    rest = recv_exactly(server, 96, "the rest", bufsize=7)
    assert rest == (b"abcdefghij" * 10)[4:]


@register
def check_big_send_arrives_complete(h: Harness) -> None:
    """A ``sendall`` far bigger than any ``recv`` arrives complete, across many reads."""
    data = bytes(range(256)) * 1024  # 256 KiB: may exceed the kernel's buffers, so a thread
    client, server = h.pair()
    thread, result = h.thread(lambda: client.sendall(data), "sender")
    received = recv_exactly(server, len(data), "big send", bufsize=65536)
    h.join(thread)
    assert result.error is None, f"sendall failed: {result.error!r}"
    assert received == data, "a big send arrived changed"


@register
def check_blocked_recv_wakes_on_data(h: Harness) -> None:
    """A ``recv`` blocked in another thread returns the data as soon as it is sent."""
    client, server = h.pair()
    result = h.woken(lambda: server.recv(100), "reader", lambda: client.sendall(b"hello"))
    assert result.error is None, f"blocked recv failed: {result.error!r}"
    assert result.value == b"hello", f"blocked recv returned {result.value!r}"


@register
def check_eof_after_peer_close(h: Harness) -> None:
    """After the peer closes, ``recv`` returns what it sent, then ``b""``, and ``b""`` again."""
    client, server = h.pair()
    client.sendall(b"last words")
    client.close()
    assert recv_exactly(server, 10, "data before close") == b"last words"
    expect_eof(server, "recv after the peer closed")
    expect_eof(server, "a second recv after the peer closed")


@register
def check_eof_after_peer_shut_wr_other_direction_works(h: Harness) -> None:
    """Half-close: after the peer's ``shutdown(SHUT_WR)`` this side reads EOF, and can still
    send to the peer, which can still read."""
    client, server = h.pair()
    client.sendall(b"request")
    client.shutdown(socket.SHUT_WR)
    assert recv_exactly(server, 7, "data before SHUT_WR") == b"request"
    expect_eof(server, "recv after the peer's SHUT_WR")
    server.sendall(b"response")
    assert recv_exactly(client, 8, "the other direction after SHUT_WR") == b"response"
    server.close()
    expect_eof(client, "recv after the peer closed")


@register
def check_own_shut_rd_gives_eof(h: Harness) -> None:
    """After this socket's ``shutdown(SHUT_RD)``, ``recv`` with nothing pending returns ``b""``
    at once, and sending still works."""
    client, server = h.pair()
    server.shutdown(socket.SHUT_RD)
    expect_eof(server, "recv after own SHUT_RD")
    server.sendall(b"still sending")
    assert recv_exactly(client, 13, "send after own SHUT_RD") == b"still sending"


@register
def check_send_after_shut_wr_raises_broken_pipe(h: Harness) -> None:
    """After this socket's ``shutdown(SHUT_WR)``, ``send`` raises BrokenPipeError."""
    client, _ = h.pair()
    client.shutdown(socket.SHUT_WR)
    expect(BrokenPipeError, lambda: client.send(b"x"), "send after own SHUT_WR")
    expect(BrokenPipeError, lambda: client.sendall(b"x"), "sendall after own SHUT_WR")


@register
def check_send_to_closed_peer_fails(h: Harness) -> None:
    """Sending to a peer that closed fails with BrokenPipeError or ConnectionResetError within a
    few sends (Linux takes the first one, then learns of the close)."""
    client, server = h.pair()
    server.close()
    for _ in range(20):
        try:
            client.send(b"x")
        except (BrokenPipeError, ConnectionResetError):
            return
        time.sleep(SHORT / 4)
    raise AssertionError("send to a closed peer kept succeeding")


@register
def check_close_with_unread_data_resets_peer(h: Harness) -> None:
    """Closing with unread data resets the connection: the peer first reads what was sent to it,
    then gets ConnectionResetError, then EOF."""
    client, server = h.pair()
    server.sendall(b"goodbye")
    client.sendall(b"never read")
    _ = recv_exactly(server, 1, "a byte, so the rest has surely arrived")
    server.close()
    assert recv_exactly(client, 7, "data sent before the reset") == b"goodbye"
    expect(ConnectionResetError, lambda: client.recv(100), "recv after the peer's reset")
    expect_eof(client, "recv after the reset was reported")


@register
def check_use_after_close_raises_ebadf(h: Harness) -> None:
    """After ``close``, every call raises OSError ``EBADF``; a second ``close`` is harmless."""
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
        expect_errno(errno.EBADF, call, f"{name} after close")


@register
def check_unconnected_socket_raises_enotconn(h: Harness) -> None:
    """On a socket never connected, ``shutdown``, ``recv`` and ``getpeername`` raise
    ``ENOTCONN``; ``select`` finds it readable and writable (Linux hangs it up: POLLHUP)."""
    # A fresh socket for each call: on Linux a failed shutdown still marks the socket shut.
    calls: dict[str, Callable[[Socket], object]] = {
        "shutdown": lambda sock: sock.shutdown(socket.SHUT_RDWR),
        "recv": lambda sock: sock.recv(1),
        "getpeername": lambda sock: sock.getpeername(),
    }
    for name, call in calls.items():
        expect_errno(errno.ENOTCONN, partial(call, h.socket()), f"{name} on an unconnected socket")
    fresh = h.socket()
    assert readable(fresh, 0), "an unconnected socket is not readable"
    assert writable(fresh, 0), "an unconnected socket is not writable"


@register
def check_shutdown_wakes_blocked_recv(h: Harness) -> None:
    """``shutdown(SHUT_RDWR)`` from another thread wakes a ``recv`` blocked with no timeout,
    which returns ``b""``: how the server stops its reader threads."""
    _, server = h.pair()
    server.settimeout(None)
    result = h.woken(lambda: server.recv(100), "reader", partial(server.shutdown, socket.SHUT_RDWR))
    assert result.error is None, f"the woken recv raised {result.error!r}"
    assert result.value == b"", f"the woken recv returned {result.value!r}, not b''"


@register
def check_shutdown_wakes_blocked_accept(h: Harness) -> None:
    """``shutdown(SHUT_RDWR)`` from another thread wakes an ``accept`` blocked with no timeout,
    which raises OSError: how the server stops its accept loop. The shut listener is hung up:
    ``select`` finds it readable and writable, as a selector loop's wait must end."""
    listener, _ = h.listener()
    listener.settimeout(None)
    result = h.woken(listener.accept, "acceptor", partial(listener.shutdown, socket.SHUT_RDWR))
    assert isinstance(result.error, OSError), (
        f"the woken accept should raise OSError; it gave {result.error or result.value!r}"
    )
    assert readable(listener, 0), "a shut listener is not readable"
    assert writable(listener, 0), "a shut listener is not writable (Linux: POLLHUP)"


@register
def check_context_manager_closes(h: Harness) -> None:
    """``with sock:`` closes the socket on exit: the peer sees EOF."""
    client, server = h.pair()
    with client:
        client.sendall(b"bye")
    expect_errno(errno.EBADF, client.getsockname, "getsockname after the with block")
    assert recv_exactly(server, 3, "data sent in the with block") == b"bye"
    expect_eof(server, "recv after the with block closed the peer")


def _send_error(sock: Socket) -> OSError | None:
    """The error of sending a byte on ``sock``, or ``None`` if the send went through."""
    try:
        sock.send(b"x")
    except OSError as error:
        return error
    return None


def _reset_taken(sock: Socket) -> bool | None:
    """``True`` once ``sock`` has taken its peer's reset: ``getpeername`` raises ``ENOTCONN``
    (it does not consume the pending error, as ``recv`` and ``send`` would)."""
    try:
        sock.getpeername()
    except OSError as error:
        if error.errno != errno.ENOTCONN:
            raise AssertionError(f"getpeername after the peer's reset raised {error!r}") from error
        return True
    return None


@register
def check_linger_zero_close_resets_peer(h: Harness) -> None:
    """Closing with ``SO_LINGER`` (1, 0) resets the connection: the peer reads the bytes already
    delivered to it, then gets ConnectionResetError, then EOF."""
    client, server = h.pair()
    client.sendall(b"hello")
    assert readable(server, TIMEOUT), "the data never reached the peer"
    linger_reset(client)
    assert recv_exactly(server, 5, "data delivered before the reset") == b"hello"
    expect(ConnectionResetError, lambda: server.recv(100), "recv after a linger reset")
    expect_eof(server, "recv after the reset was reported")


@register
def check_reset_socket_is_not_connected_and_pipe_broken(h: Harness) -> None:
    """After a reset, ``getpeername`` raises ``ENOTCONN``; the first ``send`` or ``recv``
    reports the reset (ConnectionResetError), and every later ``send`` raises BrokenPipeError
    (``EPIPE``) while ``recv`` returns ``b""``. Both for a peer that closed with unread data and
    for a linger reset."""
    # A peer that closes with unread data resets; nothing was sent to the client, so it
    # turns readable only when the reset arrives.
    client, server = h.pair()
    client.sendall(b"unread")
    assert readable(server, TIMEOUT), "the data never reached the peer"
    server.close()
    assert readable(client, TIMEOUT), "a reset socket never became readable"
    expect_errno(errno.ENOTCONN, client.getpeername, "getpeername after reset")
    expect(ConnectionResetError, lambda: client.send(b"x"), "the first send after a reset")
    expect_errno(errno.EPIPE, lambda: client.send(b"x"), "send again", BrokenPipeError)
    expect_errno(errno.EPIPE, lambda: client.sendall(b"x"), "sendall", BrokenPipeError)
    expect_eof(client, "recv after the reset was reported")
    expect_errno(errno.ENOTCONN, client.getpeername, "getpeername, later")

    client, server = h.pair()
    linger_reset(server)
    expect(ConnectionResetError, lambda: client.recv(100), "recv after a linger reset")
    expect_errno(errno.ENOTCONN, client.getpeername, "getpeername after reset")
    expect_errno(errno.EPIPE, lambda: client.send(b"x"), "send", BrokenPipeError)
    expect_errno(errno.EPIPE, lambda: client.sendall(b"x"), "sendall", BrokenPipeError)
    expect_eof(client, "recv after the reset was reported")


@register
def check_data_to_shut_rdwr_socket_resets_connection(h: Harness) -> None:
    """Data that reaches a socket after its ``shutdown(SHUT_RDWR)`` resets the connection: the
    sender's sends soon raise BrokenPipeError (the first is accepted, then the reset comes
    back), its ``recv`` returns ``b""``, and the shut socket's ``recv`` raises
    ConnectionResetError, then returns ``b""``."""
    client, server = h.pair()
    server.shutdown(socket.SHUT_RDWR)
    expect_eof(client, "recv after the peer's SHUT_RDWR")
    # Linux takes sends until the reset that the first one provokes comes back (on loopback, at
    # once): a send soon fails.
    error = poll(partial(_send_error, client))
    assert isinstance(error, BrokenPipeError), f"send to a socket that shut down: {error!r}"
    expect_eof(client, "the sender's recv after the reset")
    expect(ConnectionResetError, lambda: server.recv(10), "the shut socket's recv")
    expect_eof(server, "the shut socket's recv after the reset was reported")


@register
def check_reset_after_peer_eof_reads_eof_and_breaks_pipe(h: Harness) -> None:
    """A reset that comes after the peer's EOF (the peer did SHUT_WR, then closed with
    ``SO_LINGER`` (1, 0)) is not reported by ``recv``, which keeps returning ``b""``;
    ``send`` raises BrokenPipeError."""
    client, server = h.pair()
    server.shutdown(socket.SHUT_WR)
    expect_eof(client, "recv after the peer's SHUT_WR")
    client.sendall(b"unread")
    linger_reset(server)
    assert poll(partial(_reset_taken, client)), f"getpeername answers {TIMEOUT} s after a reset"
    expect_eof(client, "recv after a reset that followed EOF")
    expect_errno(errno.EPIPE, lambda: client.send(b"x"), "send", BrokenPipeError)
    expect_eof(client, "recv after the broken pipe")


_ENDS = ("POLLIN", "POLLOUT", "POLLRDHUP", "POLLHUP", "POLLERR")


def _poll_bits(sock: Socket, until: str) -> set[str]:
    """The names of ``poll``'s bits for ``sock``, once ``until`` is among them (or
    :data:`TIMEOUT` passed): POLLOUT alone would end a wait at once."""
    poller = select.poll()
    poller.register(sock, getattr(select, until))
    poller.poll(TIMEOUT * 1000)
    poller.modify(sock, sum(getattr(select, name) for name in _ENDS))
    mask = dict(poller.poll(0)).get(sock.fileno(), 0)
    return {name for name in _ENDS if mask & getattr(select, name)}


@register
def check_poll_shows_how_a_connection_ended(h: Harness) -> None:
    """``poll`` on ``fileno()`` shows the end of a connection as Linux does: the peer's close
    is POLLRDHUP (and readable, writable); the own SHUT_WR after it, POLLHUP too; a reset,
    POLLERR until ``recv`` reports it (or ``SO_ERROR``, after the peer's EOF), then POLLHUP."""
    if not hasattr(select, "POLLRDHUP"):
        return  # Linux's bit
    client, server = h.pair()
    server.close()
    assert _poll_bits(client, "POLLRDHUP") == {"POLLIN", "POLLOUT", "POLLRDHUP"}
    client.shutdown(socket.SHUT_WR)
    assert _poll_bits(client, "POLLHUP") == {"POLLIN", "POLLOUT", "POLLRDHUP", "POLLHUP"}
    client, server = h.pair()
    linger_reset(server)
    assert _poll_bits(client, "POLLERR") == set(_ENDS), "poll after a reset"
    expect(ConnectionResetError, lambda: client.recv(1), "recv after a linger reset")
    assert _poll_bits(client, "POLLHUP") == set(_ENDS) - {"POLLERR"}, "after it was reported"
    client, server = h.pair()  # a reset after the peer's EOF: EPIPE in SO_ERROR, then POLLHUP
    server.shutdown(socket.SHUT_WR)
    expect_eof(client, "recv after the peer's SHUT_WR")
    client.sendall(b"unread")
    linger_reset(server)
    assert _poll_bits(client, "POLLERR") == set(_ENDS), "poll after a reset that followed EOF"
    assert client.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == errno.EPIPE
    assert _poll_bits(client, "POLLHUP") == set(_ENDS) - {"POLLERR"}, "after SO_ERROR was read"
