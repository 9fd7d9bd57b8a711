"""Attacks on the server from outside, on the memory network, against both shells (and one
shell where the attack concerns only it): what one client does never costs another client its
data, and each gets what docs/PROTOCOL.md says."""

from __future__ import annotations

import asyncio
import contextlib
import math

import pytest

from game import AsyncServer, Client, Server
from game.protocol import Bye, End, Result, Start, Turn, Update, Wait, Welcome
from game.rules import Board, Mark, suggest_move
from game.testing import BANNER, play_match
from sockettest import MemoryNetwork, Socket, VirtualClock, serve_in_thread
from tests.deadline import DEADLINE
from tests.shells import SHELLS
from tests.unit.asyncio_helpers import (
    long_pings,
    on_virtual_time,
    raw_client,
    run_on_its_clock,
    tell_when_run,
)

BANNER_LINE = f"{BANNER}\n".encode()
DRAW = End(Result.DRAW)
END_FORFEIT = End(Result.WIN, forfeit=True)


@pytest.fixture(params=list(SHELLS))
def shell(request: pytest.FixtureRequest) -> str:
    """The name of the server shell under attack: each test runs on both."""
    return str(request.param)


def connect(network: MemoryNetwork, address: tuple[str, int]) -> Socket:
    sock = network.socket_factory()
    sock.settimeout(DEADLINE)
    sock.connect(address)
    return sock


def read_until_eof(sock: Socket) -> bytes:
    """Everything ``sock`` receives up to the end of the stream; a reset raises."""
    received = b""
    while chunk := sock.recv(4096):
        received += chunk
    return received


def test_a_client_turned_away_as_the_server_is_full_reads_the_error_then_eof(
    shell: str, patched_network: MemoryNetwork
) -> None:
    """A connection beyond max_clients that says HELLO at once still reads ERROR server full,
    then the end of the stream, not a reset: the server ends its sending side before it
    closes, as after BYE."""
    server = SHELLS[shell](port=0, socket_factory=patched_network.socket_factory, max_clients=1)
    with server.running(DEADLINE) as address, connect(patched_network, address) as first:
        assert first.recv(100) == BANNER_LINE
        with connect(patched_network, address) as extra:
            extra.sendall(b"HELLO bob\n")  # before reading: a newcomer's client does
            assert read_until_eof(extra) == b"ERROR server full\n"
    patched_network.assert_all_closed(grace=DEADLINE)


def test_a_match_is_played_to_its_end_while_slow_clients_each_hold_half_a_line(
    shell: str, patched_network: MemoryNetwork
) -> None:
    """Slowloris: forty clients each send half a PING and stop; two bots play their whole match
    meanwhile, to its draw; then each slow client ends its line and gets its PONG."""
    factory = patched_network.socket_factory
    server = SHELLS[shell](port=0, socket_factory=factory, idle_timeout=DEADLINE)
    with server.running(DEADLINE) as address, contextlib.ExitStack() as stack:
        slow = [stack.enter_context(connect(patched_network, address)) for _ in range(40)]
        for sock in slow:
            sock.sendall(b"PING slow")
        assert play_match(address, socket_factory=factory, timeout=DEADLINE) == (DRAW, DRAW)
        for sock in slow:
            sock.sendall(b"ly\n")
        for sock in slow:
            with sock.makefile("rb") as lines:
                assert [lines.readline(), lines.readline()] == [BANNER_LINE, b"PONG slowly\n"]


def test_a_player_who_says_hello_and_vanishes_mid_match_is_ended_by_the_idle_timeout() -> None:
    """bob says HELLO and is never heard of again, no FIN, no reset: 300 virtual seconds
    later the server tells him he was idle, and alice, waiting for his move, wins by forfeit."""
    clock = VirtualClock(autojump_threshold=0.05)  # a loaded machine's stall is not a wait
    network = MemoryNetwork(clock=clock, max_block=2.0)  # bounds each call with no timeout
    server = Server(port=0, socket_factory=network.socket_factory, clock=clock.monotonic)
    with server.running(DEADLINE) as address:
        alice = Client(
            *address, socket_factory=network.socket_factory, clock=clock.monotonic, timeout=math.inf
        )
        with alice, connect(network, address) as bob, bob.makefile("rb") as bob_lines:
            bob.settimeout(None)  # the test's waits have no deadline for the clock to jump to
            assert alice.hello("alice") == Welcome("alice")
            assert alice.next_message() == Wait()
            bob.sendall(b"HELLO bob\n")
            assert alice.next_message() == Start(Mark.X, "bob")
            clock.advance(1.0)  # alice's last line comes after bob's: his timer runs out first
            alice.move(5)
            after_move = [Update(Board()), Turn(), Update(Board("....X...."))]
            assert [alice.next_message() for _ in after_move] == after_move
            assert b"".join(iter(bob_lines.readline, b"")).splitlines()[1:] == [
                b"WELCOME bob",
                b"START O alice",
                b"BOARD .........",
                b"BOARD ....X....",
                b"TURN",
                b"ERROR idle for more than 300 s",
            ]
            assert [alice.next_message(), alice.next_message()] == [END_FORFEIT, Bye()]
    assert 300 <= clock.monotonic() < 301  # bob's deadline, not alice's
    network.assert_all_closed(grace=DEADLINE)


def test_a_client_whose_lines_wait_for_its_replies_to_drain_is_not_idle_on_asyncio(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A client pipelines 400 PINGs and reads nothing: the asyncio server stops reading it once
    its replies pass the allowance. Three idle timeouts later the client reads, and gets every
    PONG: the lines the server left unread are no silence of the client's (the threaded
    server's reader restarts its timer after each wait for room in the same way)."""
    idle = 1.0
    network = on_virtual_time(16 * 1024)
    factory = network.socket_factory
    pings = long_pings(400)  # 200 KB of replies
    paused = tell_when_run(monkeypatch, "pause_writing")

    async def scenario() -> bytes:
        server = AsyncServer(port=0, socket_factory=factory, idle_timeout=idle)
        async with server, raw_client(factory, server.address or ("", 0)) as sock:
            loop = asyncio.get_running_loop()
            sending = asyncio.create_task(loop.sock_sendall(sock, b"".join(pings)))
            async with asyncio.timeout(DEADLINE):
                await paused.wait()  # not one byte read yet
                await asyncio.sleep(3 * idle)  # sleep-ok: 3 idle timeouts unread, virtual
                received = b""
                while received.count(b"\n") < 1 + len(pings) and (
                    chunk := await loop.sock_recv(sock, 65536)
                ):
                    received += chunk
                await sending
            return received

    with network.patch():
        received = run_on_its_clock(network, scenario())
    assert received.splitlines()[1:] == [b"PONG " + ping[5:-1] for ping in pings]


def test_two_matches_at_once_each_with_a_misbehaving_player_end_as_each_deserves(
    shell: str, patched_network: MemoryNetwork
) -> None:
    """eve sends garbage with each of her moves, and her match with alice is played to its
    draw; mallory sends bytes that are not UTF-8 on her first turn, and bob wins by forfeit.
    Each match goes on at the same time as the other, and neither's misbehaviour reaches it."""
    factory = patched_network.socket_factory
    server = SHELLS[shell](port=0, socket_factory=factory, idle_timeout=DEADLINE)
    ends: dict[str, End] = {}

    def bot(name: str) -> None:
        with Client(*address, socket_factory=factory, timeout=DEADLINE) as client:
            ends[name] = client.play(name, wait=DEADLINE)

    with (
        server.running(DEADLINE) as address,
        connect(patched_network, address) as eve_sock,
        connect(patched_network, address) as mallory_sock,
        eve_sock.makefile("rb") as eve,
        mallory_sock.makefile("rb") as mallory,
    ):
        eve_sock.sendall(b"HELLO eve\n")
        assert [eve.readline() for _ in range(3)] == [BANNER_LINE, b"WELCOME eve\n", b"WAIT\n"]
        with serve_in_thread(lambda: bot("alice"), timeout=DEADLINE, name="alice"):
            assert eve.readline() == b"START X alice\n"  # alice is paired: mallory is next
            mallory_sock.sendall(b"HELLO mallory\n")
            with serve_in_thread(lambda: bot("bob"), timeout=DEADLINE, name="bob"):
                while (line := mallory.readline()) != b"TURN\n":
                    assert line
                mallory_sock.sendall(b"MOVE \xff\n")
                assert mallory.read() == b"ERROR line is not valid UTF-8\n"
                board = Board()
                while (line := eve.readline()) != b"END DRAW\n":
                    if line.startswith(b"BOARD "):
                        board = Board(line.split()[1].decode())
                    elif line == b"TURN\n":
                        move = suggest_move(board)
                        eve_sock.sendall(b"JUMP\nMOVE 0\n\x00\nMOVE %d\n" % move)
                    else:
                        assert line.startswith(b"ERROR "), line
        assert eve.read() == b"BYE\n"
    assert ends == {"alice": DRAW, "bob": END_FORFEIT}
