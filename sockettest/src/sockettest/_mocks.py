"""Mocks that check calls: an autospecced socket, its factory, and one parent mock recording
the order of every call.

A mock checks calls; a fake checks behaviour. Use :func:`mock_sockets` to pin a sequence
("setsockopt before bind before listen") or exact arguments; its limits: a mock has no state,
so "was it closed on every path?" becomes a list of ``assert_called`` lines, and a mock happily
accepts a call made after ``close``. For behaviour, use a :class:`~sockettest.MemoryNetwork`,
whose sockets record their calls too and take poison switches.

pytest-mock is optional: :func:`mock_sockets` works with plain :mod:`unittest.mock`, and
uses ``mocker`` only when it is given one.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from unittest import mock

from sockettest._types import Address

if TYPE_CHECKING:
    from pytest_mock import MockerFixture

__all__ = [
    "EPHEMERAL_PORT",
    "MockSockets",
    "assert_called_in_order",
    "call_names",
    "mock_sockets",
]

EPHEMERAL_PORT = 49152
"""The port the mock's ``getsockname()`` reports after a bind to port 0."""


# Mocks ----------------------------------------------------------------------------------------


def _socket_factory(family: int, type: int, /) -> Any:
    """The signature a socket factory has; autospecced so a wrong call fails the test."""
    raise NotImplementedError


class _SocketSpec(socket.socket):
    """:class:`socket.socket` with the signatures ``create_autospec`` cannot read (they are C's:
    see :func:`mock_sockets`); a spec only, never instantiated."""

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
    """What :func:`mock_sockets` returns. Unpacks as ``socket_factory, sock, parent``.

    Attributes:
        socket_factory: an autospec of ``factory(family, type, /)`` returning :attr:`socket`;
            pass it as the code under test's ``socket_factory=``.
        socket: ``create_autospec(socket.socket, instance=True)``: calling a method the real
            socket lacks, or with the wrong arguments, fails.
        parent: a plain mock with both attached as ``socket_factory`` and ``socket``, so
            ``parent.mock_calls`` lists every call in order: ``call.socket_factory(...)``,
            ``call.socket.bind(...)`` ...
    """

    socket_factory: Any
    socket: Any
    parent: Any

    def __iter__(self) -> Any:
        return iter((self.socket_factory, self.socket, self.parent))

    @property
    def call_names(self) -> list[str]:
        """The names in ``parent.mock_calls``: ``["socket_factory", "socket.bind", ...]``."""
        return call_names(self.parent)


def mock_sockets(
    mocker: MockerFixture | None = None,
    *,
    sockname: Address | None = None,
) -> MockSockets:
    """An autospecced socket, the factory that returns it, and one parent recording both.

    The socket is ``create_autospec(socket.socket, instance=True)``, so a typo such as
    ``sock.bnid`` fails. Beware: most socket methods are written in C, and autospec cannot read
    their signatures, so a plain autospec accepts ``sock.bind()`` with no address. The spec used
    here is a subclass of :class:`socket.socket` that restates the real signatures of the methods
    servers and clients most call, so that such a call fails too. A few return values are set
    so that an ordinary server or client can run on it:

    - ``getsockname()`` returns ``sockname`` if given, else the address last passed to
      ``bind`` with port 0 replaced by :data:`EPHEMERAL_PORT`.
    - ``recv()`` returns ``b""`` (EOF); ``send(data)`` returns ``len(data)``.
    - ``with`` on the socket gives the socket itself, and closes it at the block's end.
    - ``accept()`` raises an :class:`AssertionError` saying it was not scripted: set
      ``mocks.socket.accept.side_effect`` (e.g. to a function that shuts the server down and
      raises ``OSError``, as a real listener does when it is closed under ``accept``).

    Args:
        mocker: pytest-mock's fixture; when given, its mock module (``unittest.mock`` or the
            ``mock`` backport, per its configuration) makes the mocks. ``None``: plain
            :mod:`unittest.mock`.
        sockname: a fixed answer for ``getsockname()``.

    Raises:
        TypeError: ``mocker`` is not pytest-mock's fixture, or ``sockname`` not a tuple.

    Returns:
        A :class:`MockSockets`; ``socket_factory, sock, parent = mock_sockets()``
        also works.
    """
    if mocker is not None and not hasattr(mocker, "create_autospec"):
        raise TypeError(f"mocker must be pytest-mock's mocker fixture or None, not {mocker!r}")
    if sockname is not None and not isinstance(sockname, tuple):
        raise TypeError(f"sockname must be an address tuple or None, not {sockname!r}")
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
            "mock_sockets: accept() was called but not scripted; set "
            "socket.accept.side_effect (a list of (conn, address) or a function)"
        )

    sock.__enter__.return_value = sock  # ``with factory(...) as s:`` gives the socket itself
    sock.__exit__.side_effect = lambda *exc_info: sock.close()  # and closes it, as a real one
    sock.close.return_value = None  # as a real one's: so __exit__ lets an error through
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
