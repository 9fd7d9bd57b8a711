"""Timeouts: ``math.inf`` means "no limit" everywhere, and a finite limit too long for the
platform to wait for is refused where it is given, never an ``OverflowError`` later."""

import math
import socket
import struct
import threading
from unittest.mock import call, create_autospec

import pytest

from game import Client, ResponseTimeout, Server
from game.protocol import Banner
from game.sockets import KernelTimeouts, set_kernel_timeout
from game.testing import BANNER
from game.testing.plugin import GameServerFactory
from sockettest import FakeServer, MemoryNetwork, ScriptedConnection, VirtualClock, simulate
from tests.deadline import DEADLINE

TOO_LONG = threading.TIMEOUT_MAX * 2


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


def test_a_client_with_no_timeout_connects_and_reads(
    memory_network: MemoryNetwork, game_server_factory: GameServerFactory
) -> None:
    """Client(timeout=math.inf) waits without limit instead of failing to set its socket up."""
    host, port = game_server_factory(memory_network.socket_factory)
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
    (under a seeded schedule, on virtual time, against a server that sends the banner and
    nothing else)."""

    def banner_then_silence(conn: ScriptedConnection) -> None:
        conn.send_line(BANNER)
        conn.wait_until_stopped(DEADLINE)

    def scenario() -> float:
        # Virtual time moves only when every thread waits, so no thread that is merely slow
        # to run (a loaded machine) can make a deadline pass early, as an autojump could.
        clock = VirtualClock()
        network = MemoryNetwork(clock=clock)
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
                return clock.monotonic() - started

    assert 2 <= simulate(scenario, seed=0) < 3


def test_the_longest_wait_the_platform_allows_is_allowed() -> None:
    """``threading.TIMEOUT_MAX`` itself is a timeout the platform can wait for."""
    assert Server(port=0, idle_timeout=threading.TIMEOUT_MAX).idle_timeout == threading.TIMEOUT_MAX


@pytest.mark.parametrize(
    ("seconds", "timeval"),
    [
        (2.5, (2, 500_000)),
        (2.9999999, (3, 0)),  # rounds up to the next second, not to a tv_usec of 1,000,000
        (0.0000004, (0, 1)),  # rounds to zero, which the kernel reads as "no timeout"
        (None, (0, 0)),
        (7.000001, (7, 1)),
    ],
)
def test_a_kernel_timeout_is_a_valid_timeval(
    seconds: float | None, timeval: tuple[int, int]
) -> None:
    """tv_usec is always 0-999,999: Linux refuses anything else with EDOM, which would cut the
    connection off; and a positive timeout never packs as the zero that means none."""
    sock = create_autospec(socket.socket, instance=True)
    set_kernel_timeout(sock, socket.SO_RCVTIMEO, seconds)
    sock.setsockopt.assert_called_once_with(
        socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("@ll", *timeval)
    )


def test_a_kernel_timeout_just_under_a_second_is_accepted_by_the_memory_socket(
    memory_network: MemoryNetwork,
) -> None:
    """The network checks tv_usec as Linux does."""
    with memory_network.socket_factory() as sock:
        set_kernel_timeout(sock, socket.SO_RCVTIMEO, 0.99999999)
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, 16) == struct.pack(
            "@ll", 1, 0
        )


def test_kernel_timeouts_are_set_only_when_their_figure_changes() -> None:
    """A new socket has none: no bound (None or math.inf) sets nothing; a figure is set once
    while it lasts; the two directions are remembered apart."""
    sock = create_autospec(socket.socket, instance=True)
    timeouts = KernelTimeouts(sock)
    receive, send = socket.SO_RCVTIMEO, socket.SO_SNDTIMEO
    for option, seconds in [
        (receive, None),
        (receive, math.inf),
        (receive, 2.5),
        (receive, 2.5),
        (send, 2.5),
        (receive, math.inf),
        (receive, None),
        (send, 2.5),
    ]:
        timeouts.set(option, seconds)
    assert sock.setsockopt.call_args_list == [
        call(socket.SOL_SOCKET, receive, struct.pack("@ll", 2, 500_000)),
        call(socket.SOL_SOCKET, send, struct.pack("@ll", 2, 500_000)),
        call(socket.SOL_SOCKET, receive, struct.pack("@ll", 0, 0)),
    ]
