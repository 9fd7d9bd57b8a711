"""Addresses: binding, the ports a closed connection holds, and connecting, IPv4 and IPv6."""

from __future__ import annotations

import errno
import socket
import time
from functools import partial
from typing import Literal

from sockettest._types import Address, SocketFactory
from sockettest.contract._harness import (
    HOST,
    SHORT,
    TIMEOUT,
    Harness,
    expect,
    expect_errno,
    recv_exactly,
    register,
)


@register
def check_bind_port_zero_assigns_a_port(h: Harness) -> None:
    """``bind((host, 0))`` picks a real port, which ``getsockname()`` reports."""
    sock = h.socket()
    assert sock.getsockname()[1] == 0, "an unbound socket's port should be 0"
    sock.bind((HOST, 0))
    host, port = sock.getsockname()[:2]
    assert host == HOST, f"bound to {HOST}, getsockname() says {host!r}"
    assert 0 < port < 65536, f"bind to port 0 gave port {port!r}"


@register
def check_bind_address_in_use_fails(h: Harness) -> None:
    """Binding the address a listener holds raises ``EADDRINUSE``, even with SO_REUSEADDR."""
    _, address = h.listener()
    second = h.socket()
    second.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    expect_errno(errno.EADDRINUSE, lambda: second.bind(address), "bind to a used address")


def _bind_error(factory: SocketFactory, address: Address, reuse: bool) -> int | None:
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


def _expect_bind(h: Harness, address: Address, reuse: bool, code: int | None, what: str) -> None:
    found = _bind_error(h.factory, address, reuse)
    name = "SO_REUSEADDR" if reuse else "no SO_REUSEADDR"
    expected, got = (errno.errorcode[c] if c else "success" for c in (code, found))
    assert found == code, f"{what}, bind with {name}: expected {expected}, got {got}"


def _connection_closed_by(
    h: Harness, first: Literal["server", "client"], reuse: bool
) -> tuple[Address, Address]:
    """Make a connection on a listener (``SO_REUSEADDR`` set or not), close the listener, then
    close the ``first`` side and then the other; return (listener address, client address)."""
    client, server = h.pair(reuse)
    addresses = server.getsockname()[:2], client.getsockname()[:2]
    for sock in (server, client) if first == "server" else (client, server):
        sock.close()
    return addresses


def _wait_for_the_last_ack(h: Harness, address: Address) -> None:
    """Wait, up to ``TIMEOUT``, until ``address`` binds: the side that closed last holds it
    (LAST_ACK) until the final ACK of the side that closed first arrives, which on loopback may
    still be on its way; a fake that holds it for good still fails the bind that follows."""
    deadline = time.monotonic() + TIMEOUT
    while _bind_error(h.factory, address, False) is not None and time.monotonic() < deadline:
        time.sleep(SHORT / 4)


@register
def check_active_close_holds_the_address_in_time_wait(h: Harness) -> None:
    """The side that closes a connection first holds its address afterwards (TIME_WAIT): when
    the server's side closed first, binding the server's port fails with ``EADDRINUSE``, also
    with ``SO_REUSEADDR`` unless the old listener had it too; the client's port is free. When
    the client closed first, its port is held and the server's is free again."""
    port, client_port = _connection_closed_by(h, "server", reuse=False)
    what = "the port of a server whose side closed first"
    _expect_bind(h, port, False, errno.EADDRINUSE, what)
    _expect_bind(h, port, True, errno.EADDRINUSE, f"{what} without SO_REUSEADDR")
    _wait_for_the_last_ack(h, client_port)
    _expect_bind(h, client_port, False, None, "the port of a client that closed last")

    port, _ = _connection_closed_by(h, "server", reuse=True)
    what = "the port of a SO_REUSEADDR server whose side closed first"
    _expect_bind(h, port, False, errno.EADDRINUSE, what)
    _expect_bind(h, port, True, None, what)

    port, client_port = _connection_closed_by(h, "client", reuse=False)
    _expect_bind(h, client_port, False, errno.EADDRINUSE, "a client port, closed first")
    _wait_for_the_last_ack(h, port)
    _expect_bind(h, port, False, None, "the port of a server whose client closed first")


@register
def check_open_connection_holds_the_listener_port(h: Harness) -> None:
    """An accepted connection holds the listener's port after the listener closes: a new bind
    there fails with ``EADDRINUSE`` unless both it and the old listener set ``SO_REUSEADDR``."""
    for reuse in (False, True):
        address = h.pair(reuse)[1].getsockname()[:2]
        what = f"the port of a closed listener (SO_REUSEADDR {int(reuse)}) with a connection"
        _expect_bind(h, address, False, errno.EADDRINUSE, what)
        _expect_bind(h, address, True, None if reuse else errno.EADDRINUSE, what)


@register
def check_reuseaddr_lets_two_sockets_bind_but_one_listen(h: Harness) -> None:
    """Two sockets with ``SO_REUSEADDR`` may bind one address while neither listens; a third
    without it may not; once one listens, the other's ``listen`` fails with ``EADDRINUSE``."""
    first, second = h.socket(), h.socket()
    for sock in (first, second):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    first.bind((HOST, 0))
    address = first.getsockname()[:2]
    second.bind(address)
    assert second.getsockname()[:2] == address
    _expect_bind(h, address, False, errno.EADDRINUSE, "an address two sockets share")
    first.listen(8)
    expect_errno(errno.EADDRINUSE, lambda: second.listen(8), "a second listen")
    _expect_bind(h, address, True, errno.EADDRINUSE, "an address a socket listens on")


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


@register
def check_bind_to_an_address_not_local_fails(h: Harness) -> None:
    """``bind`` to an address this host does not have raises ``EADDRNOTAVAIL``, as each entry
    of ``_BIND_ANSWERS`` says (IPv6 ones where the host has IPv6); an ``IPV6_V6ONLY``
    socket cannot bind an IPv4-mapped address (``EINVAL``)."""
    only6 = h.ipv6_socket()  # None without IPv6 on this host: its entries are not checked
    for host, code in _BIND_ANSWERS:
        if ":" not in host or only6 is not None:
            _expect_bind(h, (host, 0), False, code, f"bind {host}")
    if only6 is not None:
        only6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        bind = partial(only6.bind, ("::ffff:127.0.0.1", 0))
        expect_errno(errno.EINVAL, bind, "IPV6_V6ONLY bind to an IPv4-mapped address")


@register
def check_wildcards_of_both_families_share_a_port_unless_v6only(h: Harness) -> None:
    """``0.0.0.0:p`` and ``[::]:p`` collide (``EADDRINUSE``) unless the IPv6 socket is
    ``IPV6_V6ONLY``; ``[::1]:p`` beside ``0.0.0.0:p`` never does."""
    only6 = h.ipv6_socket()
    if only6 is None:
        return  # no IPv6 on this host: there is nothing to check
    ipv4 = h.socket()
    ipv4.bind(("0.0.0.0", 0))
    port = ipv4.getsockname()[1]
    _expect_bind(h, ("::", port), False, errno.EADDRINUSE, "[::] beside 0.0.0.0")
    _expect_bind(h, ("::1", port), False, None, "[::1] beside 0.0.0.0")
    only6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    only6.bind(("::", port))
    assert only6.getsockname()[1] == port


@register
def check_connect_refused_where_nothing_listens(h: Harness) -> None:
    """``connect`` to a bound port with no listener raises ConnectionRefusedError."""
    bound = h.socket()
    bound.bind((HOST, 0))  # holds the port so nothing else can listen there
    client = h.socket()
    expect(
        ConnectionRefusedError,
        lambda: client.connect(bound.getsockname()),
        "connect where nothing listens",
    )


@register
def check_connect_times_out_when_backlog_full(h: Harness) -> None:
    """A listener that never accepts fills its backlog (``listen(0)`` holds one connection on
    Linux); a blocking ``connect`` with a timeout to it then raises TimeoutError: Linux drops
    the SYN rather than refuse it."""
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


@register
def check_connect_to_any_address_reaches_loopback(h: Harness) -> None:
    """``connect(("0.0.0.0", port))`` means this host: it reaches a listener on 127.0.0.1,
    and the peer name is ``("127.0.0.1", port)``."""
    listener, (_, port) = h.listener()
    client = h.socket()
    client.connect(("0.0.0.0", port))
    server, _ = h.accept(listener)
    assert client.getpeername()[:2] == (HOST, port), f"peer is {client.getpeername()!r}"
    assert server.getpeername()[:2] == client.getsockname()[:2]
    client.sendall(b"hi")
    assert recv_exactly(server, 2, "data after connecting to 0.0.0.0") == b"hi"


@register
def check_dual_stack_listener_accepts_ipv4(h: Harness) -> None:
    """An IPv6 listener on ``::`` accepts IPv4 clients (``IPV6_V6ONLY`` is 0 by default, the
    ``net.ipv6.bindv6only`` default); the peer shows as ``("::ffff:127.0.0.1", port, 0, 0)``.
    With ``IPV6_V6ONLY`` 1 set before ``bind``, an IPv4 client is refused."""
    listener = h.ipv6_socket()
    if listener is None:
        return  # no IPv6 on this host: there is nothing to check
    try:
        listener.bind(("::", 0))
    except OSError as error:
        if error.errno == errno.EADDRNOTAVAIL:
            return  # IPv6 turned off on this host
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
    assert recv_exactly(server, 2, "IPv4 data on an IPv6 socket") == b"v4"

    only6 = h.socket(socket.AF_INET6)
    only6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    only6.bind(("::", 0))
    only6.listen(8)
    assert only6.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY) == 1
    ipv4 = h.socket()
    expect(
        ConnectionRefusedError,
        lambda: ipv4.connect((HOST, only6.getsockname()[1])),
        "IPv4 connect to an IPV6_V6ONLY listener",
    )


@register
def check_ipv4_mapped_address_reaches_an_ipv4_listener(h: Harness) -> None:
    """An IPv6 socket reaches an IPv4 listener at ``::ffff:127.0.0.1``: it sees both addresses
    mapped, the listener's side sees plain IPv4. With ``IPV6_V6ONLY`` 1 the connect fails with
    ``ENETUNREACH``."""
    listener, (_, port) = h.listener()
    client = h.ipv6_socket()
    if client is None:
        return  # no IPv6 on this host: there is nothing to check
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
    assert recv_exactly(server, 2, "data from an IPv6 socket to an IPv4 one") == b"v6"

    only6 = h.socket(socket.AF_INET6)
    only6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    expect_errno(
        errno.ENETUNREACH,
        lambda: only6.connect(("::ffff:127.0.0.1", port)),
        "IPV6_V6ONLY connect to an IPv4-mapped address",
    )
