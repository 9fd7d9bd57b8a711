"""Each fault a Faults sets really happens, where and when it says.

Also: why short sends matter (a sender that calls ``send`` once loses bytes, ``sendall`` does
not).
"""

import errno
import socket
import time
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sockettest import FaultInjector, Faults, MemoryNetwork, MemorySocket
from sockettest.strategies import faults


def recv_sizes(sock: MemorySocket, bufsize: int = 100) -> list[int]:
    """The size of each recv until EOF."""
    sizes = []
    while data := sock.recv(bufsize):
        sizes.append(len(data))
    return sizes


# Faults, the value --------------------------------------------------------------------------------


def test_the_repr_names_only_the_faults_that_are_set() -> None:
    """Hypothesis prints a Faults when it shrinks: the repr is short and rebuilds it."""
    assert repr(Faults()) == "Faults()"
    planned = Faults(recv_chunks=[1, 3], send_limit=1)  # type: ignore[arg-type]
    assert repr(planned) == "Faults(recv_chunks=(1, 3), send_limit=1)"
    assert hash(planned) == hash(Faults(recv_chunks=(1, 3), send_limit=1))
    assert Faults().is_empty
    assert not planned.is_empty


@pytest.mark.parametrize(
    "bad",
    [
        {"recv_chunks": (0,)},
        {"send_limit": 0},
        {"reset_after_recv": -1},
        {"timeout_on_recv": 0},
        {"eof_after": -1},
    ],
    ids=lambda bad: next(iter(bad)),
)
def test_out_of_range_faults_are_refused(bad: dict[str, object]) -> None:
    """A size or position that would make no sense (or make sendall spin) is a ValueError."""
    with pytest.raises(ValueError, match=next(iter(bad))):
        Faults(**bad)  # type: ignore[arg-type]


def test_faults_set_on_a_socket_start_afresh(memory_network: MemoryNetwork) -> None:
    """Setting ``faults`` resets the counts; ``None`` or ``Faults()`` removes the injector."""
    a, b = memory_network.socketpair(socket.AF_INET)
    with a, b:
        a.faults = Faults(send_limit=2)
        injector = a.fault_injector
        assert isinstance(injector, FaultInjector)
        assert a.send(b"abc") == 2
        assert injector.sent == 2
        a.faults = Faults(send_limit=2)
        assert a.fault_injector is not injector
        a.faults = Faults()
        assert a.fault_injector is None
        assert a.send(b"abc") == 3


# Each fault --------------------------------------------------------------------------------------


def test_recv_chunks_deliver_in_the_given_sizes_cycling(memory_network: MemoryNetwork) -> None:
    """recv returns at most the next chunk size, cycling through the sizes."""
    a, b = memory_network.socketpair(socket.AF_INET)
    with a, b:
        b.faults = Faults(recv_chunks=(1, 3))
        a.sendall(b"0123456789")
        a.shutdown(2)
        assert recv_sizes(b) == [1, 3, 1, 3, 1, 1]


def test_recv_chunks_never_exceed_bufsize(memory_network: MemoryNetwork) -> None:
    """A chunk size larger than recv's bufsize is cut to bufsize."""
    a, b = memory_network.socketpair(socket.AF_INET)
    with a, b:
        b.faults = Faults(recv_chunks=(8,))
        a.sendall(b"0123456789")
        assert b.recv(2) == b"01"
        assert b.recv(100) == b"23456789"


def test_send_limit_makes_send_return_short_counts(memory_network: MemoryNetwork) -> None:
    """send takes at most send_limit bytes and says so; sendall still sends everything."""
    a, b = memory_network.socketpair(socket.AF_INET)
    with a, b:
        a.faults = Faults(send_limit=3)
        assert a.send(b"abcdefgh") == 3
        a.sendall(b"12345678")
        a.shutdown(2)
        assert b"".join(iter(lambda: b.recv(100), b"")) == b"abc12345678"
    assert memory_network.fault_log[0] == f"{a.name}: short send: 3 of 8 bytes"


def send_line_badly(sock: MemorySocket, line: bytes) -> None:
    """The classic bug: send() once and assume it took everything."""
    sock.send(line)


def send_line_well(sock: MemorySocket, line: bytes) -> None:
    """The fix: sendall() loops until every byte is taken."""
    sock.sendall(line)


@pytest.mark.parametrize(
    ("sender", "arrives"),
    [(send_line_badly, b"HE"), (send_line_well, b"HELLO alice\n")],
    ids=["send-loses-bytes", "sendall-delivers-all"],
)
def test_a_short_send_fault_catches_send_used_for_sendall(
    memory_network: MemoryNetwork,
    sender: Callable[[MemorySocket, bytes], None],
    arrives: bytes,
) -> None:
    """Under short sends, a sender that calls send() once loses bytes; sendall() loses none.
    On loopback both pass: the kernel takes small writes whole."""
    a, b = memory_network.socketpair(socket.AF_INET)
    with a, b:
        a.faults = Faults(send_limit=2)
        sender(a, b"HELLO alice\n")
        a.close()
        assert b"".join(iter(lambda: b.recv(100), b"")) == arrives


def test_reset_after_recv_delivers_n_bytes_then_resets(memory_network: MemoryNetwork) -> None:
    """recv delivers exactly N bytes, then raises ConnectionResetError once, then gives EOF;
    the socket can no longer send, and the peer can no longer send to it."""
    a, b = memory_network.socketpair(socket.AF_INET)
    with a, b:
        b.faults = Faults(reset_after_recv=5)
        a.sendall(b"0123456789")
        assert b.recv(100) == b"01234"
        with pytest.raises(ConnectionResetError, match="after 5 bytes received"):
            b.recv(100)
        assert b.recv(100) == b""
        with pytest.raises(BrokenPipeError):
            b.send(b"x")
        with pytest.raises(BrokenPipeError):
            a.send(b"x")
    assert memory_network.fault_log == [f"{b.name}: connection reset after 5 bytes received"]


def test_reset_after_send_delivers_n_bytes_then_resets(memory_network: MemoryNetwork) -> None:
    """The peer receives exactly N bytes; the sendall that crosses byte N raises
    ConnectionResetError, and later sends raise BrokenPipeError."""
    a, b = memory_network.socketpair(socket.AF_INET)
    with a, b:
        a.faults = Faults(reset_after_send=4)
        with pytest.raises(ConnectionResetError, match="after 4 bytes sent"):
            a.sendall(b"0123456789")
        with pytest.raises(BrokenPipeError):
            a.send(b"x")
        a.close()
        assert b"".join(iter(lambda: b.recv(100), b"")) == b"0123"


def test_timeout_on_recv_fires_on_that_call_only_and_at_once(memory_network: MemoryNetwork) -> None:
    """The Nth recv raises TimeoutError at once, even with data waiting and no timeout set;
    the data is still there for the next call."""
    a, b = memory_network.socketpair(socket.AF_INET)
    with a, b:
        b.faults = Faults(timeout_on_recv=2)
        a.sendall(b"one")
        assert b.recv(100) == b"one"
        a.sendall(b"two")
        started = time.monotonic()
        with pytest.raises(TimeoutError, match="recv call #2"):
            b.recv(100)
        assert time.monotonic() - started < 0.5
        assert b.recv(100) == b"two"
    assert memory_network.fault_log == [f"{b.name}: timeout on recv call #2"]


def test_eof_after_ends_the_stream_early(memory_network: MemoryNetwork) -> None:
    """recv returns the first N bytes, then b'' for good, though the peer sent more."""
    a, b = memory_network.socketpair(socket.AF_INET)
    with a, b:
        b.faults = Faults(eof_after=4)
        a.sendall(b"0123456789")
        assert b.recv(100) == b"0123"
        assert b.recv(100) == b""
        assert b.recv(100) == b""
    assert memory_network.fault_log == [f"{b.name}: early EOF after 4 bytes received"]


@given(drawn=faults(resets=False, timeouts=False, early_eof=False), data=st.binary())
def test_benign_faults_never_change_what_sendall_delivers(drawn: Faults, data: bytes) -> None:
    """Under any chunking and short sends, sendall then recv-until-EOF gives the same bytes."""
    network = MemoryNetwork(max_block=2.0)
    a, b = network.socketpair(socket.AF_INET)
    with a, b:
        a.faults = drawn
        b.faults = drawn
        a.sendall(data)
        a.shutdown(2)
        assert b"".join(iter(lambda: b.recv(7), b"")) == data
    network.assert_all_closed()


# Fault plans for the code under test's own sockets ---------------------------------------------


def test_network_plans_reach_accepted_and_connecting_sockets(memory_network: MemoryNetwork) -> None:
    """accept_faults goes to the server side of each connection, connect_faults to the client
    side; a sequence assigns its Faults in connection order."""
    memory_network.accept_faults = (None, Faults(recv_chunks=(1,)))
    memory_network.connect_faults = Faults(send_limit=1)
    with memory_network.socket_factory() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        clients = [memory_network.socket_factory() for _ in range(3)]
        for client in clients:
            client.connect(listener.getsockname())
        accepted = [listener.accept()[0] for _ in clients]
        assert [conn.faults for conn in accepted] == [None, Faults(recv_chunks=(1,)), None]
        assert all(client.faults == Faults(send_limit=1) for client in clients)
        for sock in [*clients, *accepted]:
            sock.close()


def test_a_planned_fault_is_logged_once_it_fires(memory_network: MemoryNetwork) -> None:
    """The injector's fired list and the network's log record each fault as it happens."""
    a, b = memory_network.socketpair(socket.AF_INET)
    with a, b:
        b.faults = Faults(reset_after_recv=0)
        injector = b.fault_injector
        assert injector is not None
        assert injector.fired == []
        with pytest.raises(ConnectionResetError) as caught:
            b.recv(1)
        assert caught.value.errno == errno.ECONNRESET
        assert injector.fired == ["connection reset after 0 bytes received"]
