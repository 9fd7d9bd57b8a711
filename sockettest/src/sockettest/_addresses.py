"""Small address helpers, and the address rules of Linux that the in-memory network follows.

The game has the same two public helpers in ``game/sockets.py``; the kit cannot import the game
(it is a library for anyone's socket code), so they are written twice, on purpose. Keep them in
step. The private ones below take addresses in the normal form the network stores (``str`` of
:mod:`ipaddress`, with IPv4-mapped IPv6 written ``::ffff:127.0.0.1`` as CPython reports it).
"""

from __future__ import annotations

import errno
import functools
import ipaddress
import socket
from collections.abc import Collection

__all__ = ["family_for", "format_address", "ipv6_loopback_available"]


@functools.lru_cache(maxsize=64)
def family_for(host: str) -> socket.AddressFamily:
    """The address family for ``host``: IPv6 for an IPv6 literal, IPv4 otherwise (no lookup).

    Also in ``game/sockets.py``: the kit cannot import the game.
    """
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return socket.AF_INET
    return socket.AF_INET6 if address.version == 6 else socket.AF_INET


def format_address(host: str, port: int) -> str:
    """``host:port`` as people write it: ``127.0.0.1:7777``, ``[::1]:7777``, ``*:7777`` for ''.

    Also in ``game/sockets.py``: the kit cannot import the game.
    """
    if not host:
        host = "*"
    elif ":" in host:
        host = f"[{host}]"
    return f"{host}:{port}"


def ipv6_loopback_available() -> bool:
    """Whether this machine can bind ``::1`` with a real socket.

    :data:`socket.has_ipv6` says only that Python was built with IPv6; containers and CI
    runners often lack the address itself. Use it to skip IPv6 tests cleanly.
    """
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


_IPV4_ANY = "0.0.0.0"
_IPV6_ANY = "::"
_LOOPBACK_V4 = ipaddress.ip_network("127.0.0.0/8")
_LIMITED_BROADCAST = ipaddress.IPv4Address("255.255.255.255")


@functools.lru_cache(maxsize=256)
def normal_ip(host: str) -> str | None:
    """``host`` as an IP literal in the form CPython reports (``::ffff:127.0.0.1`` for a mapped
    address, where :mod:`ipaddress` of 3.11 writes ``::ffff:7f00:1``); ``None`` for a name."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return f"::ffff:{ip.ipv4_mapped}"
    return str(ip)


@functools.lru_cache(maxsize=256)
def unmapped(host: str) -> str:
    """An IPv4-mapped IPv6 address as the IPv4 address it carries; any other address unchanged.

    Linux treats ``::ffff:127.0.0.1`` on an IPv6 socket as 127.0.0.1 itself: the same port
    space, the same listeners.
    """
    if host.startswith("::ffff:") and "." in host:
        return host.removeprefix("::ffff:")
    return host


def as_family(host: str, family: int) -> str:
    """``host`` as a socket of ``family`` shows it: an IPv6 socket sees IPv4 peers mapped."""
    if family == socket.AF_INET6 and ":" not in host:
        return f"::ffff:{host}"
    return unmapped(host) if family == socket.AF_INET else host


def overlaps(a: str, a_v6only: bool, b: str, b_v6only: bool) -> bool:
    """Whether two bound addresses (on one port) collide, as Linux's bind-conflict test has it.

    Equal addresses do; ``0.0.0.0`` covers every IPv4 address, ``::`` every IPv6 one and, unless
    its socket is ``IPV6_V6ONLY``, every IPv4 one too (an IPv4-mapped address counts as IPv4).
    """
    a, b = unmapped(a), unmapped(b)
    if a == b:
        return True
    return _covers(a, a_v6only, b, b_v6only) or _covers(b, b_v6only, a, a_v6only)


def _covers(wildcard: str, wildcard_v6only: bool, other: str, other_v6only: bool) -> bool:
    ipv4 = ":" not in other
    if wildcard == _IPV4_ANY:
        return ipv4 or (other == _IPV6_ANY and not other_v6only)
    if wildcard == _IPV6_ANY:
        return not ipv4 or not wildcard_v6only
    return False


def bind_errno(host: str, family: int, v6only: bool, declared: Collection[str]) -> int | None:
    """Why Linux refuses to bind ``host`` (normal form) on this host, or ``None``: it may.

    Local are the wildcards, 127.0.0.0/8, ``::1`` and the ``declared`` addresses; Linux also
    lets TCP bind IPv4 multicast addresses and 255.255.255.255; anything else is
    ``EADDRNOTAVAIL``. An IPv6 link-local address needs a scope id (an interface: there are
    none), a TCP socket cannot bind an IPv6 multicast address, and an ``IPV6_V6ONLY`` socket
    cannot bind an IPv4-mapped address: ``EINVAL`` for each.
    """
    plain = unmapped(host)
    if family == socket.AF_INET6 and plain != host and v6only:
        return errno.EINVAL
    if plain in (_IPV4_ANY, _IPV6_ANY, "::1", "127.0.0.1") or plain in declared:
        return None
    ip = ipaddress.ip_address(plain)
    if isinstance(ip, ipaddress.IPv4Address):
        if ip in _LOOPBACK_V4 or ip.is_multicast or ip == _LIMITED_BROADCAST:
            return None
    elif ip.is_link_local or ip.is_multicast:
        return errno.EINVAL
    return errno.EADDRNOTAVAIL
