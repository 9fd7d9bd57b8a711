"""A script maker handed to a ``FakeServer`` uncalled (``stay_silent`` for ``stay_silent()``)
is refused at the call, saying to call it, rather than failing later in the server's thread."""

import socket

import pytest

from sockettest import FakeServer, MemoryNetwork, ScriptedConnection, send_canned, stay_silent


def test_a_script_maker_of_no_argument_is_refused_naming_the_call() -> None:
    """``FakeServer(stay_silent)`` is a TypeError at once that says ``stay_silent()``."""
    with pytest.raises(TypeError, match=r"takes none; .* stay_silent\(\)$"):
        FakeServer(stay_silent)  # type: ignore[arg-type]


def test_a_script_maker_that_takes_the_connection_fails_the_test_saying_so(
    memory_network: MemoryNetwork,
) -> None:
    """``FakeServer(send_canned)`` makes a script from the connection and sends nothing: the
    server's stop raises a TypeError that says to call the maker, not a silent pass."""
    factory = memory_network.socket_factory
    server = FakeServer(send_canned, socket_factory=factory)  # type: ignore[arg-type]
    server.start()
    try:
        with factory(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(5)
            sock.connect(server.address)
            assert sock.recv(1) == b""  # the connection ends once the script has returned
    finally:
        with pytest.raises(TypeError, match=r"send_canned returned a callable"):
            server.stop()


def test_what_is_not_callable_is_refused() -> None:
    """A string where a script goes is refused at the call, naming it."""
    with pytest.raises(TypeError, match="script must be a callable taking a connection, not 'x'"):
        FakeServer("x")  # type: ignore[arg-type]


def test_a_callable_of_no_argument_is_refused() -> None:
    """A script that takes no connection is refused before the server starts."""
    with pytest.raises(TypeError, match="script must be a callable taking a connection"):
        FakeServer(lambda: None)  # type: ignore[arg-type,misc]


def test_a_script_of_one_connection_with_defaults_is_taken() -> None:
    """A script may take more parameters than the connection, if they have defaults."""

    def chatty(conn: ScriptedConnection, greeting: str = "HI", *rest: object) -> None:
        conn.send_line(greeting)

    assert FakeServer(chatty).script is chatty
