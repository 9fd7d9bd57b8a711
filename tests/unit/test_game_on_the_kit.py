"""The game's Server and Client on the kit's doubles: a whole game on the memory network (also
read and written one byte at a time), the idle timeout on the virtual clock, and the calls each
makes, and in which order, on mock sockets.

Unit tier: no real socket.
"""

from __future__ import annotations

import errno
import math
import os
import socket
import struct
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any
from unittest.mock import call

import pytest

from game import Client, ConnectFailed, ConnectionLost, ListenFailed, Server
from game.protocol import Banner, End, Error, Result
from game.testing import play_match
from sockettest import (
    EPHEMERAL_PORT,
    Faults,
    MemoryNetwork,
    MockSockets,
    VirtualClock,
    assert_called_in_order,
    mock_sockets,
)
from sockettest._network import EPHEMERAL_PORTS
from tests.deadline import DEADLINE
from tests.unit.game_scenarios import trace_digest

AUTOJUMP = 0.01
MAX_BLOCK = 2.0  # real seconds: what bounds a call with no timeout on these networks
LIFECYCLE = ["socket_factory", "setsockopt", "bind", "listen", "accept"]


def autojumping() -> tuple[MemoryNetwork, VirtualClock]:
    clock = VirtualClock(autojump_threshold=AUTOJUMP)
    return MemoryNetwork(clock=clock, max_block=MAX_BLOCK), clock


# A whole game on the memory network --------------------------------------------------------------


def test_a_whole_game_runs_on_the_memory_network(memory_network: MemoryNetwork) -> None:
    """A real Server and two real Clients play a match to its draw with no real socket, and
    every socket and thread they opened is closed and joined."""
    factory = memory_network.socket_factory
    server = Server(port=0, socket_factory=factory, idle_timeout=DEADLINE)
    with server.running(timeout=DEADLINE) as address:
        assert address[0] == "127.0.0.1"
        assert address[1] in EPHEMERAL_PORTS
        ends = play_match(address, socket_factory=factory, timeout=DEADLINE)

    assert ends == (End(Result.DRAW), End(Result.DRAW))  # two bots draw
    assert not [t.name for t in threading.enumerate() if t.name.startswith("game-")]
    assert memory_network.fault_log == []
    assert memory_network.stuck_calls == []


def test_a_whole_game_survives_one_byte_reads_and_writes() -> None:
    """With every connection, both sides, read and written one byte at a time, a real Server
    and two real Clients still play their match to its draw: both split reads and short sends are
    handled by the product."""
    one_byte = Faults(recv_chunks=(1,), send_limit=1)
    network = MemoryNetwork(max_block=2.0, accept_faults=one_byte, connect_faults=one_byte)
    server = Server(port=0, socket_factory=network.socket_factory, idle_timeout=DEADLINE)
    with server.running(timeout=DEADLINE) as address:
        ends = play_match(address, socket_factory=network.socket_factory, timeout=DEADLINE)
    assert ends == (End(Result.DRAW), End(Result.DRAW))  # two bots draw
    assert any("short send: 1 of" in line for line in network.fault_log)
    network.assert_all_closed()


# The idle timeout on the virtual clock (the clients read with no timeout, bounded by
# MAX_BLOCK real seconds: autojump would jump to a longer virtual deadline first) -------------


def test_game_server_cuts_off_a_silent_client_after_300_virtual_seconds() -> None:
    """The game Server greets a silent client, then says it was idle 300 s, then closes."""
    network, clock = autojumping()
    started = time.monotonic()
    server = Server(port=0, socket_factory=network.socket_factory, clock=clock.monotonic)
    assert server.idle_timeout == 300
    with server.running() as (host, port), network.socket_factory() as sock:
        sock.settimeout(DEADLINE)
        sock.connect((host, port))
        sock.settimeout(None)  # bounded by MAX_BLOCK real seconds: see the top
        with sock.makefile("rb") as lines:
            assert lines.readline() == b"GAME tictactoe 1\n"
            assert lines.readline() == b"ERROR idle for more than 300 s\n"
            assert lines.readline() == b""
    real = time.monotonic() - started
    assert 300 <= clock.monotonic() < 300 + DEADLINE
    assert real < 1.0
    network.assert_all_closed(grace=1.0)


def test_game_client_hears_the_idle_error_from_the_game_server() -> None:
    """The game's Client, on the same clock, reads the banner, the idle ERROR, then loses it."""
    network, clock = autojumping()
    started = time.monotonic()
    server = Server(port=0, socket_factory=network.socket_factory, clock=clock.monotonic)
    with server.running() as (host, port):
        client = Client(
            host,
            port,
            socket_factory=network.socket_factory,
            timeout=DEADLINE,
            clock=clock.monotonic,
        )
        with client:  # timeout=math.inf: no deadline, bounded by MAX_BLOCK (see the top)
            assert isinstance(client.next_message(timeout=math.inf), Banner)
            error = client.next_message(timeout=math.inf)
            assert isinstance(error, Error)
            assert error.reason == "idle for more than 300 s"
            with pytest.raises(ConnectionLost):
                client.next_message(timeout=math.inf)
    assert 300 <= clock.monotonic() < 300 + DEADLINE
    assert time.monotonic() - started < 1.0
    network.assert_all_closed(grace=1.0)


# The calls, in order, on mock sockets -----------------------------------------------------------


def stop_on_accept(server: Server, mocks: MockSockets) -> None:
    """Make ``accept`` do what a real one does when the server shuts down under it."""

    def accept() -> Any:
        server.shutdown()
        raise OSError(errno.EINVAL, "Invalid argument")

    mocks.socket.accept.side_effect = accept


@pytest.mark.parametrize("port", [0, 7777])
def test_server_makes_sets_binds_listens_then_accepts(port: int) -> None:
    """factory -> setsockopt -> bind -> listen -> accept, in order, with its address."""
    mocks = mock_sockets()
    server = Server(port=port, socket_factory=mocks.socket_factory)
    stop_on_accept(server, mocks)

    server.start_listening()

    assert_called_in_order(
        mocks.parent,
        [
            call.socket_factory(socket.AF_INET, socket.SOCK_STREAM),
            call.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1),
            call.socket.bind(("127.0.0.1", port)),
            call.socket.listen(socket.SOMAXCONN),
            "accept",
        ],
    )
    assert_called_in_order(mocks.parent, LIFECYCLE)
    assert server.address == ("127.0.0.1", port or EPHEMERAL_PORT)


def test_server_on_ipv6_asks_the_factory_for_an_ipv6_socket() -> None:
    """The family follows the host literal, with no DNS lookup."""
    mocks = mock_sockets()
    server = Server("::1", 0, socket_factory=mocks.socket_factory)
    stop_on_accept(server, mocks)
    server.start_listening()
    mocks.socket_factory.assert_called_once_with(socket.AF_INET6, socket.SOCK_STREAM)


def test_bind_failure_closes_the_socket_and_raises_listen_failed_naming_the_address() -> None:
    """No listen, no accept; a close; a message with the address and a hint."""
    mocks = mock_sockets()
    mocks.socket.bind.side_effect = OSError(errno.EADDRINUSE, "Address already in use")
    server = Server(port=7777, socket_factory=mocks.socket_factory)

    with pytest.raises(ListenFailed, match=r"cannot listen on 127\.0\.0\.1:7777") as raised:
        server.start_listening()

    assert "Address already in use" in str(raised.value)
    assert_called_in_order(mocks.parent, ["socket_factory", "bind", "close"])
    mocks.socket.listen.assert_not_called()
    mocks.socket.accept.assert_not_called()
    mocks.socket.close.assert_called_once_with()


def test_shutdown_closes_the_listener() -> None:
    """shutdown() wakes accept (shutdown, then close); the loop then ends."""
    mocks = mock_sockets()
    server = Server(port=0, socket_factory=mocks.socket_factory)
    stop_on_accept(server, mocks)
    server.start_listening()
    assert_called_in_order(
        mocks.parent, ["accept", call.socket.shutdown(socket.SHUT_RDWR), "close"]
    )


def test_client_makes_sets_timeout_then_connects_to_the_default_address() -> None:
    """factory -> settimeout -> connect(("127.0.0.1", 7777)); then blocking, with the timeout
    in the kernel for sends, and nothing else."""
    mocks = mock_sockets()
    Client(socket_factory=mocks.socket_factory).connect()
    assert mocks.parent.mock_calls == [
        call.socket_factory(socket.AF_INET, socket.SOCK_STREAM),
        call.socket.settimeout(5.0),
        call.socket.connect(("127.0.0.1", 7777)),
        call.socket.settimeout(None),
        call.socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, struct.pack("@ll", 5, 0)),
    ]


def test_client_connects_to_the_given_address() -> None:
    """``connect(host, port)`` wins over the constructor's address; ``::1`` means IPv6."""
    mocks = mock_sockets()
    client = Client("127.0.0.1", 7777, socket_factory=mocks.socket_factory, timeout=1.5)
    client.connect("::1", 9000)
    assert_called_in_order(
        mocks.parent,
        [
            call.socket_factory(socket.AF_INET6, socket.SOCK_STREAM),
            call.socket.settimeout(1.5),
            call.socket.connect(("::1", 9000)),
        ],
    )
    client.close()
    mocks.socket.close.assert_called_once_with()


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"),
        TimeoutError("timed out"),
        OSError(errno.EHOSTUNREACH, "No route to host"),
    ],
    ids=["refused", "timeout", "other"],
)
def test_client_closes_the_socket_when_connect_fails(error: OSError) -> None:
    """Each error path closes the socket, after the failed connect, before raising."""
    mocks = mock_sockets()
    mocks.socket.connect.side_effect = error
    with pytest.raises(ConnectFailed):
        Client(socket_factory=mocks.socket_factory).connect()
    assert_called_in_order(mocks.parent, ["socket_factory", "settimeout", "connect", "close"])
    mocks.socket.close.assert_called_once_with()


# One seed, one trace of a whole game, in any process ---------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
PROCESS = textwrap.dedent(
    """
    import sys, threading
    from tests.unit.game_scenarios import trace_digest

    for _ in range(int(sys.argv[1])):  # work done earlier in the process
        thread = threading.Thread(target=int)
        thread.start()
        thread.join(5)
    print(trace_digest(11))
    """
)


def test_one_seed_gives_one_trace_of_a_game_across_processes_and_hash_seeds() -> None:
    """Another process, with another PYTHONHASHSEED and other earlier work than this one (its
    own, and every test before this), plays a whole game and a shutdown under one seed step
    for step as this process does."""
    other_hash_seed = "1" if os.environ.get("PYTHONHASHSEED") == "0" else "0"
    process = subprocess.Popen(
        [sys.executable, "-c", PROCESS, "3"],
        cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": other_hash_seed},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:  # side by side: the other process is mostly its interpreter's start
        here = trace_digest(11)
        there, stderr = process.communicate(timeout=120)
    finally:
        process.kill()  # nothing, for a process that has ended
        process.communicate()
    assert process.returncode == 0, stderr
    assert there.strip() == here
