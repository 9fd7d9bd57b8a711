"""A socket method's arguments, taken as CPython's ``socket`` module takes them, with its errors.

A wrong argument to a real socket fails at once, before any system call: ``recv(8 / 2)`` is a
:class:`TypeError`, ``recv(2**63)`` an :class:`OverflowError`, whether or not data is waiting.
A fake that takes it instead blocks, or returns data, and hides the bug. So
:class:`~sockettest.MemorySocket` passes every argument through these converters first; each
mirrors one of CPython's argument formats (``socketmodule.c``), and the contract's table of
wrong calls (:data:`sockettest.contract.WRONG_CALLS`) compares the answers with Linux's.

The exception types are CPython's, and so are the messages where they say what a caller needs.
Then come the kernel's own answers to options it does not have or values of the wrong size
(:func:`check_option`), from Linux's ``sock_setsockopt``, ``do_tcp_setsockopt`` and
``ip_setsockopt``.
"""

from __future__ import annotations

import errno
import functools
import operator
import os
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "bytes_like",
    "c_flag",
    "c_int",
    "c_long",
    "c_ssize",
    "c_unsigned",
    "check_option",
    "host_and_port",
    "option_value",
    "writable_buffer",
]

_FAMILY_NAMES: dict[int, str] = {socket.AF_INET: "AF_INET", socket.AF_INET6: "AF_INET6"}
_FLOWINFO_MAX = 0xFFFFF


def _integer(value: Any, low: int, high: int, c_type: str) -> int:
    number = operator.index(value)  # "'float' object cannot be interpreted as an integer"
    if not low <= number <= high:
        raise OverflowError(f"Python int out of range for a C {c_type}")
    return number


_INT_MIN, _INT_MAX = -(1 << 31), (1 << 31) - 1
_SSIZE_MIN, _SSIZE_MAX = -(1 << 63), (1 << 63) - 1  # and a long's, on Linux
_UINT_MASK = 0xFFFF_FFFF


def c_int(value: Any) -> int:
    """An ``int`` argument (CPython's ``"i"``): anything with ``__index__``, not a float."""
    if type(value) is int and _INT_MIN <= value <= _INT_MAX:  # the common case, at once
        return value
    return _integer(value, _INT_MIN, _INT_MAX, "int")


def c_flag(value: Any) -> bool:
    """``setblocking``'s flag: any object's truth from Python 3.12 on (CPython's ``"p"``), an
    ``int`` argument before it (``"i"``: ``setblocking("x")`` is a :class:`TypeError` on 3.11)."""
    return bool(value) if sys.version_info >= (3, 12) else bool(c_long(value))


def c_unsigned(value: Any) -> int:
    """An ``unsigned int`` argument (``"I"``), as ``setsockopt``'s ``optlen``: CPython checks
    no range for this format but takes any int modulo 2**32 (``-1`` is 4294967295)."""
    return operator.index(value) & _UINT_MASK


def c_long(value: Any) -> int:
    """A ``long`` argument, as ``setblocking``'s flag."""
    return _integer(value, _SSIZE_MIN, _SSIZE_MAX, "long")


def c_ssize(value: Any) -> int:
    """A ``Py_ssize_t`` argument (``"n"``): buffer sizes."""
    if type(value) is int and _SSIZE_MIN <= value <= _SSIZE_MAX:
        return value
    return _integer(value, _SSIZE_MIN, _SSIZE_MAX, "ssize_t")


def bytes_like(data: object) -> memoryview:
    """A readable buffer (``"y*"``): ``bytes``, ``bytearray``, ``memoryview``..., as bytes."""
    if type(data) is bytes:
        return memoryview(data)
    try:
        view = memoryview(data)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"a bytes-like object is required, not '{type(data).__name__}'") from None
    if not view.c_contiguous:  # "y*" asks for a contiguous buffer
        raise BufferError("memoryview: underlying buffer is not C-contiguous")
    return view.cast("B")


def writable_buffer(buffer: object, call: str) -> memoryview:
    """A writable buffer (``"w*"``), as ``recv_into``'s: ``bytes`` is read-only, so refused."""
    try:
        view = memoryview(buffer)  # type: ignore[arg-type]
    except TypeError:
        view = None
    if view is None or view.readonly or not view.c_contiguous:
        raise TypeError(
            f"{call}() argument 1 must be read-write bytes-like object, not {type(buffer).__name__}"
        )
    return view.cast("B")


@functools.lru_cache(maxsize=256)
def _idna_encodes(host: str) -> bool:
    """Whether IDNA encodes ``host``; cached, as every bind and connect asks and the codec is
    slow (a few microseconds, as long as the rest of a connect)."""
    try:
        host.encode("idna")
    except UnicodeError:
        return False
    return True


def host_and_port(
    address: object, family: int, call: str, resolve: Callable[[str], str] | None = None
) -> tuple[str, int]:
    """An ``AF_INET`` or ``AF_INET6`` address's host (as text) and port, checked as CPython's
    ``getsockaddrarg`` checks them: a tuple of the family's shape, a host that is ``str``,
    ``bytes`` or ``bytearray`` (no NUL), an integer port of 0-65535, and for IPv6 a flowinfo of
    0-1048575. ``resolve`` (host to address) runs where CPython resolves: after the types,
    before the ranges, so ``("::1", 70000)`` on ``AF_INET`` is a ``gaierror``."""
    name = _FAMILY_NAMES.get(family, "AF_INET")
    if not isinstance(address, tuple):
        raise TypeError(f"{call}(): {name} address must be tuple, not {type(address).__name__}")
    if family == socket.AF_INET6:
        if not 2 <= len(address) <= 4:
            raise TypeError(f"{name} address must be a tuple (host, port[, flowinfo[, scopeid]])")
    elif len(address) != 2:
        raise TypeError(f"{name} address must be a pair (host, port)")
    host = address[0]
    if isinstance(host, bytes | bytearray):
        host = bytes(host).decode("latin-1")
    elif isinstance(host, str):
        if not host.isascii() and not _idna_encodes(host):  # as CPython: ASCII is taken as is
            raise TypeError("encoding of hostname failed")
    else:
        raise TypeError(f"str, bytes or bytearray expected, not {type(host).__name__}")
    if "\0" in host:
        raise TypeError("host name must not contain null character")
    port_range = OverflowError(f"{call}(): port must be 0-65535.")
    try:
        port = c_int(address[1])
    except OverflowError:
        raise port_range from None
    flowinfo = c_unsigned(address[2]) if len(address) > 2 else 0
    if len(address) > 3:
        operator.index(address[3])  # the scope id: Linux takes any, modulo 2**32
    if resolve is not None:
        host = resolve(host)
    if not 0 <= port <= 65535:
        raise port_range
    if flowinfo > _FLOWINFO_MAX:
        raise OverflowError(f"{call}(): flowinfo must be 0-{_FLOWINFO_MAX}.")
    return host, port


@dataclass(frozen=True)
class NoBuffer:
    """``setsockopt(level, option, None, optlen)``: the kernel is handed no buffer, and
    ``optlen`` as its own C int (CPython's unsigned ``4294967295`` is ``-1`` there)."""

    optlen: int


def option_value(value: object, optlen: object) -> int | bytes | NoBuffer:
    """``setsockopt``'s value as CPython takes it: a C int, a bytes-like buffer, or, for
    ``None`` with an ``optlen``, no buffer (:class:`NoBuffer`)."""
    if optlen is not None:
        if value is not None:
            raise TypeError("setsockopt() takes exactly 3 arguments (4 given)")
        length = c_unsigned(optlen)
        return NoBuffer(length - (1 << 32) if length >> 31 else length)
    if type(value) is bytes:  # a struct (a timeval, a linger): no int to try first
        return value
    try:
        return c_int(value)
    except (TypeError, OverflowError):
        return bytes(bytes_like(value))  # a str, a float, None, or an int past a C int


def _named(prefix: str, *but: str) -> frozenset[int]:
    return frozenset(
        int(getattr(socket, name))
        for name in dir(socket)
        if name.startswith(prefix) and not name.startswith(but) and name.isupper()
    )


def _option(name: str) -> int | None:
    value = getattr(socket, name, None)
    return None if value is None else int(value)


_OPTIONS: dict[int, frozenset[int]] = {
    socket.SOL_SOCKET: _named("SO_", "SO_VM_"),
    socket.IPPROTO_TCP: _named("TCP_"),
    socket.IPPROTO_IP: _named("IP_"),
    socket.IPPROTO_IPV6: _named("IPV6_"),
}
"""The options Linux has at each level, as far as Python names them."""

_AF_UNIX: int = getattr(socket, "AF_UNIX", 1)  # a memory socketpair's family
_LEVELS: dict[int, frozenset[int]] = {
    socket.AF_INET: frozenset({socket.SOL_SOCKET, socket.IPPROTO_TCP, socket.IPPROTO_IP}),
    socket.AF_INET6: frozenset(_OPTIONS),
    _AF_UNIX: frozenset({socket.SOL_SOCKET}),
}

_READ_ONLY_NAMES = ("SO_TYPE", "SO_ERROR", "SO_ACCEPTCONN", "SO_PROTOCOL", "SO_DOMAIN")
_READ_ONLY = frozenset(
    (socket.SOL_SOCKET, option)
    for option in map(_option, (*_READ_ONLY_NAMES, "SO_PEERCRED", "SO_PEERSEC", "SO_SNDLOWAT"))
    if option is not None
)
"""Options ``getsockopt`` reads and ``setsockopt`` refuses (``ENOPROTOOPT``)."""

_ANY_LENGTH = frozenset(
    (level, option)
    for level, option in (
        (socket.SOL_SOCKET, _option("SO_BINDTODEVICE")),
        (socket.IPPROTO_TCP, _option("TCP_CONGESTION")),
        (socket.IPPROTO_TCP, _option("TCP_ULP")),
        (socket.IPPROTO_TCP, _option("TCP_MD5SIG")),
    )
    if option is not None
)
"""Options of the two levels that read an int first whose value is not one (names, structs)."""

_TIMEVALS = frozenset(
    (socket.SOL_SOCKET, option) for option in (socket.SO_RCVTIMEO, socket.SO_SNDTIMEO)
)
"""Options whose value is a ``struct timeval``, which the memory socket checks itself."""

_INT_FIRST = frozenset({socket.SOL_SOCKET, socket.IPPROTO_TCP})
"""Levels whose setsockopt reads an int before it looks at the option."""

_SIZES = {(socket.SOL_SOCKET, socket.SO_LINGER): 8}  # struct linger: two ints
_INT_SIZE = 4


def _error(code: int) -> OSError:
    return OSError(code, os.strerror(code))


def check_option(family: int, level: int, option: int, value: Any, *, setting: bool) -> Any:
    """Raise what Linux answers for an option it does not have at ``level``, or for a value
    of the wrong size (``value`` is what :func:`option_value` gave; ignored when reading).
    Return the value as Linux reads it: an int option given as bytes is its first int.

    Raises:
        OSError: ``ENOPROTOOPT`` for an unknown option, or an unknown level when setting
            (reading one on ``AF_INET``, or either on ``AF_UNIX``: ``EOPNOTSUPP``); ``EINVAL``
            for a value shorter than the option's, or no buffer with a length shorter than an
            int (any negative length, at any level); ``EFAULT`` for no buffer of an int's length.
    """
    if isinstance(value, NoBuffer) and value.optlen < 0:
        raise _error(errno.EINVAL)  # the system call refuses it before it looks at the level
    if level not in _LEVELS.get(family, _LEVELS[socket.AF_INET]):
        unsupported = family == _AF_UNIX or (family == socket.AF_INET and not setting)
        raise _error(errno.EOPNOTSUPP if unsupported else errno.ENOPROTOOPT)
    known = option in _OPTIONS[level] and not (setting and (level, option) in _READ_ONLY)
    if not setting:
        if not known:
            raise _error(errno.ENOPROTOOPT)
        return None
    whole = (level, option) not in _ANY_LENGTH
    if level in _INT_FIRST and whole:
        # Linux's sock_setsockopt and do_tcp_setsockopt copy an int before they look at the
        # option: a shorter value, or none, fails first.
        if isinstance(value, bytes) and len(value) < _INT_SIZE:
            raise _error(errno.EINVAL)
        if isinstance(value, NoBuffer):
            raise _error(errno.EINVAL if value.optlen < _INT_SIZE else errno.EFAULT)
    if not known:
        raise _error(errno.ENOPROTOOPT)
    if isinstance(value, NoBuffer):  # IPv6 reads no buffer as 0 (of an int's length); IPv4
        if level == socket.IPPROTO_IPV6:  # copies from it
            if value.optlen < _INT_SIZE:
                raise _error(errno.EINVAL)
            return 0
        raise _error(errno.EFAULT)
    size = _SIZES.get((level, option))
    if size is not None and (isinstance(value, int) or len(value) < size):
        raise _error(errno.EINVAL)
    reads_int = (level in _INT_FIRST or level == socket.IPPROTO_IPV6) and whole
    if reads_int and size is None and isinstance(value, bytes) and (level, option) not in _TIMEVALS:
        if len(value) < _INT_SIZE:  # IPv6's int options
            raise _error(errno.EINVAL)
        return int.from_bytes(value[:_INT_SIZE], sys.byteorder, signed=True)
    return value
