"""``accept()`` on a connected socket is ``EINVAL``, as on Linux; only with a timeout and
nothing to read does CPython's poll first make it wait (the contract's table pins that case):
blocking, non-blocking, or with bytes waiting, it is ``EINVAL`` at once."""

import errno

import pytest

from sockettest import MemoryNetwork, VirtualClock
from tests.sockets import connected


@pytest.mark.parametrize("timeout", [None, 0.0], ids=["blocking", "non-blocking"])
def test_accept_on_a_connection_without_a_timeout_is_einval_at_once(
    timeout: float | None,
) -> None:
    """No wait: a blocking accept would otherwise hang until max_block."""
    network = MemoryNetwork(max_block=1.0)
    listener, client, server = connected(network)
    with listener, client, server:
        client.settimeout(timeout)
        with pytest.raises(OSError, match="Invalid argument") as caught:
            client.accept()
        assert caught.value.errno == errno.EINVAL
        assert network.stuck_calls == []


def test_accept_on_a_connection_with_bytes_waiting_is_einval_at_once() -> None:
    """With a timeout, the poll finds the bytes readable at once, and accept says EINVAL
    without waiting: on a virtual clock that jumps whenever the calls wait, no time passes."""
    clock = VirtualClock(autojump_threshold=0.01)
    network = MemoryNetwork(clock=clock, max_block=1.0)
    listener, client, server = connected(network)
    with listener, client, server:
        server.sendall(b"x")
        client.settimeout(2)
        began = clock.monotonic()
        with pytest.raises(OSError, match="Invalid argument") as caught:
            client.accept()
        assert caught.value.errno == errno.EINVAL
        assert clock.monotonic() == began  # a wait for the timeout would have jumped it 2 s
        assert client.recv(1) == b"x"
