"""Faults survived: what one client does wrong ends at most its own connection and match.

Each test runs inside :func:`~tests.stress.arena.others_unharmed`: a match is in progress while
the fault happens and must then play to its end, a fresh match must play to its end afterwards,
and the server's connection threads and sockets must all be gone once everyone has left.
"""

import contextlib
import socket
import struct
import time
from collections.abc import Iterator
from typing import Any

import pytest

from game import Client, ConnectFailed
from game.protocol import Turn, Wait, Welcome
from game.server import ALLOWANCE
from game.testing import BANNER
from sockettest import FakeClient, run_in_thread
from tests.stress.arena import (
    Arena,
    client_threads,
    join_client_threads,
    open_arena,
    others_unharmed,
)
from tests.stress.players import DRAW, UNDER_LOAD, expect_forfeit, play
from tests.stress.scale import SCALE, scaled

IDLE_TIMEOUT = 0.5
"""The idle timeout of the server in the silent-client test: short, so the test is too."""

JUNK_LINES = 10_000

FLOOD_STALL = 2.0
"""Seconds a flooding client's send may stall before it takes the server to have stopped
reading it."""

WRITE_TIMEOUT = 0.5
"""The server's write timeout in the tests of clients that never read: short, so the tests are."""

CYCLES = scaled(small=300, full=1000)
"""Connect/disconnect cycles: 300 in the small tier (about a second), 1,000 at full scale."""


@pytest.fixture
def arena() -> Iterator[Arena]:
    """A real server on an ephemeral loopback port that tracks its threads and sockets."""
    with open_arena() as running:
        yield running


@contextlib.contextmanager
def wait_for_opponent(arena: Arena, name: str = "opponent") -> Iterator[Client]:
    """A client that said HELLO and waits: the next HELLO starts a match, with this one as X."""
    with Client(*arena.address, timeout=UNDER_LOAD) as client:
        assert client.hello(name) == Welcome(name)
        assert client.next_message() == Wait()
        yield client


def read_until_turn(client: Client) -> None:
    """Read past START and BOARD (a few lines at most) to this player's TURN."""
    seen = [client.next_message()]
    while not isinstance(seen[-1], Turn):
        assert len(seen) < 5, f"no TURN among {seen}"
        seen.append(client.next_message())


@contextlib.contextmanager
def victim_in_match(arena: Arena, opponent: Client) -> Iterator[FakeClient]:
    """A raw client that joins ``opponent``'s match as O, once X has its first TURN."""
    with FakeClient(arena.address, timeout=UNDER_LOAD) as victim:
        assert victim.read_line() == BANNER
        victim.send_line("HELLO victim")
        read_until_turn(opponent)
        yield victim


def test_a_disconnect_mid_line_forfeits_only_that_match(arena: Arena) -> None:
    """Half a MOVE line, then a close: the partial line is dropped and the opponent wins by
    forfeit; every other match plays on."""
    with others_unharmed(arena), wait_for_opponent(arena) as opponent:
        with victim_in_match(arena, opponent) as victim:
            victim.read_until("BOARD")
            victim.send_bytes(b"MOVE")
        expect_forfeit(opponent)


def test_a_disconnect_mid_match_forfeits_only_that_match(arena: Arena) -> None:
    """After two moves the victim closes cleanly: the opponent wins by forfeit."""
    with others_unharmed(arena), wait_for_opponent(arena) as opponent:
        with victim_in_match(arena, opponent) as victim:
            opponent.move(5)
            victim.read_until("TURN")
            victim.send_line("MOVE 1")
            read_until_turn(opponent)
            victim.read_until("BOARD")  # nothing left unread: the close is a FIN, not a reset
        expect_forfeit(opponent)


@pytest.mark.parametrize("reads_banner", [False, True], ids=["at-once", "after-banner"])
def test_a_disconnect_before_hello_harms_nobody(arena: Arena, reads_banner: bool) -> None:
    """A client that leaves before HELLO, at once or after the banner, ends only its own
    connection: nobody is paired with it."""
    with others_unharmed(arena):
        for _ in range(10):
            with FakeClient(arena.address, timeout=UNDER_LOAD) as victim:
                if reads_banner:
                    assert victim.read_line() == BANNER


def test_a_reset_mid_match_forfeits_only_that_match(arena: Arena) -> None:
    """A close with SO_LINGER 0 sends a TCP reset: the opponent wins by forfeit."""
    with others_unharmed(arena), wait_for_opponent(arena) as opponent:
        victim = socket.create_connection(arena.address, timeout=UNDER_LOAD)
        with victim:
            victim.sendall(b"HELLO victim\n")
            read_until_turn(opponent)
            victim.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        expect_forfeit(opponent)


class OneByteAtATime(socket.socket):
    """A real socket whose ``sendall`` sends each byte in its own segment, a pause apart.

    (A subclass of the real class: this tier's guard, pytest-socket's ``allow_hosts``, patches
    ``socket.socket.connect``, which a subclass inherits, so the guard still applies.)
    """

    PAUSE = 0.002

    def sendall(self, data: Any, flags: int = 0, /) -> None:
        view = memoryview(data).cast("B")
        for index in range(len(view)):
            super().sendall(view[index : index + 1], flags)
            time.sleep(self.PAUSE)  # sleep-ok: the slow client's own pace, not a wait


def one_byte_at_a_time(family: int, type: int, /) -> OneByteAtATime:
    sock = OneByteAtATime(family, type)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def test_a_client_that_sends_one_byte_at_a_time_plays_a_whole_match(arena: Arena) -> None:
    """Every line split into 1-byte segments still makes the same game: a draw for both."""
    with others_unharmed(arena):
        opponent = run_in_thread(
            lambda: play(arena.address, "opponent"), timeout=UNDER_LOAD, name="opponent"
        )
        with Client(*arena.address, socket_factory=one_byte_at_a_time, timeout=UNDER_LOAD) as slow:
            assert slow.play("slow", wait=UNDER_LOAD) == DRAW
        assert opponent() == DRAW


def test_a_silent_client_is_cut_off_after_the_idle_timeout() -> None:
    """A player silent for longer than the idle timeout gets ERROR (no BYE) and a close, its
    opponent wins by forfeit, and so does a client that never said anything; players that
    keep talking (a PING counts) are not cut off."""
    keepalive = IDLE_TIMEOUT / 5
    idle_error = f"ERROR idle for more than {IDLE_TIMEOUT:g} s"
    with (
        open_arena(idle_timeout=IDLE_TIMEOUT) as arena,
        others_unharmed(arena, keepalive),
        wait_for_opponent(arena) as opponent,
        FakeClient(arena.address, timeout=UNDER_LOAD) as mute,
        FakeClient(arena.address, timeout=UNDER_LOAD) as victim,
    ):
        assert victim.read_line() == BANNER
        said_hello = time.monotonic()
        victim.send_line("HELLO victim")
        expect_forfeit(opponent, keepalive)
        lines = victim.read_until_eof(UNDER_LOAD)
        silent_for = time.monotonic() - said_hello
        assert lines[-1] == idle_error
        assert "BYE" not in lines
        assert silent_for >= IDLE_TIMEOUT
        assert mute.read_until_eof(UNDER_LOAD) == [BANNER, idle_error]


PING = b"PING " + b"x" * 500 + b"\n"
PONG = PING.replace(b"PING", b"PONG", 1)


def test_a_client_that_floods_without_reading_is_throttled_and_loses_nothing(
    arena: Arena, caplog: pytest.LogCaptureFixture
) -> None:
    """A client that sends PINGs and reads none is not cut off: once the kernel's buffers and
    the server's allowance are full, the server stops reading it, and the client's own send
    blocks (after about 6.5 MiB on loopback). When it then reads, every PING it sent has its
    PONG, in order, and the connection goes on."""
    with others_unharmed(arena), socket.create_connection(arena.address, UNDER_LOAD) as flood:
        flood.settimeout(FLOOD_STALL)
        taken = 0
        with contextlib.suppress(TimeoutError):
            while taken < 64 * 2**20:  # far beyond any loopback buffers
                taken += flood.send((PING * 64)[taken % len(PING) :])
        assert taken < 64 * 2**20, "the server never stopped reading"
        assert taken > ALLOWANCE
        flood.settimeout(UNDER_LOAD)
        whole, cut = divmod(taken, len(PING))
        received = read_exactly(flood, len(BANNER) + 1 + whole * len(PONG))
        assert received == (BANNER + "\n").encode() + PONG * whole
        flood.sendall(PING[cut:] + b"QUIT\n")
        assert read_exactly(flood, len(PONG) + len(b"BYE\n")) == PONG + b"BYE\n"
    assert "does not read" not in caplog.text


def read_exactly(sock: socket.socket, size: int) -> bytes:
    """Read ``size`` bytes; EOF first fails."""
    received = bytearray()
    while len(received) < size:
        chunk = sock.recv(min(size - len(received), 2**20))
        assert chunk, f"EOF after {len(received)} of {size} bytes"
        received += chunk
    return bytes(received)


def test_a_client_that_never_reads_is_cut_off_after_the_write_timeout(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A client that floods and never reads is cut off once its output has made no progress
    for the write timeout, and only that one: the connection is reset, so its send fails, and
    its threads end."""
    with open_arena(write_timeout=WRITE_TIMEOUT) as arena, others_unharmed(arena):
        sent_pings, error = flood_with_pings(arena)
        assert isinstance(error, BrokenPipeError | ConnectionResetError), (
            f"{error!r} after {sent_pings} PINGs"
        )
    cut_off = [r.getMessage() for r in caplog.records if "does not read" in r.getMessage()]
    assert len(cut_off) == 1, cut_off
    assert f"no progress for {WRITE_TIMEOUT:g} s" in cut_off[0]


def flood_with_pings(arena: Arena) -> tuple[int, OSError | None]:
    """Connect to ``arena`` with a 4 KB receive buffer and, never reading, send 500-byte PINGs
    until sending fails, up to 64 MB (far beyond any loopback buffers); close, and return how
    many were sent and the error that stopped it (``None``: none did)."""
    per_batch = 64
    batch = PING * per_batch
    sent = 0
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as flood:
        flood.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        flood.settimeout(UNDER_LOAD)
        flood.connect(arena.address)
        for _ in range(2_000):
            try:
                flood.sendall(batch)
            except OSError as error:
                return sent, error
            sent += per_batch
    return sent, None


CUT_OFF_ATTEMPTS = 100
"""Flooding clients cut off, each by a fresh server."""


@pytest.mark.skipif(SCALE == "small", reason="100 clients cut off: runs in make stress")
@pytest.mark.timeout(CUT_OFF_ATTEMPTS * 10 * WRITE_TIMEOUT)
def test_a_cut_off_client_that_keeps_sending_gets_an_error_at_once() -> None:
    """Every client cut off for not reading gets a reset or a broken pipe on its send, never a
    send that just hangs: the cut-off is a reset, not a FIN (100 clients, full scale only)."""
    for attempt in range(CUT_OFF_ATTEMPTS):
        with open_arena(write_timeout=WRITE_TIMEOUT) as arena:
            sent_pings, error = flood_with_pings(arena)
            assert isinstance(error, BrokenPipeError | ConnectionResetError), (
                f"client {attempt + 1}: {error!r} after {sent_pings} PINGs"
            )


@pytest.mark.parametrize(
    ("garbage", "reason"),
    [
        pytest.param(b"MOVE " + b"5" * 600, "line longer than 512 bytes", id="oversize-line"),
        pytest.param(b"MOVE \xff\xfe 5\n", "line is not valid UTF-8", id="invalid-utf8"),
    ],
)
def test_a_fatal_line_ends_only_that_connection(arena: Arena, garbage: bytes, reason: str) -> None:
    """A line over 512 bytes, or one that is not UTF-8, gets ERROR with no BYE and a close;
    the opponent wins by forfeit."""
    with others_unharmed(arena), wait_for_opponent(arena) as opponent:
        with victim_in_match(arena, opponent) as victim:
            victim.read_until("BOARD")
            victim.send_bytes(garbage)
            lines = victim.read_until_eof(UNDER_LOAD)
        assert lines[-1] == f"ERROR {reason}"
        assert "BYE" not in lines
        expect_forfeit(opponent)


JUNK = [
    ("JUMP {i}", "ERROR unknown command 'JUMP'; try HELLO, MOVE, PING or QUIT"),
    ("hello not a name {i}", "ERROR a name is 1-16 of A-Z a-z 0-9 _ -, as in HELLO alice"),
    ("MOVE 5", "ERROR no match yet: say HELLO and wait for START"),
    ("move {i}", None),
    ("QUIT now {i}", "ERROR QUIT takes no argument"),
    ("\u00e9t\u00e9 {i}", None),
]
"""Junk lines and the ERROR each gets (``None``: any ERROR, its reason depends on ``i``)."""


def test_10000_junk_lines_each_get_one_error_and_the_connection_survives(arena: Arena) -> None:
    """10,000 recoverable mistakes get 10,000 ERROR lines, in order; the connection then still
    answers PING and leaves politely with QUIT."""
    per_batch = 500  # read the answers as we go, as a client should
    with others_unharmed(arena), FakeClient(arena.address, timeout=UNDER_LOAD) as junk:
        assert junk.read_line() == BANNER
        for start in range(0, JUNK_LINES, per_batch):
            batch = [JUNK[i % len(JUNK)] for i in range(start, start + per_batch)]
            lines = [line.format(i=start + n) for n, (line, _) in enumerate(batch)]
            junk.send_bytes("".join(line + "\n" for line in lines).encode("utf-8"))
            for line, expected in zip(lines, (error for _, error in batch), strict=True):
                answer = junk.read_line()
                assert answer is not None
                assert answer.startswith("ERROR "), (line, answer)
                if expected is not None:
                    assert answer == expected, line
        junk.send_line("PING still here")
        assert junk.read_line() == "PONG still here"
        junk.send_line("QUIT")
        assert junk.read_until_eof(UNDER_LOAD) == ["BYE"]


def test_1000_connect_disconnect_cycles_leave_no_thread_or_socket(arena: Arena) -> None:
    """Connections opened and closed in a tight loop (every other one after reading the
    banner) are each served and cleaned up: threads gone, sockets closed (300 small)."""
    with others_unharmed(arena):
        for cycle in range(CYCLES):
            with FakeClient(arena.address, timeout=UNDER_LOAD) as client:
                if cycle % 2:
                    assert client.read_line() == BANNER
    assert arena.sockets.accepted == CYCLES + 4  # and the held and the fresh matches' four


def test_connections_beyond_max_clients_are_refused_with_server_full() -> None:
    """With max_clients connections open, each extra one gets ERROR server full instead of the
    banner, then EOF; once some leave, new players are served again."""
    max_clients = 6
    with open_arena(max_clients=max_clients) as arena, others_unharmed(arena):
        held_threads = frozenset(client_threads())
        fillers = [FakeClient(arena.address, timeout=UNDER_LOAD) for _ in range(max_clients - 2)]
        try:
            for filler in fillers:
                filler.connect()
                assert filler.read_line() == BANNER
            for _ in range(5):
                with FakeClient(arena.address, timeout=UNDER_LOAD) as extra:
                    assert extra.read_until_eof(UNDER_LOAD) == ["ERROR server full"]
                with (
                    Client(*arena.address, timeout=UNDER_LOAD) as refused,
                    pytest.raises(ConnectFailed, match="server full"),
                ):
                    refused.hello("refused")
        finally:
            for filler in fillers:
                filler.close()
        join_client_threads(keep=held_threads)
