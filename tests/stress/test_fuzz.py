"""Fuzz: any bytes, split any way, into the server's connection handler over in-memory sockets.

Two connections share one server, so that streams which say HELLO get paired and reach the
match states too. Each stream is made of pieces a client might send, well-formed or not (valid
lines in any case and ending, free text, arbitrary bytes, over-long lines, bad UTF-8), cut into
arbitrary chunks that the server's ``recv`` returns one by one (a :class:`Faults` schedule).

No real socket is opened (the test is marked ``disable_socket``), so the only clock involved
is the deadline that turns a hang into a failure.
"""

import socket
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from game import Server
from game.protocol import Banner, Bye, Error, ServerMessage, parse_message
from game.testing.strategies import client_lines
from sockettest import Faults, MemoryNetwork, MemorySocket, run_in_thread
from sockettest.strategies import splits
from tests.deadline import DEADLINE
from tests.stress.scale import scaled

"""Seconds one handler may take to serve a whole stream and close; it takes milliseconds."""

FATAL_REASONS = {"line longer than 512 bytes", "line is not valid UTF-8"}

pieces = st.one_of(
    client_lines().map(lambda pair: pair[0]),
    st.text(max_size=40).map(lambda text: (text + "\n").encode("utf-8")),
    st.binary(max_size=40),
    st.sampled_from([b"\n", b"\r\n", b"\xff\xfe\n", b"\xc3", b"A" * 600, b"PING " + b"x" * 506]),
)
streams = st.lists(pieces, max_size=12).map(b"".join)


@st.composite
def split_streams(draw: st.DrawFn) -> list[bytes]:
    """A stream's chunks, as successive ``recv`` calls on the server will return them."""
    return draw(splits(draw(streams), max_chunks=24))


def serve(
    server: Server, network: MemoryNetwork, chunks: list[bytes]
) -> tuple[MemorySocket, Callable[[], None]]:
    """Send ``chunks`` then EOF on a fresh connection, and start the server's handler on the
    other end, whose ``recv`` returns exactly those chunks."""
    client, served = network.socketpair(socket.AF_INET)
    served.faults = Faults(recv_chunks=tuple(len(chunk) for chunk in chunks))
    for chunk in chunks:
        client.sendall(chunk)
    client.shutdown(socket.SHUT_WR)
    return client, run_in_thread(
        lambda: server.handle_client(served), timeout=DEADLINE, name="fuzz-handler"
    )


def replies(client: MemorySocket) -> list[ServerMessage]:
    """Everything the server sent ``client``, parsed; fails unless it is whole protocol lines."""
    client.settimeout(DEADLINE)
    received = b""
    while chunk := client.recv(4096):
        received += chunk
    text = received.decode("utf-8")
    assert text.endswith("\n"), received
    return [parse_message(line) for line in text[:-1].split("\n")]  # lines end in \n only


def check_conversation(messages: list[ServerMessage]) -> None:
    """The banner first; nothing after BYE or after a fatal ERROR."""
    assert messages[0] == Banner()
    for index, message in enumerate(messages):
        ends = isinstance(message, Bye) or (
            isinstance(message, Error) and message.reason in FATAL_REASONS
        )
        if ends:
            assert index == len(messages) - 1, messages


@pytest.mark.disable_socket
@settings(max_examples=scaled(small=100, full=1_000))
@given(first=split_streams(), second=split_streams())
def test_any_bytes_split_any_way_get_only_well_formed_replies(
    first: list[bytes], second: list[bytes]
) -> None:
    """Whatever two clients send, however it is split, each handler returns without raising
    and within its deadline, and every reply is a whole, parseable protocol line (100
    examples small, 1,000 full)."""
    network = MemoryNetwork(max_block=DEADLINE)
    server = Server(port=0, socket_factory=network.socket_factory, idle_timeout=None)
    connections = [serve(server, network, chunks) for chunks in (first, second)]
    for _, handler in connections:
        handler()
    try:
        for client, _ in connections:
            check_conversation(replies(client))
    finally:
        for client, _ in connections:
            client.close()
    network.assert_all_closed()
