"""A memory socket's options and timeouts: ``setsockopt``, ``getsockopt``, ``settimeout`` and
``setblocking``, and the deadline a blocking call gets from them (``SO_RCVTIMEO`` and
``SO_SNDTIMEO`` included). :class:`_OptionCalls` is a mixin of :class:`~sockettest.MemorySocket`
(see ``_socket_parts.py``).
"""

from __future__ import annotations

import errno
import functools
import socket
import struct
import sys
from typing import TYPE_CHECKING, Any

from sockettest._arguments import (
    NoBuffer,
    c_flag,
    c_int,
    check_option,
    option_value,
)
from sockettest._linux import (
    BUFLEN_MAX,
    FLAG_OPTIONS,
    KERNEL_TIMEOUTS,
    LINGER,
    TIMEVAL,
    bounded_option,
    buffer_option,
    check_timeout,
    option_default,
    os_error,
)
from sockettest._socket_parts import _SocketParts

if TYPE_CHECKING:
    pass

__all__ = ["_OptionCalls"]

SOL_SOCKET = socket.SOL_SOCKET
_SO_DOMAIN, _SO_PROTOCOL = getattr(socket, "SO_DOMAIN", None), getattr(socket, "SO_PROTOCOL", None)
_NETWORK_FAMILIES = (socket.AF_INET, socket.AF_INET6)
_INT = 4  # bytes of a C int


class _OptionCalls(_SocketParts):
    """``setsockopt``, ``getsockopt``, ``settimeout``, ``setblocking`` and their readers."""

    def setsockopt(self, level: int, option: int, value: Any, optlen: int | None = None, /) -> None:
        """Store the option; ``getsockopt`` reads it back as Linux would. It changes nothing
        else, except ``SO_LINGER`` ``(1, 0)`` (close resets) and ``IPV6_V6ONLY``.

        Raises:
            OSError: ``EBADF`` after close.
        """
        with self._lock:
            self._enter("setsockopt", (level, option, value), True)
            level, option = c_int(level), c_int(option)
            value = option_value(value, optlen)
            self._check_open()
            self.options[(level, option)] = _stored_option(self._family, level, option, value)

    def getsockopt(self, level: int, option: int, buflen: int | None = None, /) -> Any:
        """The option as Linux reads it back: ``SO_TYPE``, ``SO_ERROR`` (cleared by the read),
        ``SO_ACCEPTCONN``, ``SO_DOMAIN``, the buffer sizes; otherwise the value set, or Linux's
        default (``IP_TTL`` 64, the keepalive sysctls; 0 for most).

        With ``buflen``, the value as bytes (``SO_LINGER`` is ``struct.pack("ii", ...)``).

        Raises:
            OSError: ``EBADF`` after close.
        """
        with self._lock:
            self._enter("getsockopt", (level, option), True)
            level, option = c_int(level), c_int(option)
            if buflen is not None:
                buflen = c_int(buflen) or None  # 0 asks for the int, as no buflen does
                if buflen is not None and not 0 < buflen <= BUFLEN_MAX:
                    raise OSError("getsockopt buflen out of range")
            self._check_open()
            check_option(self._family, level, option, None, setting=False)
            value: Any = self.options.get((level, option), None)
            value = option_default(level, option) if value is None else value
            if level == socket.SOL_SOCKET:
                if option == socket.SO_TYPE:
                    value = socket.SOCK_STREAM
                elif option == _SO_DOMAIN:
                    value = self._family
                elif option == _SO_PROTOCOL:
                    value = socket.IPPROTO_TCP if self._family in _NETWORK_FAMILIES else 0
                elif option == socket.SO_ERROR:
                    value, self._so_error = self._so_error, 0
                    if not value and self._pending_error is not None:
                        value = self._pending_error.errno or 0  # reported here, not by recv
                        self._pending_error = None
                        self._broken = True
                    self._notify()
                elif option == socket.SO_ACCEPTCONN:
                    value = int(self._listening)
                elif option in (socket.SO_RCVBUF, socket.SO_SNDBUF):
                    value = self.options.get((level, option)) or buffer_option(option, None)
            if buflen is None:
                if isinstance(value, bytes | bytearray):
                    return int.from_bytes(bytes(value[:4]).ljust(4, b"\0"), sys.byteorder)
                return int(value)
            if isinstance(value, bytes | bytearray):
                return bytes(value[:buflen])
            if level == socket.IPPROTO_IP and buflen < _INT and 0 <= value <= 255:
                return bytes([value])  # IPv4 answers a short buffer with a char
            size = TIMEVAL.size if option in KERNEL_TIMEOUTS and level == SOL_SOCKET else _INT
            size = 2 * _INT if (level, option) == LINGER else size  # the struct's, or an int's
            return struct.pack("i", int(value)).ljust(size, b"\0")[:buflen]

    def settimeout(self, timeout: float | None, /) -> None:
        """Set how long blocking calls wait: ``None`` blocks, ``0`` never blocks.

        Raises:
            ValueError: a negative timeout, or NaN.
            OverflowError: a timeout too large for the platform (``math.inf`` is one).
            TypeError: not a number.
            OSError: ``EBADF`` after close.
        """
        with self._lock:
            self._enter("settimeout", (timeout,), True)
            self._timeout = check_timeout(timeout)  # CPython stores it even when closed
            self._check_open()

    def gettimeout(self) -> float | None:
        """The timeout :meth:`settimeout` set: :func:`socket.getdefaulttimeout` at first."""
        return self._timeout

    @property
    def timeout(self) -> float | None:
        """:meth:`gettimeout`, as the read-only attribute a real socket has too."""
        return self._timeout

    def setblocking(self, flag: bool, /) -> None:
        """``setblocking(True)`` is ``settimeout(None)``; ``False`` is ``settimeout(0)``."""
        with self._lock:
            self._enter("setblocking", (flag,), True)
            self._timeout = None if c_flag(flag) else 0.0  # CPython stores it even when closed
            self._check_open()

    def getblocking(self) -> bool:
        """False when the timeout is 0 (non-blocking), True otherwise."""
        return self._timeout != 0

    def _deadline(self, kernel_option: int | None = None) -> float | None:
        """When a blocking call gives up: the socket's timeout, or on a blocking socket the
        kernel's ``kernel_option`` (``SO_RCVTIMEO``, ``SO_SNDTIMEO``), which ends it with
        ``EAGAIN`` instead (see :meth:`_block`)."""
        timeout = self._timeout
        if timeout is None:
            value = None if kernel_option is None else self.options.get((SOL_SOCKET, kernel_option))
            timeout = None if value is None else _seconds(value)  # a timeval, as stored
            if timeout is None:
                return None
        return self._waiting.now() + timeout


@functools.lru_cache(maxsize=256)
def _stored_option(family: int, level: int, option: int, value: int | bytes | NoBuffer) -> Any:
    """What ``setsockopt`` stores: the value checked (:func:`check_option`) and made what Linux
    reads back. Cached: a server sets the same few options on every socket it accepts, and a
    client may set its timeouts before every call (an error is not cached: it is raised again)."""
    value = check_option(family, level, option, value, setting=True)
    if level == socket.IPPROTO_IP and isinstance(value, bytes) and len(value) <= _INT:
        whole = len(value) == _INT  # an int; from fewer bytes Linux reads a char, or 0 of none
        value = int.from_bytes(value if whole else value[:1], sys.byteorder, signed=whole)
    if level == socket.SOL_SOCKET and option in (socket.SO_RCVBUF, socket.SO_SNDBUF):
        assert isinstance(value, int)  # made one above
        return buffer_option(option, value)
    if (level, option) in FLAG_OPTIONS and isinstance(value, int):
        return int(value != 0)
    if level == socket.SOL_SOCKET and option in KERNEL_TIMEOUTS:
        if not isinstance(value, bytes) or len(value) < TIMEVAL.size:
            raise os_error(errno.EINVAL)  # Linux wants a whole struct timeval
        value = value[: TIMEVAL.size]
        if not 0 <= TIMEVAL.unpack(value)[1] < 1_000_000:
            raise os_error(errno.EDOM)  # tv_usec out of range, as Linux says it
    return bounded_option(level, option, value) if isinstance(value, int) else value


@functools.lru_cache(maxsize=64)
def _seconds(timeval: bytes) -> float | None:
    """A kernel timeout's seconds (``None``: 0, no bound); cached, as every call on a blocking
    socket with a kernel timeout asks, and a server's sockets share a few values."""
    seconds, micros = TIMEVAL.unpack(timeval)
    return (seconds + micros / 1e6) or None
