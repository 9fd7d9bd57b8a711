"""Recording doubles for the unit tier: a fake socket that writes down what was done to it,
and an autospecced mock wired to record the order of every call.

Two ways to stand in for :class:`socket.socket`, for two kinds of question:

- **A mock checks calls.** :func:`mock_socket_factory` gives an autospecced socket, the factory
  that returns it and one parent mock that records the order of *every* call. Use it to pin a
  sequence ("setsockopt before bind before listen") or exact arguments. Its limits: a mock has
  no state, so "was it closed on every path?" becomes a list of ``assert_called`` lines, and a
  mock happily accepts a call made after ``close``.
- **A fake checks behaviour.** :class:`RecordingSocket` keeps state as a real socket does:
  ``bound``, ``backlog``, ``options``, ``closed``, ``sent``; it refuses calls after ``close``
  with ``EBADF``; scripted ``accept``/``recv`` results run out into *blocking* (bounded), as a
  quiet peer does. Its "poison" switches make one named call raise (after trio's ``FakeSocket``
  in ``_tests/test_highlevel_open_tcp_listeners.py``), so error paths read as one line:
  ``factory.poison("bind", OSError(errno.EADDRINUSE, "Address already in use"))``.

Neither opens a real socket: both run under pytest-socket's ``--disable-socket``.

Rules of this module:

1. Every blocking call is bounded. A scripted fake that runs out waits at most the socket's
   timeout (then :class:`TimeoutError`, as a real socket) and never more than ``block_timeout``
   (then :class:`FakeSocketBlocked`, a loud test failure instead of a hang).
2. A poisoned call is still recorded in :attr:`RecordingSocket.calls` (it was attempted), but
   has no effect: a poisoned ``bind`` leaves :attr:`~RecordingSocket.bound` at ``None``.
3. pytest-mock is optional: :func:`mock_socket_factory` works with plain :mod:`unittest.mock`,
   and only uses ``mocker`` when it is given one.
"""

from __future__ import annotations

import errno
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import count
from typing import TYPE_CHECKING, Any, TypeAlias
from unittest import mock

from game.sockets import Address, SocketLike

if TYPE_CHECKING:
    from pytest_mock import MockerFixture

__all__ = [
    "POISONABLE",
    "AcceptResult",
    "FakeSocketBlocked",
    "MockSockets",
    "RecordingFactory",
    "RecordingSocket",
    "RecvResult",
    "assert_called_in_order",
    "call_names",
    "mock_socket_factory",
]

POISONABLE = frozenset(
    {
        "accept",
        "bind",
        "close",
        "connect",
        "getsockname",
        "listen",
        "recv",
        "send",
        "sendall",
        "setsockopt",
        "settimeout",
        "shutdown",
    }
)
"""The socket methods a poison switch can target; a :class:`RecordingFactory` also takes
``"create"``, the factory call itself."""

DEFAULT_BLOCK_TIMEOUT = 2.0
"""Seconds a scripted fake that ran out may block before it fails the test instead."""

EPHEMERAL_PORT = 49152
"""The port :meth:`RecordingSocket.getsockname` reports after a bind to port 0."""

_Outcome: TypeAlias = BaseException | type[BaseException]

AcceptResult: TypeAlias = (
    tuple[SocketLike, Any] | _Outcome | Callable[[], "tuple[SocketLike, Any] | _Outcome"]
)
"""One scripted ``accept`` result: ``(connection, peer_address)``, an exception (instance or
class) to raise, or a callable run at that moment (unlocked, in the accepting thread) that
returns either. A callable lets a test act at the exact point of the call, e.g. shut the server
down and then raise ``OSError`` as the real listener would."""

RecvResult: TypeAlias = bytes | _Outcome | Callable[[], "bytes | _Outcome"]
"""One scripted ``recv`` result: bytes (``b""`` is EOF; more than ``bufsize`` is returned over
several calls, as the kernel would), an exception to raise, or a callable returning either."""


class FakeSocketBlocked(AssertionError):
    """A fake's blocking call waited ``block_timeout`` seconds with nothing to return.

    A real socket would block forever here: its script ran out, nobody closed it or shut it
    down, and it has no timeout. Failing loudly beats hanging the test run.
    """


def _raise_or_return(outcome: Any) -> Any:
    """Resolve a scripted entry: run a callable, raise an exception, return anything else."""
    if callable(outcome) and not isinstance(outcome, type):
        outcome = outcome()
    if isinstance(outcome, BaseException):
        raise outcome
    if isinstance(outcome, type) and issubclass(outcome, BaseException):
        raise outcome()
    return outcome


def _check_poison_name(name: str, allowed: Iterable[str]) -> None:
    allowed = frozenset(allowed)
    if name not in allowed:
        raise ValueError(f"cannot poison {name!r}: choose one of {', '.join(sorted(allowed))}")


@dataclass
class _Poison:
    error: _Outcome
    times: int | None  # None: every call


class RecordingSocket:
    """A fake socket that records what is done to it and plays back a script.

    It implements :class:`game.sockets.SocketLike` (and ``send``), so it can be handed to
    :class:`game.Server` or :class:`game.Client` through a :class:`RecordingFactory`, or used as
    the connection a scripted ``accept`` returns.

    What it records (read these attributes in assertions):

    - ``family``, ``type``: as passed to the factory (``AF_INET``/``SOCK_STREAM`` by default).
    - ``options``: ``{(level, option): value}`` from ``setsockopt``.
    - ``bound``, ``backlog``, ``connected_to``: the arguments of ``bind``, ``listen``,
      ``connect`` (``None`` until called).
    - ``timeout``: the current timeout (``None``: blocking); ``timeouts``: every value set.
    - ``shutdowns``: every ``how`` passed to ``shutdown``; ``closed``: ``close`` was called.
    - ``sent``: every byte passed to ``send``/``sendall``, joined.
    - ``calls``: ``(method, args)`` for every call, in order, poisoned ones included.

    Behaviour, as a real socket has it:

    - After :meth:`close` every method but ``close`` raises ``OSError(EBADF)``.
    - ``accept`` and ``recv`` return their scripted results in order. Once the script has run
      out they block until another thread closes the socket (``OSError(EBADF)``) or shuts it
      down (``accept``: ``OSError(EINVAL)``, as on Linux; ``recv``: ``b""``), or until the
      timeout set with ``settimeout`` (:class:`TimeoutError`; a timeout of 0 gives
      :class:`BlockingIOError`), but never longer than ``block_timeout``
      (:class:`FakeSocketBlocked`).
    - ``getsockname`` returns the bound address, with port 0 replaced by ``ephemeral_port``.

    Args:
        family: the address family reported before a factory sets it.
        type: the socket type reported before a factory sets it.
        accepts: scripted ``accept`` results (see :data:`AcceptResult`).
        recv: scripted ``recv`` results (see :data:`RecvResult`); end with ``b""`` for EOF.
        name: a label for ``repr`` and error messages; ``socket-<n>`` by default.
        block_timeout: the longest any blocking call may wait, in seconds.
        ephemeral_port: the port a bind to port 0 gets.

    Example::

        conn = RecordingSocket(recv=[b"QUIT\\n", b""])
        listener = RecordingSocket(accepts=[(conn, ("127.0.0.1", 50000))])
        factory = RecordingFactory(listener)
    """

    _numbers = count(1)

    def __init__(
        self,
        family: int = socket.AF_INET,
        type: int = socket.SOCK_STREAM,
        *,
        accepts: Iterable[AcceptResult] = (),
        recv: Iterable[RecvResult] = (),
        name: str | None = None,
        block_timeout: float = DEFAULT_BLOCK_TIMEOUT,
        ephemeral_port: int = EPHEMERAL_PORT,
    ) -> None:
        self.name = name or f"socket-{next(self._numbers)}"
        self.family = family
        self.type = type
        self.options: dict[tuple[int, int], int] = {}
        self.bound: Address | None = None
        self.backlog: int | None = None
        self.connected_to: Address | None = None
        self.timeout: float | None = None
        self.timeouts: list[float | None] = []
        self.shutdowns: list[int] = []
        self.closed = False
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.block_timeout = block_timeout
        self.ephemeral_port = ephemeral_port
        self._sent = bytearray()
        self._accepts: deque[AcceptResult] = deque(accepts)
        self._recv: deque[RecvResult] = deque(recv)
        self._poisons: dict[str, _Poison] = {}
        self._read_shut = False
        # An RLock, so that a scripted callable may close or shut down this very socket.
        self._cond = threading.Condition(threading.RLock())

    def __repr__(self) -> str:
        family = getattr(self.family, "name", self.family)
        state = ["closed"] if self.closed else []
        if self.bound is not None:
            state.append(f"bound={self.bound!r}")
        if self.connected_to is not None:
            state.append(f"connected_to={self.connected_to!r}")
        return f"<RecordingSocket {self.name} {family} {' '.join(state)}>".replace(" >", ">")

    # Scripting --------------------------------------------------------------------------------

    def script_accept(self, *results: AcceptResult) -> None:
        """Queue more ``accept`` results (see :data:`AcceptResult`); wakes a blocked ``accept``."""
        with self._cond:
            self._accepts.extend(results)
            self._cond.notify_all()

    def script_recv(self, *results: RecvResult) -> None:
        """Queue more ``recv`` results (see :data:`RecvResult`); wakes a blocked ``recv``."""
        with self._cond:
            self._recv.extend(results)
            self._cond.notify_all()

    def poison(self, method: str, error: _Outcome, *, times: int | None = None) -> None:
        """Make ``method`` raise ``error`` instead of doing anything.

        Args:
            method: one of :data:`POISONABLE`, e.g. ``"bind"``.
            error: the exception (instance or class) to raise.
            times: how many calls raise before the method works again; ``None``: every call.

        Raises:
            ValueError: ``method`` is not a method this fake has (a typo would otherwise make
                the test pass without testing anything).
        """
        _check_poison_name(method, POISONABLE)
        with self._cond:
            self._poisons[method] = _Poison(error, times)

    def cure(self, method: str) -> None:
        """Remove the poison from ``method``, if any."""
        with self._cond:
            self._poisons.pop(method, None)

    # Reading the record -----------------------------------------------------------------------

    @property
    def sent(self) -> bytes:
        """Every byte passed to ``send`` and ``sendall``, in order."""
        with self._cond:
            return bytes(self._sent)

    @property
    def call_names(self) -> list[str]:
        """The names of the methods called, in order: ``["setsockopt", "bind", ...]``."""
        with self._cond:
            return [name for name, _ in self.calls]

    def wait_closed(self, timeout: float = DEFAULT_BLOCK_TIMEOUT) -> bool:
        """Block until :meth:`close` has been called (from any thread); return whether it was.

        Useful when the code under test closes the socket in a thread of its own.
        """
        with self._cond:
            return self._cond.wait_for(lambda: self.closed, timeout)

    # The socket API ---------------------------------------------------------------------------

    def _enter(self, method: str, *args: Any) -> None:
        """Record the call, then raise its poison or ``EBADF`` if closed; hold ``_cond``."""
        self.calls.append((method, args))
        poison = self._poisons.get(method)
        if poison is not None:
            if poison.times is not None:
                poison.times -= 1
                if poison.times <= 0:
                    del self._poisons[method]
            _raise_or_return(poison.error)
        if self.closed and method != "close":
            raise OSError(errno.EBADF, "Bad file descriptor")

    def setsockopt(self, level: int, option: int, value: int, /) -> None:
        """Record ``options[(level, option)] = value``."""
        with self._cond:
            self._enter("setsockopt", level, option, value)
            self.options[(level, option)] = value

    def bind(self, address: Address, /) -> None:
        """Record ``bound = address``."""
        with self._cond:
            self._enter("bind", address)
            self.bound = address

    def listen(self, backlog: int, /) -> None:
        """Record ``backlog``."""
        with self._cond:
            self._enter("listen", backlog)
            self.backlog = backlog

    def getsockname(self) -> Any:
        """The bound address, port 0 replaced by ``ephemeral_port``; a wildcard before bind."""
        with self._cond:
            self._enter("getsockname")
            six = self.family == socket.AF_INET6
            if self.bound is None:
                return ("::", 0, 0, 0) if six else ("0.0.0.0", 0)
            host, port = self.bound[0], self.bound[1] or self.ephemeral_port
            return (host, port, 0, 0) if six else (host, port)

    def connect(self, address: Address, /) -> None:
        """Record ``connected_to = address``. Poison it to refuse or time out."""
        with self._cond:
            self._enter("connect", address)
            self.connected_to = address

    def settimeout(self, timeout: float | None, /) -> None:
        """Record the timeout; a negative one raises :class:`ValueError`, as a real socket."""
        with self._cond:
            self._enter("settimeout", timeout)
            if timeout is not None and timeout < 0:
                raise ValueError("Timeout value out of range")
            self.timeout = timeout
            self.timeouts.append(timeout)

    def accept(self) -> tuple[SocketLike, Any]:
        """Return the next scripted ``(connection, address)``; block when there is none."""
        with self._cond:
            self._enter("accept")
            entry = self._next(self._accepts, "accept", lambda: OSError(errno.EINVAL, "Invalid"))
        result: tuple[SocketLike, Any] = _raise_or_return(entry)
        return result

    def recv(self, bufsize: int, /) -> bytes:
        """Return up to ``bufsize`` scripted bytes; block when there are none (see the class)."""
        with self._cond:
            self._enter("recv", bufsize)
            if bufsize < 0:
                raise ValueError("negative buffersize in recv")
            entry = self._next(self._recv, "recv", lambda: b"")
            if isinstance(entry, bytes) and len(entry) > bufsize:
                self._recv.appendleft(entry[bufsize:])
                entry = entry[:bufsize]
        data: bytes = _raise_or_return(entry)
        return data

    def send(self, data: bytes, /) -> int:
        """Record ``data``; return ``len(data)`` (everything sent)."""
        with self._cond:
            self._enter("send", data)
            self._sent += data
            return len(data)

    def sendall(self, data: bytes, /) -> None:
        """Record ``data``."""
        with self._cond:
            self._enter("sendall", data)
            self._sent += data

    def shutdown(self, how: int, /) -> None:
        """Record ``how``; a read shutdown wakes a blocked ``accept`` or ``recv``."""
        with self._cond:
            self._enter("shutdown", how)
            self.shutdowns.append(how)
            if how in (socket.SHUT_RD, socket.SHUT_RDWR):
                self._read_shut = True
                self._cond.notify_all()

    def close(self) -> None:
        """Mark the socket closed (again is harmless); wakes a blocked ``accept`` or ``recv``."""
        with self._cond:
            self._enter("close")
            self.closed = True
            self._cond.notify_all()

    def _next(self, script: deque[Any], method: str, when_shut: Callable[[], Any]) -> Any:
        """Pop the next scripted entry, blocking as described in the class; hold ``_cond``."""
        started = time.monotonic()
        while True:
            if script:
                return script.popleft()
            if self.closed:
                raise OSError(errno.EBADF, "Bad file descriptor")
            if self._read_shut:
                return when_shut()
            if self.timeout == 0:
                raise BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable")
            waited = time.monotonic() - started
            limit = self.block_timeout
            if self.timeout is not None and self.timeout <= limit:
                if waited >= self.timeout:
                    raise TimeoutError("timed out")
                limit = self.timeout
            elif waited >= limit:
                raise FakeSocketBlocked(
                    f"{method}() on {self!r} blocked for {limit:g} s: its script ran out and "
                    "nothing closed or shut it down; script more results, close it, or set a "
                    "timeout"
                )
            self._cond.wait(limit - waited)


class RecordingFactory:
    """A socket factory (:class:`game.sockets.SocketFactory`) that makes :class:`RecordingSocket`.

    It hands out the sockets given to it first, in order (so a test can script a listener
    before the server asks for it), then fresh ones. Every socket it made is in
    :attr:`sockets`; every call's ``(family, type)`` in :attr:`calls`.

    Args:
        *prepared: sockets to hand out first; the factory sets their ``family`` and ``type``.
        block_timeout: passed to the fresh sockets it makes.

    Example::

        factory = RecordingFactory()
        factory.poison("bind", OSError(errno.EADDRINUSE, "Address already in use"))
        with pytest.raises(ListenFailed):
            Server(port=7777, socket_factory=factory).start_listening()
        assert factory.sockets[0].closed
    """

    def __init__(
        self, *prepared: RecordingSocket, block_timeout: float = DEFAULT_BLOCK_TIMEOUT
    ) -> None:
        self.sockets: list[RecordingSocket] = []
        self.calls: list[tuple[int, int]] = []
        self.block_timeout = block_timeout
        self._prepared = deque(prepared)
        self._poisons: dict[str, _Poison] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<RecordingFactory made={len(self.sockets)}>"

    def __call__(self, family: int, type: int, /) -> RecordingSocket:
        """Record the call and return the next prepared socket or a new one."""
        with self._lock:
            self.calls.append((family, type))
            poison = self._poisons.get("create")
            if poison is not None:
                if poison.times is not None:
                    poison.times -= 1
                    if poison.times <= 0:
                        del self._poisons["create"]
                _raise_or_return(poison.error)
            if self._prepared:
                sock = self._prepared.popleft()
                sock.family, sock.type = family, type
            else:
                sock = RecordingSocket(family, type, block_timeout=self.block_timeout)
            for method, poison in self._poisons.items():
                if method != "create":
                    sock.poison(method, poison.error, times=poison.times)
            self.sockets.append(sock)
            return sock

    def poison(self, method: str, error: _Outcome, *, times: int | None = None) -> None:
        """Poison ``method`` on every socket this factory makes from now on.

        ``"create"`` poisons the factory call itself (e.g. ``OSError(errno.EMFILE, ...)``).
        ``times`` counts per socket for socket methods (see :meth:`RecordingSocket.poison`).

        Raises:
            ValueError: ``method`` is neither ``"create"`` nor in :data:`POISONABLE`.
        """
        _check_poison_name(method, POISONABLE | {"create"})
        with self._lock:
            self._poisons[method] = _Poison(error, times)

    def add(self, sock: RecordingSocket) -> RecordingSocket:
        """Queue ``sock`` to be handed out after the ones already prepared; return it."""
        with self._lock:
            self._prepared.append(sock)
        return sock

    @property
    def last(self) -> RecordingSocket:
        """The socket made most recently.

        Raises:
            AssertionError: the factory has not been called.
        """
        with self._lock:
            if not self.sockets:
                raise AssertionError("the factory was never called: no socket was made")
            return self.sockets[-1]


# Mocks ----------------------------------------------------------------------------------------


def _socket_factory(family: int, type: int, /) -> SocketLike:
    """The signature a socket factory has; autospecced so a wrong call fails the test."""
    raise NotImplementedError


class _SocketSpec(socket.socket):
    """:class:`socket.socket` with the signatures ``create_autospec`` cannot read.

    Most socket methods are written in C and have no introspectable signature, so an autospec
    of :class:`socket.socket` catches a misspelled method but accepts ``bind()`` with no
    address. This subclass, used only as a spec and never instantiated, restates the real
    signatures (optional ``flags`` included) of the methods the game calls.
    """

    def setsockopt(self, level: int, optname: int, value: Any, optlen: Any = None, /) -> None:
        raise NotImplementedError

    def bind(self, address: Any, /) -> None:
        raise NotImplementedError

    def listen(self, backlog: int = 0, /) -> None:
        raise NotImplementedError

    def getsockname(self) -> Any:
        raise NotImplementedError

    def connect(self, address: Any, /) -> None:
        raise NotImplementedError

    def settimeout(self, value: float | None, /) -> None:
        raise NotImplementedError

    def recv(self, bufsize: int, flags: int = 0, /) -> bytes:
        raise NotImplementedError

    def send(self, data: Any, flags: int = 0, /) -> int:
        raise NotImplementedError

    def sendall(self, data: Any, flags: int = 0, /) -> None:
        raise NotImplementedError

    def shutdown(self, how: int, /) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class MockSockets:
    """What :func:`mock_socket_factory` returns. Unpacks as ``factory, sock, parent``.

    Attributes:
        factory: an autospec of ``factory(family, type, /)`` returning :attr:`socket`; pass
            it as ``socket_factory=``.
        socket: ``create_autospec(socket.socket, instance=True)``: calling a method the real
            socket lacks, or with the wrong arguments, fails.
        parent: a plain mock with both attached as ``socket_factory`` and ``socket``, so
            ``parent.mock_calls`` lists every call in order: ``call.socket_factory(...)``,
            ``call.socket.bind(...)`` ...
    """

    factory: Any
    socket: Any
    parent: Any

    def __iter__(self) -> Any:
        return iter((self.factory, self.socket, self.parent))

    @property
    def call_names(self) -> list[str]:
        """The names in ``parent.mock_calls``: ``["socket_factory", "socket.bind", ...]``."""
        return call_names(self.parent)


def mock_socket_factory(
    mocker: MockerFixture | None = None,
    *,
    sockname: Address | None = None,
) -> MockSockets:
    """An autospecced socket, the factory that returns it, and one parent recording both.

    The socket is ``create_autospec(socket.socket, instance=True)``, so a typo such as
    ``sock.bnid`` fails. Beware: most socket methods are written in C, and autospec cannot read
    their signatures, so a plain autospec accepts ``sock.bind()`` with no address. The spec used
    here is a subclass of :class:`socket.socket` that restates the real signatures of the methods
    the game calls, so that such a call fails too. A few return values are set so that
    :class:`game.Server` and :class:`game.Client` can run on it:

    - ``getsockname()`` returns ``sockname`` if given, else the address last passed to
      ``bind`` with port 0 replaced by :data:`EPHEMERAL_PORT`.
    - ``recv()`` returns ``b""`` (EOF); ``send(data)`` returns ``len(data)``.
    - ``accept()`` raises an :class:`AssertionError` saying it was not scripted: set
      ``mocks.socket.accept.side_effect`` (e.g. to a function that shuts the server down and
      raises ``OSError``, as a real listener does when it is closed under ``accept``).

    Args:
        mocker: pytest-mock's fixture; when given, its mock module (``unittest.mock`` or the
            ``mock`` backport, per its configuration) makes the mocks. ``None``: plain
            :mod:`unittest.mock`.
        sockname: a fixed answer for ``getsockname()``.

    Returns:
        A :class:`MockSockets`; ``factory, sock, parent = mock_socket_factory()`` also works.
    """
    module: Any = mock if mocker is None else mocker.mock_module
    autospec: Callable[..., Any] = (
        module.create_autospec if mocker is None else mocker.create_autospec
    )
    sock = autospec(_SocketSpec, instance=True)
    factory = autospec(_socket_factory, return_value=sock)
    parent = module.Mock(name="parent")
    parent.attach_mock(factory, "socket_factory")
    parent.attach_mock(sock, "socket")

    def getsockname() -> Any:
        if sockname is not None:
            return sockname
        if sock.bind.call_args is None:
            return ("0.0.0.0", 0)
        host, port, *rest = sock.bind.call_args.args[0]
        return (host, port or EPHEMERAL_PORT, *rest)

    def accept() -> Any:
        raise AssertionError(
            "mock_socket_factory: accept() was called but not scripted; set "
            "socket.accept.side_effect (a list of (conn, address) or a function)"
        )

    sock.getsockname.side_effect = getsockname
    sock.accept.side_effect = accept
    sock.recv.return_value = b""
    sock.send.side_effect = lambda data, *flags: len(data)
    return MockSockets(factory, sock, parent)


def call_names(parent: Any) -> list[str]:
    """The dotted names of the calls a mock recorded, in order (``"socket.bind"``)."""
    return [name for name, _args, _kwargs in parent.mock_calls]


def _matches(expected: Any, actual: Any) -> bool:
    if isinstance(expected, str):
        name: str = actual[0]
        return name == expected or name.endswith("." + expected)
    return bool(expected == actual)


def assert_called_in_order(parent: Any, expected: Sequence[Any]) -> None:
    """Assert that ``parent`` recorded the ``expected`` calls in this order, others between.

    A subsequence check: ``["socket_factory", "bind", "listen"]`` passes when those calls
    happened in that order, whatever happened in between (``setsockopt``, ``getsockname``).

    Args:
        parent: a mock whose ``mock_calls`` record the calls, e.g. ``MockSockets.parent``.
        expected: each item is a name, matching a call of that dotted name or ending in
            ``.`` + it (``"bind"`` matches ``socket.bind``), or a ``call`` object such as
            ``call.socket.bind(("127.0.0.1", 0))``, matching name and arguments exactly.

    Raises:
        AssertionError: an expected call is missing or out of order; the message lists every
            call that did happen, numbered, so the reader sees where the order broke.
    """
    actual = list(parent.mock_calls)
    position = 0
    for index, want in enumerate(expected):
        for offset, got in enumerate(actual[position:]):
            if _matches(want, got):
                position += offset + 1
                break
        else:
            listing = "\n".join(f"  {i}. {c!r}" for i, c in enumerate(actual)) or "  (none)"
            found = "" if index == 0 else f" after {expected[index - 1]!r}"
            raise AssertionError(
                f"expected {want!r}{found} (item {index} of {list(expected)!r}), "
                f"but it was not called in that order. Actual calls:\n{listing}"
            )
