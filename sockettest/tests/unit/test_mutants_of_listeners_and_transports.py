"""Behaviours a mutation of the kernel's listener table, of the network's arguments or of the
loopback transport's bookkeeping would change, each pinned where no other test looks."""

import math
import socket

import pytest

from sockettest import MemoryNetwork, Transport


def test_a_listener_on_a_port_another_address_listens_on_leaves_that_one_reachable() -> None:
    """127.0.0.1:p and ::1:p both listen: a connect to 127.0.0.1:p still reaches the first."""
    network = MemoryNetwork(max_block=1.0)
    with (
        network.socket_factory(socket.AF_INET, socket.SOCK_STREAM) as first,
        network.socket_factory(socket.AF_INET6, socket.SOCK_STREAM) as second,
        network.socket_factory(socket.AF_INET, socket.SOCK_STREAM) as client,
    ):
        first.bind(("127.0.0.1", 0))
        first.listen()
        port = first.getsockname()[1]
        second.bind(("::1", port))
        second.listen()
        client.connect(("127.0.0.1", port))
        first.setblocking(False)
        server, address = first.accept()
        with server:
            assert server.getsockname() == ("127.0.0.1", port)
            assert address == client.getsockname()


def test_max_block_takes_infinity_as_no_limit() -> None:
    """``max_block=math.inf`` is accepted (an unbounded wait, as ``None``), not refused."""
    assert MemoryNetwork(max_block=math.inf).max_block == math.inf


class _StandInSocket:
    """What the loopback transport needs of ``socket.socket``: pytest-socket forbids real ones
    in the unit tier. ``fileno()`` is -1 once closed, as a real socket's is."""

    def __init__(self, family: int = -1, type: int = -1, /) -> None:
        self.descriptor = 3

    def fileno(self) -> int:
        return self.descriptor

    def close(self) -> None:
        self.descriptor = -1

    def accept(self) -> tuple["_StandInSocket", tuple[str, int]]:
        raise NotImplementedError


def test_the_loopback_transport_does_not_name_a_closed_socket_as_open(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A socket the loopback transport made is named open until it is closed, then no more."""
    monkeypatch.setattr(socket, "socket", _StandInSocket)
    transport = Transport("loopback")
    made = transport.socket_factory(socket.AF_INET, socket.SOCK_STREAM)
    assert transport.open_socket_names() == [repr(made)]
    made.close()
    assert transport.open_socket_names() == []
