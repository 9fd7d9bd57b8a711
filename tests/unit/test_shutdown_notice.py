"""Stopping the server tells every client ``ERROR server shutting down``, then closes: nobody
reads ``END WIN forfeit`` because the server stopped, and the client raises its own error."""

import threading
from typing import Any

import pytest
from pytest_mock import MockerFixture

import game.server
from game import Client, Server, ServerShuttingDown
from game.lobby import Close, Lobby, Send
from game.protocol import SHUTTING_DOWN, End, Error, LineBuffer, Start, Update, parse_message
from game.streams import Writer
from sockettest import MemoryNetwork
from tests.deadline import DEADLINE


def test_the_lobby_tells_everyone_and_forfeits_no_match() -> None:
    """Lobby.shutdown: each player still here gets the ERROR and a close; the disconnects that
    follow produce nothing, so no opponent is told it won."""
    lobby = Lobby()
    players = [lobby.connect()[0] for _ in range(3)]
    lobby.receive(players[0], "HELLO alice")
    lobby.receive(players[1], "HELLO bob")  # alice and bob play; the third said nothing yet
    effects = lobby.shutdown()
    assert effects == [
        effect for p in players for effect in (Send(p, Error(SHUTTING_DOWN)), Close(p))
    ]
    assert [lobby.disconnect(p) for p in players] == [[], [], []]
    assert lobby.player_count == 0


def test_players_in_a_match_read_the_notice_then_eof(memory_network: MemoryNetwork) -> None:
    """Two players mid-match: after shutdown() each has read ERROR server shutting down, then
    EOF, and no END."""
    server = Server(port=0, socket_factory=memory_network.socket_factory)
    with server.running(DEADLINE) as address:
        socks = []
        for name in ("alice", "bob"):
            sock = memory_network.socket_factory()
            sock.settimeout(DEADLINE)
            sock.connect(address)
            sock.sendall(f"HELLO {name}\n".encode())
            socks.append(sock)
        buffers = [LineBuffer(), LineBuffer()]
        lines: list[list[str]] = [[], []]
        for index, sock in enumerate(socks):  # read until the match has started for both
            while not any(isinstance(parse_message(line), Update) for line in lines[index]):
                lines[index] += buffers[index].feed(sock.recv(4096))
        server.shutdown()
        for index, sock in enumerate(socks):
            with sock:
                while data := sock.recv(4096):
                    lines[index] += buffers[index].feed(data)
    for seen in lines:
        messages = [parse_message(line) for line in seen]
        assert any(isinstance(m, Start) for m in messages)
        assert messages[-1] == Error(SHUTTING_DOWN)
        assert not any(isinstance(m, End) for m in messages)


def test_the_client_raises_server_shutting_down(memory_network: MemoryNetwork) -> None:
    """A client waiting for its opponent gets ServerShuttingDown, a ConnectionLost."""
    server = Server(port=0, socket_factory=memory_network.socket_factory)
    raised: list[BaseException] = []
    with server.running(DEADLINE) as (host, port):
        client = Client(host, port, socket_factory=memory_network.socket_factory)
        with client:
            client.hello("alice")
            waiting = threading.Event()

            def wait_for_start() -> None:
                try:
                    waiting.set()
                    while True:
                        client.next_message(timeout=DEADLINE)
                except ServerShuttingDown as error:
                    raised.append(error)

            thread = threading.Thread(target=wait_for_start, name="test-waiting-player")
            thread.start()
            waiting.wait(DEADLINE)
            server.shutdown()
            thread.join(DEADLINE)
            assert not thread.is_alive()
    assert len(raised) == 1
    assert isinstance(raised[0], ConnectionError)
    with pytest.raises(ServerShuttingDown):
        raise raised[0]


def test_a_client_that_reads_nothing_does_not_hold_shutdown_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With replies stuck for a client that reads nothing, shutdown() still returns: the
    notice is best effort, and the wait for it bounded. (If it hangs, the client drains its
    socket to let it end, and the test fails.)"""
    # The bound, not its length, is what is pinned: a shorter one can only return sooner.
    monkeypatch.setattr(game.server, "SHUTDOWN_NOTICE", 0.02)
    network = MemoryNetwork(buffer_size=4096, max_block=3 * DEADLINE)  # the writer waits
    pings = b"".join(b"PING %04d%s\n" % (i, b"x" * 490) for i in range(40))  # 20 KB of replies
    server = Server(port=0, socket_factory=network.socket_factory, write_timeout=None)
    with server.running(DEADLINE) as address, network.socket_factory() as sock:
        sock.settimeout(DEADLINE)
        sock.connect(address)
        sock.sendall(pings)  # the server reads it all: 20 KB is within the allowance
        stopping = threading.Thread(target=server.shutdown, name="test-shutdown")
        stopping.start()
        stopping.join(DEADLINE)
        hung = stopping.is_alive()
        while hung and sock.recv(65536):  # the rescue: what it waits for is then sent
            pass
        stopping.join(DEADLINE)
        assert not stopping.is_alive()
    assert not hung, "shutdown() waited on for a client that reads nothing"


def test_once_the_notice_is_up_shutdown_waits_for_no_writer(
    monkeypatch: pytest.MonkeyPatch, mocker: MockerFixture, memory_network: MemoryNetwork
) -> None:
    """With the notice's time already up, shutdown() asks each connection's writer to have
    flushed within 0 s: it cuts the connections off without waiting any more."""
    monkeypatch.setattr(game.server, "SHUTDOWN_NOTICE", 0.0)
    waits: list[Any] = []

    class SpiedWriter(Writer):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            waits.append(mocker.spy(self.flushed, "wait"))

    monkeypatch.setattr(game.server, "Writer", SpiedWriter)
    server = Server(port=0, socket_factory=memory_network.socket_factory)
    with server.running(DEADLINE) as address, memory_network.socket_factory() as sock:
        sock.settimeout(DEADLINE)
        sock.connect(address)
        sock.sendall(b"PING ready\n")
        buffer, lines = LineBuffer(), list[str]()
        while "PONG ready" not in lines:  # the banner, then the reply: its writer is open
            data = sock.recv(64)
            assert data, f"EOF after {lines}"
            lines += buffer.feed(data)
        server.shutdown()
    [wait] = waits
    assert wait.call_args_list  # shutdown, and the connection's own end, may each ask
    assert all(call == mocker.call(0.0) for call in wait.call_args_list), wait.call_args_list
