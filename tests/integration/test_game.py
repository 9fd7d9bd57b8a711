"""Whole games over real loopback sockets: port 0, readiness signals, joined threads."""

import contextlib
import socket
import threading
import time
from typing import TypeVar

import pytest

from game import Client, ConnectFailed, ListenFailed, Server
from game.protocol import (
    Bye,
    End,
    Error,
    Result,
    ServerMessage,
    Turn,
    Update,
)
from game.rules import Board
from game.server import LINGER
from game.testing import play_match
from game.testing.plugin import GameServerFactory
from sockettest import (
    MemoryNetwork,
    Transport,
    VirtualClock,
    ipv6_loopback_available,
    serve_in_thread,
    simulate,
)
from tests.deadline import DEADLINE
from tests.shells import wait_until_connections_end

T = TypeVar("T")


DRAW = End(Result.DRAW)
"""What two bots of the game get: suggest_move never loses."""


@pytest.fixture
def address(game_server_factory: GameServerFactory) -> tuple[str, int]:
    """A real server on an ephemeral loopback port, shut down and joined after the test."""
    return game_server_factory(idle_timeout=DEADLINE)


def read_until(client: Client, kind: type[ServerMessage]) -> list[ServerMessage]:
    """Every message up to and including the first ``kind``."""
    seen = [client.next_message(DEADLINE)]
    while not isinstance(seen[-1], kind):
        seen.append(client.next_message(DEADLINE))
    return seen


def test_two_clients_play_a_whole_game(game_server: Server) -> None:
    """Both bots play the same deterministic strategy: a draw, seen by both (on the published
    ``game_server`` fixture: a server already listening on a loopback port of its own)."""
    assert game_server.address is not None
    host, port = game_server.address
    assert host == "127.0.0.1"
    assert port > 0
    assert play_match((host, port), timeout=DEADLINE) == (DRAW, DRAW)


def test_a_mistake_and_a_fatal_error_leave_another_match_untouched(
    address: tuple[str, int],
) -> None:
    """One match sees an ERROR it recovers from, then a line over 512 bytes that ends it by
    forfeit; a second match, running at the same time, plays to its normal end."""
    ends: list[tuple[End, End]] = []

    def another_match() -> None:
        ends.append(play_match(address, timeout=DEADLINE))

    with Client(*address) as x, socket.create_connection(address, timeout=DEADLINE) as o:
        x.hello("x1")
        o.sendall(b"HELLO o1\n")
        read_until(x, Turn)
        with serve_in_thread(another_match, timeout=DEADLINE, name="another-match"):
            x.move(0)
            assert x.next_message(DEADLINE) == Error("cell 0 is outside 1-9")
            x.move(5)
            assert x.next_message(DEADLINE) == Update(Board("....X...."))

            o.sendall(b"A" * 600)
            assert read_until(x, Bye)[-2:] == [End(Result.WIN, forfeit=True), Bye()]
            reply = b""
            while chunk := o.recv(4096):
                reply += chunk
            assert reply.endswith(b"ERROR line longer than 512 bytes\n")
            assert b"BYE" not in reply
    assert ends == [(DRAW, DRAW)]


def test_shutdown_with_clients_connected_returns_promptly(server_shell: type[Server]) -> None:
    """Connected, silent clients do not hold shutdown up: it closes them and joins."""
    server = server_shell(port=0)
    clients = []
    with server.running(timeout=DEADLINE) as address:
        for index in range(5):
            client = Client(*address)
            client.connect()
            client.hello(f"p{index}")
            clients.append(client)
        started = time.monotonic()
        server.shutdown()
        assert time.monotonic() - started < 1.0
    assert not [t for t in threading.enumerate() if t.name.startswith("game-")]
    for client in clients:
        client.close()


def test_a_restart_on_the_same_port_right_after_a_stop_works(server_shell: type[Server]) -> None:
    """SO_REUSEADDR: the port a stopped server used, with a finished game, is free again."""
    with server_shell(port=0).running(timeout=DEADLINE) as (host, port):
        assert play_match((host, port), timeout=DEADLINE) == (DRAW, DRAW)
    with server_shell(host, port).running(timeout=DEADLINE) as again:
        assert again == (host, port)


def test_a_port_in_use_is_a_clear_error(
    game_server_factory: GameServerFactory, server_shell: type[Server]
) -> None:
    """The second server on a port fails at once, naming the address."""
    host, port = game_server_factory()
    second = server_shell(host, port)
    with pytest.raises(ListenFailed, match=f"{host}:{port}"), second.running(DEADLINE):
        pass


def test_a_server_that_is_not_running_is_refused_with_a_hint() -> None:
    """Connecting to a closed port says so, and how to start a server."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ConnectFailed, match="connection refused; is the server running"):
        Client("127.0.0.1", port, timeout=DEADLINE).connect()


@pytest.mark.skipif(not ipv6_loopback_available(), reason="this machine has no IPv6 loopback")
def test_a_game_over_ipv6_loopback_available(game_server_factory: GameServerFactory) -> None:
    """Server and clients on ::1 play as on 127.0.0.1."""
    address = game_server_factory(host="::1")
    assert address[0] == "::1"
    assert play_match(address, timeout=DEADLINE) == (DRAW, DRAW)


def test_a_client_that_never_closes_after_bye_is_let_go_after_the_linger(
    server_shell: type[Server],
) -> None:
    """After BYE the server half-closes and waits a little (``LINGER``) for the client's EOF;
    a client that keeps its end open does not keep the server's threads and socket: both are
    gone soon after, and the client reads EOF."""
    sockets = Transport("loopback")
    server = server_shell(port=0, socket_factory=sockets.socket_factory, idle_timeout=DEADLINE * 10)
    with server.running(DEADLINE) as bound, socket.create_connection(bound, DEADLINE) as sock:
        sock.sendall(b"QUIT\n")
        received = b""
        while chunk := sock.recv(4096):  # the server's half-close: EOF after BYE
            received += chunk
        assert received == b"GAME tictactoe 1\nBYE\n"
        wait_until_connections_end(server, LINGER + DEADLINE)  # they end on their own
        assert sockets.open_socket_names(listeners=False) == [], "still open after the linger"


def test_a_writer_stuck_after_the_clients_eof_is_cut_off_after_the_linger(
    server_shell: type[Server],
) -> None:
    """With no write timeout, a client that half-closes while its replies wait unread leaves a
    writer blocked in ``send``; the server gives it ``LINGER``, then cuts the connection off, so
    the connection's threads end. (On a small in-memory network: real time, for the linger.)"""
    network = MemoryNetwork(buffer_size=16 * 1024)
    server = server_shell(
        port=0, socket_factory=network.socket_factory, idle_timeout=None, write_timeout=None
    )
    with server.running(DEADLINE) as bound, network.socket_factory() as sock:
        sock.settimeout(DEADLINE)
        sock.connect(bound)
        sock.sendall(b"PING\n" * 8_000)  # 40 kB of PONGs: more than the buffer, less than 64 KiB
        sock.shutdown(socket.SHUT_WR)
        wait_until_connections_end(server, LINGER + DEADLINE)
    network.assert_all_closed(grace=DEADLINE)


def test_shutdown_gives_a_client_that_does_not_read_half_a_second(
    server_shell: type[Server],
) -> None:
    """The notice ``ERROR server shutting down`` is best effort, within half a second: a client
    whose buffers are full, because it never reads, does not hold ``shutdown()`` up for
    longer (docs/PROTOCOL.md). On a small in-memory network, in real time."""
    network = MemoryNetwork(buffer_size=16 * 1024)
    server = server_shell(port=0, socket_factory=network.socket_factory, write_timeout=None)
    with server.running(DEADLINE) as bound, network.socket_factory() as sock:
        sock.settimeout(0.2)
        sock.connect(bound)
        took_it_all = False
        with contextlib.suppress(TimeoutError):  # the server stopped reading: output stuck
            for _ in range(10_000):  # 5 MB: far past the buffers and the allowance
                sock.sendall(b"PING " + b"x" * 500 + b"\n")
            took_it_all = True
        assert not took_it_all, "the server read 5 MB from a client that reads nothing"
        started = time.monotonic()
        server.shutdown()
        took = time.monotonic() - started
    assert took < 1.0, f"shutdown() took {took:.2f} s"


def test_the_allowance_is_64_kib_to_the_line(server_shell: type[Server]) -> None:
    """With buffers of one 64-byte line each way, every read is one line and every reply one
    line, so what a client that never reads gets the server to take is exact: 64 KiB of held
    replies plus the one that took it past (docs/PROTOCOL.md's allowance), one reply in the
    kernel's buffer toward the client and one request in the other, on either shell (the
    asyncio one under the same seeded schedule as the threads). (A thousand round trips
    through a memory network: slower than the unit tier's version of this, and to the line.
    Under a seeded schedule, where virtual time moves only once every thread waits, so the
    stall it waits for is never one of a thread merely slow to run.)"""
    line = b"PING " + b"t" * 58 + b"\n"  # and its PONG: 64 bytes each

    def scenario() -> int:
        network = MemoryNetwork(clock=VirtualClock(), buffer_size=len(line))
        assert network.clock is not None
        server = server_shell(
            port=0,
            socket_factory=network.socket_factory,
            clock=network.clock.monotonic,
            idle_timeout=DEADLINE * 60,
        )
        with server.running(DEADLINE) as bound, network.socket_factory() as sock:
            sock.settimeout(DEADLINE * 6)
            sock.connect(bound)
            assert sock.recv(100) == b"GAME tictactoe 1\n"
            sock.settimeout(5.0)  # virtual seconds without progress: the server stopped reading
            taken, flood = 0, line * 64
            with contextlib.suppress(TimeoutError):
                for _ in range(10_000):
                    taken += sock.send(flood[taken % len(line) :])
        return taken

    assert simulate(scenario, seed=0) == 64 * 1024 + 3 * len(line)
