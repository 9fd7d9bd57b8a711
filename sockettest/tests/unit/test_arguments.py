"""Wrong arguments fail at the call, with a message that names them: the kit's own API, and
the memory socket where the contract's table cannot reach (a blocking socket, the gaps)."""

import errno
import socket
import time
from typing import Any

import pytest

from sockettest import (
    FaultInjector,
    Faults,
    MemoryNetwork,
    NotModelled,
    VirtualClock,
    mock_sockets,
)
from tests.sockets import connected


@pytest.mark.parametrize(
    ("arguments", "kind", "named"),
    [
        ({"clock": time.monotonic}, TypeError, "clock must be a VirtualClock"),
        ({"max_block": "5"}, TypeError, "max_block must be seconds"),
        ({"accept_faults": "reset"}, TypeError, "accept_faults must be Faults"),
        ({"connect_faults": [Faults(send_limit=1), 3]}, TypeError, "connect_faults must be"),
        ({"socket_class": socket.socket}, TypeError, "socket_class must be a MemorySocket"),
    ],
    ids=["clock", "max_block", "accept_faults", "connect_faults", "socket_class"],
)
def test_memory_network_refuses_a_wrong_argument_by_name(
    arguments: dict[str, Any], kind: type[Exception], named: str
) -> None:
    """MemoryNetwork checks its arguments when made, not at the first call that uses them."""
    with pytest.raises(kind, match=named):
        MemoryNetwork(**arguments)


def test_virtual_clock_refuses_what_is_not_seconds_by_name() -> None:
    """VirtualClock's start, threshold and advance take numbers, and say which one was not."""
    with pytest.raises(TypeError, match="start must be seconds"):
        VirtualClock(start="0")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="start must be a finite"):
        VirtualClock(start=float("nan"))
    with pytest.raises(TypeError, match="autojump_threshold must be seconds"):
        VirtualClock(autojump_threshold="0.01")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="seconds must be seconds"):
        VirtualClock().advance("1")  # type: ignore[arg-type]


def test_virtual_clock_refuses_to_advance_to_infinity() -> None:
    """``advance(math.inf)`` would time out every later call at once: refused, clock unmoved."""
    clock = VirtualClock(start=5.0)
    with pytest.raises(ValueError, match="seconds must be a finite number"):
        clock.advance(float("inf"))
    assert clock.monotonic() == 5.0


def test_network_waits_and_checks_refuse_what_is_not_seconds_or_calls_by_name(
    memory_network: MemoryNetwork,
) -> None:
    """``wait_until_blocked`` and ``assert_all_closed`` name a wrong argument at once."""
    with pytest.raises(TypeError, match="calls must be a number of calls"):
        memory_network.wait_until_blocked("1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="calls must be at least 1"):
        memory_network.wait_until_blocked(0)
    with pytest.raises(TypeError, match="timeout must be seconds"):
        memory_network.wait_until_blocked(1, timeout="1")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="grace must be seconds"):
        memory_network.assert_all_closed(grace="1")  # type: ignore[arg-type]


def test_a_socket_refuses_what_is_not_faults_by_name(
    memory_network: MemoryNetwork,
) -> None:
    """``sock.faults = 5`` is a TypeError naming faults, not an AttributeError from inside."""
    with memory_network.socket_factory() as sock:
        with pytest.raises(TypeError, match="faults must be a Faults"):
            sock.faults = 5  # type: ignore[assignment]
        assert sock.faults is None


def test_faults_refuse_recv_chunks_that_are_not_a_sequence_by_name() -> None:
    """``Faults(recv_chunks=5)`` names recv_chunks, not a bare ``'int' object is not iterable``."""
    with pytest.raises(TypeError, match="recv_chunks must be a sequence"):
        Faults(recv_chunks=5)  # type: ignore[arg-type]


def test_a_fault_injector_refuses_what_is_not_faults_by_name() -> None:
    """``FaultInjector(5)`` names faults, instead of failing at the first recv it hooks."""
    with pytest.raises(TypeError, match=r"^faults must be a Faults, not 5$"):
        FaultInjector(5)  # type: ignore[arg-type]


def test_mock_sockets_refuses_a_wrong_mocker_or_sockname_by_name() -> None:
    """mock_sockets names the argument that is not pytest-mock's fixture or an address."""
    with pytest.raises(TypeError, match="mocker must be"):
        mock_sockets(object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="sockname must be"):
        mock_sockets(sockname="127.0.0.1:80")  # type: ignore[arg-type]


def test_a_poison_that_is_not_an_exception_is_refused_when_set(
    memory_network: MemoryNetwork,
) -> None:
    """``poison("recv", "notanexc")`` fails at once, naming the error, on a socket and a network."""
    with memory_network.socket_factory() as sock:
        with pytest.raises(TypeError, match="error must be an exception"):
            sock.poison("recv", "notanexc")  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="error must be an exception"):
            memory_network.poison("recv", 42)  # type: ignore[arg-type]
        sock.poison("bind", OSError)  # a class is one
        sock.poison("listen", ConnectionResetError())  # and so is an instance


def test_recv_of_a_float_on_a_blocking_socket_raises_type_error_at_once(
    memory_network: MemoryNetwork,
) -> None:
    """``recv(8 / 2)`` with nothing pending and no timeout is a TypeError, not a wait."""
    listener, client, server = connected(memory_network)
    with listener, client, server:
        client.settimeout(None)
        with pytest.raises(TypeError, match="'float' object cannot be interpreted"):
            client.recv(8 / 2)  # type: ignore[arg-type]
        assert memory_network.stuck_calls == []


def test_connect_takes_a_bytes_host_as_linux_does(memory_network: MemoryNetwork) -> None:
    """``connect((b"127.0.0.1", port))`` connects (the contract checks it through connect_ex)."""
    with memory_network.socket_factory() as listener, memory_network.socket_factory() as client:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        client.connect((b"127.0.0.1", listener.getsockname()[1]))
        server, _ = listener.accept()
        with server:
            assert client.send(b"hi") == 2  # send, not sendall: a send that took nothing fails
            assert server.recv(2) == b"hi"


def test_dup_detach_and_ancillary_data_say_they_are_not_modelled(
    memory_network: MemoryNetwork,
) -> None:
    """The calls the fake leaves out raise NotModelled (a NotImplementedError) naming the gap."""
    listener, client, server = connected(memory_network)
    with listener, client, server:
        with pytest.raises(NotModelled, match=r"dup\(\) of <MemorySocket"):
            client.dup()
        with pytest.raises(NotModelled, match=r"detach\(\) of <MemorySocket"):
            client.detach()
        ancillary = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, b"")]
        with pytest.raises(NotModelled, match="sendmsg with ancillary data"):
            client.sendmsg([b"x"], ancillary)
        assert issubclass(NotModelled, NotImplementedError)
        assert client.getpeername() == server.getsockname()  # the socket still works
    closed = memory_network.socket_factory()
    closed.close()
    assert closed.detach() == -1  # as on Linux, where a closed socket has nothing to detach


def test_sending_urgent_data_says_it_is_not_modelled(memory_network: MemoryNetwork) -> None:
    """A send of urgent data (MSG_OOB), by any send call, raises NotModelled and sends nothing."""
    listener, client, server = connected(memory_network)
    with listener, client, server:
        address = server.getsockname()
        sends: dict[str, Any] = {
            "send": lambda: client.send(b"ab", socket.MSG_OOB),
            "sendall": lambda: client.sendall(b"ab", socket.MSG_OOB),
            "sendto": lambda: client.sendto(b"ab", socket.MSG_OOB, address),
            "sendmsg": lambda: client.sendmsg([b"ab"], [], socket.MSG_OOB),
        }
        for name, call in sends.items():
            with pytest.raises(NotModelled, match=f"^{name} with MSG_OOB on <MemorySocket"):
                call()
        server.setblocking(False)
        with pytest.raises(BlockingIOError):
            server.recv(8)  # nothing was sent
        assert client.send(b"ab") == 2  # the socket still works


def test_a_socketpair_takes_socket_level_options_only_as_an_af_unix_pair_does(
    memory_network: MemoryNetwork,
) -> None:
    """On the default (``AF_UNIX``) pair, TCP and IP options are ``EOPNOTSUPP``, as on Linux:
    code that sets ``TCP_NODELAY`` on any socket must cope with a pair."""
    a, b = memory_network.socketpair()
    with a, b:
        for level, option in ((socket.IPPROTO_TCP, socket.TCP_NODELAY), (socket.IPPROTO_IP, 1)):
            with pytest.raises(OSError, match="Operation not supported") as raised:
                a.setsockopt(level, option, 1)
            assert raised.value.errno == errno.EOPNOTSUPP
            with pytest.raises(OSError, match="Operation not supported"):
                a.getsockopt(level, option)
        a.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        assert a.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1


class _Index:
    """An int-like object (``__index__``), as a NumPy integer is: the slow path of the checks."""

    def __init__(self, value: int) -> None:
        self.value = value

    def __index__(self) -> int:
        return self.value


@pytest.mark.parametrize("kind", [int, _Index], ids=["int", "index"])
def test_a_c_int_argument_overflows_exactly_past_a_c_int(
    memory_network: MemoryNetwork, kind: Any
) -> None:
    """``shutdown(how)`` takes a C int, as on Linux: 2**31 - 1 and -2**31 reach the kernel
    (EINVAL), one past either end is CPython's OverflowError."""
    listener, client, server = connected(memory_network)
    with listener, client, server:
        for how in (2**31, -(2**31) - 1):
            with pytest.raises(OverflowError, match="C int"):
                client.shutdown(kind(how))
        for how in (2**31 - 1, -(2**31)):
            with pytest.raises(OSError, match="Invalid argument") as raised:
                client.shutdown(kind(how))
            assert raised.value.errno == errno.EINVAL


@pytest.mark.parametrize("kind", [int, _Index], ids=["int", "index"])
def test_a_buffer_size_overflows_exactly_past_a_c_ssize_t(
    memory_network: MemoryNetwork, kind: Any
) -> None:
    """``recv(n)`` takes a Py_ssize_t, as CPython does: 2**63 and -2**63 - 1 overflow, while
    -2**63 is a negative size (ValueError)."""
    listener, client, server = connected(memory_network)
    with listener, client, server:
        for size in (2**63, -(2**63) - 1):
            with pytest.raises(OverflowError, match="ssize_t"):
                client.recv(kind(size))
        with pytest.raises(ValueError, match="negative buffersize"):
            client.recv(kind(-(2**63)))


@pytest.mark.parametrize("kind", [int, _Index], ids=["int", "index"])
def test_an_unsigned_argument_is_taken_modulo_2_to_the_32_as_cpython_does(
    memory_network: MemoryNetwork, kind: Any
) -> None:
    """CPython takes an IPv6 flowinfo and setsockopt's optlen modulo 2**32, with no overflow
    check: a flowinfo of 2**32 + 1 binds, -1 (4294967295) is past 0-1048575, and an optlen of
    2**32 + 4 reaches the kernel, which finds no buffer (EFAULT)."""
    with memory_network.socket_factory(socket.AF_INET6) as sock:
        sock.bind(("::1", 0, kind(2**32 + 1)))
        assert sock.getsockname()[1] != 0
        with pytest.raises(OSError, match="Bad address") as raised:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, None, kind(2**32 + 4))
        assert raised.value.errno == errno.EFAULT
    with (
        memory_network.socket_factory(socket.AF_INET6) as sock,
        pytest.raises(OverflowError, match=r"bind\(\): flowinfo must be 0-1048575"),
    ):
        sock.bind(("::1", 0, kind(-1)))


@pytest.mark.parametrize("bad", [True, 2.0, "3"])
@pytest.mark.parametrize(
    "name", ["send_limit", "reset_after_recv", "reset_after_send", "timeout_on_recv", "eof_after"]
)
def test_faults_refuse_a_count_that_is_not_an_int_by_name(name: str, bad: object) -> None:
    """``Faults(send_limit=True)`` or ``2.0`` or ``"3"`` names the count that is not an int."""
    with pytest.raises(TypeError, match=f"{name} must be an int or None"):
        Faults(**{name: bad})  # type: ignore[arg-type]
