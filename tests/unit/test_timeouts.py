"""Timeouts: ``math.inf`` means "no limit" everywhere, and a finite limit too long for the
platform to wait for is refused where it is given, never an ``OverflowError`` later."""

import math
import threading

import pytest

from game import Client, ResponseTimeout, Server
from game.protocol import Banner
from game.testing import BANNER
from sockettest import FakeServer, MemoryNetwork, ServerConnection, VirtualClock

TOO_LONG = threading.TIMEOUT_MAX * 2
DEADLINE = 5.0


@pytest.mark.parametrize("make", [Server, Client], ids=["server", "client"])
def test_a_finite_timeout_too_long_to_wait_is_a_value_error(make: type) -> None:
    """1e10 s is not a limit the platform can wait for: refused with a reason, at once."""
    keyword = "idle_timeout" if make is Server else "timeout"
    with pytest.raises(ValueError, match="longer than this platform can wait"):
        make(port=0, **{keyword: TOO_LONG})


def test_a_server_with_no_idle_limit_serves_its_clients(memory_network: MemoryNetwork) -> None:
    """idle_timeout=math.inf is "never cut off", not a connection killed by OverflowError."""
    server = Server(port=0, socket_factory=memory_network.socket_factory, idle_timeout=math.inf)
    assert server.idle_timeout is None
    with (
        server.running(DEADLINE) as (host, port),
        Client(host, port, socket_factory=memory_network.socket_factory) as client,
    ):
        assert client.next_message() == Banner()
        assert client.ping("still") >= 0  # returns only once the PONG came back


def test_a_client_with_no_timeout_connects_and_reads(memory_network: MemoryNetwork) -> None:
    """Client(timeout=math.inf) waits without limit instead of failing to set its socket up."""
    server = Server(port=0, socket_factory=memory_network.socket_factory)
    with server.running(DEADLINE) as (host, port):
        client = Client(host, port, socket_factory=memory_network.socket_factory, timeout=math.inf)
        with client:
            assert client.next_message() == Banner()
            assert client.ping("x") >= 0


def test_next_message_refuses_a_wait_too_long_to_make() -> None:
    """The same check guards a single wait, before anything is sent or read."""
    with pytest.raises(ValueError, match="longer than this platform can wait"):
        Client().next_message(timeout=TOO_LONG)


def test_each_wait_gets_its_own_timeout() -> None:
    """A short wait after a long one is short: the receive timeout follows each wait's figure
    (on a virtual clock, against a server that sends the banner and nothing else)."""
    clock = VirtualClock(autojump_threshold=0.005)
    network = MemoryNetwork(clock=clock)

    def banner_then_silence(conn: ServerConnection) -> None:
        conn.send_line(BANNER)
        conn.wait_until_stopped(DEADLINE)

    with FakeServer(banner_then_silence, socket_factory=network.socket_factory) as server:
        client = Client(
            *server.address,
            socket_factory=network.socket_factory,
            timeout=30,
            clock=clock.monotonic,
        )
        with client:
            assert client.next_message() == Banner()
            started = clock.monotonic()
            with pytest.raises(ResponseTimeout):
                client.next_message(timeout=2)
            assert clock.monotonic() - started < 3


def test_the_longest_wait_the_platform_allows_is_allowed() -> None:
    """``threading.TIMEOUT_MAX`` itself is a timeout the platform can wait for."""
    assert Server(port=0, idle_timeout=threading.TIMEOUT_MAX).idle_timeout == threading.TIMEOUT_MAX
