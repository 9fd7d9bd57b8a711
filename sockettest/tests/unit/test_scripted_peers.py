"""The scripted peers, FakeServer and FakeClient, on the in-memory network: the unit tier.

tests/integration/test_fakes.py shows them on real loopback sockets; these pin the same
promises without a real socket, so that a mistake in the peers fails the unit tier too:
which sockets they ask their factory for, what a reset reads as, which errors a script's thread
hands back (and which it need not), and the timeouts and transcripts a test reads.
"""

from __future__ import annotations

import errno
import math
import re
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from sockettest import (
    DEFAULT_TIMEOUT,
    BlockedTooLong,
    FakeClient,
    FakeServer,
    MemoryNetwork,
    MemorySocket,
    Script,
    ScriptedConnection,
    accept_and_close,
    answer_from_table,
    mock_sockets,
    send_canned,
    simulate,
    stay_silent,
)
from tests.deadlines import DEADLINE, SHORT, SILENCE

SHORT_SPELT = re.escape(f"{SHORT:g}")
"""``SHORT`` as an error message spells it, for a ``match``."""

RESET_ON_CLOSE = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() resets

# The kit's own guard: every thread a test starts must be finished when it ends.
pytestmark = pytest.mark.usefixtures("leak_guard")


def served(
    network: MemoryNetwork,
    script: Script = accept_and_close,
    *,
    host: str = "127.0.0.1",
    timeout: float = math.inf,
    join_timeout: float = DEFAULT_TIMEOUT,
) -> FakeServer:
    """A FakeServer of ``script`` on ``network``."""
    return FakeServer(
        script,
        host=host,
        timeout=timeout,
        join_timeout=join_timeout,
        socket_factory=network.socket_factory,
    )


def client_of(network: MemoryNetwork, server: FakeServer, timeout: float = DEADLINE) -> FakeClient:
    """A FakeClient on ``network``, to connect to ``server`` on entering its ``with`` block."""
    return FakeClient(server.address, timeout=timeout, socket_factory=network.socket_factory)


def signalling(script: Script, done: threading.Event) -> Script:
    """``script``, setting ``done`` when it has returned or raised."""

    def run(conn: ScriptedConnection) -> None:
        try:
            script(conn)
        finally:
            done.set()

    return run


@pytest.fixture
def raw_client(memory_network: MemoryNetwork) -> Iterator[MemorySocket]:
    """A bare memory socket, for what FakeClient will not do (a reset)."""
    with memory_network.socket_factory(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(DEADLINE)
        yield sock


# The socket factory ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "family"), [("127.0.0.1", socket.AF_INET), ("::1", socket.AF_INET6)]
)
def test_a_factory_of_the_documented_signature_makes_both_peers_sockets(
    memory_network: MemoryNetwork, host: str, family: int
) -> None:
    """``factory(family, type)``, positional only, is all either peer calls: a stream socket of
    the host's family."""
    asked: list[tuple[int, int]] = []

    def factory(family: int, kind: int, /) -> MemorySocket:
        asked.append((family, kind))
        return memory_network.socket_factory(family, kind)

    with (
        FakeServer(send_canned(b"HI\n"), host=host, socket_factory=factory) as server,
        FakeClient(server.address, timeout=DEADLINE, socket_factory=factory) as client,
    ):
        assert server.host == host
        assert client.read_line() == "HI"
    assert asked == [(family, socket.SOCK_STREAM)] * 2


# Reading: EOF and resets -----------------------------------------------------------------------


def test_each_wait_of_a_read_is_bounded_by_the_time_left() -> None:
    """A read never asks its socket to wait longer than what is left of the read's timeout."""
    mocks = mock_sockets()
    mocks.socket.recv.side_effect = TimeoutError  # every wait runs out
    asked: list[float | None] = []

    def no_longer_than_asked(value: float | None, /) -> None:
        asked.append(value)
        if value is None or value > SHORT:
            raise AssertionError(f"settimeout({value}) for a read of {SHORT} s")

    with FakeClient(("127.0.0.1", 1), timeout=DEADLINE, socket_factory=mocks.socket_factory) as c:
        mocks.socket.settimeout.side_effect = no_longer_than_asked
        with pytest.raises(TimeoutError, match=rf"no complete line within {SHORT_SPELT} s"):
            c.read_line(timeout=SHORT)
    assert asked
    assert all(wait is not None and 0 < wait <= SHORT for wait in asked)


def test_a_connection_is_not_reset_before_a_reset_nor_after_a_clean_close(
    memory_network: MemoryNetwork,
) -> None:
    """``reset`` reads False from the start, and stays False at an ordinary EOF."""
    at_start: list[tuple[bool, bool]] = []
    done = threading.Event()

    def script(conn: ScriptedConnection) -> None:
        at_start.append((conn.eof, conn.reset))
        conn.read_until_eof()

    with served(memory_network, signalling(script, done)) as server:
        with client_of(memory_network, server) as client:
            client.send_line("BYE")
        assert done.wait(DEADLINE)
    (conn,) = server.connections
    assert at_start == [(False, False)]
    assert (conn.eof, conn.reset) == (True, False)
    assert conn.received == ["BYE"]


def test_a_reset_reads_as_eof_and_adds_no_bytes(
    memory_network: MemoryNetwork, raw_client: MemorySocket
) -> None:
    """A client's reset ends the script's read as EOF, sets ``reset``, and leaves what was
    received exactly as sent: the partial line stays partial and unrecorded."""
    done = threading.Event()
    with served(memory_network, signalling(ScriptedConnection.read_until_eof, done)) as server:
        raw_client.connect(server.address)
        raw_client.sendall(b"HELLO al")
        raw_client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, RESET_ON_CLOSE)
        raw_client.close()
        assert done.wait(DEADLINE)
    (conn,) = server.connections
    assert (conn.eof, conn.reset) == (True, True)
    assert conn.received_bytes == b"HELLO al"
    assert conn.received == []
    assert server.received == []


def test_the_client_reads_none_at_eof_and_stays_there(memory_network: MemoryNetwork) -> None:
    """At EOF ``read_line`` returns None at once, every time, rather than waiting or raising;
    a partial last line stays in ``pending``."""
    with (
        served(memory_network, send_canned(b"ONE\nTW")) as server,
        client_of(memory_network, server) as client,
    ):
        assert client.read_line() == "ONE"
        assert client.read_line() is None
        assert client.read_line(timeout=math.inf) is None
        assert client.pending == b"TW"
        assert client.received == ["ONE"]


def test_the_client_reads_a_servers_reset_as_eof(memory_network: MemoryNetwork) -> None:
    """A server that closes with the client's bytes unread resets the connection: the client's
    read ends as at EOF."""
    with (
        served(memory_network, stay_silent(read=False, for_seconds=0.0)) as server,
        client_of(memory_network, server) as client,
    ):
        client.send_line("UNREAD")
        assert client.read_line() is None
        assert client.pending == b""


# What a script's thread hands back -------------------------------------------------------------


def test_every_scripts_error_is_reported_the_first_raised_the_others_in_its_notes(
    memory_network: MemoryNetwork,
) -> None:
    """The first connection's error is raised when the server stops; each later one is a note."""

    def broken(conn: ScriptedConnection) -> None:
        raise ValueError(f"broken #{conn.index}")

    server = served(memory_network, broken)
    server.start()
    for _ in range(3):
        with client_of(memory_network, server) as client:
            assert client.read_line() is None  # the script has raised: its thread hung up
    with pytest.raises(ValueError, match="broken #1") as raised:
        server.stop()
    assert raised.value.__notes__ == [
        "another fake server thread raised ValueError('broken #2')",
        "another fake server thread raised ValueError('broken #3')",
    ]
    assert len(server.errors) == 3


def test_a_stuck_script_is_blocked_too_long_and_names_the_errors_of_the_others(
    memory_network: MemoryNetwork,
) -> None:
    """BlockedTooLong names the thread that did not exit, and notes what other scripts raised."""
    release = threading.Event()

    def broken_then_stuck(conn: ScriptedConnection) -> None:
        if conn.index == 1:
            raise ValueError("broken")
        release.wait(10 * DEADLINE)  # ignores conn.stopping: the bug under test

    server = served(memory_network, broken_then_stuck, join_timeout=SHORT)
    server.start()
    try:
        with client_of(memory_network, server) as first:
            assert first.read_line() is None
        with client_of(memory_network, server):
            server.wait_for_connections(2, timeout=DEADLINE)
        with pytest.raises(
            BlockedTooLong, match=rf"within {SHORT_SPELT} s: fake-server-connection-2 still running"
        ) as raised:
            server.stop()
        assert raised.value.__notes__ == ["a script also raised ValueError('broken')"]
    finally:
        release.set()
        assert server.join(DEADLINE)
    assert server.threads == []


def test_an_oserror_a_script_raises_fails_the_test(memory_network: MemoryNetwork) -> None:
    """An OSError of the script's own, not its connection's, is re-raised by ``stop``: before
    the stop, and after it as well."""

    def before_stop(conn: ScriptedConnection) -> None:
        raise OSError(errno.EPROTO, "the script's own error")

    server = served(memory_network, before_stop)
    with (
        pytest.raises(OSError, match="the script's own error"),
        server,
        client_of(memory_network, server) as client,
    ):
        assert client.read_line() is None

    def after_stop(conn: ScriptedConnection) -> None:
        assert conn.wait_until_stopped(DEADLINE)
        raise OSError(errno.EPROTO, "raised once stopping")

    server = served(memory_network, after_stop)
    with (
        pytest.raises(OSError, match="raised once stopping"),
        server,
        client_of(memory_network, server),
    ):
        server.wait_for_connections(1, timeout=DEADLINE)


def test_a_timeout_in_a_scripts_read_fails_the_test(memory_network: MemoryNetwork) -> None:
    """A script that waited for a line in vain raises TimeoutError, and the test fails with it."""

    def expects_a_line(conn: ScriptedConnection) -> None:
        conn.read_line(timeout=SHORT)

    server = served(memory_network, expects_a_line)
    with (
        pytest.raises(TimeoutError, match=rf"no complete line within {SHORT_SPELT} s"),
        server,
        client_of(memory_network, server) as client,
    ):
        assert client.read_line() is None  # the script has raised: its thread hung up


def test_a_client_that_leaves_does_not_fail_the_server(memory_network: MemoryNetwork) -> None:
    """Sending to a client that has closed ends the script (EPIPE) without failing the test:
    whether a send meets that error is up to TCP's timing, not the code under test."""
    done = threading.Event()

    def keeps_talking(conn: ScriptedConnection) -> None:
        conn.send_line("ONE")
        assert conn.read_line() is None  # the client has closed
        for _ in range(3):
            conn.send_line("MORE")

    with served(memory_network, signalling(keeps_talking, done)) as server:
        with client_of(memory_network, server) as client:
            assert client.read_line() == "ONE"
        assert done.wait(DEADLINE)
    (conn,) = server.connections
    assert conn.sent == b"ONE\nMORE\n"  # the second MORE met the broken pipe
    assert server.errors == []


def test_a_scripts_own_socket_error_after_the_stop_does_not_fail_the_test(
    memory_network: MemoryNetwork,
) -> None:
    """Once the server is stopping, the connection is shut down: a send then fails, and that
    is the stop's doing, not the script's."""

    def waits_then_sends(conn: ScriptedConnection) -> None:
        assert conn.wait_until_stopped(DEADLINE)
        conn.send_line("TOO LATE")

    with served(memory_network, waits_then_sends) as server, client_of(memory_network, server):
        server.wait_for_connections(1, timeout=DEADLINE)
    assert server.errors == []
    (conn,) = server.connections
    assert conn.sent == b""


STUCK_PROGRAM = """
import threading
from sockettest import BlockedTooLong, FakeClient, FakeServer, MemoryNetwork

network = MemoryNetwork()
server = FakeServer(
    lambda conn: threading.Event().wait(600),
    join_timeout=0.05,
    socket_factory=network.socket_factory,
)
server.start()
with FakeClient(server.address, socket_factory=network.socket_factory):
    server.wait_for_connections(1)
try:
    server.stop()
except BlockedTooLong:
    print("stuck; exiting")
"""


def test_a_stuck_script_does_not_keep_the_interpreter_alive() -> None:
    """The server's threads are daemons: a program left with a stuck script still exits."""
    ended = subprocess.run(
        [sys.executable, "-c", STUCK_PROGRAM],
        capture_output=True,
        text=True,
        timeout=10 * DEADLINE,  # the process takes well under a second; its script, 600 s
        check=False,
    )
    assert (ended.returncode, ended.stdout, ended.stderr) == (0, "stuck; exiting\n", "")


# The ready-made scripts ------------------------------------------------------------------------


def test_answer_from_table_greets_answers_and_hangs_up_on_none(
    memory_network: MemoryNetwork,
) -> None:
    """A greeting first; a line, several lines, the default for the unknown; ``None`` (also after
    lines) hangs up."""
    script = answer_from_table(
        {"PING": "PONG", "TWO": ["A", "B"], "QUIT": ["BYE", None]},
        greeting="READY",
        unknown="WHAT",
    )
    with served(memory_network, script) as server, client_of(memory_network, server) as client:
        assert client.read_line() == "READY"
        client.send_line("PING")
        assert client.read_line() == "PONG"
        client.send_line("TWO")
        assert client.read_until("B") == ["A", "B"]
        client.send_line("DANCE")
        assert client.read_line() == "WHAT"
        client.send_line("QUIT")
        assert client.read_until_eof() == ["BYE"]
    assert server.received == ["PING", "TWO", "DANCE", "QUIT"]


def test_answer_from_table_without_a_greeting_waits_and_ignores_the_unknown(
    memory_network: MemoryNetwork,
) -> None:
    """No greeting, no reply to an unknown line, ``None`` alone hangs up at once."""
    script = answer_from_table({"PING": "PONG", "QUIT": None})
    with served(memory_network, script) as server, client_of(memory_network, server) as client:
        client.send_line("DANCE")
        client.send_line("PING")
        assert client.read_line() == "PONG"
        client.send_line("QUIT")
        assert client.read_line() is None
    assert server.connections[0].sent == b"PONG\n"


def test_send_canned_sends_each_chunk_then_hangs_up(memory_network: MemoryNetwork) -> None:
    """Chunks arrive as sent (CRLF and bad UTF-8 included), then EOF."""
    script = send_canned(b"GAME tic", b"tactoe 1\r\nBO", b"ARD \xff\n")
    with served(memory_network, script) as server, client_of(memory_network, server) as client:
        assert client.read_until_eof() == ["GAME tictactoe 1", "BOARD \ufffd"]
    assert server.connections[0].sent == b"GAME tictactoe 1\r\nBOARD \xff\n"


def test_send_canned_pauses_only_between_chunks(memory_network: MemoryNetwork) -> None:
    """One chunk goes at once, however long the pause between chunks would be."""
    with (
        served(memory_network, send_canned(b"HI\n", pause=60 * DEADLINE)) as server,
        client_of(memory_network, server) as client,
    ):
        assert client.read_line() == "HI"


def test_send_canned_without_hanging_up_records_until_eof(memory_network: MemoryNetwork) -> None:
    """``hang_up=False``: it reads and records until the client's EOF, then hangs up."""
    with (
        served(memory_network, send_canned(b"HI\n", hang_up=False)) as server,
        client_of(memory_network, server) as client,
    ):
        assert client.read_line() == "HI"
        client.send_line("QUIT")
        client.shutdown_write()
        assert client.read_line() is None
    assert server.received == ["QUIT"]


def test_stay_silent_records_and_never_answers_until_the_stop(
    memory_network: MemoryNetwork,
) -> None:
    """The client times out, saying what is pending; the server heard it; the stop ends it."""
    with (
        served(memory_network, stay_silent()) as server,
        client_of(memory_network, server) as client,
    ):
        client.send_bytes(b"HELLO alice\nHAL")
        with pytest.raises(TimeoutError, match=rf"within {SHORT_SPELT} s; pending bytes: b''"):
            client.read_line(timeout=SHORT)
        assert server.wait_for_lines(1) == ["HELLO alice"]
    assert server.connections[0].received_bytes == b"HELLO alice\nHAL"


def test_stay_silent_for_a_while_then_hangs_up(memory_network: MemoryNetwork) -> None:
    """``for_seconds``: silence, then EOF, with what arrived meanwhile recorded."""
    with (
        served(memory_network, stay_silent(for_seconds=SILENCE)) as server,
        client_of(memory_network, server) as client,
    ):
        client.send_line("ANYONE")
        assert client.read_line() is None
    assert server.received == ["ANYONE"]


def test_stay_silent_without_reading_records_nothing(memory_network: MemoryNetwork) -> None:
    """``read=False``: nothing is read until the stop (a reset then greets the client)."""
    with (
        served(memory_network, stay_silent(read=False)) as server,
        client_of(memory_network, server) as client,
    ):
        client.send_line("HELLO")
        with pytest.raises(TimeoutError):
            client.read_line(timeout=SHORT)
        server.wait_for_connections(1, timeout=DEADLINE)  # a loaded machine may accept late
    assert server.received == []
    assert server.connections[0].received_bytes == b""


# The server's life and what it saw --------------------------------------------------------------


def test_each_connection_has_its_own_script_and_record(memory_network: MemoryNetwork) -> None:
    """Connections are numbered in order; each keeps its lines, the server all of them."""

    def echo_index(conn: ScriptedConnection) -> None:
        for line in conn.lines():
            conn.send_line(f"{line} #{conn.index}")

    with (
        served(memory_network, echo_index) as server,
        client_of(memory_network, server) as first,
        client_of(memory_network, server) as second,
    ):
        server.wait_for_connections(2, timeout=DEADLINE)
        second.send_line("B")
        first.send_line("A")
        assert first.read_line() == "A #1"
        assert second.read_line() == "B #2"
        assert server.accepted == 2
        assert sorted(server.wait_for_lines(2)) == ["A", "B"]
    assert [c.received for c in server.connections] == [["A"], ["B"]]
    assert [c.index for c in server.connections] == [1, 2]
    assert repr(server.connections[0]).startswith("<ScriptedConnection #1 from ('127.0.0.1', ")
    assert server.threads == []


def test_waiting_for_more_lines_or_connections_than_come_times_out(
    memory_network: MemoryNetwork,
) -> None:
    """Each wait says what it got."""
    with (
        served(memory_network, stay_silent()) as server,
        client_of(memory_network, server) as client,
    ):
        client.send_line("one")
        assert server.wait_for_lines(1) == ["one"]
        with pytest.raises(
            TimeoutError, match=rf"read 1 of 2 lines within {SHORT_SPELT} s: \['one'\]"
        ):
            server.wait_for_lines(2, timeout=SHORT)
        with pytest.raises(
            TimeoutError, match=rf"accepted 1 of 2 connections within {SHORT_SPELT} s"
        ):
            server.wait_for_connections(2, timeout=SHORT)


def test_the_default_read_timeout_of_a_connection_is_no_limit(
    memory_network: MemoryNetwork,
) -> None:
    """``timeout`` defaults to ``math.inf`` (until the stop); a number bounds each read."""
    with served(memory_network, stay_silent()) as server, client_of(memory_network, server):
        server.wait_for_connections(1, timeout=DEADLINE)
        assert server.connections[0].timeout == math.inf
    with (
        pytest.raises(TimeoutError, match=rf"no complete line within {SHORT_SPELT} s"),
        served(memory_network, ScriptedConnection.read_line, timeout=SHORT) as server,
        client_of(memory_network, server) as client,
    ):
        assert client.read_line() is None  # the script has raised: its thread hung up


def test_a_port_in_use_fails_at_start_and_leaves_no_thread(memory_network: MemoryNetwork) -> None:
    """The bind's error is raised by ``start``, in the test's thread."""
    with served(memory_network) as first:
        second = FakeServer(port=first.port, socket_factory=memory_network.socket_factory)
        with pytest.raises(OSError, match="in use"):
            second.start()
        assert second.threads == []


def test_misusing_the_server_says_what_to_do(memory_network: MemoryNetwork) -> None:
    """No address before start, one start only, a second stop is harmless; the repr says where
    and in which state."""
    server = served(memory_network)
    assert repr(server) == "<FakeServer 127.0.0.1:0 new>"
    with pytest.raises(RuntimeError, match="not listening"):
        _ = server.address
    with server:
        assert repr(server) == f"<FakeServer 127.0.0.1:{server.port} running on {memory_network!r}>"
        with pytest.raises(RuntimeError, match="starts once"):
            server.start()
    server.stop()
    assert repr(server) == f"<FakeServer 127.0.0.1:{server.port} stopped on {memory_network!r}>"


def test_a_server_that_never_gets_ready_fails_its_start(memory_network: MemoryNetwork) -> None:
    """``ready_timeout`` bounds the wait for the listener: a TimeoutError, and nothing left."""
    memory_network.poison("listen", TimeoutError("listen never came back"))
    server = FakeServer(socket_factory=memory_network.socket_factory, ready_timeout=DEADLINE)
    with pytest.raises(TimeoutError, match="listen never came back"):
        server.start()
    assert server.threads == []


# The client -------------------------------------------------------------------------------------


def test_the_transcript_records_both_ways_in_order(memory_network: MemoryNetwork) -> None:
    """("sent" | "received", line) as they happened; raw bytes escaped."""
    script = answer_from_table({"HELLO": "WELCOME"}, greeting="READY")
    with served(memory_network, script) as server, client_of(memory_network, server) as client:
        assert client.read_line() == "READY"
        client.send_line("HELLO")
        assert client.read_line() == "WELCOME"
        client.send_bytes(b"RAW \xff\n")
        assert server.wait_for_lines(2) == ["HELLO", "RAW \ufffd"]
    assert client.transcript == [
        ("received", "READY"),
        ("sent", "HELLO"),
        ("received", "WELCOME"),
        ("sent", "RAW \\xff\n"),
    ]
    assert client.received == ["READY", "WELCOME"]


def test_read_until_matches_a_word_or_a_predicate_within_one_deadline(
    memory_network: MemoryNetwork,
) -> None:
    """A word matches the line or its first word; a predicate anything; EOF first is EOFError."""
    script = send_canned(b"ENDING\nEND WIN\nA\nBB\n")
    with served(memory_network, script) as server, client_of(memory_network, server) as client:
        assert client.read_until("END") == ["ENDING", "END WIN"]
        assert client.read_until(lambda line: len(line) == 2) == ["A", "BB"]
        with pytest.raises(EOFError, match=r"EOF before a line matching 'NEVER'; read \[\]"):
            client.read_until("NEVER")


def test_the_clients_waits_are_bounded(memory_network: MemoryNetwork) -> None:
    """``read_until`` and ``read_until_eof`` time out against a server that never answers."""
    with (
        served(memory_network, stay_silent()) as server,
        client_of(memory_network, server) as client,
    ):
        with pytest.raises(TimeoutError, match=r"no complete line within 0\.0\d* s"):
            client.read_until("NEVER", timeout=SHORT)
        with pytest.raises(TimeoutError, match=r"no complete line within 0\.0\d* s"):
            client.read_until_eof(timeout=SHORT)
    with (
        served(memory_network, stay_silent()) as server,
        client_of(memory_network, server, SHORT) as client,
        pytest.raises(TimeoutError, match=r"no complete line within 0\.0\d* s"),
    ):
        client.read_until_eof()


def test_a_refused_connect_leaves_the_client_unconnected(memory_network: MemoryNetwork) -> None:
    """The socket is closed before the error (the network checks), and connect can be retried."""
    with served(memory_network) as server:
        address = server.address
    client = FakeClient(address, socket_factory=memory_network.socket_factory)
    assert repr(client) == f"<FakeClient {address!r} not connected>"
    with pytest.raises(ConnectionRefusedError):
        client.connect()
    assert not client.connected
    with served(memory_network, send_canned(b"HI\n")) as server:
        client.connect(server.address)
        assert repr(client) == f"<FakeClient {server.address!r} connected>"
        with pytest.raises(RuntimeError, match="already connected"):
            client.connect()
        assert client.read_line() == "HI"
        client.close()
    assert not client.connected


def test_a_client_takes_a_pair_or_a_host_and_a_port(memory_network: MemoryNetwork) -> None:
    """``FakeClient(host, port)`` and ``FakeClient((host, port, ...))`` reach the same server;
    a host without a port, or a pair with one, is refused."""
    with served(memory_network, send_canned(b"HI\n"), host="::1") as server:
        host, port = server.address
        for client in (
            FakeClient(host, port, socket_factory=memory_network.socket_factory),
            FakeClient((host, port, 0, 0), socket_factory=memory_network.socket_factory),
        ):
            with client:
                assert client.read_line() == "HI"
    with pytest.raises(TypeError, match="needs a port"):
        FakeClient("::1")
    with pytest.raises(TypeError, match="not both"):
        FakeClient(("::1", 1), 1)


def test_an_unconnected_client_says_connect_first(memory_network: MemoryNetwork) -> None:
    """Use before connect is a clear error; without an address there is nothing to connect to;
    the default timeout is the kit's."""
    client = FakeClient(socket_factory=memory_network.socket_factory)
    assert client.timeout == DEFAULT_TIMEOUT
    assert client.pending == b""
    with pytest.raises(RuntimeError, match="connect first"):
        client.send_line("x")
    with pytest.raises(RuntimeError, match="connect first"):
        client.shutdown_write()
    with pytest.raises(RuntimeError, match="needs an address"):
        client.connect()
    with client:
        assert not client.connected
    client.close()


def test_a_read_with_no_time_left_raises_timeout_error_even_on_a_clock_that_stood_still() -> None:
    """``read_line(timeout=0)`` with no line waiting raises TimeoutError at once, also where
    the clock reads the same at the deadline as at the call (virtual time in a simulation)."""

    def read_with_no_time_left() -> None:
        network = MemoryNetwork()
        with network.socket_factory(socket.AF_INET, socket.SOCK_STREAM) as listener:
            listener.bind(("127.0.0.1", 0))
            listener.listen(1)
            address = listener.getsockname()
            with FakeClient(address, socket_factory=network.socket_factory) as client:
                server_side, _ = listener.accept()
                with server_side, pytest.raises(TimeoutError, match="no complete line within 0 s"):
                    client.read_line(timeout=0)
        network.assert_all_closed()

    simulate(read_with_no_time_left, seed=1)
