"""A contract that every fake passes proves nothing: these deliberately broken fakes fail it.

Each is a MemorySocket with one realistic bug, the kind a hand-written fake tends to have; the
network builds every socket, accepted ones included, from its ``socket_class``.
"""

import errno

import pytest

from sockettest import MemoryNetwork, MemorySocket
from sockettest.contract import (
    check_bytes_arrive_in_order,
    check_eof_after_peer_close,
    check_recv_returns_at_most_bufsize,
    check_recv_timeout_raises_timeout_error,
    check_socket_contract,
    check_use_after_close_raises_ebadf,
)


class GreedyRecvSocket(MemorySocket):
    """Returns more than asked: ``recv(n)`` hands over up to 2n bytes."""

    def recv(self, bufsize: int, flags: int = 0, /) -> bytes:
        return super().recv(bufsize * 2)


class NoEOFSocket(MemorySocket):
    """Never reports EOF: where a real socket returns ``b""``, it times out."""

    def recv(self, bufsize: int, flags: int = 0, /) -> bytes:
        data = super().recv(bufsize)
        if not data:
            raise TimeoutError("timed out")
        return data


class IgnoresTimeoutSocket(MemorySocket):
    """Ignores ``settimeout``: every call blocks as if the timeout were None."""

    def settimeout(self, timeout: float | None, /) -> None:
        super().settimeout(None)


class StaysOpenSocket(MemorySocket):
    """``close`` shuts the connection down but leaves the socket usable."""

    def close(self) -> None:
        try:
            self.shutdown(2)
        except OSError as error:
            if error.errno != errno.ENOTCONN:
                raise


def _network(socket_class: type[MemorySocket], max_block: float = 2.0) -> MemoryNetwork:
    return MemoryNetwork(socket_class=socket_class, max_block=max_block)


def test_recv_that_returns_more_than_asked_fails_the_contract() -> None:
    """A recv(n) that returns more than n bytes fails the partial-reads check."""
    network = _network(GreedyRecvSocket)
    with pytest.raises(AssertionError, match=r"recv\(1\) returned 2 bytes"):
        check_recv_returns_at_most_bufsize(network.socket_factory)
    network.assert_all_closed()


def test_recv_that_drops_eof_fails_the_contract() -> None:
    """A recv that times out instead of returning b'' at EOF fails the EOF check."""
    network = _network(NoEOFSocket)
    with pytest.raises(AssertionError, match="recv after the peer closed: recv timed out"):
        check_eof_after_peer_close(network.socket_factory)
    network.assert_all_closed()


def test_socket_that_ignores_its_timeout_fails_the_contract() -> None:
    """A socket that ignores settimeout blocks where it should time out; the network's
    max_block turns the hang into BlockedTooLong (an AssertionError) that names the call."""
    network = _network(IgnoresTimeoutSocket, max_block=0.05)
    with pytest.raises(AssertionError, match="expected TimeoutError, got BlockedTooLong"):
        check_recv_timeout_raises_timeout_error(network.socket_factory)
    network.assert_all_closed()


def test_socket_usable_after_close_fails_the_contract() -> None:
    """A close that leaves the socket usable fails the use-after-close check."""
    network = _network(StaysOpenSocket)
    with pytest.raises(AssertionError, match="after close: expected OSError"):
        check_use_after_close_raises_ebadf(network.socket_factory)
    for sock in network.open_sockets():  # this fake cannot close itself: use the real close
        MemorySocket.close(sock)
    network.assert_all_closed()


def test_whole_contract_names_the_check_that_failed() -> None:
    """check_socket_contract runs every check and names the first one a fake fails."""
    with pytest.raises(
        AssertionError, match=r"socket contract, bytes_arrive_in_order: .* returned 200 bytes"
    ):
        check_socket_contract(lambda: _network(GreedyRecvSocket).socket_factory)


def test_whole_contract_passes_on_the_real_fake() -> None:
    """The unbroken MemorySocket passes the checks it is given in one call (here two; every
    check runs on it, one test each, in test_contract_memory.py)."""
    check_socket_contract(
        lambda: MemoryNetwork(max_block=2.0).socket_factory,
        checks=(check_bytes_arrive_in_order, check_eof_after_peer_close),
    )
