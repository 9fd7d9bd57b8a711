"""The socket surface the game uses, and the hook that lets a test replace it.

:class:`Server` and :class:`Client` never call :func:`socket.socket` directly: they call a
*socket factory*, ``factory(family, type) -> socket``. Pass your own to hand them a mock or an
in-memory socket (the ``sockettest`` kit has both). Leave it ``None`` and
:func:`resolve_factory` looks up :func:`socket.socket` *at call time*: a default bound at import
would keep the real class even after pytest-socket replaces it, and tests that think they are
socket-free would quietly open real sockets.

:class:`SocketLike` lists every method the game calls, and nothing more, so a fake need only
implement these to stand in for a real socket.
"""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import math
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol, TypeAlias

__all__ = [
    "Address",
    "Clock",
    "KernelTimeouts",
    "check_address",
    "check_hook",
    "check_timeout",
    "family_for",
    "format_address",
    "quietly",
    "reset_on_close",
    "resolve_clock",
    "resolve_factory",
    "set_kernel_timeout",
    "set_nodelay",
]

Address: TypeAlias = tuple[Any, ...]
"""A socket address: ``(host, port)`` for IPv4, ``(host, port, flowinfo, scope_id)`` for IPv6."""


class SocketLike(Protocol):
    """The subset of :class:`socket.socket` that the game calls."""

    def setsockopt(self, level: int, option: int, value: int | bytes, /) -> None: ...
    def bind(self, address: Address, /) -> None: ...
    def listen(self, backlog: int, /) -> None: ...
    def accept(self) -> tuple[SocketLike, Any]: ...
    def getsockname(self) -> Any: ...
    def connect(self, address: Address, /) -> None: ...
    def settimeout(self, timeout: float | None, /) -> None: ...
    def recv(self, bufsize: int, /) -> bytes: ...
    def send(self, data: bytes, flags: int = 0, /) -> int: ...
    def sendall(self, data: bytes, /) -> None: ...
    def shutdown(self, how: int, /) -> None: ...
    def close(self) -> None: ...


class SocketFactory(Protocol):
    """Makes a socket, called as ``factory(family, socket.SOCK_STREAM)``; the testing hook."""

    def __call__(self, family: int, type: int, /) -> SocketLike: ...


def resolve_factory(factory: SocketFactory | None) -> SocketFactory:
    """Return ``factory``, or :class:`socket.socket` as it is bound *now* if it is ``None``."""
    return factory if factory is not None else socket.socket


Clock: TypeAlias = Callable[[], float]
"""A monotonic clock in seconds, such as :func:`time.monotonic`: the other testing hook. The
server's idle timer and the client's waits read it, so that a test on a virtual clock
(``sockettest.VirtualClock.monotonic``) runs a 300-second timeout in milliseconds."""


def resolve_clock(clock: Clock | None) -> Clock:
    """Return ``clock``, or :func:`time.monotonic` as it is bound *now* if it is ``None``."""
    return clock if clock is not None else time.monotonic


@functools.lru_cache(maxsize=64)
def family_for(host: str) -> socket.AddressFamily:
    """The address family for ``host``: IPv6 for an IPv6 literal, IPv4 otherwise.

    No DNS lookup: a name such as ``localhost`` is left to ``bind``/``connect`` over IPv4.
    Cached: every server start and every connect asks, and :mod:`ipaddress` is slow to parse.
    """
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return socket.AF_INET
    return socket.AF_INET6 if address.version == 6 else socket.AF_INET


def format_address(host: str, port: int) -> str:
    """``host:port`` as people write it: ``127.0.0.1:7777``, ``[::1]:7777``, ``*:7777`` for ''."""
    if not host:
        host = "*"
    elif ":" in host:
        host = f"[{host}]"
    return f"{host}:{port}"


def check_address(host: object, port: object) -> None:
    """Raise :class:`ValueError` unless ``host`` is a ``str`` and ``port`` an ``int`` in 0-65535.

    A ``bool`` is not a port, though Python counts it as an ``int``. A host with a character no
    address or name can hold (a NUL, a control character, a lone surrogate) is refused here,
    where it was given: ``bind`` and ``connect`` would refuse it only later, with a
    :class:`TypeError` that does not say which argument was wrong.
    """
    if not isinstance(host, str):
        raise ValueError(f"host must be a str such as '127.0.0.1', not {host!r}")
    if not host.isprintable():
        raise ValueError(
            f"host may not hold control characters or lone surrogates, as {host!r} does"
        )
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ValueError(f"port must be an int in 0-65535 (0: any free port), not {port!r}")


def check_timeout(seconds: object, what: str) -> float | None:
    """``seconds`` as a limit the socket layer can wait for: ``None`` for no limit.

    ``math.inf`` means no limit, as ``None`` does; a finite limit must be positive and no longer
    than :data:`threading.TIMEOUT_MAX` (about 292 years), past which every wait would fail with
    an ``OverflowError`` instead of waiting.

    Raises:
        ValueError: anything else, naming ``what``.
    """
    if seconds is None:
        return None
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not seconds > 0:
        raise ValueError(f"{what} must be positive seconds or math.inf, not {seconds!r}")
    if math.isinf(seconds):
        return None
    if seconds > threading.TIMEOUT_MAX:
        raise ValueError(
            f"{what} of {seconds:g} s is longer than this platform can wait "
            f"({threading.TIMEOUT_MAX:g} s); use math.inf for no limit"
        )
    return float(seconds)


def check_hook(hook: object, what: str) -> None:
    """Raise :class:`TypeError` unless ``hook`` (a ``socket_factory`` or a ``clock``) is
    ``None`` or callable: at construction, naming ``what``, rather than in whichever thread
    first calls it."""
    if hook is not None and not callable(hook):
        raise TypeError(f"{what} must be a callable or None, not {hook!r}")


def quietly(call: Callable[..., object], *args: object) -> None:
    """Call a socket method whose failure only means the socket is already shut or closed."""
    with contextlib.suppress(OSError):
        call(*args)


def set_kernel_timeout(sock: SocketLike, option: int, seconds: float | None) -> None:
    """Bound ``sock``'s blocking calls in one direction in the kernel: ``option`` is
    ``SO_RCVTIMEO`` (``recv``) or ``SO_SNDTIMEO`` (each ``send``); ``None``: no bound.

    Unlike :meth:`socket.socket.settimeout`, the socket stays blocking, so each call is one
    system call (a Python timeout polls before every ``recv`` and ``send``), the two directions
    get timeouts of their own, and ``MSG_DONTWAIT`` makes one send non-blocking. A call that
    gives up raises :class:`BlockingIOError` (``EAGAIN``); a ``send`` that took part of its data
    returns its short count.
    """
    # Rounded as a whole, so that 2.9999999 s is (3, 0), never a tv_usec of 1,000,000 (EDOM).
    whole, micros = (0, 0) if seconds is None else divmod(round(seconds * 1_000_000), 1_000_000)
    if seconds is not None and whole == micros == 0:
        micros = 1  # zero would mean no bound at all
    if sys.platform == "win32":  # a DWORD of milliseconds there, not a struct timeval
        value = struct.pack("@L", whole * 1000 + micros // 1000)
    else:
        value = struct.pack("@ll", whole, micros)
    sock.setsockopt(socket.SOL_SOCKET, option, value)


class KernelTimeouts:
    """One socket's kernel timeouts, each set (:func:`set_kernel_timeout`) only when its figure
    changes: a ``setsockopt`` is a system call, and a reader or client that waits as long for
    every line would otherwise make one before every ``recv``.

    The socket must be new (from a factory, or accepted from a listener that has none): such a
    socket has no kernel timeouts yet.
    """

    def __init__(self, sock: SocketLike) -> None:
        self._sock = sock
        self._set: dict[int, float | None] = {}  # SO_RCVTIMEO, SO_SNDTIMEO, as last set

    def set(self, option: int, seconds: float | None) -> None:
        """Bound ``option`` (``SO_RCVTIMEO`` or ``SO_SNDTIMEO``) to ``seconds``; ``None`` or
        ``math.inf``: no bound."""
        if seconds is not None and math.isinf(seconds):
            seconds = None
        if self._set.get(option) != seconds:
            set_kernel_timeout(self._sock, option, seconds)
            self._set[option] = seconds


def set_nodelay(sock: SocketLike) -> None:
    """Send each line at once (``TCP_NODELAY``). The server often writes two lines in a row
    (``BOARD`` then ``TURN``); Nagle's algorithm would hold the second back until the peer's
    delayed ACK, about 40 ms a move. (The client needs no such thing: it writes one line per
    request, and the server's answer carries the ACK.)

    Best effort: a socket that has no such option is left as it is.
    """
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


_RESET_ON_CLOSE = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s


def reset_on_close(sock: SocketLike) -> None:
    """Make ``sock``'s close send a reset (``SO_LINGER`` 0 s), as both shells do to a client cut
    off for reading nothing. A reset, not a FIN: after a FIN, Linux may keep advertising a zero
    window, and a peer that goes on sending would block in send() for a minute instead of
    failing. Best effort, like :func:`quietly`."""
    quietly(sock.setsockopt, socket.SOL_SOCKET, socket.SO_LINGER, _RESET_ON_CLOSE)
