"""A client's wait for an answer is bounded as a whole, and so is what it keeps meanwhile: a
server that talks without ever answering cannot keep it waiting, or fill its memory."""

import itertools
import time

import pytest

from game import Client, ProtocolMismatch, ResponseTimeout
from game.client import MAX_HELD
from game.testing import BANNER
from sockettest import (
    FakeServer,
    MemoryNetwork,
    Script,
    ScriptedConnection,
    VirtualClock,
    simulate,
)
from tests.deadline import DEADLINE


def chatter_forever(conn: ScriptedConnection) -> None:
    """Script: the banner, then WAIT lines until the server stops; never WELCOME."""
    conn.send_line(BANNER)
    for _ in itertools.count():
        if conn.stopping.is_set():
            return
        try:
            conn.send_line("WAIT")
        except OSError:
            return


def chatter(lines: int, hold: float = DEADLINE) -> Script:
    """Script: the banner and ``lines`` WAIT lines, then silence for ``hold`` seconds at most."""

    def script(conn: ScriptedConnection) -> None:
        conn.send_bytes((BANNER + "\n" + "WAIT\n" * lines).encode())
        conn.wait_until_stopped(hold)

    return script


def test_hello_against_a_server_that_never_answers_times_out_on_time(
    memory_network: MemoryNetwork,
) -> None:
    """The timeout bounds the whole wait for WELCOME, not each line that keeps arriving."""
    with FakeServer(chatter_forever, socket_factory=memory_network.socket_factory) as server:
        client = Client(*server.address, socket_factory=memory_network.socket_factory, timeout=0.2)
        with client:
            started = time.monotonic()
            with pytest.raises((ResponseTimeout, ProtocolMismatch)):
                client.hello("alice")
            assert time.monotonic() - started < DEADLINE


def test_the_timeout_bounds_the_wait_when_lines_trickle() -> None:
    """A trickle of other lines (fewer than MAX_HELD) does not extend the wait: ResponseTimeout,
    after the client's 30 s, on virtual time under a seeded schedule (time moves only when every
    thread waits, so a thread slow to run on a loaded machine cannot make it pass early)."""

    def scenario() -> float:
        clock = VirtualClock()
        clock.advance(100.0)  # not 0: a time, not a span (a simulation's clock starts at 0)
        network = MemoryNetwork(clock=clock)
        # Silent for longer than the client waits: virtual time passes both deadlines alike.
        with FakeServer(chatter(10, hold=60.0), socket_factory=network.socket_factory) as server:
            client = Client(
                *server.address,
                socket_factory=network.socket_factory,
                timeout=30,
                clock=clock.monotonic,
            )
            with client, pytest.raises(ResponseTimeout, match="no WELCOME"):
                client.hello("alice")
            given_up = clock.monotonic()
        network.assert_all_closed(grace=DEADLINE)
        return given_up

    assert 130 <= simulate(scenario, seed=0) < 131  # at its deadline: not before, nor later


def test_a_flood_of_other_lines_is_a_protocol_mismatch_not_a_memory_leak(
    memory_network: MemoryNetwork,
) -> None:
    """At most MAX_HELD messages are kept while waiting; one more and the client gives up."""
    with FakeServer(chatter(MAX_HELD + 10), socket_factory=memory_network.socket_factory) as server:
        client = Client(*server.address, socket_factory=memory_network.socket_factory)
        with client, pytest.raises(ProtocolMismatch, match=f"sent {MAX_HELD} messages"):
            client.hello("alice")


@pytest.mark.parametrize(("others", "answered"), [(1023, True), (1024, False)])
def test_the_client_keeps_fewer_than_1024_messages(
    memory_network: MemoryNetwork, others: int, answered: bool
) -> None:
    """1,023 other lines before WELCOME are held for later; the 1,024th is a mismatch
    (``MAX_HELD`` is 1,024)."""

    def then_welcome(conn: ScriptedConnection) -> None:
        conn.send_bytes((BANNER + "\n" + "WAIT\n" * others + "WELCOME alice\n").encode())
        conn.wait_until_stopped(DEADLINE)

    with FakeServer(then_welcome, socket_factory=memory_network.socket_factory) as server:
        client = Client(*server.address, socket_factory=memory_network.socket_factory)
        with client:
            if answered:
                assert client.hello("alice").name == "alice"
            else:
                with pytest.raises(ProtocolMismatch, match="sent 1024 messages"):
                    client.hello("alice")
