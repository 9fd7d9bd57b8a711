"""The public API used wrongly, as a newcomer might: each mistake gets a clear error at the call
that made it, naming what was wrong, never a traceback from a background thread or from deep
inside the socket layer later, and never harm to a server that is already running."""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import Any

import pytest

from game import AsyncClient, AsyncServer, Client, RequestRejected, Server
from game.protocol import Wait, Welcome
from sockettest import MemoryNetwork
from tests.deadline import DEADLINE

BANNER = b"GAME tictactoe 1\n"


def read_banner(network: MemoryNetwork, address: tuple[str, int]) -> bytes:
    """Connect a plain memory socket to ``address`` and read its first line."""
    with network.socket_factory(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(DEADLINE)
        sock.connect(address)
        with sock.makefile("rb") as lines:
            line: bytes = lines.readline()
            return line


def test_running_a_server_a_second_time_is_refused_and_the_first_run_goes_on(
    memory_network: MemoryNetwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second ``running()`` raises RuntimeError in the caller, starts no thread, and neither
    yields the first run's address nor shuts that run down on its way out."""
    unhandled: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: unhandled.append(args.exc_value))
    server = Server(port=0, socket_factory=memory_network.socket_factory)
    with server.running(timeout=DEADLINE) as address:
        with (
            pytest.raises(RuntimeError, match="a Server runs once"),
            server.running(timeout=DEADLINE),
        ):
            pytest.fail("a second running() yielded")
        assert read_banner(memory_network, address) == BANNER
    assert unhandled == []


def test_running_a_server_that_already_ran_is_refused(memory_network: MemoryNetwork) -> None:
    """``running()`` after ``start_listening()`` has come and gone raises RuntimeError; it
    never yields the address of the run that is over."""
    server = Server(port=0, socket_factory=memory_network.socket_factory)
    with server.running(timeout=DEADLINE):
        pass
    with (
        pytest.raises(RuntimeError, match="a Server runs once"),
        server.running(timeout=DEADLINE),
    ):
        pytest.fail("running() yielded for a server that had already run")


endpoints = pytest.mark.parametrize("endpoint", [Server, Client, AsyncServer, AsyncClient])


@endpoints
@pytest.mark.parametrize("host", ["127.0.0.1\x00", "\udc80", "local\nhost"])
def test_a_host_the_socket_layer_cannot_take_is_refused_at_construction(
    endpoint: Any, host: str
) -> None:
    """A NUL, a control character or a lone surrogate in ``host`` is a ValueError naming
    ``host`` when the object is made, not a TypeError from ``bind`` or ``connect`` later."""
    with pytest.raises(ValueError, match=r"^host may not hold"):
        endpoint(host, 7777)


def test_a_host_the_socket_layer_cannot_take_is_refused_by_connect() -> None:
    """``Client.connect(host)`` checks the host it is given as the constructor does."""
    with pytest.raises(ValueError, match=r"^host may not hold"):
        Client().connect("127.0.0.1\x00")


@endpoints
@pytest.mark.parametrize("option", ["socket_factory", "clock"])
@pytest.mark.parametrize("value", [5, "socket.socket"], ids=["int", "str"])
def test_a_hook_that_cannot_be_called_is_refused_at_construction(
    endpoint: Any, option: str, value: object
) -> None:
    """A ``socket_factory`` or ``clock`` that is not callable is a TypeError naming the option
    when the object is made, not ``'int' object is not callable`` from a thread later."""
    with pytest.raises(TypeError, match=f"^{option} must be"):
        endpoint("127.0.0.1", 7777, **{option: value})


def call_on(
    endpoint: Any, method: str, *args: object, options: dict[str, Any] | None = None
) -> None:
    """Call ``method`` of an unconnected ``endpoint`` (a Client or an AsyncClient); a coroutine
    runs on a loop whose self-pipe comes from a patched-in memory network."""
    result = getattr(endpoint(), method)(*args, **(options or {}))
    if asyncio.iscoroutine(result):
        with MemoryNetwork().patch():
            asyncio.run(result)


clients = pytest.mark.parametrize("endpoint", [Client, AsyncClient])


@clients
@pytest.mark.parametrize(
    ("method", "argument", "message"),
    [
        ("hello", None, r"^name must be a str"),
        ("hello", b"alice", r"^name must be a str"),
        ("ping", None, r"^token must be a str"),
        ("ping", 5, r"^token must be a str"),
    ],
)
def test_a_name_or_token_that_is_not_a_str_is_a_type_error_naming_it(
    endpoint: Any, method: str, argument: object, message: str
) -> None:
    """``hello(None)`` or ``ping(5)`` says which argument is wrong, before anything is sent,
    rather than ``expected string or bytes-like object`` from the regex module."""
    with pytest.raises(TypeError, match=message):
        call_on(endpoint, method, argument)


@clients
def test_a_ping_token_too_long_for_one_line_is_refused_before_it_is_sent(endpoint: Any) -> None:
    """A token that would make ``PING`` longer than the protocol's 512-byte line is a
    ValueError at the call, rather than a line the server treats as fatal, closing the
    connection (and forfeiting a match under way). It says how long a token may be: the
    506 bytes that the next test sees accepted."""
    with pytest.raises(
        ValueError,
        match=r"^a PING token .* longer than 512 bytes \(a token may take 506 bytes of UTF-8\)$",
    ):
        call_on(endpoint, "ping", "a" * 507)


@clients
def test_the_longest_ping_token_that_fits_a_line_is_accepted(endpoint: Any) -> None:
    """506 bytes of token make ``PING`` exactly 512 bytes with its newline: the check lets it
    through to the connection (here: not connected, so RuntimeError)."""
    with pytest.raises(RuntimeError, match="connect"):
        call_on(endpoint, "ping", "a" * 506)


@clients
def test_a_cell_too_long_for_one_line_is_refused_before_it_is_sent(endpoint: Any) -> None:
    """``move(10**506)`` makes ``MOVE`` longer than the 512-byte line: a ValueError at the
    call, as for a PING token, not a line that ends the connection and forfeits the match."""
    with pytest.raises(ValueError, match=r"^a cell makes a MOVE line of 513 bytes"):
        call_on(endpoint, "move", 10**506)


@clients
@pytest.mark.parametrize("cell", [0, 10, 10**505], ids=["0", "10", "the longest that fits"])
def test_a_cell_out_of_range_is_sent_for_the_server_to_refuse(endpoint: Any, cell: int) -> None:
    """Any cell that fits a line goes through to the connection (here: not connected, so
    RuntimeError): whether a move is legal is the server's to say, with an ERROR."""
    with pytest.raises(RuntimeError, match="connect"):
        call_on(endpoint, "move", cell)


@pytest.mark.parametrize("timeout", [-1.0, "5", float("nan")], ids=repr)
def test_wait_until_listening_refuses_a_timeout_it_cannot_wait_for(timeout: object) -> None:
    """A negative, NaN or non-number timeout is a ValueError naming
    ``timeout``, not a TimeoutError claiming the server did not listen in "-1 s", nor a
    TypeError from inside :mod:`threading`."""
    with pytest.raises(ValueError, match=r"^timeout must be positive seconds"):
        Server(port=0).wait_until_listening(timeout)  # type: ignore[arg-type]


@pytest.mark.parametrize("timeout", [-1.0, "5", float("nan")], ids=repr)
def test_running_refuses_a_bad_timeout_before_it_starts_a_thread(
    memory_network: MemoryNetwork, timeout: object
) -> None:
    """``running(timeout=-1)`` is a ValueError at the call: no thread, no socket, and the
    server may still be run."""
    server = Server(port=0, socket_factory=memory_network.socket_factory)
    with (
        pytest.raises(ValueError, match=r"^timeout must be positive seconds"),
        server.running(timeout=timeout),  # type: ignore[arg-type]
    ):
        pytest.fail("running() yielded with a timeout it cannot wait for")
    assert memory_network.sockets == []
    with server.running(timeout=DEADLINE) as address:
        assert read_banner(memory_network, address) == BANNER


def test_a_second_hello_is_answered_by_the_server_and_loses_no_message(
    memory_network: MemoryNetwork,
) -> None:
    """``hello()`` again on the same connection does not read the next message as a banner
    (``ProtocolMismatch: it said 'WAIT'``, the WAIT lost): the server refuses the second HELLO
    (RequestRejected), and the WAIT is still there to read."""
    factory = memory_network.socket_factory
    server = Server(port=0, socket_factory=factory)
    client = Client(socket_factory=factory, timeout=DEADLINE)
    with server.running(timeout=DEADLINE) as (host, port):
        client.connect(host, port)
        try:
            assert client.hello("alice") == Welcome("alice")
            with pytest.raises(RequestRejected, match="you already said HELLO"):
                client.hello("alice")
            assert client.next_message(timeout=DEADLINE) == Wait()
        finally:
            client.close()


def test_a_second_async_hello_is_answered_by_the_server_and_loses_no_message(
    patched_network: MemoryNetwork,
) -> None:
    """The same on the asyncio shell: RequestRejected, then the WAIT."""
    factory = patched_network.socket_factory

    async def scenario() -> None:
        async with AsyncServer(port=0, socket_factory=factory) as server:
            assert server.address is not None
            client = AsyncClient(*server.address, socket_factory=factory, timeout=DEADLINE)
            async with client:
                assert await client.hello("alice") == Welcome("alice")
                with pytest.raises(RequestRejected, match="you already said HELLO"):
                    await client.hello("alice")
                assert await client.next_message(timeout=DEADLINE) == Wait()

    asyncio.run(asyncio.wait_for(scenario(), DEADLINE))


@clients
@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"wait": -1.0}, ValueError, r"^wait must be positive seconds"),
        ({"wait": "60"}, ValueError, r"^wait must be positive seconds"),
        ({"choose": 5}, TypeError, r"^choose must be a callable"),
        ({"on_message": "print"}, TypeError, r"^on_message must be a callable"),
    ],
)
def test_play_checks_its_options_before_it_says_hello(
    endpoint: Any, options: dict[str, Any], error: type[Exception], message: str
) -> None:
    """A bad ``wait``, ``choose`` or ``on_message`` is refused, naming it, before ``play``
    touches the connection (here there is none: the check comes before the RuntimeError),
    not after the player has joined the lobby, at its first wait or its first TURN."""
    with pytest.raises(error, match=message):
        call_on(endpoint, "play", "alice", options=options)
