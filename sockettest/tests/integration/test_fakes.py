"""The fake server and fake client on real loopback sockets.

Integration tier: real sockets, loopback only. No ``sleep`` before connecting (the fake server
is listening when its ``with`` block starts), no fixed port (port 0), every thread joined with
a deadline and every socket closed.
"""

from __future__ import annotations

import math
import re
import threading

import pytest

from sockettest import (
    DEFAULT_TIMEOUT,
    BlockedTooLong,
    FakeClient,
    FakeServer,
    ScriptedConnection,
    accept_and_close,
    answer_from_table,
    ipv6_loopback_available,
    send_canned,
    stay_silent,
)
from tests.deadlines import DEADLINE, SHORT, SILENCE

SHORT_SPELT = re.escape(f"{SHORT:g}")
"""``SHORT`` as an error message spells it, for a ``match``."""

GREETING = "READY"
greet_and_hang_up = send_canned(f"{GREETING}\n".encode())


# The kit's own guard: every thread a test starts must be finished (within 2 s) when it ends.
pytestmark = pytest.mark.usefixtures("leak_guard")


# FakeServer -------------------------------------------------------------------------------------


def test_the_fake_server_is_listening_when_the_block_starts() -> None:
    """Ready is set and the OS picked a port; a connection needs no retry and no sleep."""
    with FakeServer() as server:
        assert server.ready.is_set()
        assert server.host == "127.0.0.1"
        assert server.port > 0
        assert server.address == (server.host, server.port)
        with FakeClient(server.address):
            pass
    assert server.threads == []


def test_the_fake_server_listens_on_ipv6_when_asked() -> None:
    """``host="::1"``: an IPv6 listener; the address is still a ``(host, port)`` pair."""
    if not ipv6_loopback_available():
        pytest.skip("no IPv6 loopback here")
    with FakeServer(greet_and_hang_up, host="::1") as server:
        assert server.address == ("::1", server.port)
        with FakeClient(server.address) as client:
            assert client.read_line() == GREETING


def test_accept_and_close_gives_the_client_eof() -> None:
    """``read_line`` returns None at EOF rather than raising."""
    with FakeServer(accept_and_close) as server, FakeClient(server.address) as client:
        assert client.read_line() is None
        assert client.read_line() is None  # and stays at EOF


def test_answer_from_table_waits_for_the_client() -> None:
    """With no ``greeting`` (the default) the server speaks only when spoken to."""
    with (
        FakeServer(answer_from_table({"PING": "PONG"})) as server,
        FakeClient(server.address) as client,
    ):
        client.send_line("PING")
        assert client.read_line() == "PONG"


def test_send_canned_sends_exact_bytes_in_chunks() -> None:
    """Partial lines, CRLF and bad UTF-8 arrive as sent; a trailing partial line stays pending."""
    script = send_canned(b"GAME tic", b"tactoe 1\r\nBO", b"ARD \xff\nEND", pause=0.01)
    with FakeServer(script) as server, FakeClient(server.address) as client:
        assert client.read_line() == "GAME tictactoe 1"
        assert client.read_line() == "BOARD \ufffd"
        assert client.read_line() is None
        assert client.pending == b"END"


def test_send_canned_without_hanging_up_reads_until_eof() -> None:
    """``hang_up=False``: the server keeps listening and records what the client says."""
    with (
        FakeServer(send_canned(b"GAME x 9\n", hang_up=False)) as server,
        FakeClient(server.address) as client,
    ):
        assert client.read_line() == "GAME x 9"
        client.send_line("QUIT")
        client.shutdown_write()
        assert client.read_line() is None  # the script saw EOF and returned
    assert server.received == ["QUIT"]


def test_stay_silent_reads_and_records_but_never_answers() -> None:
    """The client times out; the server still heard it; the server's stop ends the script."""
    with FakeServer(stay_silent()) as server, FakeClient(server.address) as client:
        client.send_line("HELLO alice")
        with pytest.raises(TimeoutError, match=rf"no complete line within {SHORT_SPELT} s"):
            client.read_line(timeout=SHORT)
        assert server.wait_for_lines(1) == ["HELLO alice"]


def test_stay_silent_without_reading_records_nothing() -> None:
    """``read=False``: bytes pile up unread until the server stops."""
    with FakeServer(stay_silent(read=False)) as server, FakeClient(server.address) as client:
        client.send_line("HELLO alice")
        with pytest.raises(TimeoutError):
            client.read_line(timeout=SHORT)
    assert server.received == []


def test_stay_silent_for_a_while_then_hang_up() -> None:
    """``for_seconds``: silence, then EOF."""
    with (
        FakeServer(stay_silent(for_seconds=SILENCE)) as server,
        FakeClient(server.address) as client,
    ):
        assert client.read_line(timeout=DEADLINE) is None


def test_each_connection_runs_its_own_script_concurrently() -> None:
    """A silent first client does not block the second; lines are kept per connection."""
    script = answer_from_table({"PING": "PONG"})
    with (
        FakeServer(script) as server,
        FakeClient(server.address) as first,
        FakeClient(server.address) as second,
    ):
        second.send_line("PING")
        assert second.read_line() == "PONG"
        first.send_line("PING")
        assert first.read_line() == "PONG"
    assert server.accepted == 2
    assert [c.received for c in server.connections] == [["PING"], ["PING"]]


def test_a_custom_script_is_a_plain_function() -> None:
    """Write your own: a function that takes the connection helper."""

    def echo(conn: ScriptedConnection) -> None:
        for line in conn.lines():
            conn.send_line(line.upper())

    with FakeServer(echo) as server, FakeClient(server.address) as client:
        client.send_line("hello")
        assert client.read_line() == "HELLO"


def test_an_exception_in_a_script_surfaces_when_the_server_stops() -> None:
    """Nothing vanishes in a thread: the script's error is re-raised by ``__exit__``."""

    def broken(conn: ScriptedConnection) -> None:
        raise ValueError("the script is broken")

    server = FakeServer(broken)
    with (
        pytest.raises(ValueError, match="the script is broken"),
        server,
        FakeClient(server.address) as client,
    ):
        client.read_line()
    assert len(server.errors) == 1


def test_errors_from_several_connections_are_all_reported() -> None:
    """The first is raised; the others are named in its notes."""

    def broken(conn: ScriptedConnection) -> None:
        raise ValueError(f"broken #{conn.index}")

    server = FakeServer(broken)
    server.start()
    for _ in range(2):
        with FakeClient(server.address) as client:
            assert client.read_line() is None
    with pytest.raises(ValueError, match="broken #1") as raised:
        server.stop()
    assert raised.value.__notes__ == ["another fake server thread raised ValueError('broken #2')"]


def test_a_stuck_script_fails_loudly_instead_of_hanging() -> None:
    """A thread still running at the deadline is an error naming it; releasing it ends it."""
    release = threading.Event()

    def stuck(conn: ScriptedConnection) -> None:
        release.wait(10 * DEADLINE)  # ignores conn.stopping: the bug under test

    server = FakeServer(stuck, join_timeout=SHORT)
    server.start()
    try:
        with FakeClient(server.address):
            server.wait_for_connections(1)
        with pytest.raises(
            BlockedTooLong,
            match=(
                rf"^fake server thread did not exit within {SHORT_SPELT} s: "
                "fake-server-connection-1"
            ),
        ):
            server.stop()
        assert isinstance(BlockedTooLong("x"), AssertionError)
    finally:
        release.set()
        assert server.join(DEADLINE)
    assert server.threads == []


def test_the_default_deadline_is_the_kits_one_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the default deadline the error reads "... within 5 s", the kit's DEFAULT_TIMEOUT
    (the wait itself is faked, so the test does not spend the five seconds)."""
    release = threading.Event()
    server = FakeServer(lambda conn: release.wait(10 * DEADLINE))
    server.start()
    try:
        with FakeClient(server.address):
            server.wait_for_connections(1)
        monkeypatch.setattr(server, "join", lambda timeout: False)
        with pytest.raises(
            AssertionError, match=rf"^fake server thread did not exit within {DEFAULT_TIMEOUT:g} s"
        ):
            server.stop()
    finally:
        monkeypatch.undo()
        release.set()
        assert server.join(DEADLINE)


def test_wait_for_lines_times_out_with_what_it_has() -> None:
    """Waiting for lines that never come is a TimeoutError listing those that did."""
    with FakeServer(stay_silent()) as server, FakeClient(server.address) as client:
        client.send_line("one")
        server.wait_for_lines(1)
        with pytest.raises(TimeoutError, match=r"read 1 of 2 lines .*\['one'\]"):
            server.wait_for_lines(2, timeout=SHORT)


def test_a_port_in_use_fails_at_start_and_leaves_no_thread() -> None:
    """The bind error, raised from the server's thread into ``start``."""
    with FakeServer() as first:
        second = FakeServer(port=first.port)
        with pytest.raises(OSError, match="in use"):
            second.start()
        assert second.threads == []


def test_the_address_before_start_and_a_second_start_are_errors() -> None:
    """Misuse says what to do."""
    server = FakeServer()
    with pytest.raises(RuntimeError, match="not listening"):
        _ = server.address
    with server, pytest.raises(RuntimeError, match="starts once"):
        server.start()
    server.stop()  # again: harmless


def test_a_class_instead_of_a_script_is_refused() -> None:
    """Passing a class where a callable instance is expected is caught at once."""
    with pytest.raises(TypeError, match="script must be a callable"):
        FakeServer(ScriptedConnection)  # type: ignore[arg-type]


# FakeClient -------------------------------------------------------------------------------------


def test_the_transcript_records_both_directions_in_order() -> None:
    """("sent" | "received", line), as they happened."""
    script = answer_from_table({"HELLO alice": "WELCOME alice"}, greeting=GREETING)
    with FakeServer(script) as server, FakeClient(server.address) as client:
        client.read_line()
        client.send_line("HELLO alice")
        client.read_line()
        client.send_bytes(b"RAW \xff\n")
    assert client.transcript == [
        ("received", GREETING),
        ("sent", "HELLO alice"),
        ("received", "WELCOME alice"),
        ("sent", "RAW \\xff\n"),
    ]
    assert client.received == [GREETING, "WELCOME alice"]
    assert server.received[-1] == "RAW \ufffd"


def test_read_line_timeout_says_what_is_pending() -> None:
    """A partial line is shown in the TimeoutError. (The wait is the whole deadline, not
    ``SHORT``: on a loaded machine the server's thread may take longer than that to send the
    bytes, and the error would rightly show none.)"""
    with (
        FakeServer(send_canned(b"GAME tic", hang_up=False)) as server,
        FakeClient(server.address) as client,
        pytest.raises(TimeoutError, match=r"pending bytes: b'GAME tic'"),
    ):
        client.read_line(timeout=DEADLINE)


def test_read_until_at_eof_is_an_error_listing_the_lines() -> None:
    """It was promised a line; EOF before it is an EOFError, not None."""
    with (
        FakeServer(greet_and_hang_up) as server,
        FakeClient(server.address) as client,
        pytest.raises(EOFError, match=r"EOF before a line matching 'WELCOME'.*READY"),
    ):
        client.read_until("WELCOME")


def test_read_until_takes_a_predicate() -> None:
    """Any condition on the line."""
    with (
        FakeServer(send_canned(b"A\nBB\nCCC\n")) as server,
        FakeClient(server.address) as client,
    ):
        assert client.read_until(lambda line: len(line) == 2) == ["A", "BB"]


def test_read_until_eof_times_out_if_the_server_never_hangs_up() -> None:
    """Bounded: a server that stays is a TimeoutError."""
    with (
        FakeServer(stay_silent()) as server,
        FakeClient(server.address) as client,
        pytest.raises(TimeoutError),
    ):
        client.read_until_eof(timeout=SHORT)


def test_connect_to_a_closed_port_is_refused_and_leaks_nothing() -> None:
    """The socket is closed before the error is raised (ResourceWarning is an error here)."""
    with FakeServer() as server:
        address = server.address
    client = FakeClient(address)
    with pytest.raises(ConnectionRefusedError):
        client.connect()
    assert not client.connected


def test_a_client_takes_a_host_and_a_port_or_a_pair() -> None:
    """``FakeClient(host, port)`` and ``FakeClient((host, port))`` are the same."""
    with FakeServer(greet_and_hang_up) as server:
        for client in (FakeClient(server.host, server.port), FakeClient(server.address)):
            with client:
                assert client.read_line() == GREETING
        with pytest.raises(TypeError, match="needs a port"):
            FakeClient(server.host)


def test_unconnected_client_says_connect_first() -> None:
    """Use before connect is a clear error; close is harmless."""
    client = FakeClient()
    with pytest.raises(RuntimeError, match="connect first"):
        client.send_line("x")
    with pytest.raises(RuntimeError, match="needs an address"):
        client.connect()
    client.close()


def test_infinite_timeout_means_no_limit_for_the_server_side() -> None:
    """A connection's default read waits until the server stops (``math.inf``)."""
    with FakeServer(stay_silent()) as server, FakeClient(server.address):
        server.wait_for_connections(1)
        assert server.connections[0].timeout == math.inf
