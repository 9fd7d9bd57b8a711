"""Small address helpers.

The game has the same two helpers in ``game/sockets.py``; the kit cannot import the game (it is
a library for anyone's socket code), so they are written twice, on purpose. Keep them in step.
"""

from __future__ import annotations

import functools
import ipaddress
import socket

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
