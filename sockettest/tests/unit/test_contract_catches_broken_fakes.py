"""A contract that every fake passes proves nothing: these deliberately broken fakes fail it.

Each is a MemorySocket with one realistic bug, the kind a hand-written fake tends to have; the
network builds every socket, accepted ones included, from its ``socket_class``.
"""

import errno
import socket
import struct
from typing import Any

import pytest

from sockettest import Faults, MemoryNetwork, MemorySocket
from sockettest.contract import (
    check_bind_port_zero_assigns_a_port,
    check_bytes_arrive_in_order,
    check_connect_times_out_when_backlog_full,
    check_eof_after_peer_close,
    check_kernel_timeout_out_of_range_is_refused,
    check_kernel_timeouts_bound_blocking_calls_with_eagain,
    check_recv_into_fills_buffer,
    check_recv_returns_at_most_bufsize,
    check_recv_timeout_raises_timeout_error,
    check_reuseaddr_lets_two_sockets_bind_but_one_listen,
    check_socket_contract,
    check_use_after_close_raises_ebadf,
    check_wrong_calls_answer_as_linux,
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


class GreedyRecvIntoSocket(MemorySocket):
    """``recv_into(buffer, nbytes)`` fills one byte more than asked, when the buffer has room."""

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0, /) -> int:
        return super().recv_into(buffer, nbytes + 1 if nbytes else 0, flags)


class WrongErrnoShutdownSocket(MemorySocket):
    """Refuses a bad ``shutdown(how)`` with the right exception but the wrong errno (EBADF)."""

    def shutdown(self, how: int, /) -> None:
        if how not in (0, 1, 2):
            raise OSError(errno.EBADF, "Bad file descriptor")
        super().shutdown(how)


class NoEphemeralPortSocket(MemorySocket):
    """Never picks a port for ``bind((host, 0))``: it still reports port 0 afterwards."""

    unassigned = False

    def bind(self, address: object, /) -> None:
        super().bind(address)  # type: ignore[arg-type]
        self.unassigned = isinstance(address, tuple) and address[1] == 0

    def getsockname(self) -> tuple[str, int]:
        host, port = super().getsockname()[:2]
        return (host, 0 if self.unassigned else port)


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


def test_recv_into_that_fills_more_than_asked_fails_the_contract() -> None:
    """A recv_into(view, 6) that gives 7 bytes fails the recv_into check, naming both sizes."""
    network = _network(GreedyRecvIntoSocket)
    with pytest.raises(AssertionError, match=r"recv_into\(view, 6\) gave 7"):
        check_recv_into_fills_buffer(network.socket_factory)
    network.assert_all_closed()


def test_a_wrong_call_answered_with_the_wrong_errno_fails_the_contract() -> None:
    """An OSError of the right type but the wrong errno fails the wrong-calls check, naming
    the errno expected."""
    network = _network(WrongErrnoShutdownSocket)
    with pytest.raises(AssertionError, match=r"shutdown\(7\): expected errno EINVAL, got"):
        check_wrong_calls_answer_as_linux(network.socket_factory)
    network.assert_all_closed()


def test_a_bind_to_port_zero_that_picks_no_port_fails_the_contract() -> None:
    """A socket still on port 0 after ``bind((host, 0))`` fails the port-zero check."""
    network = _network(NoEphemeralPortSocket)
    with pytest.raises(AssertionError, match="bind to port 0 gave port 0"):
        check_bind_port_zero_assigns_a_port(network.socket_factory)
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


def test_a_fake_whose_reads_come_one_byte_at_a_time_passes_the_reading_checks() -> None:
    """TCP may hand a read fewer bytes than are waiting: a socket that reads one byte at a time
    is correct, and the checks that read in a loop accept it."""
    network = MemoryNetwork(accept_faults=Faults(recv_chunks=(1,)), max_block=2.0)
    check_recv_into_fills_buffer(network.socket_factory)
    check_bytes_arrive_in_order(network.socket_factory)
    network.assert_all_closed()


def test_a_send_that_takes_one_byte_passes_the_send_timeout_check() -> None:
    """A send that takes a single byte (all the room a nearly full buffer has) is correct: with
    one byte of room past 1 MiB, the second send takes 1 byte, and the check accepts it."""
    network = MemoryNetwork(buffer_size=(1 << 20) + 1, max_block=2.0)
    check_kernel_timeouts_bound_blocking_calls_with_eagain(network.socket_factory)
    network.assert_all_closed()


class ReuseaddrTakesAListenersAddressSocket(MemorySocket):
    """Treats ``SO_REUSEADDR`` as leave to share any address, a listener's too (Linux refuses
    that bind with ``EADDRINUSE``): such a bind reports success."""

    def bind(self, address: object, /) -> None:
        try:
            super().bind(address)  # type: ignore[arg-type]
        except OSError as error:
            reuse = self.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)
            if not (error.errno == errno.EADDRINUSE and reuse):
                raise


def test_a_reuseaddr_bind_onto_a_listener_that_succeeds_fails_the_contract() -> None:
    """A ``SO_REUSEADDR`` bind to the address a socket listens on that succeeds fails the
    SO_REUSEADDR check, which names the listened address."""
    network = _network(ReuseaddrTakesAListenersAddressSocket)
    expected = "an address a socket listens on, bind with SO_REUSEADDR: expected EADDRINUSE"
    with pytest.raises(AssertionError, match=expected):
        check_reuseaddr_lets_two_sockets_bind_but_one_listen(network.socket_factory)
    network.assert_all_closed()


class FirstPortSocket(MemorySocket):
    """Picks port 1, the lowest there is, for ``bind((host, 0))``: a real port all the same."""

    def bind(self, address: object, /) -> None:
        if isinstance(address, tuple) and address[1] == 0:
            address = (address[0], 1)
        super().bind(address)  # type: ignore[arg-type]


def test_a_bind_to_port_zero_that_picks_port_one_passes_the_contract() -> None:
    """Every port from 1 to 65535 is one ``bind((host, 0))`` may pick: the port-zero check
    accepts the lowest."""
    network = _network(FirstPortSocket)
    check_bind_port_zero_assigns_a_port(network.socket_factory)
    network.assert_all_closed()


class DeepBacklogSocket(MemorySocket):
    """Holds seven connections more than ``listen`` asks: ``listen(0)`` takes eight, where
    Linux holds one and lets the next connect time out."""

    def listen(self, backlog: int = 128, /) -> None:
        super().listen(backlog + 7)


def test_a_listen_zero_that_holds_eight_connections_fails_the_contract() -> None:
    """A ``listen(0)`` that takes eight connects without a timeout fails the full-backlog check,
    which gives up after eight attempts."""
    network = _network(DeepBacklogSocket)
    with pytest.raises(AssertionError, match="8 connects to a listen"):
        check_connect_times_out_when_backlog_full(network.socket_factory)
    network.assert_all_closed()


class ClampsMinusOneMicrosecondSocket(MemorySocket):
    """Takes a kernel timeout's ``tv_usec`` of -1 as 0, where Linux refuses it with ``EDOM``
    as it does every value outside 0-999,999."""

    def setsockopt(self, level: int, option: int, value: Any, optlen: int | None = None, /) -> None:
        kernel_timeouts = (socket.SO_RCVTIMEO, socket.SO_SNDTIMEO)
        if level == socket.SOL_SOCKET and option in kernel_timeouts and isinstance(value, bytes):
            seconds, micros = struct.unpack("@ll", value)
            if micros == -1:
                value = struct.pack("@ll", seconds, 0)
        if optlen is None:
            super().setsockopt(level, option, value)
        else:
            super().setsockopt(level, option, value, optlen)


def test_a_kernel_timeout_that_takes_minus_one_microsecond_fails_the_contract() -> None:
    """A ``tv_usec`` of -1, the value just below the range, accepted fails the out-of-range
    check, which names it."""
    network = _network(ClampsMinusOneMicrosecondSocket)
    with pytest.raises(AssertionError, match="a timeval with tv_usec -1: expected OSError"):
        check_kernel_timeout_out_of_range_is_refused(network.socket_factory)
    network.assert_all_closed()


def test_a_fake_whose_buffers_hold_256_mib_fails_the_send_timeout_check() -> None:
    """A connection that takes 256 MiB before a send waits (Linux's loopback takes a few MiB)
    fails the SO_SNDTIMEO check, which sends at most 256 sends of 1 MiB before it says the
    send never gave up."""
    network = MemoryNetwork(buffer_size=256 << 20, max_block=2.0)
    with pytest.raises(AssertionError, match="with SO_SNDTIMEO to a peer that never reads never"):
        check_kernel_timeouts_bound_blocking_calls_with_eagain(network.socket_factory)
    network.assert_all_closed()


class ZeroOptlenAsAbsentSocket(MemorySocket):
    """Takes ``setsockopt(level, option, None, 0)`` as if no optlen were given (``if optlen:``)
    and refuses the None with TypeError, where Linux refuses the zero length with ``EINVAL``."""

    def setsockopt(self, level: int, option: int, value: Any, optlen: int | None = None, /) -> None:
        if optlen:
            super().setsockopt(level, option, value, optlen)
        else:
            super().setsockopt(level, option, value)


def test_a_setsockopt_that_takes_a_zero_optlen_as_none_fails_the_contract() -> None:
    """A zero optlen taken for a missing one fails the wrong-calls check, which names the call."""
    network = _network(ZeroOptlenAsAbsentSocket)
    with pytest.raises(AssertionError, match=r"None, 0\): expected OSError, got TypeError"):
        check_wrong_calls_answer_as_linux(network.socket_factory)
    network.assert_all_closed()


class EmptyWholeBufferRecvIntoSocket(MemorySocket):
    """``recv_into(buffer)`` with no ``nbytes`` returns 0, as at EOF, though data is waiting."""

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0, /) -> int:
        return 0 if not nbytes else super().recv_into(buffer, nbytes, flags)


def test_a_recv_into_that_reads_nothing_with_data_waiting_fails_the_contract() -> None:
    """A recv_into(bytearray(100)) that returns 0 with two bytes waiting (an EOF that is not
    there) fails the recv_into check, naming the call and the count."""
    network = _network(EmptyWholeBufferRecvIntoSocket)
    with pytest.raises(AssertionError, match=r"recv_into\(bytearray\(100\)\) .* gave 0"):
        check_recv_into_fills_buffer(network.socket_factory)
    network.assert_all_closed()
