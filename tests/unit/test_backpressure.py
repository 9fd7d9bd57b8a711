"""Backpressure, not a cut-off: a client that reads never loses its connection because of its own
replies, one that reads nothing is cut off only after the write timeout, and lines caused by one
player never block that player.

On a memory network with small buffers and a virtual clock, so that filling every buffer takes
milliseconds and a "stall" of seconds takes none: the loopback versions are in the stress tier.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from game import Client, Server
from game.protocol import Banner, Start, Turn, Update, Welcome
from game.rules import Board, Mark
from game.server import ALLOWANCE
from sockettest import MemoryNetwork, MemorySocket, VirtualClock

BUFFER = 16 * 1024
"""Each direction's buffer on the test network: small, so that a flood fills it at once."""
DEADLINE = 60.0
"""Virtual seconds: any wait longer than this is a hang."""
STALL = 5.0
"""Virtual seconds a flooding client's send may take before it counts as blocked."""
WRITE_TIMEOUT = 20.0
PING = b"PING " + b"x" * 400 + b"\n"


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(autojump_threshold=0.01)


@pytest.fixture
def network(clock: VirtualClock) -> MemoryNetwork:
    return MemoryNetwork(clock=clock, buffer_size=BUFFER)


@contextmanager
def serving(
    network: MemoryNetwork, write_timeout: float = WRITE_TIMEOUT
) -> Iterator[tuple[str, int]]:
    assert network.clock is not None
    server = Server(
        port=0,
        socket_factory=network.socket_factory,
        clock=network.clock.monotonic,
        idle_timeout=DEADLINE * 10,
        write_timeout=write_timeout,
    )
    with server.running(DEADLINE) as address:
        yield address


def raw_client(network: MemoryNetwork, address: tuple[str, int]) -> MemorySocket:
    sock: MemorySocket = network.socket_factory()
    sock.settimeout(DEADLINE)
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


def flood_until_blocked(sock: MemorySocket) -> int:
    """Send PINGs, never reading, until a send stalls for :data:`STALL`; return the bytes the
    socket took (the last PING may be cut: the rest is still to send)."""
    sock.settimeout(STALL)
    taken = 0
    data = PING * 64
    while True:
        try:
            taken += sock.send(data[taken % len(PING) :])
        except TimeoutError:
            sock.settimeout(DEADLINE)
            return taken
        assert taken < 100 * (2 * BUFFER + ALLOWANCE), "the server never stopped reading"


@pytest.mark.parametrize("count", [1_500, 5_000])
def test_a_client_that_pipelines_gets_every_reply(network: MemoryNetwork, count: int) -> None:
    """Thousands of PINGs in one sendall, then reading: a PONG for each, in order, and the
    connection goes on (the old server cut it off at 1,024 queued lines)."""
    with serving(network) as address, raw_client(network, address) as sock:
        sock.sendall(b"".join(b"PING %d\n" % i for i in range(count)))
        lines = read_lines(sock, count + 1)
        assert lines[0] == Banner().encode()[:-1]
        assert lines[1:] == [b"PONG %d" % i for i in range(count)]
        sock.sendall(b"QUIT\n")
        assert read_lines(sock, 1) == [b"BYE"]


def test_a_client_that_sends_without_reading_is_throttled_and_loses_nothing(
    network: MemoryNetwork, caplog: pytest.LogCaptureFixture
) -> None:
    """A flood without reading fills the buffers and the server's allowance, then the server
    stops reading, so the client's own send blocks; once it reads, every PING it sent gets its
    PONG, and it can go on. Nobody is cut off: a slow reader only waits."""
    with serving(network) as address, raw_client(network, address) as sock:
        taken = flood_until_blocked(sock)
        assert taken > ALLOWANCE  # the server read on while its replies fit the allowance
        whole, cut = divmod(taken, len(PING))
        lines = read_lines(sock, 1 + whole)
        assert lines[1:] == [PING[:-1].replace(b"PING", b"PONG")] * whole
        sock.sendall(PING[cut:] + b"QUIT\n")
        assert read_lines(sock, 2) == [PING[:-1].replace(b"PING", b"PONG"), b"BYE"]
    assert "does not read" not in caplog.text


def test_a_client_that_never_reads_is_cut_off_after_the_write_timeout(
    network: MemoryNetwork, caplog: pytest.LogCaptureFixture
) -> None:
    """With no progress on its output for the write timeout, the connection is reset: the
    flooder's next send fails, and the server says why in its log."""
    with serving(network, write_timeout=1.0) as address, raw_client(network, address) as sock:
        sock.settimeout(DEADLINE)
        with pytest.raises((ConnectionResetError, BrokenPipeError)):
            flood_until_blocked(sock)
    [record] = [r for r in caplog.records if "does not read" in r.getMessage()]
    assert "no progress for 1 s" in record.getMessage()


def test_lines_caused_by_another_player_never_block_that_player(
    network: MemoryNetwork, clock: VirtualClock
) -> None:
    """X moves, then floods without reading until the server stops reading it; O's move, which
    sends X a BOARD and a TURN, is still answered at once: lines for X wait for X's writer."""
    factory = network.socket_factory
    with (
        serving(network) as address,
        raw_client(network, address) as x,
        Client(*address, socket_factory=factory, clock=clock.monotonic, timeout=DEADLINE) as o,
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
