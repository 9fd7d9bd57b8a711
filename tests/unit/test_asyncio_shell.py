"""The asyncio shell without a real socket: an autospecced mock for the listener's calls, the
kit's memory network (patched in, so that the event loop's own self-pipe is allowed) for games."""

import asyncio
import contextlib
import errno
import itertools
import os
import socket
from collections.abc import Iterator
from typing import Any
from unittest.mock import Mock, call

import pytest
from pytest_mock import MockerFixture

import game.asyncio_shell
from game import (
    AsyncClient,
    AsyncServer,
    ConnectFailed,
    ListenFailed,
    ResponseTimeout,
    ServerClosed,
    ServerShuttingDown,
)
from game.__main__ import main
from game.asyncio_shell import ACCEPTS_PER_TURN
from game.protocol import Banner, End, Error, Result, ServerMessage, Start, Wait
from game.server import ALLOWANCE
from sockettest import MemoryNetwork, VirtualClock
from tests.deadline import DEADLINE
from tests.unit.asyncio_helpers import (
    long_pings,
    on_virtual_time,
    raw_client,
    run_on_its_clock,
    tell_when_run,
)

DRAW = End(Result.DRAW)


@pytest.fixture
def readiness_fd() -> Iterator[int]:
    """A descriptor the loop can watch and that never becomes readable: a pipe's read end,
    standing in for the mock listener's ``fileno()``."""
    read, write = os.pipe()
    yield read
    os.close(read)
    os.close(write)


def mock_listener(mocker: MockerFixture, fd: int) -> tuple[Mock, Mock, Mock]:
    """An autospecced socket class (the factory), its instance, and one parent recording both;
    the instance is a stream socket whose readiness is ``fd``'s, as the loop requires."""
    factory = mocker.create_autospec(socket.socket)
    listener = factory.return_value
    listener.getsockname.return_value = ("127.0.0.1", 7777)
    listener.type = socket.SOCK_STREAM
    listener.fileno.return_value = fd
    parent = mocker.Mock()
    parent.attach_mock(factory, "socket_factory")
    return factory, listener, parent


def test_async_server_binds_and_listens_before_the_loop_takes_the_socket(
    mocker: MockerFixture, readiness_fd: int
) -> None:
    """factory -> setsockopt -> bind -> listen -> getsockname, then the loop makes it
    non-blocking and watches it; shutdown closes it: notebook 2's lesson, on the second shell.
    (The network is patched in only for the loop's self-pipe, after the mock is made.)"""
    factory, _, parent = mock_listener(mocker, readiness_fd)

    async def scenario() -> tuple[str, int]:
        async with AsyncServer("127.0.0.1", 7777, socket_factory=factory) as server:
            assert server.address is not None
            return server.address

    with MemoryNetwork().patch():
        assert asyncio.run(scenario()) == ("127.0.0.1", 7777)
    assert parent.mock_calls[:6] == [
        call.socket_factory(socket.AF_INET, socket.SOCK_STREAM),
        call.socket_factory().setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1),
        call.socket_factory().bind(("127.0.0.1", 7777)),
        call.socket_factory().listen(socket.SOMAXCONN),
        call.socket_factory().getsockname(),
        call.socket_factory().setblocking(False),
    ]
    assert call.socket_factory().listen(socket.SOMAXCONN) in parent.mock_calls[6:]  # the loop's
    assert parent.mock_calls[-1] == call.socket_factory().close()


def test_the_loop_accepts_one_connection_a_turn_and_the_kernel_queues_somaxconn(
    mocker: MockerFixture, readiness_fd: int
) -> None:
    """The loop is given an accept batch of one (``create_server``'s backlog, its own ``listen``
    call), then the listener listens with ``SOMAXCONN`` again. With a batch of ``SOMAXCONN`` a
    connect/close storm made each turn of the loop thousands of accepts long (every other
    client, timer and stop signal waited seconds; out of descriptors, asyncio logged a traceback
    for each accept of the batch); the kernel's queue kept at ``SOMAXCONN`` refuses nobody."""
    factory, listener, _ = mock_listener(mocker, readiness_fd)

    async def scenario() -> None:
        async with AsyncServer("127.0.0.1", 7777, socket_factory=factory):
            pass

    with MemoryNetwork().patch():  # for the loop's self-pipe only
        asyncio.run(scenario())
    backlogs = [args[0] for args in (c.args for c in listener.listen.call_args_list)]
    assert backlogs == [socket.SOMAXCONN, ACCEPTS_PER_TURN, socket.SOMAXCONN]
    assert ACCEPTS_PER_TURN == 1


def test_async_server_bind_failure_closes_the_socket_and_names_the_address(
    mocker: MockerFixture, readiness_fd: int
) -> None:
    """The threaded server's error, from the same code: ListenFailed, socket closed."""
    factory, listener, _ = mock_listener(mocker, readiness_fd)
    listener.bind.side_effect = OSError(errno.EADDRINUSE, "Address already in use")
    server = AsyncServer("127.0.0.1", 7777, socket_factory=factory)

    with (
        MemoryNetwork().patch(),
        pytest.raises(ListenFailed, match=r"127\.0\.0\.1:7777: Address already in use"),
    ):
        asyncio.run(server.start())
    listener.close.assert_called_once_with()
    listener.listen.assert_not_called()


def test_async_server_checks_its_options_as_the_threaded_one_does() -> None:
    """Bad options fail at the call, naming the option."""
    with pytest.raises(ValueError, match="max_clients"):
        AsyncServer(max_clients=0)
    with pytest.raises(ValueError, match="idle_timeout"):
        AsyncServer(idle_timeout=-1)
    with pytest.raises(ValueError, match="port"):
        AsyncClient(port=70000)


@pytest.mark.usefixtures("patched_network")
def test_a_shutdown_before_start_means_start_says_so(mocker: MockerFixture) -> None:
    """No socket is made; start() raises ServerClosed; start() twice is an error."""
    factory = mocker.create_autospec(socket.socket)
    server = AsyncServer(port=0, socket_factory=factory)

    async def scenario() -> None:
        await server.shutdown()
        await server.shutdown()  # idempotent
        with pytest.raises(ServerClosed, match="shut down before it listened"):
            await server.start()
        with pytest.raises(RuntimeError, match="runs once"):
            await server.start()

    asyncio.run(scenario())
    factory.assert_not_called()


def test_async_server_and_clients_play_a_whole_game_on_the_memory_network(
    patched_network: MemoryNetwork,
) -> None:
    """Two AsyncClients play one whole match on an AsyncServer, in memory: two suggest_move
    bots draw."""
    factory = patched_network.socket_factory

    async def scenario() -> list[End]:
        async with AsyncServer(port=0, socket_factory=factory) as server:
            assert server.address is not None
            host, port = server.address

            async def bot(name: str) -> End:
                client = AsyncClient(host, port, socket_factory=factory, timeout=DEADLINE)
                async with client:
                    return await client.play(name, wait=DEADLINE)

            return list(await asyncio.gather(bot("x"), bot("o")))

    # A match that never ends, or a shutdown that hangs, fails the test rather than stall it.
    assert asyncio.run(asyncio.wait_for(scenario(), DEADLINE)) == [DRAW, DRAW]
    patched_network.assert_all_closed(grace=DEADLINE)


def test_one_client_more_than_max_clients_is_told_the_server_is_full(
    patched_network: MemoryNetwork,
) -> None:
    """The second of max_clients=1 gets ERROR server full: ConnectFailed at hello."""
    factory = patched_network.socket_factory

    async def scenario() -> None:
        server = AsyncServer(port=0, socket_factory=factory, max_clients=1)
        async with server:
            assert server.address is not None
            first = AsyncClient(*server.address, socket_factory=factory, timeout=DEADLINE)
            second = AsyncClient(*server.address, socket_factory=factory, timeout=DEADLINE)
            async with first, second:
                assert (await first.hello("a")).name == "a"
                with pytest.raises(ConnectFailed, match="server full"):
                    await second.hello("b")

    asyncio.run(scenario())


async def messages_until_shutdown(client: AsyncClient) -> list[ServerMessage]:
    """Every message ``client`` reads before ``ERROR server shutting down``."""
    seen = []
    while True:
        try:
            seen.append(await client.next_message())
        except ServerShuttingDown:
            return seen


def test_shutdown_tells_players_in_a_match_and_nobody_forfeits(
    patched_network: MemoryNetwork,
) -> None:
    """Both players of a match read ERROR server shutting down, never an END."""
    factory = patched_network.socket_factory

    async def scenario() -> None:
        server = AsyncServer(port=0, socket_factory=factory)
        await server.start()
        assert server.address is not None
        x = AsyncClient(*server.address, socket_factory=factory, timeout=DEADLINE)
        o = AsyncClient(*server.address, socket_factory=factory, timeout=DEADLINE)
        async with x, o:
            await x.hello("x")
            assert await x.next_message() == Wait()
            await o.hello("o")
            assert isinstance(await o.next_message(), Start)
            async with asyncio.timeout(DEADLINE):  # a shutdown that hangs fails, not stalls
                await server.shutdown()
            for client in (x, o):
                seen = await messages_until_shutdown(client)
                assert not [m for m in seen if isinstance(m, End)]

    asyncio.run(scenario())


def test_a_silent_client_gets_the_idle_error(
    patched_network_on_virtual_clock: MemoryNetwork,
) -> None:
    """A client that sends no line for the idle timeout is told so and closed."""
    network = patched_network_on_virtual_clock
    factory = network.socket_factory

    async def scenario() -> list[object]:
        async with AsyncServer(port=0, socket_factory=factory, idle_timeout=0.05) as server:
            assert server.address is not None
            client = AsyncClient(*server.address, socket_factory=factory, timeout=DEADLINE)
            async with client:
                seen: list[object] = [await client.next_message()]
                seen.append(await client.next_message())
                return seen

    banner, error = run_on_its_clock(network, scenario())
    assert banner == Banner()
    assert error == Error("idle for more than 0.05 s")


@pytest.mark.usefixtures("patched_network")
def test_serve_asyncio_passes_its_options_to_an_async_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``serve --asyncio`` builds an AsyncServer with the flags (checked by it, then refused
    here: serve ends with exit 1)."""
    made: list[dict[str, object]] = []

    def server(*args: Any, **kwargs: Any) -> AsyncServer:
        AsyncServer(*args, **kwargs)
        made.append(kwargs)
        raise ListenFailed("no listening in the unit tier")

    monkeypatch.setattr(game.asyncio_shell, "AsyncServer", server)
    flags = ["--idle-timeout", "7", "--write-timeout", "2.5", "--max-clients", "3"]
    assert main(["serve", "--asyncio", *flags]) == 1
    assert made == [{"idle_timeout": 7.0, "write_timeout": 2.5, "max_clients": 3}]


def test_a_client_that_reads_nothing_is_paused_then_cut_off_after_the_write_timeout() -> None:
    """Output that makes no progress for the write timeout ends the connection with a reset;
    meanwhile the server stopped reading from it: it took no more than its allowance of
    replies' worth, plus what the network's buffers hold."""
    buffer = 16 * 1024
    network = on_virtual_time(buffer)
    factory = network.socket_factory
    flood = b"PING " + b"x" * 500 + b"\n"

    async def scenario() -> int:
        """Bytes the server took before the reset (a timeout fails the test)."""
        server = AsyncServer(port=0, socket_factory=factory, write_timeout=0.2)
        async with server:
            assert server.address is not None
            async with raw_client(factory, server.address) as sock:
                loop = asyncio.get_running_loop()
                taken = 0
                try:
                    async with asyncio.timeout(DEADLINE):
                        while True:  # until the server cuts us off
                            await loop.sock_sendall(sock, flood)
                            taken += len(flood)
                except (ConnectionResetError, BrokenPipeError):
                    return taken

    with network.patch():
        taken = run_on_its_clock(network, scenario())
    assert taken <= ALLOWANCE + 4 * buffer + 2 * len(flood), f"{taken} bytes taken"


def test_a_client_that_stops_reading_then_reads_gets_a_reply_to_every_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A client that reads nothing until the server has stopped reading from it (its output
    over the allowance), then reads, gets every PONG, in order: once the output drains the
    server reads, and answers, the lines that waited."""
    network = MemoryNetwork(buffer_size=16 * 1024)
    factory = network.socket_factory
    pings = long_pings(400)  # 200 KB of replies
    paused = tell_when_run(monkeypatch, "pause_writing")

    async def scenario() -> bytes:
        async with AsyncServer(port=0, socket_factory=factory) as server:
            assert server.address is not None
            async with raw_client(factory, server.address) as sock:
                loop = asyncio.get_running_loop()
                sending = asyncio.create_task(loop.sock_sendall(sock, b"".join(pings)))
                async with asyncio.timeout(DEADLINE):
                    await paused.wait()  # not one byte read yet
                    received = b""
                    while received.count(b"\n") < 1 + len(pings):  # the banner, the PONGs
                        received += await loop.sock_recv(sock, 65536)
                    await sending
                return received

    with network.patch():
        received = asyncio.run(scenario())
    assert received.splitlines()[1:] == [b"PONG " + ping[5:-1] for ping in pings]


@pytest.mark.parametrize(
    ("write_timeout", "linger"), [(0.2, 2.0), (None, 0.05)], ids=["write-timeout", "linger"]
)
def test_a_client_that_half_closes_and_reads_nothing_is_cut_off(
    monkeypatch: pytest.MonkeyPatch, write_timeout: float | None, linger: float
) -> None:
    """A client that sends its lines, shuts its sending side and reads none of the replies is
    cut off with a reset once its output makes no progress for the write timeout or, with
    none, once the linger is over: a closing connection does not live on while its output is
    stuck."""
    monkeypatch.setattr(game.asyncio_shell, "LINGER", linger)
    network = on_virtual_time(4096)
    factory = network.socket_factory
    pings = b"".join(long_pings(40))  # 20 KB of replies

    async def scenario() -> int:
        """SO_ERROR of the client's socket once the server's end is gone."""
        server = AsyncServer(port=0, socket_factory=factory, write_timeout=write_timeout)
        async with server:
            assert server.address is not None
            async with raw_client(factory, server.address) as sock:
                loop = asyncio.get_running_loop()
                await loop.sock_sendall(sock, pings)
                [served] = server._open
                sock.shutdown(socket.SHUT_WR)
                await asyncio.wait_for(served.lost, DEADLINE)
                return sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)

    with network.patch():
        assert run_on_its_clock(network, scenario()) == errno.ECONNRESET


def test_a_client_that_keeps_its_end_open_after_bye_is_closed_once_the_linger_is_over(
    patched_network_on_virtual_clock: MemoryNetwork, virtual_clock: VirtualClock
) -> None:
    """After BYE the server half-closes, waits the linger for the client's own close, then
    closes its end anyway, 2 s on (docs/PROTOCOL.md): a client that never closes does not
    keep the connection."""
    network = patched_network_on_virtual_clock
    factory = network.socket_factory

    async def scenario() -> float:
        async with AsyncServer(port=0, socket_factory=factory) as server:
            assert server.address is not None
            client = AsyncClient(*server.address, socket_factory=factory, timeout=DEADLINE)
            async with client:
                await client.hello("stays")
                [served] = server._open
                quit_at = virtual_clock.monotonic()
                await client.quit()
                await asyncio.wait_for(served.lost, DEADLINE)  # the client is still open
                return virtual_clock.monotonic() - quit_at

    assert run_on_its_clock(network, scenario()) == pytest.approx(2.0, abs=0.05)


def test_an_async_client_measures_its_waits_on_its_own_clock(
    patched_network: MemoryNetwork,
) -> None:
    """With a clock of its own, the client reads that clock, not the loop's: on one that moves
    60 s a reading, the wait for the banner is over before it began."""
    factory = patched_network.socket_factory
    readings = itertools.count(step=60.0)

    async def scenario() -> None:
        async with AsyncServer(port=0, socket_factory=factory) as server:
            assert server.address is not None
            client = AsyncClient(
                *server.address,
                socket_factory=factory,
                timeout=DEADLINE,
                clock=lambda: next(readings),
            )
            async with client:
                with pytest.raises(ResponseTimeout, match=f"within {DEADLINE:g} s"):
                    await client.hello("late")

    asyncio.run(scenario())


def test_a_client_that_reads_nothing_is_held_at_most_the_allowance_and_one_line_of_replies(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Once a connection's unsent output passes the allowance, the lines it has received but
    not handled wait: the server holds no more than the allowance and one line's replies."""
    network = on_virtual_time(64 * 1024)  # each read takes up to 64 KB of lines
    factory = network.socket_factory
    pings = b"".join(long_pings(400))  # 200 KB
    paused = tell_when_run(monkeypatch, "pause_writing")

    async def scenario() -> int:
        """The bytes the server holds for the client once the read that paused it is done."""
        server = AsyncServer(port=0, socket_factory=factory)
        address = await server.start()
        async with raw_client(factory, address) as sock:
            loop = asyncio.get_running_loop()
            sending = asyncio.create_task(loop.sock_sendall(sock, pings))
            await asyncio.wait_for(paused.wait(), DEADLINE)
            [served] = server._open
            assert served._transport is not None
            held = served._transport.get_write_buffer_size()
            sending.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sending
            async with asyncio.timeout(DEADLINE):  # before the client closes with unread data
                await server.shutdown()
        return held

    with network.patch():
        held = run_on_its_clock(network, scenario())
    assert ALLOWANCE < held <= ALLOWANCE + 512


def test_a_connection_is_flushed_only_once_every_byte_written_is_sent() -> None:
    """What shutdown waits for, before it cuts a connection off: flushed() is done at once
    for a connection with nothing unsent, and for one with output waiting only once the
    client has read it all."""
    network = MemoryNetwork(buffer_size=4096)
    factory = network.socket_factory
    pings = long_pings(40)  # 20 KB of replies

    async def scenario() -> None:
        async with AsyncServer(port=0, socket_factory=factory) as server:
            assert server.address is not None
            async with raw_client(factory, server.address) as sock:
                loop = asyncio.get_running_loop()
                received = await loop.sock_recv(sock, 4096)  # the banner: nothing unsent
                [served] = server._open
                assert served.flushed().done()
                await loop.sock_sendall(sock, b"".join(pings))
                flushed = served.flushed()
                assert not flushed.done()  # most of 20 KB cannot be in a 4 KB buffer
                async with asyncio.timeout(DEADLINE):
                    while received.count(b"\n") < 1 + len(pings):
                        received += await loop.sock_recv(sock, 65536)
                    await flushed

    with network.patch():
        asyncio.run(scenario())


def test_an_async_client_makes_no_blocking_call_on_the_loop(
    patched_network: MemoryNetwork,
) -> None:
    """On a loop in debug mode, which refuses a blocking socket, the client connects, joins
    and pings: its socket is non-blocking from the start."""
    factory = patched_network.socket_factory

    async def scenario() -> str:
        async with AsyncServer(port=0, socket_factory=factory) as server:
            assert server.address is not None
            client = AsyncClient(*server.address, socket_factory=factory, timeout=DEADLINE)
            async with client:
                welcome = await client.hello("careful")
                assert await client.ping("t") > 0
                return welcome.name

    assert asyncio.run(scenario(), debug=True) == "careful"


class ClockLoop(asyncio.SelectorEventLoop):
    """An event loop whose clock moves only when the test moves it: a timer fires once
    ``now`` is past it, and not before."""

    now = 0.0

    def time(self) -> float:
        return self.now


async def read_until(end: bytes, sock: socket.socket) -> bytes:
    """What ``sock`` reads until ``end`` (its last bytes), or the end of the stream."""
    loop, received = asyncio.get_running_loop(), b""
    while not received.endswith(end) and (data := await loop.sock_recv(sock, 4096)):
        received += data
    return received


def test_each_line_handled_restarts_the_idle_timer(patched_network: MemoryNetwork) -> None:
    """The idle timeout counts from the last line handled, not from the connection: a client
    that sent a line at 200 s is not idle at 400 s (on a loop whose clock the test moves)."""
    factory = patched_network.socket_factory

    async def scenario() -> bytes:
        """What the client reads: up to its second PONG, or the end of the stream."""
        loop = asyncio.get_running_loop()
        assert isinstance(loop, ClockLoop)
        async with AsyncServer(port=0, socket_factory=factory, idle_timeout=300) as server:
            assert server.address is not None
            async with raw_client(factory, server.address) as sock:
                received = await read_until(b"GAME tictactoe 1\n", sock)
                loop.now = 200.0
                await loop.sock_sendall(sock, b"PING a\n")
                received += await read_until(b"PONG a\n", sock)
                loop.now = 400.0
                for _ in range(3):  # the timers due now run: the idle check set for 300 s
                    await asyncio.sleep(0)  # sleep-ok: yields to the loop, no wait
                await loop.sock_sendall(sock, b"PING b\n")
                received += await read_until(b"PONG b\n", sock)
                return received

    with asyncio.Runner(loop_factory=ClockLoop) as runner:
        assert runner.run(scenario()) == b"GAME tictactoe 1\nPONG a\nPONG b\n"


def test_shutdown_closes_a_connection_that_lingers_after_its_client_half_closed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A client that sent its lines and shut its sending side, with replies still unsent to
    it, is closed by shutdown() too: no connection outlives the server. (Before, one that
    had sent its EOF was no longer among those shutdown closes.)"""
    network = MemoryNetwork(buffer_size=4096)
    factory = network.socket_factory
    pings = b"".join(long_pings(40))  # 20 KB of replies
    eof = tell_when_run(monkeypatch, "eof_received")

    async def scenario() -> bool:
        """Whether the server's end was gone when shutdown() returned."""
        server = AsyncServer(port=0, socket_factory=factory)
        address = await server.start()
        async with raw_client(factory, address) as sock:
            loop = asyncio.get_running_loop()
            await loop.sock_sendall(sock, pings)
            [served] = server._open
            sock.shutdown(socket.SHUT_WR)
            async with asyncio.timeout(DEADLINE):
                await eof.wait()
                await server.shutdown()
            return served.lost.done()

    with network.patch():
        assert asyncio.run(scenario())


def test_an_async_client_with_a_timeout_under_a_second_waits_that_long_for_its_reply() -> None:
    """A client timeout of half a second bounds the wait for WELCOME; it does not refuse to
    wait at all because it is under a second. On the network's clock, so a loaded machine
    cannot use the half second up."""
    network = MemoryNetwork(clock=VirtualClock(autojump_threshold=0.01))
    factory = network.socket_factory

    async def scenario() -> str:
        async with AsyncServer(port=0, socket_factory=factory) as server:
            assert server.address is not None
            client = AsyncClient(*server.address, socket_factory=factory, timeout=0.5)
            async with client:
                return (await client.hello("alice")).name

    assert run_on_its_clock(network, scenario()) == "alice"
    network.assert_all_closed(grace=DEADLINE)
