"""``mock_sockets`` and ``assert_called_in_order``, and the lifecycles they pin.

Unit tier: no real socket. A mock answers "which calls, with which arguments, in which order";
one parent mock sees the factory call and every socket call, so the order is asserted, not
guessed from separate mocks.
"""

from __future__ import annotations

import inspect
import socket
from unittest.mock import call, create_autospec

import pytest
from pytest_mock import MockerFixture

from sockettest import (
    EPHEMERAL_PORT,
    assert_called_in_order,
    call_names,
    mock_sockets,
)
from sockettest._originals import SOCKET

# The helper itself ----------------------------------------------------------------------------


def test_it_unpacks_into_factory_socket_and_parent() -> None:
    """``socket_factory, sock, parent = mock_sockets()``; the factory returns the socket."""
    factory, sock, parent = mock_sockets()
    assert factory(socket.AF_INET, socket.SOCK_STREAM) is sock
    assert call_names(parent) == ["socket_factory"]


def test_the_parent_records_factory_and_socket_calls_in_one_order() -> None:
    """One ``mock_calls`` list for everything: the point of ``attach_mock``."""
    mocks = mock_sockets()
    sock = mocks.socket_factory(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.close()
    assert mocks.parent.mock_calls == [
        call.socket_factory(socket.AF_INET, socket.SOCK_STREAM),
        call.socket.bind(("127.0.0.1", 0)),
        call.socket.close(),
    ]
    assert mocks.call_names == ["socket_factory", "socket.bind", "socket.close"]


def test_a_with_block_on_the_socket_gives_the_socket_and_closes_it() -> None:
    """``with factory(...) as s:`` binds the socket itself, as a real one's ``__enter__`` does,
    so what the test set on it answers; leaving the block closes it, even on an error."""
    mocks = mock_sockets()
    mocks.socket.recv.return_value = b"ok"
    with (  # noqa: PT012 (the block is the case)
        pytest.raises(ValueError, match="the block's"),
        mocks.socket_factory(socket.AF_INET, socket.SOCK_STREAM) as sock,
    ):
        assert sock is mocks.socket
        assert sock.recv(2) == b"ok"
        raise ValueError("the block's own error")
    assert mocks.call_names == [
        "socket_factory",
        "socket.__enter__",
        "socket.recv",
        "socket.__exit__",
        "socket.close",
    ]


def test_the_socket_is_autospecced_so_typos_and_bad_calls_fail() -> None:
    """A misspelled method or a missing argument fails, as on a real socket."""
    mocks = mock_sockets()
    with pytest.raises(AttributeError):
        mocks.socket.bnid(("127.0.0.1", 0))
    with pytest.raises(TypeError):
        mocks.socket.bind()
    with pytest.raises(TypeError):
        mocks.socket.recv()
    with pytest.raises(TypeError):
        mocks.socket_factory(socket.AF_INET)
    assert isinstance(mocks.socket, socket.SocketType)  # the base class pytest-socket leaves alone


def test_the_socket_mock_cannot_be_called_as_a_socket_object_cannot() -> None:
    """``sock()`` is a TypeError, as on a real socket: a socket is an instance, not a class."""
    sock = mock_sockets().socket
    assert not callable(sock)
    with pytest.raises(TypeError, match="not callable"):
        sock()


def test_what_a_plain_autospec_misses_and_why_the_kit_restates_signatures() -> None:
    """C methods have no signature to copy: a plain autospec lets ``bind()`` through."""
    # The true class, whatever an earlier test left patched: a leaked patch's socket.socket
    # (a network's factory) has no bind at all, and the test failed after such a test only.
    plain = create_autospec(SOCKET["socket"], instance=True)
    plain.bind()  # no address, and no error: the gap the kit's spec closes
    plain.bind.assert_called_once_with()


def test_the_real_optional_arguments_are_still_accepted() -> None:
    """The restated signatures are the real ones: ``recv(bufsize, flags)`` is fine."""
    mocks = mock_sockets()
    mocks.socket.recv(1024, socket.MSG_PEEK)
    mocks.socket.listen()
    mocks.socket.sendall(b"x", 0)


@pytest.mark.parametrize("name", ["recv", "send", "sendall"])
def test_the_restated_flags_default_to_zero_as_cpythons_do(name: str) -> None:
    """The spec's ``flags`` defaults to 0, as CPython's: what ``help(sock.recv)`` shows."""
    method = getattr(mock_sockets().socket, name)
    flags = inspect.signature(method).parameters["flags"]
    assert (flags.default, flags.kind) == (0, inspect.Parameter.POSITIONAL_ONLY)


def test_it_works_with_pytest_mock_too(mocker: MockerFixture) -> None:
    """Given ``mocker``, it builds through it; the result behaves the same."""
    mocks = mock_sockets(mocker)
    mocks.socket_factory(socket.AF_INET, socket.SOCK_STREAM).listen(5)
    assert_called_in_order(mocks.parent, ["socket_factory", "listen"])


def test_getsockname_follows_bind_unless_told_otherwise() -> None:
    """Port 0 gets an ephemeral port, so a server under a mock can report its address."""
    mocks = mock_sockets()
    assert mocks.socket.getsockname() == ("0.0.0.0", 0)
    mocks.socket.bind(("::1", 0, 0, 0))
    assert mocks.socket.getsockname() == ("::1", EPHEMERAL_PORT, 0, 0)
    fixed = mock_sockets(sockname=("10.0.0.1", 1234))
    assert fixed.socket.getsockname() == ("10.0.0.1", 1234)


def test_defaults_let_code_run_recv_is_eof_send_sends_everything() -> None:
    """``recv`` returns ``b""``; ``send`` returns the length it was given."""
    mocks = mock_sockets()
    assert mocks.socket.recv(4096) == b""
    assert mocks.socket.send(b"abc") == 3


def test_an_unscripted_accept_says_what_to_do() -> None:
    """Not a confusing unpacking error deep in the server, but an instruction."""
    with pytest.raises(AssertionError, match=r"accept\(\) was called but not scripted"):
        mock_sockets().socket.accept()


# assert_called_in_order -----------------------------------------------------------------------


def test_order_is_a_subsequence_with_other_calls_between() -> None:
    """Names match a call's dotted name or its last part; other calls may come between."""
    mocks = mock_sockets()
    sock = mocks.socket_factory(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.getsockname()
    sock.listen(5)
    assert_called_in_order(mocks.parent, ["socket_factory", "bind", "socket.listen"])
    assert_called_in_order(mocks.parent, [call.socket.bind(("127.0.0.1", 0)), "listen"])


def test_order_failure_lists_every_actual_call() -> None:
    """The message names the missing step and numbers what did happen."""
    mocks = mock_sockets()
    sock = mocks.socket_factory(socket.AF_INET, socket.SOCK_STREAM)
    sock.listen(5)
    sock.bind(("127.0.0.1", 0))
    with pytest.raises(AssertionError) as raised:
        assert_called_in_order(mocks.parent, ["bind", "listen"])
    message = str(raised.value)
    assert "expected 'listen' after 'bind'" in message
    assert "  1. call.socket.listen(5)" in message
    assert "  2. call.socket.bind(('127.0.0.1', 0))" in message


def test_order_failure_on_arguments_of_a_call_object() -> None:
    """A ``call`` must match its arguments exactly."""
    mocks = mock_sockets()
    mocks.socket.bind(("127.0.0.1", 1))
    with pytest.raises(AssertionError, match="Actual calls"):
        assert_called_in_order(mocks.parent, [call.socket.bind(("127.0.0.1", 0))])
