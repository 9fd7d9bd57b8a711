"""What Linux and CPython say about a TCP socket, as the memory socket needs it: constants,
the errors a call raises, the sysctls that size buffers, and how CPython takes a timeout.

Plain ints, not the enum members: flags are tested on every call, and IntFlag's ``&`` is slow.
"""

from __future__ import annotations

import errno
import functools
import math
import os
import socket
import struct
import sys
from typing import Any

from sockettest._addresses import normal_ip

ANY: dict[int, str] = {socket.AF_INET: "0.0.0.0", socket.AF_INET6: "::"}
LOOPBACK: dict[int, str] = {socket.AF_INET: "127.0.0.1", socket.AF_INET6: "::1"}
WILDCARDS = frozenset(ANY.values())
AF_UNIX: int = getattr(socket, "AF_UNIX", 1)
TYPE_FLAGS = int(getattr(socket, "SOCK_NONBLOCK", 0)) | int(getattr(socket, "SOCK_CLOEXEC", 0))
MSG_DONTWAIT = int(getattr(socket, "MSG_DONTWAIT", 0x40))
RCVTIMEO = int(getattr(socket, "SO_RCVTIMEO", 20))
SNDTIMEO = int(getattr(socket, "SO_SNDTIMEO", 21))
KERNEL_TIMEOUTS = (RCVTIMEO, SNDTIMEO)
TIMEVAL = struct.Struct("@ll")  # struct timeval: seconds, microseconds
MSG_PEEK = int(socket.MSG_PEEK)
MSG_WAITALL = int(getattr(socket, "MSG_WAITALL", 0x100))
TIMEOUT_MAX = (1 << 63) // 10**9  # whole seconds: CPython's limit, past which settimeout overflows
_NANOSECONDS_MAX = float(1 << 63)
SHUT_HOWS = (socket.SHUT_RD, socket.SHUT_WR, socket.SHUT_RDWR)
V6ONLY = (socket.IPPROTO_IPV6, getattr(socket, "IPV6_V6ONLY", 26))
LINGER = (socket.SOL_SOCKET, socket.SO_LINGER)
REUSEADDR = (socket.SOL_SOCKET, socket.SO_REUSEADDR)
BUFLEN_MAX = 1024  # CPython's limit for getsockopt's buflen
MSG_OOB = int(socket.MSG_OOB)
UNMODELLED_FLAGS: dict[str, dict[int, tuple[str, str]]] = {
    "read": {
        int(getattr(socket, name)): (name, reason)
        for name, reason in (
            ("MSG_TRUNC", "Linux discards the bytes it reads"),
            ("MSG_ERRQUEUE", "the network has no error queue"),
        )
        if hasattr(socket, name)
    },
    "send": {
        int(getattr(socket, name)): (name, reason)
        for name, reason in (
            ("MSG_OOB", "the network carries no urgent data"),
            ("MSG_FASTOPEN", "a send that connects is not modelled"),
        )
        if hasattr(socket, name)
    },
}
"""Flags Linux acts on that the fake has no model of, by direction, each with why."""
UNMODELLED_READ_FLAGS = sum(UNMODELLED_FLAGS["read"])
UNMODELLED_SEND_FLAGS = sum(UNMODELLED_FLAGS["send"])


def unmodelled(flags: int, direction: str, sock: object) -> str:
    """What ``NotModelled`` says of the first flag in ``flags`` the fake does not model."""
    name, reason = next(found for bit, found in UNMODELLED_FLAGS[direction].items() if flags & bit)
    return f"{name} on {sock!r}: {reason}"


def _options(level: int, *names: str) -> frozenset[tuple[int, int]]:
    return frozenset((level, int(getattr(socket, name))) for name in names if hasattr(socket, name))


FLAG_OPTIONS = (
    _options(
        socket.SOL_SOCKET,
        *("SO_BROADCAST", "SO_DEBUG", "SO_DONTROUTE", "SO_KEEPALIVE", "SO_OOBINLINE"),
        *("SO_REUSEADDR", "SO_REUSEPORT"),
    )
    | _options(socket.IPPROTO_TCP, "TCP_CORK", "TCP_NODELAY", "TCP_QUICKACK")
    | _options(
        socket.IPPROTO_IP,
        *("IP_BIND_ADDRESS_NO_PORT", "IP_MULTICAST_LOOP", "IP_RECVOPTS", "IP_RECVRETOPTS"),
        *("IP_RECVTOS", "IP_RETOPTS", "IP_TRANSPARENT"),
    )
    | _options(
        socket.IPPROTO_IPV6,
        *("IPV6_DONTFRAG", "IPV6_RECVDSTOPTS", "IPV6_RECVHOPLIMIT", "IPV6_RECVHOPOPTS"),
        *("IPV6_RECVPATHMTU", "IPV6_RECVPKTINFO", "IPV6_RECVRTHDR", "IPV6_RECVTCLASS"),
        "IPV6_V6ONLY",
    )
)
"""Options Linux keeps as a flag: any value but 0 sets it, and ``getsockopt`` reads back 1."""


def os_error(code: int) -> OSError:
    """The :class:`OSError` subclass Python raises for ``code``, with the system's message."""
    return OSError(code, os.strerror(code))


def reset_error() -> ConnectionResetError:
    return ConnectionResetError(errno.ECONNRESET, os.strerror(errno.ECONNRESET))


@functools.cache
def _sysctl(name: str, field: int, default: int) -> int:
    """A Linux sysctl (``net/core/rmem_max``), read once; ``default`` elsewhere."""
    try:
        with open(f"/proc/sys/{name}", encoding="ascii") as file:
            return int(file.read().split()[field])
    except (OSError, ValueError, IndexError):
        return default


def buffer_option(option: int, value: int | None) -> int:
    """What Linux reads back for SO_RCVBUF/SO_SNDBUF: the default, or twice what was set,
    clamped to the kernel's minimum and to twice ``rmem_max``/``wmem_max``."""
    if option == socket.SO_RCVBUF:
        fresh, floor, ceiling = _sysctl("net/ipv4/tcp_rmem", 1, 131072), 2304, "rmem_max"
    else:
        fresh, floor, ceiling = _sysctl("net/ipv4/tcp_wmem", 1, 16384), 4608, "wmem_max"
    if value is None:
        return fresh
    return max(floor, min(2 * value, 2 * _sysctl(f"net/core/{ceiling}", 0, 212992)))


_INT_OPTIONS: dict[tuple[int, int], tuple[str, int, range | None]] = {
    (level, int(getattr(socket, name))): (sysctl, default, bounds)
    for level, name, sysctl, default, bounds in (
        (socket.SOL_SOCKET, "SO_RCVLOWAT", "", 1, None),
        (socket.SOL_SOCKET, "SO_SNDLOWAT", "", 1, None),
        (socket.IPPROTO_IP, "IP_TTL", "ipv4/ip_default_ttl", 64, range(1, 256)),
        (socket.IPPROTO_IPV6, "IPV6_UNICAST_HOPS", "ipv6/conf/all/hop_limit", 64, range(256)),
        (socket.IPPROTO_TCP, "TCP_KEEPIDLE", "ipv4/tcp_keepalive_time", 7200, range(1, 32768)),
        (socket.IPPROTO_TCP, "TCP_KEEPINTVL", "ipv4/tcp_keepalive_intvl", 75, range(1, 32768)),
        (socket.IPPROTO_TCP, "TCP_KEEPCNT", "ipv4/tcp_keepalive_probes", 9, range(1, 128)),
        (socket.IPPROTO_TCP, "TCP_SYNCNT", "ipv4/tcp_syn_retries", 6, range(1, 128)),
        (socket.IPPROTO_TCP, "TCP_USER_TIMEOUT", "", 0, range(sys.maxsize)),  # not negative
        (socket.IPPROTO_TCP, "TCP_LINGER2", "ipv4/tcp_fin_timeout", 60, None),
        (socket.IPPROTO_TCP, "TCP_QUICKACK", "", 1, None),
    )
    if hasattr(socket, name)
}
"""Int options a fresh socket does not read as 0, or whose values Linux bounds: the sysctl
the default is read from (if any), the default, and the values ``setsockopt`` takes."""
_PLAIN_OPTION = ("", 0, None)  # any other: no sysctl, 0, no bounds


def option_default(level: int, option: int) -> int:
    """What a fresh socket reads back for an option it keeps as an int: 0 for most."""
    sysctl, default, _ = _INT_OPTIONS.get((level, option), _PLAIN_OPTION)
    return _sysctl(f"net/{sysctl}", 0, default) if sysctl else default


def bounded_option(level: int, option: int, value: int) -> int:
    """``value`` as ``setsockopt`` stores it; ``EINVAL`` out of Linux's bounds. -1 is the
    default of the two IP-level ones (``IP_TTL``, ``IPV6_UNICAST_HOPS``)."""
    _, _, bounds = _INT_OPTIONS.get((level, option), _PLAIN_OPTION)
    if (level, option) == (socket.IPPROTO_IP, socket.IP_TOS):
        return value & 0xFC  # the two ECN bits are a TCP socket's own
    if value == -1 and level in (socket.IPPROTO_IP, socket.IPPROTO_IPV6):
        return option_default(level, option)
    if bounds is not None and value not in bounds:
        raise os_error(errno.EINVAL)
    return value


@functools.lru_cache(maxsize=256)
def ip_literal(host: str) -> tuple[int, str] | None:
    """``(family, normal form)`` of an IP literal, ``None`` for a name; cached, since every
    bind and connect asks and :mod:`ipaddress` is slow to parse."""
    text = normal_ip(host)
    if text is None:
        return None
    return (socket.AF_INET6 if ":" in text else socket.AF_INET), text


def payload(data: Any, flags: int) -> tuple[Any, ...]:
    """What a send records: the bytes (copied from a view, which may not outlive the call);
    what is not bytes-like is recorded as it was given, and the call then fails on it."""
    if isinstance(data, bytes):
        recorded = data
    else:
        try:
            recorded = bytes(memoryview(data))
        except TypeError:
            recorded = data
    return (recorded, flags) if flags else (recorded,)


def check_timeout(timeout: object) -> float | None:
    """``timeout`` as :meth:`socket.socket.settimeout` accepts it, with its errors."""
    if timeout is None:
        return None
    if not isinstance(timeout, int | float):
        raise TypeError(f"'{type(timeout).__name__}' object cannot be interpreted as an integer")
    value = float(timeout)
    if math.isnan(value):
        raise ValueError("Invalid value NaN (not a number)")
    # CPython converts to nanoseconds in 64 bits before it looks at the sign: too far either
    # way overflows, exactly so for an int, after rounding up for a float
    if isinstance(timeout, int):
        out_of_range = not -TIMEOUT_MAX <= timeout <= TIMEOUT_MAX
    else:
        out_of_range = not -_NANOSECONDS_MAX <= math.ceil(value * 1e9) < _NANOSECONDS_MAX
    if out_of_range:
        raise OverflowError("timestamp out of range for platform time_t")
    if value < 0:
        raise ValueError("Timeout value out of range")
    return value
