"""What every check stands on: its harness and the ways it fails (the socket types it takes are
the kit's own, from :mod:`sockettest._types`).

A check is a function of a :class:`Harness` registered with :func:`register`, which makes it the
public :data:`Check` (a function of a socket factory): the harness makes the check's sockets and
threads on that factory and cleans up after it, pass or fail, as the contract's rules say.
"""

from __future__ import annotations

import errno
import select
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from functools import partial
from typing import Any, TypeVar, cast

from sockettest._types import Address, Socket, SocketFactory

HOST = "127.0.0.1"
"""Where every check binds and connects."""

TIMEOUT = 2.0
"""The timeout every socket a check makes gets: a broken fake fails within it, never hangs."""

SHORT = 0.02
"""The timeout of the checks that expect a timeout, and how long a check lets a thread block."""

JOIN_DEADLINE = 2.0
"""Seconds a check waits for each thread it started; a thread still alive fails the check."""

FILL_LIMIT = 64 << 20
"""Bytes a check sends to a peer that never reads before it calls the send buffer unbounded."""

NO_IPV6 = (errno.EAFNOSUPPORT, errno.EADDRNOTAVAIL, errno.EPROTONOSUPPORT)
"""What making or binding an IPv6 socket raises on a host without IPv6."""

_T = TypeVar("_T")


Check = Callable[[SocketFactory], None]
"""A contract check: takes a factory; returns if its sockets behave, else raises AssertionError."""

REGISTERED: list[Check] = []
"""Every check, in the order the contract's modules define them; ``CHECKS`` is its tuple."""


def register(body: Callable[[Harness], None]) -> Check:
    """Make ``body`` a check and register it where it is defined, so that a check cannot be
    written and left out: the check runs ``body`` on a harness for the factory it is given,
    named for the check, and cleans up after it. It keeps ``body``'s name and docstring."""

    def run(factory: SocketFactory) -> None:
        with harness(factory, body.__name__.removeprefix("check_")) as h:
            body(h)

    for attribute in ("__module__", "__name__", "__qualname__", "__doc__"):
        setattr(run, attribute, getattr(body, attribute))
    REGISTERED.append(run)
    return run


class Result:
    """What a function run in a helper thread returned or raised."""

    def __init__(self) -> None:
        self.value: object = None
        self.error: BaseException | None = None


class Harness:
    """Makes a check's sockets and threads, and cleans up after it whatever happens."""

    def __init__(self, factory: SocketFactory, name: str) -> None:
        self.factory = factory
        self.name = name
        self.sockets: list[Socket] = []
        self.threads: list[threading.Thread] = []

    def socket(self, family: int = socket.AF_INET) -> Socket:
        sock = self.factory(family, socket.SOCK_STREAM)
        self.sockets.append(sock)
        sock.settimeout(TIMEOUT)
        return sock

    def ipv6_socket(self) -> Socket | None:
        """An ``AF_INET6`` socket, or ``None`` on a host without IPv6 (its checks are moot)."""
        try:
            return self.socket(socket.AF_INET6)
        except OSError as error:
            if error.errno not in NO_IPV6:
                raise
            return None

    def listener(self, backlog: int = 8, reuse: bool = False) -> tuple[Socket, Address]:
        """A socket listening on :data:`HOST` (with ``SO_REUSEADDR`` if ``reuse``), and its
        address."""
        sock = self.socket()
        if reuse:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((HOST, 0))
        sock.listen(backlog)
        return sock, tuple(sock.getsockname()[:2])

    def accept(self, listener: Socket) -> tuple[Socket, Any]:
        """``listener.accept()``; the accepted socket is cleaned up and gets :data:`TIMEOUT`."""
        server, peer = timely(listener.accept, "accept")
        self.sockets.append(server)
        server.settimeout(TIMEOUT)
        return server, peer

    def pair(self, reuse: bool = False) -> tuple[Socket, Socket]:
        """A connected (client, server) pair; the listener (``SO_REUSEADDR`` if ``reuse``) is
        closed at once."""
        listener, address = self.listener(reuse=reuse)
        client = self.socket()
        client.connect(address)
        server, _ = self.accept(listener)
        listener.close()
        return client, server

    def thread(self, target: Callable[[], object], role: str) -> tuple[threading.Thread, Result]:
        result = Result()

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

    def woken(self, call: Callable[[], object], role: str, wake: Callable[[], object]) -> Result:
        """``call()`` in a helper thread, given a moment to block, then ``wake()``: what the
        call returned or raised, once its thread has ended."""
        thread, result = self.thread(call, role)
        wait_until_blocked()
        wake()
        self.join(thread)
        return result

    def in_time(self, call: Callable[[], _T], what: str) -> _T:
        """``call()`` in a helper thread, so that a call that never returns fails the check
        within :data:`JOIN_DEADLINE` instead of hanging it; returns what ``call`` returns, or
        raises what it raises."""
        thread, result = self.thread(call, "caller")
        thread.join(JOIN_DEADLINE)
        if thread.is_alive():
            raise AssertionError(f"{what}: no answer within {JOIN_DEADLINE} s")
        if result.error is not None:
            raise result.error
        return cast(_T, result.value)

    def cleanup(self) -> None:
        for sock in reversed(self.sockets):
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes a thread still blocked on it
            sock.close()
        for thread in self.threads:
            self.join(thread)


@contextmanager
def harness(factory: SocketFactory, name: str) -> Iterator[Harness]:
    """A :class:`Harness` on ``factory``, cleaned up on the way out whatever happened."""
    h = Harness(factory, name)
    try:
        yield h
    finally:
        h.cleanup()


def expect(kind: type[BaseException], call: Callable[[], object], what: str) -> BaseException:
    """Call ``call``; fail unless it raises ``kind``. Returns the exception."""
    try:
        value = call()
    except kind as error:
        return error
    except Exception as error:
        raise AssertionError(f"{what}: expected {kind.__name__}, got {error!r}") from error
    raise AssertionError(f"{what}: expected {kind.__name__}, but it returned {value!r}")


def expect_errno(
    code: int, call: Callable[[], object], what: str, kind: type[OSError] = OSError
) -> None:
    """Fail unless ``call`` raises ``kind`` (OSError or a subclass) with errno ``code``."""
    error = expect(kind, call, what)
    assert isinstance(error, OSError)
    assert error.errno == code, f"{what}: expected errno {errno.errorcode[code]}, got {error!r}"


def timely(call: Callable[[], _T], what: str) -> _T:
    """``call()``, with a timeout turned into a failure that says what was awaited."""
    try:
        return call()
    except TimeoutError:
        raise AssertionError(f"{what}: timed out") from None


def recv(sock: Socket, bufsize: int, what: str) -> bytes:
    """``recv`` that turns a timeout into a failure that says what was awaited."""
    try:
        data = sock.recv(bufsize)
    except TimeoutError:
        raise AssertionError(f"{what}: recv timed out after {sock.gettimeout()} s") from None
    assert len(data) <= bufsize, f"{what}: recv({bufsize}) returned {len(data)} bytes"
    return data


def read_all(read: Callable[[int], bytes], size: int, what: str) -> bytes:
    """Call ``read(n)`` until ``size`` bytes came, however the transport splits them."""
    chunks: list[bytes] = []
    received = 0
    while received < size:
        data = timely(partial(read, size - received), what)
        assert data, f"{what}: EOF after {received} of {size} bytes"
        chunks.append(data)
        received += len(data)
    return b"".join(chunks)


def recv_exactly(sock: Socket, size: int, what: str, bufsize: int = 4096) -> bytes:
    """``size`` bytes from ``sock``, by ``recv`` calls of at most ``bufsize``."""
    return read_all(lambda wanted: recv(sock, min(bufsize, wanted), what), size, what)


def expect_eof(sock: Socket, what: str) -> None:
    data = recv(sock, 1024, what)
    assert data == b"", f"{what}: expected EOF (b''), got {data!r}"


def wait_until_blocked() -> None:
    """Give a helper thread time to enter its blocking call. The check passes either way;
    this only makes it likely that it tests a *blocked* call being woken."""
    time.sleep(SHORT)


def readable(sock: Socket, timeout: float) -> bool:
    """Whether ``select`` reports ``sock`` readable within ``timeout`` seconds."""
    return bool(select.select([sock], [], [], timeout)[0])


def writable(sock: Socket, timeout: float) -> bool:
    """Whether ``select`` reports ``sock`` writable within ``timeout`` seconds."""
    return bool(select.select([], [sock], [], timeout)[1])


def poll(attempt: Callable[[], _T | None]) -> _T | None:
    """``attempt()`` until it gives something other than ``None``, for up to :data:`TIMEOUT`:
    where Linux needs a moment (a reset travelling back), a check polls, never sleeps a fixed
    time and asserts. ``None`` if it never did."""
    deadline = time.monotonic() + TIMEOUT
    while (outcome := attempt()) is None and time.monotonic() < deadline:
        time.sleep(SHORT / 4)
    return outcome


def linger_reset(sock: Socket) -> None:
    """Close ``sock`` with ``SO_LINGER`` (1, 0): the connection is reset, not closed."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()
