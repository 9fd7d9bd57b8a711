"""What a MemorySocket records about the calls made on it, and its poison switches.

Unit tier: no real socket. The memory socket is a fake that also records: every call lands in
``calls`` (poisoned and failed ones included), ``options`` and ``backlog`` keep what was set,
and a poison switch makes one method, or one method on every socket of a network, raise.
"""

from __future__ import annotations

import errno
import io
import socket
from collections.abc import Callable
from typing import Any

import pytest

from sockettest import MemoryNetwork, MemorySocket

ADDRESS = ("127.0.0.1", 7777)

# A call for each method that can be poisoned, made on a fresh socket.
POISONABLE_CALLS: dict[str, Callable[[MemorySocket], object]] = {
    "accept": lambda s: s.accept(),
    "bind": lambda s: s.bind(ADDRESS),
    "close": lambda s: s.close(),
    "connect": lambda s: s.connect(ADDRESS),
    "connect_ex": lambda s: s.connect_ex(ADDRESS),
    "getpeername": lambda s: s.getpeername(),
    "getsockname": lambda s: s.getsockname(),
    "getsockopt": lambda s: s.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE),
    "listen": lambda s: s.listen(1),
    "recv": lambda s: s.recv(1),
    "recv_into": lambda s: s.recv_into(bytearray(1)),
    "send": lambda s: s.send(b"x"),
    "sendall": lambda s: s.sendall(b"x"),
    "setblocking": lambda s: s.setblocking(False),
    "setsockopt": lambda s: s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1),
    "settimeout": lambda s: s.settimeout(1.0),
    "shutdown": lambda s: s.shutdown(socket.SHUT_RDWR),
    "recvfrom": lambda s: s.recvfrom(1),
    "recvfrom_into": lambda s: s.recvfrom_into(bytearray(1)),
    "recvmsg": lambda s: s.recvmsg(1),
    "recvmsg_into": lambda s: s.recvmsg_into([bytearray(1)]),
    "sendto": lambda s: s.sendto(b"x", ADDRESS),
    "sendmsg": lambda s: s.sendmsg([b"x"]),
    "sendfile": lambda s: s.sendfile(io.BytesIO(b"x")),
    "get_inheritable": lambda s: s.get_inheritable(),
    "set_inheritable": lambda s: s.set_inheritable(True),
    "dup": lambda s: s.dup(),
    "detach": lambda s: s.detach(),
}

# Calls on a closed socket, each of which must fail with EBADF.
CALLS_AFTER_CLOSE: dict[str, Callable[[MemorySocket], object]] = {
    name: call
    for name, call in POISONABLE_CALLS.items()
    # detach() of a closed socket gives -1; sendfile() reads the file, then its send fails
    if name not in {"close", "connect_ex", "detach", "sendfile"}
}


def listener_on(network: MemoryNetwork, address: tuple[str, int] = ADDRESS) -> MemorySocket:
    listener = network.socket_factory()
    listener.bind(address)
    listener.listen(1)
    return listener


def choices_in(message: str) -> set[str]:
    """The names listed after "choose one of" in a poison ValueError."""
    return set(message.split("choose one of ", 1)[1].split(", "))


# Recording ------------------------------------------------------------------------------------


def test_every_call_is_recorded_in_order_with_its_arguments(memory_network: MemoryNetwork) -> None:
    """``calls`` holds each call as ``(method, args)``, in the order made, flags included."""
    listener = memory_network.socket_factory()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(ADDRESS)
    listener.listen(5)
    client = memory_network.socket_factory()
    client.settimeout(2.0)
    client.connect(ADDRESS)
    server, _ = listener.accept()
    server.sendall(b"hi\n")
    assert client.recv(2, socket.MSG_PEEK) == b"hi"
    assert client.recv(10) == b"hi\n"
    client.shutdown(socket.SHUT_WR)
    for sock in (client, server, listener):
        sock.close()

    assert listener.calls == [
        ("setsockopt", (socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)),
        ("bind", (ADDRESS,)),
        ("listen", (5,)),
        ("accept", ()),
        ("close", ()),
    ]
    assert client.calls == [
        ("settimeout", (2.0,)),
        ("connect", (ADDRESS,)),
        ("recv", (2, socket.MSG_PEEK)),
        ("recv", (10,)),
        ("shutdown", (socket.SHUT_WR,)),
        ("close", ()),
    ]
    assert server.calls == [("sendall", (b"hi\n",)), ("close", ())]


def test_a_call_that_fails_is_still_recorded(memory_network: MemoryNetwork) -> None:
    """A ``recv`` on an unconnected socket raises ENOTCONN, and is in ``calls`` all the same."""
    with memory_network.socket_factory() as sock:
        with pytest.raises(OSError, match="not connected") as raised:
            sock.recv(10)
        assert raised.value.errno == errno.ENOTCONN
        with pytest.raises(ConnectionRefusedError):
            sock.connect(ADDRESS)
    assert sock.calls == [("recv", (10,)), ("connect", (ADDRESS,)), ("close", ())]


@pytest.mark.parametrize(
    ("call", "error", "recorded"),
    [
        pytest.param(
            lambda s: s.bind(("127.0.0.1", 70000)),
            OverflowError,
            ("bind", (("127.0.0.1", 70000),)),
            id="bind-port-out-of-range",
        ),
        pytest.param(
            lambda s: s.settimeout(-1), ValueError, ("settimeout", (-1,)), id="settimeout-negative"
        ),
        pytest.param(lambda s: s.recv(-1), ValueError, ("recv", (-1,)), id="recv-negative"),
    ],
)
def test_a_call_refused_for_its_arguments_is_still_recorded(
    memory_network: MemoryNetwork,
    call: Callable[[MemorySocket], object],
    error: type[Exception],
    recorded: tuple[str, tuple[Any, ...]],
) -> None:
    """A call that raises because of a bad argument was still made, so it is in ``calls``."""
    with memory_network.socket_factory() as sock:
        with pytest.raises(error):
            call(sock)
        assert sock.calls == [recorded]


def test_send_and_sendall_record_the_bytes_a_view_or_bytearray_as_bytes(
    memory_network: MemoryNetwork,
) -> None:
    """What was sent is recorded as ``bytes``, copied at the call: a buffer reused later
    leaves the record as it was."""
    a, b = memory_network.socketpair()
    with a, b:
        buffer = bytearray(b"GAME ")
        a.sendall(memoryview(buffer))
        buffer[:] = b"xxxxx"
        assert a.send(bytearray(b"tictactoe 1\n")) == 12
        assert b.recv(100) == b"GAME tictactoe 1\n"

    assert a.calls[:2] == [("sendall", (b"GAME ",)), ("send", (b"tictactoe 1\n",))]
    assert all(type(args[0]) is bytes for _, args in a.calls[:2])


def test_call_names_lists_the_method_names_in_order(memory_network: MemoryNetwork) -> None:
    """``call_names`` is ``calls`` without the arguments."""
    with memory_network.socket_factory() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(ADDRESS)
        sock.getsockname()
    assert sock.call_names == ["setsockopt", "bind", "getsockname", "close"]
    assert sock.call_names == [name for name, _ in sock.calls]


def test_options_keep_setsockopt_values_as_linux_reads_them_back(
    memory_network: MemoryNetwork,
) -> None:
    """A boolean is stored as an int; SO_RCVBUF reads back doubled, as on Linux; ``calls``
    keeps what was asked."""
    with memory_network.socket_factory() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, True)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        assert sock.options == {
            (socket.SOL_SOCKET, socket.SO_KEEPALIVE): 1,
            (socket.SOL_SOCKET, socket.SO_RCVBUF): 8192,
        }
        assert type(sock.options[(socket.SOL_SOCKET, socket.SO_KEEPALIVE)]) is int
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) == 8192
    assert ("setsockopt", (socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)) in sock.calls


def test_backlog_is_none_until_listen_then_what_listen_was_given(
    memory_network: MemoryNetwork,
) -> None:
    """``backlog`` records the argument of ``listen``."""
    with memory_network.socket_factory() as sock:
        assert sock.backlog is None
        sock.listen(socket.SOMAXCONN)
        assert sock.backlog == socket.SOMAXCONN


def test_network_sockets_lists_every_socket_made_accepted_ones_included(
    memory_network: MemoryNetwork,
) -> None:
    """``network.sockets`` has each socket in the order it was made, closed ones too."""
    listener = listener_on(memory_network)
    client = memory_network.socket_factory()
    client.connect(ADDRESS)
    accepted, _ = listener.accept()
    for sock in (accepted, client, listener):
        sock.close()
    assert memory_network.sockets == [listener, client, accepted]


@pytest.mark.parametrize("method", sorted(CALLS_AFTER_CLOSE))
def test_after_close_a_call_raises_ebadf_and_is_still_recorded(
    memory_network: MemoryNetwork, method: str
) -> None:
    """Use after close is caught (EBADF), and the attempt is in ``calls`` after the close."""
    sock = memory_network.socket_factory()
    sock.close()
    with pytest.raises(OSError, match="Bad file descriptor") as raised:
        CALLS_AFTER_CLOSE[method](sock)
    assert raised.value.errno == errno.EBADF
    assert sock.call_names == ["close", method]


def test_after_close_sendfile_reads_the_file_then_its_send_raises_ebadf(
    memory_network: MemoryNetwork,
) -> None:
    """``sendfile`` of a file object after close is CPython's: it reads, then ``send`` fails."""
    sock = memory_network.socket_factory()
    sock.close()
    file = io.BytesIO(b"abc")
    with pytest.raises(OSError, match="Bad file descriptor"):
        sock.sendfile(file)
    assert sock.call_names == ["close", "sendfile", "send"]
    assert file.tell() == 3  # read, and not rewound: nothing was sent


def test_after_close_connect_ex_returns_ebadf_and_is_still_recorded(
    memory_network: MemoryNetwork,
) -> None:
    """``connect_ex`` reports the error as its result, as CPython's returns 9 after close."""
    sock = memory_network.socket_factory()
    sock.close()
    assert sock.connect_ex(ADDRESS) == errno.EBADF
    assert sock.call_names == ["close", "connect_ex"]


def test_close_again_is_harmless_and_recorded(memory_network: MemoryNetwork) -> None:
    """A second ``close`` raises nothing, as on a real socket, and is recorded."""
    sock = memory_network.socket_factory()
    sock.close()
    sock.close()
    assert sock.closed
    assert sock.call_names == ["close", "close"]


# Poison switches on one socket ----------------------------------------------------------------


@pytest.mark.parametrize("method", sorted(POISONABLE_CALLS))
def test_every_poisonable_method_raises_its_poison_and_is_recorded(
    memory_network: MemoryNetwork, method: str
) -> None:
    """The poison is raised as given (the very instance), and the attempt is in ``calls``."""
    error = OSError(errno.EIO, "poisoned")
    sock = memory_network.socket_factory()
    sock.poison(method, error)
    with pytest.raises(OSError, match="poisoned") as raised:
        POISONABLE_CALLS[method](sock)
    assert raised.value is error
    assert sock.call_names == [method]
    sock.cure(method)
    sock.close()


def test_a_poison_given_as_a_class_raises_an_instance_of_it(memory_network: MemoryNetwork) -> None:
    """``poison("listen", PermissionError)``: each call raises a PermissionError."""
    with memory_network.socket_factory() as sock:
        sock.poison("listen", PermissionError)
        for _ in range(2):
            with pytest.raises(PermissionError):
                sock.listen(1)
        assert sock.backlog is None
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) == 0


def test_a_poisoned_bind_leaves_the_socket_unbound_and_the_address_free(
    memory_network: MemoryNetwork,
) -> None:
    """No effect: ``getsockname`` stays at the wildcard, port 0, and another socket can bind."""
    with memory_network.socket_factory() as sock, memory_network.socket_factory() as other:
        sock.poison("bind", OSError(errno.EADDRINUSE, "Address already in use"))
        with pytest.raises(OSError, match="Address already in use"):
            sock.bind(ADDRESS)
        assert sock.getsockname() == ("0.0.0.0", 0)
        other.bind(ADDRESS)
        assert other.getsockname() == ADDRESS
    assert sock.call_names == ["bind", "getsockname", "close"]


def test_a_poisoned_connect_makes_no_connection(memory_network: MemoryNetwork) -> None:
    """Nothing waits for ``accept``, and the socket has no peer."""
    with listener_on(memory_network) as listener, memory_network.socket_factory() as client:
        client.poison("connect", TimeoutError("timed out"))
        with pytest.raises(TimeoutError):
            client.connect(ADDRESS)
        with pytest.raises(OSError, match="not connected"):
            client.getpeername()
        listener.settimeout(0)
        with pytest.raises(BlockingIOError):
            listener.accept()


def test_poisoned_sendall_and_recv_move_no_bytes(memory_network: MemoryNetwork) -> None:
    """A poisoned ``sendall`` delivers nothing; a poisoned ``recv`` consumes nothing."""
    a, b = memory_network.socketpair()
    with a, b:
        a.poison("sendall", BrokenPipeError)
        with pytest.raises(BrokenPipeError):
            a.sendall(b"lost")
        a.cure("sendall")
        a.sendall(b"kept")
        b.poison("recv", ConnectionResetError)
        with pytest.raises(ConnectionResetError):
            b.recv(100)
        b.cure("recv")
        assert b.recv(100) == b"kept"


def test_a_poisoned_close_leaves_the_socket_open(memory_network: MemoryNetwork) -> None:
    """The close did not happen: the socket still works, and a later close closes it."""
    sock = memory_network.socket_factory()
    sock.poison("close", OSError(errno.EIO, "Input/output error"), times=1)
    with pytest.raises(OSError, match="Input/output error"):
        sock.close()
    still_open = not sock.closed
    sock.bind(ADDRESS)
    sock.close()
    assert still_open
    assert sock.closed
    assert sock.call_names == ["close", "bind", "close"]


def test_times_two_poisons_two_calls_then_the_method_works(memory_network: MemoryNetwork) -> None:
    """A transient error: two failures, then business as usual."""
    a, b = memory_network.socketpair()
    with a, b:
        a.poison("sendall", BrokenPipeError, times=2)
        for data in (b"one", b"two"):
            with pytest.raises(BrokenPipeError):
                a.sendall(data)
        a.sendall(b"three")
        assert b.recv(100) == b"three"
    assert a.calls[:3] == [("sendall", (b"one",)), ("sendall", (b"two",)), ("sendall", (b"three",))]


def test_cure_removes_a_poison_and_curing_a_healthy_method_is_harmless(
    memory_network: MemoryNetwork,
) -> None:
    """After ``cure`` the method works; a cure with nothing to cure does nothing."""
    with memory_network.socket_factory() as sock:
        sock.poison("listen", OSError)
        sock.cure("listen")
        sock.cure("bind")
        sock.listen(3)
        assert sock.backlog == 3


def test_poisoning_a_name_that_is_not_a_socket_method_raises_naming_the_choices(
    memory_network: MemoryNetwork,
) -> None:
    """A typo must not pass silently: ValueError, listing every method that can be poisoned."""
    with memory_network.socket_factory() as sock:
        with pytest.raises(ValueError, match="cannot poison 'bnid'") as raised:
            sock.poison("bnid", OSError)
        assert choices_in(str(raised.value)) == set(POISONABLE_CALLS)
        with pytest.raises(ValueError, match="cannot poison 'socket'"):
            sock.poison("socket", OSError)  # the factory is the network's, not the socket's
        sock.bind(ADDRESS)


# Poison switches on the whole network ---------------------------------------------------------


def test_a_network_poison_reaches_existing_later_and_accepted_sockets(
    memory_network: MemoryNetwork,
) -> None:
    """``network.poison`` applies to every socket of the network, whenever it was made."""
    listener = listener_on(memory_network)
    early = memory_network.socket_factory()
    early.connect(ADDRESS)
    memory_network.poison("recv", ConnectionResetError)
    late = memory_network.socket_factory()
    accepted, _ = listener.accept()
    try:
        for sock in (early, late, accepted):
            with pytest.raises(ConnectionResetError):
                sock.recv(10)
            assert sock.call_names[-1] == "recv"
        memory_network.cure("recv")
        accepted.sendall(b"ok")
        assert early.recv(10) == b"ok"
    finally:
        for sock in (accepted, late, early, listener):
            sock.close()


def test_a_network_poison_counts_times_across_the_network(memory_network: MemoryNetwork) -> None:
    """``times=2``: the first two calls on any sockets fail, then every socket works."""
    first, second, third = (memory_network.socket_factory() for _ in range(3))
    with first, second, third:
        memory_network.poison("bind", OSError(errno.EADDRNOTAVAIL, "unavailable"), times=2)
        for sock in (first, second):
            with pytest.raises(OSError, match="unavailable"):
                sock.bind(("127.0.0.1", 0))
        for sock in (third, first):
            sock.bind(("127.0.0.1", 0))
            assert sock.getsockname()[1] != 0


def test_poisoning_socket_makes_the_factory_call_fail_and_makes_no_socket(
    memory_network: MemoryNetwork,
) -> None:
    """Out of file descriptors (EMFILE): the factory raises, and no socket is made."""
    memory_network.poison("socket", OSError(errno.EMFILE, "Too many open files"), times=1)
    with pytest.raises(OSError, match="Too many open files") as raised:
        memory_network.socket_factory(socket.AF_INET, socket.SOCK_STREAM)
    assert raised.value.errno == errno.EMFILE
    assert memory_network.sockets == []
    with memory_network.socket_factory(socket.AF_INET, socket.SOCK_STREAM) as sock:
        assert memory_network.sockets == [sock]


def test_network_cure_removes_the_poison_for_every_socket(memory_network: MemoryNetwork) -> None:
    """After ``network.cure`` the method works on existing and new sockets alike."""
    memory_network.poison("socket", OSError(errno.EMFILE, "Too many open files"))
    memory_network.cure("socket")
    with memory_network.socket_factory() as old:
        memory_network.poison("listen", PermissionError)
        memory_network.cure("listen")
        memory_network.cure("accept")  # nothing to cure: harmless
        old.listen(1)
        with memory_network.socket_factory() as new:
            new.listen(1)


def test_a_network_poison_name_must_be_a_method_or_socket(memory_network: MemoryNetwork) -> None:
    """A typo is a ValueError listing the socket methods and ``socket`` (the factory)."""
    with pytest.raises(ValueError, match="cannot poison 'conect'") as raised:
        memory_network.poison("conect", ConnectionRefusedError)
    assert choices_in(str(raised.value)) == {*POISONABLE_CALLS, "socket"}
