"""What follows from a byte stream does not depend on how TCP split it: the good lines before a
fatal one are handled, in order, before the fatal error, whether they came in the same recv or
not. (Hypothesis shrank the bug this pins to ``PING \\n\\xff\\xfe\\n`` in one chunk: the PONG
was lost.)"""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from game import Client, ProtocolMismatch, ProtocolViolation
from game.protocol import MAX_LINE, LineBuffer, ServerMessage, Welcome
from game.testing import GamePair
from game.testing.plugin import GameServerFactory
from sockettest import FakeServer, MemoryNetwork, send_canned
from sockettest.strategies import splits
from tests.deadline import DEADLINE

GOOD = [b"PING a\n", b"HELLO alice\n", b"PING b c\n", b"MOVE 5\n", b"PING\n"]
FATAL = [b"\xff\xfe\n", b"x" * MAX_LINE]


def what_the_client_sees(chunks: list[bytes]) -> list[ServerMessage]:
    """Everything the server says to one client that sends ``chunks``, one by one."""
    pair = GamePair()
    client = pair.connect("client")
    for chunk in chunks:
        pair.send_bytes(client, chunk)
    return pair.messages(client)


@given(
    good=st.lists(st.sampled_from(GOOD), max_size=4),
    fatal=st.sampled_from(FATAL),
    data=st.data(),
)
def test_any_split_gives_the_same_replies(
    good: list[bytes], fatal: bytes, data: st.DataObject
) -> None:
    """The replies, the fatal ERROR last, are those of the stream sent whole, for any split."""
    stream = b"".join(good) + fatal
    whole = what_the_client_sees([stream])
    assert what_the_client_sees(data.draw(splits(stream))) == whole
    assert whole == what_the_client_sees([*good, fatal])  # a line a recv


def test_a_violation_carries_the_lines_before_it() -> None:
    """LineBuffer hands over the complete lines that came before the violation."""
    with pytest.raises(ProtocolViolation, match="not valid UTF-8") as raised:
        LineBuffer().feed(b"PING \n\xff\xfe\n")
    assert raised.value.lines == ["PING"]


def test_the_server_answers_the_ping_before_the_bad_line(
    memory_network: MemoryNetwork, game_server_factory: GameServerFactory
) -> None:
    """Sent in one piece, a PING and a bad line get the PONG, then the fatal ERROR."""
    address = game_server_factory(memory_network.socket_factory)
    sock = memory_network.socket_factory()
    sock.settimeout(DEADLINE)
    sock.connect(address)
    with sock:
        sock.sendall(b"PING \n\xff\xfe\n")
        sock.shutdown(1)  # SHUT_WR: all we say
        received = b""
        while data := sock.recv(4096):
            received += data
    assert received.splitlines()[1:] == [b"PONG", b"ERROR line is not valid UTF-8"]


def test_the_client_reads_the_good_lines_before_the_bad_one(memory_network: MemoryNetwork) -> None:
    """The client gets WELCOME from bytes that end in a bad line; the next read is the error."""
    script = send_canned(b"GAME tictactoe 1\nWELCOME alice\n\xff\xfe\n", hang_up=False)
    with (
        FakeServer(script, socket_factory=memory_network.socket_factory) as server,
        Client(*server.address, socket_factory=memory_network.socket_factory) as client,
    ):
        assert client.hello("alice") == Welcome("alice")
        with pytest.raises(ProtocolMismatch, match="not valid UTF-8"):
            client.next_message()
