"""The Transport itself, on both transports: what its factory makes by default, and how it
counts and lists the connections its sockets accept (the leak guard reads those lists)."""

from __future__ import annotations

import socket

from sockettest._transports import Transport
from tests.deadline import DEADLINE


def test_the_factory_makes_a_tcp_ipv4_socket_by_default(memory_or_loopback: Transport) -> None:
    """socket_factory() with no arguments makes an AF_INET SOCK_STREAM socket, as socket() does."""
    with memory_or_loopback.socket_factory() as sock:
        assert sock.family == socket.AF_INET
        assert sock.type == socket.SOCK_STREAM


def test_accepted_connections_are_counted_and_listed_apart(memory_or_loopback: Transport) -> None:
    """accepted counts what the listeners accepted; open_socket_names(listeners=False) names
    only those, and open_socket_names() the factory's sockets too, until each is closed."""
    sockets = memory_or_loopback
    listener = sockets.socket_factory(socket.AF_INET, socket.SOCK_STREAM)
    client = sockets.socket_factory(socket.AF_INET, socket.SOCK_STREAM)
    with listener, client:
        listener.settimeout(DEADLINE)
        client.settimeout(DEADLINE)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        assert sockets.accepted == 0
        assert sockets.open_socket_names(listeners=False) == []
        client.connect(listener.getsockname())
        accepted, _ = listener.accept()
        with accepted:
            assert sockets.accepted == 1
            assert sockets.open_socket_names(listeners=False) == [repr(accepted)]
            assert sorted(sockets.open_socket_names()) == sorted(
                repr(s) for s in (listener, client, accepted)
            )
        assert sockets.open_socket_names(listeners=False) == []
    assert sockets.open_socket_names() == []
    assert sockets.accepted == 1
