"""``accept()`` on a listener takes a pending connection at once and, with none pending, waits
or (non-blocking) says ``EAGAIN``: it never waits for a connection it already has."""

import errno
import socket

import pytest

from sockettest import MemoryNetwork


def test_accept_takes_a_pending_connection_without_waiting() -> None:
    """A connection already queued is accepted at once: no call waits, so none is stuck."""
    network = MemoryNetwork(max_block=1.0)
    with network.socket_factory() as listener, network.socket_factory() as client:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        client.connect(listener.getsockname())
        server, address = listener.accept()
        with server:
            assert address == client.getsockname()
        assert network.stuck_calls == []


def test_a_non_blocking_accept_with_nothing_pending_is_eagain() -> None:
    """With no connection queued, a non-blocking accept raises BlockingIOError (EAGAIN)."""
    network = MemoryNetwork(max_block=1.0)
    with network.socket_factory(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        with pytest.raises(BlockingIOError) as raised:
            listener.accept()
        assert raised.value.errno == errno.EAGAIN
