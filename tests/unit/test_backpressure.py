"""Backpressure, not a cut-off: a client that reads never loses its connection because of its own
replies, one that reads nothing is cut off only after the write timeout, and lines caused by one
player never block that player.

On a memory network with small buffers, so that filling every buffer takes milliseconds; the
tests that wait for a stall run under a seeded schedule (``sockettest.simulate``), where time is
virtual and moves only when every thread waits, so a "stall" of seconds takes none, and a thread
that is merely slow to run, on a loaded machine, never passes for one. The loopback versions are
in the stress tier.
"""

import contextlib
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import pytest

from game import Client, Server
from game.protocol import Banner, Start, Turn, Update, Welcome
from game.rules import Board, Mark
from game.server import ALLOWANCE
from sockettest import MemoryNetwork, MemorySocket, VirtualClock, simulate

BUFFER = 16 * 1024
"""Each direction's buffer on the test network: small, so that a flood fills it at once."""
VIRTUAL_DEADLINE = 60.0
"""Virtual seconds: any wait longer than this is a hang."""
STALL = 5.0
"""Virtual seconds a flooding client's send may take before it counts as blocked."""
WRITE_TIMEOUT = 20.0
PROMISED = 64 * 1024
"""The allowance docs/PROTOCOL.md promises: what the server holds, unsent, before it stops
reading a client."""
PING = b"PING " + b"x" * 400 + b"\n"

T = TypeVar("T")


def on_virtual_time(
    scenario: Callable[[MemoryNetwork, VirtualClock], T], buffer_size: int = BUFFER
) -> T:
    """Run ``scenario(network, clock)`` under a seeded schedule, on a network made for it.

    The stalls these tests wait for are on purpose (a client that does not read). An autojump
    after some real milliseconds without a socket call would also take a thread kept off the
    CPU that long for a stall, and jump to the write timeout: on a loaded machine, it did.
    Under :func:`sockettest.simulate` virtual time moves only once every thread waits.
    """

    def run() -> T:  # the network is made inside the simulation, to be part of it
        clock = VirtualClock()
        return scenario(MemoryNetwork(clock=clock, buffer_size=buffer_size), clock)

    return simulate(run, seed=0)


@pytest.fixture
def real_time_network() -> MemoryNetwork:
    """For the tests that wait for no stall: the network's timeouts on real time, so nothing
    jumps, however slow a thread is to run."""
    return MemoryNetwork(buffer_size=BUFFER)


@contextmanager
def serving(
    network: MemoryNetwork,
    write_timeout: float = WRITE_TIMEOUT,
    idle_timeout: float = VIRTUAL_DEADLINE * 10,
) -> Iterator[tuple[str, int]]:
    server = Server(
        port=0,
        socket_factory=network.socket_factory,
        clock=None if network.clock is None else network.clock.monotonic,
        idle_timeout=idle_timeout,
        write_timeout=write_timeout,
    )
    with server.running(VIRTUAL_DEADLINE) as address:
        yield address


def raw_client(network: MemoryNetwork, address: tuple[str, int]) -> MemorySocket:
    sock: MemorySocket = network.socket_factory()
    sock.settimeout(VIRTUAL_DEADLINE)
    sock.connect(address)
    return sock


def read_lines(sock: MemorySocket, count: int) -> list[bytes]:
    """Read until ``count`` lines have arrived; return them (EOF first fails)."""
    received = bytearray()
    while received.count(b"\n") < count:
        chunk = sock.recv(65536)
        assert chunk, f"EOF after {len(received.splitlines())} of {count} lines"
        received += chunk
    lines = bytes(received).split(b"\n")
    assert lines[count:] == [b""], "more than was asked for"
    return lines[:count]


def flood_until_blocked(sock: MemorySocket, line: bytes = PING) -> int:
    """Send ``line`` again and again, never reading, until a send stalls for :data:`STALL`;
    return the bytes the socket took (the last line may be cut: the rest is still to send)."""
    sock.settimeout(STALL)
    taken = 0
    data = line * 64
    while True:
        try:
            taken += sock.send(data[taken % len(line) :])
        except TimeoutError:
            sock.settimeout(VIRTUAL_DEADLINE)
            return taken
        assert taken < 100 * (2 * BUFFER + ALLOWANCE), "the server never stopped reading"


@pytest.mark.parametrize("count", [1_500, 5_000])
def test_a_client_that_pipelines_gets_every_reply(
    real_time_network: MemoryNetwork, count: int
) -> None:
    """Thousands of PINGs in one sendall, then reading: a PONG for each, in order, and the
    connection goes on (the old server cut it off at 1,024 queued lines)."""
    network = real_time_network
    with serving(network) as address, raw_client(network, address) as sock:
        sock.sendall(b"".join(b"PING %d\n" % i for i in range(count)))
        lines = read_lines(sock, count + 1)
        assert lines[0] == Banner().encode()[:-1]
        assert lines[1:] == [b"PONG %d" % i for i in range(count)]
        sock.sendall(b"QUIT\n")
        assert read_lines(sock, 1) == [b"BYE"]


def test_a_client_that_sends_without_reading_is_throttled_and_loses_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A flood without reading fills the buffers and the server's allowance, then the server
    stops reading, so the client's own send blocks; once it reads, every PING it sent gets its
    PONG, and it can go on. Nobody is cut off: a slow reader only waits."""

    def scenario(network: MemoryNetwork, _: VirtualClock) -> None:
        with serving(network) as address, raw_client(network, address) as sock:
            taken = flood_until_blocked(sock)
            assert taken > ALLOWANCE  # the server read on while its replies fit the allowance
            whole, cut = divmod(taken, len(PING))
            lines = read_lines(sock, 1 + whole)
            assert lines[1:] == [PING[:-1].replace(b"PING", b"PONG")] * whole
            sock.sendall(PING[cut:] + b"QUIT\n")
            assert read_lines(sock, 2) == [PING[:-1].replace(b"PING", b"PONG"), b"BYE"]

    on_virtual_time(scenario)
    assert "does not read" not in caplog.text


def test_a_client_that_never_reads_is_cut_off_after_the_write_timeout(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With no progress on its output for the write timeout, the connection is reset: the
    flooder's next send fails, and the server says why in its log."""

    def scenario(network: MemoryNetwork, _: VirtualClock) -> None:
        with serving(network, write_timeout=1.0) as address, raw_client(network, address) as sock:
            sock.settimeout(VIRTUAL_DEADLINE)
            with pytest.raises((ConnectionResetError, BrokenPipeError)):
                flood_until_blocked(sock)

    on_virtual_time(scenario)
    [record] = [r for r in caplog.records if "does not read" in r.getMessage()]
    assert "no progress for 1 s" in record.getMessage()


def test_lines_caused_by_another_player_never_block_that_player() -> None:
    """X moves, then floods without reading until the server stops reading it; O's move, which
    sends X a BOARD and a TURN, is still answered at once: lines for X wait for X's writer."""

    def scenario(network: MemoryNetwork, clock: VirtualClock) -> None:
        factory = network.socket_factory
        with (
            serving(network) as address,
            raw_client(network, address) as x,
            Client(
                *address, socket_factory=factory, clock=clock.monotonic, timeout=VIRTUAL_DEADLINE
            ) as o,
        ):
            x.sendall(b"HELLO x\n")
            assert read_lines(x, 3) == [b"GAME tictactoe 1", b"WELCOME x", b"WAIT"]
            assert o.hello("o") == Welcome("o")
            assert read_lines(x, 3) == [b"START X o", b"BOARD .........", b"TURN"]
            x.sendall(b"MOVE 5\n")
            flood_until_blocked(x)
            assert [o.next_message() for _ in range(4)] == [
                Start(Mark.O, "x"),
                Update(Board()),
                Update(Board("....X....")),
                Turn(),
            ]
            o.move(1)
            assert o.next_message() == Update(Board("O...X....")), "O waited for X to read"

    on_virtual_time(scenario)


def test_the_server_stops_reading_at_its_allowance() -> None:
    """What a client that never reads gets the server to take is exact: the allowance's worth
    of replies held, plus three buffers (the replies in the kernel's buffer, the client's own
    lines in the other, and the reader's last read, not yet handled); a PONG is as long as its
    PING here, so replies and requests count alike."""
    buffer = 256
    line = b"PING " + b"t" * 58 + b"\n"

    def scenario(network: MemoryNetwork, _: VirtualClock) -> int:
        with serving(network) as address, raw_client(network, address) as sock:
            assert read_lines(sock, 1) == [b"GAME tictactoe 1"]
            return flood_until_blocked(sock, line)

    assert on_virtual_time(scenario, buffer_size=buffer) == PROMISED + 3 * buffer


def flood_until_cut_off(sock: MemorySocket) -> None:
    """Send PINGs, never reading, until the server cuts the connection off (a send that blocks
    for the socket's timeout instead fails the test)."""
    with contextlib.suppress(ConnectionResetError, BrokenPipeError):
        while True:
            sock.sendall(PING * 64)


def test_the_write_timeout_runs_from_the_last_progress() -> None:
    """A client that read well for a long time, then stops: it is cut off a whole write timeout
    after its output stopped moving, not sooner (the time it spent reading does not count)."""
    write_timeout = 30.0

    def scenario(network: MemoryNetwork, clock: VirtualClock) -> float:
        with (
            serving(network, write_timeout=write_timeout, idle_timeout=20.0) as address,
            raw_client(network, address) as sock,
        ):
            assert read_lines(sock, 1) == [b"GAME tictactoe 1"]
            for _ in range(10):  # 100 virtual seconds of good behaviour
                sock.sendall(b"PING\n")
                assert read_lines(sock, 1) == [b"PONG"]
                clock.advance(10.0)
            flood_until_blocked(sock)
            stalled = clock.monotonic()
            flood_until_cut_off(sock)
            return clock.monotonic() - stalled

    assert on_virtual_time(scenario) >= write_timeout - STALL


def test_bytes_without_a_line_do_not_restart_the_idle_timer() -> None:
    """A client that trickles a byte a second, never ending a line, is idle: it gets ``ERROR``
    once the timeout has passed since its last complete line, while it still trickles, however
    busy its bytes look. (Each second is a ``recv`` that times out, on virtual time.)"""

    def scenario(network: MemoryNetwork, clock: VirtualClock) -> tuple[bytes, float]:
        server = Server(
            port=0,
            socket_factory=network.socket_factory,
            clock=clock.monotonic,
            idle_timeout=10.0,
        )
        with server.running(VIRTUAL_DEADLINE) as address, raw_client(network, address) as sock:
            assert read_lines(sock, 1) == [b"GAME tictactoe 1"]
            sock.settimeout(1.0)
            started, heard = clock.monotonic(), b""
            while not heard and clock.monotonic() - started < 30:
                sock.sendall(b"x")
                with contextlib.suppress(TimeoutError):
                    heard = sock.recv(4096)
            return heard, clock.monotonic() - started

    heard, waited = on_virtual_time(scenario)
    assert heard == b"ERROR idle for more than 10 s\n"
    assert 10 <= waited <= 11


def test_a_line_a_read_costs_no_timeout_change(memory_network: MemoryNetwork) -> None:
    """While every read completes a line, the idle timer restarts at its full length, so the
    socket's receive timeout never changes: set once for the whole conversation."""
    server = Server(port=0, socket_factory=memory_network.socket_factory)
    with server.running(VIRTUAL_DEADLINE) as address, raw_client(memory_network, address) as sock:
        assert read_lines(sock, 1) == [b"GAME tictactoe 1"]
        for number in range(20):
            sock.sendall(b"PING %d\n" % number)
            assert read_lines(sock, 1) == [b"PONG %d" % number]
    accepted = next(s for s in memory_network.sockets if s.accepted_by is not None)
    timeouts = [
        args
        for name, args in accepted.calls
        if name == "settimeout" or (name == "setsockopt" and args[1] == socket.SO_RCVTIMEO)
    ]
    assert len(timeouts) == 2, timeouts  # blocking, then the idle timer: once each


def test_replies_past_the_allowance_to_one_read_all_arrive(
    real_time_network: MemoryNetwork,
) -> None:
    """One read of short mistakes can call for more replies than the allowance holds: the
    reader waits for room, then answers the rest of that read, without more bytes from the
    client to wake it."""
    lines = 2_000  # 4 kB of "x" lines; 2,000 ERRORs of 55 bytes: 110 kB
    network = real_time_network
    with serving(network) as address, raw_client(network, address) as sock:
        assert read_lines(sock, 1) == [b"GAME tictactoe 1"]
        sock.sendall(b"x\n" * lines)
        replies = read_lines(sock, lines)
    assert set(replies) == {b"ERROR unknown command 'X'; try HELLO, MOVE, PING or QUIT"}
