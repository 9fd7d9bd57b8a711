"""The scripted peers' timeouts run on the network's clock: on a ``VirtualClock`` a read's
``timeout`` is virtual seconds, as every timeout of the network's sockets is, and not real
seconds through which the clock jumps on and on. The test's own side waits with no deadline
(bounded by ``max_block`` in real time), so that the clock jumps to the script's, however
slowly the script's thread starts on a loaded machine."""

import math

import pytest

from sockettest import (
    FakeClient,
    FakeServer,
    MemoryNetwork,
    ScriptedConnection,
    VirtualClock,
    stay_silent,
)


@pytest.fixture
def network(virtual_clock: VirtualClock) -> MemoryNetwork:
    """A network, not patched in, on the plugin's clock (it jumps after 10 ms with nothing
    to do)."""
    return MemoryNetwork(clock=virtual_clock)


def test_a_fake_clients_read_times_out_after_its_virtual_seconds(
    network: MemoryNetwork, virtual_clock: VirtualClock
) -> None:
    """``client.read_line(timeout=3)`` from a silent server fails 3 virtual seconds on."""
    factory = network.socket_factory
    with (
        FakeServer(stay_silent(), socket_factory=factory) as server,
        FakeClient(server.address, socket_factory=factory) as client,
    ):
        start = virtual_clock.monotonic()
        with pytest.raises(TimeoutError, match="no complete line within 3 s"):
            client.read_line(timeout=3)
        assert virtual_clock.monotonic() - start == pytest.approx(3)


def test_a_scripts_read_times_out_after_its_virtual_seconds(
    network: MemoryNetwork, virtual_clock: VirtualClock
) -> None:
    """A script's ``conn.read_line(timeout=5)`` fails 5 virtual seconds on, when it can say so."""

    def hurry(conn: ScriptedConnection) -> None:
        try:
            conn.read_line(timeout=5)
        except TimeoutError:
            conn.send_line("too slow")

    factory = network.socket_factory
    with (
        FakeServer(hurry, socket_factory=factory) as server,
        FakeClient(server.address, socket_factory=factory) as client,
    ):
        start = virtual_clock.monotonic()
        assert client.read_line(timeout=math.inf) == "too slow"  # the script's deadline alone
        assert virtual_clock.monotonic() - start == pytest.approx(5)


def test_stay_silent_for_seconds_hangs_up_after_its_virtual_seconds(
    network: MemoryNetwork, virtual_clock: VirtualClock
) -> None:
    """``stay_silent(for_seconds=10)`` ends the connection 10 virtual seconds on."""
    factory = network.socket_factory
    with (
        FakeServer(stay_silent(for_seconds=10), socket_factory=factory) as server,
        FakeClient(server.address, socket_factory=factory) as client,
    ):
        start = virtual_clock.monotonic()
        assert client.read_until_eof(timeout=math.inf) == []  # the script's deadline alone
        assert virtual_clock.monotonic() - start == pytest.approx(10)
