"""The wire format, sans-IO: framing, lexing and parsing, with no socket anywhere."""

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from game import LineTooLong, NotUTF8, ProtocolViolation
from game.protocol import (
    MAX_LINE,
    Banner,
    Bye,
    End,
    Error,
    Hello,
    LineBuffer,
    Message,
    Move,
    Ping,
    Pong,
    Quit,
    Result,
    ServerMessage,
    Start,
    Turn,
    Update,
    Wait,
    Welcome,
    parse_command,
    parse_message,
)
from game.rules import Board, Mark
from game.testing.strategies import client_commands, server_messages
from sockettest.strategies import splits


@given(client_commands())
def test_every_command_round_trips(command: Message) -> None:
    """parse_command(encode(c)) == c, through the framing."""
    [line] = LineBuffer().feed(command.encode())
    assert parse_command(line) == command


@given(server_messages())
def test_every_server_message_round_trips(message: Message) -> None:
    """parse_message(encode(m)) == m, through the framing."""
    [line] = LineBuffer().feed(message.encode())
    assert parse_message(line) == message


@st.composite
def split_streams(draw: st.DrawFn) -> tuple[list[ServerMessage], list[bytes]]:
    """Some server messages, and their bytes cut into chunks as ``recv`` might return them."""
    stream = draw(st.lists(server_messages(), max_size=8))
    return stream, draw(splits(b"".join(m.encode() for m in stream)))


@given(split_streams())
def test_a_stream_split_anywhere_decodes_the_same(
    split: tuple[list[ServerMessage], list[bytes]],
) -> None:
    """However recv splits the bytes, the same lines come out, in order."""
    stream, chunks = split
    buffer = LineBuffer()
    lines = [line for chunk in chunks for line in buffer.feed(chunk)]
    assert lines == [m.to_line() for m in stream]


def test_one_byte_at_a_time_works() -> None:
    """The hardest split of all: every byte on its own."""
    buffer = LineBuffer()
    lines = [line for byte in b"HELLO al\r\nMOVE 5\n" for line in buffer.feed(bytes([byte]))]
    assert lines == ["HELLO al", "MOVE 5"]


def test_crlf_trailing_whitespace_and_empty_lines() -> None:
    """\\r\\n is accepted, trailing whitespace stripped, empty lines skipped."""
    assert LineBuffer().feed(b"\r\n  \nMOVE 5 \t\r\n\n") == ["MOVE 5"]


def test_a_partial_line_waits_for_the_rest() -> None:
    """Bytes after the last newline are kept, not parsed, until the line is complete."""
    buffer = LineBuffer()
    assert buffer.feed(b"PING half") == []
    assert buffer.pending == b"PING half"


ONE_LINE_THREE_WAYS = pytest.mark.parametrize("way", ["whole", "split", "after another"])


def feed_three_ways(line: bytes, way: str) -> list[str]:
    """Feed ``line``: as one read (the buffer's fast path), in two reads, or in one read after
    a short line (both through the buffer); return the lines that ``line`` gave."""
    buffer = LineBuffer()
    if way == "split":
        assert buffer.feed(line[:100]) == []
        return buffer.feed(line[100:])
    if way == "after another":
        [first, *rest] = buffer.feed(b"QUIT\n" + line)
        assert first == "QUIT"
        return rest
    return buffer.feed(line)


@ONE_LINE_THREE_WAYS
def test_a_line_of_exactly_512_bytes_is_accepted(way: str) -> None:
    """The limit includes the newline: 511 bytes + \\n is fine, however it arrives."""
    line = b"PING " + b"x" * (MAX_LINE - 6) + b"\n"
    assert len(line) == MAX_LINE
    assert feed_three_ways(line, way) == [line[:-1].decode()]


@ONE_LINE_THREE_WAYS
def test_a_line_of_513_bytes_with_its_newline_is_too_long(way: str) -> None:
    """512 bytes + \\n is one byte over the limit, however it arrives."""
    with pytest.raises(LineTooLong):
        feed_three_ways(b"PING " + b"x" * (MAX_LINE - 5) + b"\n", way)


@pytest.mark.parametrize("chunks", [[b"x" * 512], [b"x" * 300, b"x" * 212], [b"x" * 600 + b"\n"]])
def test_an_oversize_line_is_reported_as_soon_as_512_bytes_arrive(chunks: list[bytes]) -> None:
    """No newline in the first 512 bytes: LineTooLong at once, not at the newline."""
    buffer = LineBuffer()
    *before, last = chunks
    for chunk in before:
        assert buffer.feed(chunk) == []
    with pytest.raises(LineTooLong):
        buffer.feed(last)


def test_bytes_that_are_not_utf8_are_fatal() -> None:
    """A complete line with invalid UTF-8 raises NotUTF8."""
    with pytest.raises(NotUTF8):
        LineBuffer().feed(b"HELLO \xff\xfe\n")


@pytest.mark.parametrize(
    ("line", "command"),
    [
        ("move 5", Move(5)),
        ("MoVe 9", Move(9)),
        ("hello Ann_1-x", Hello("Ann_1-x")),
        ("PING", Ping("")),
        ("ping  two  spaces", Ping(" two  spaces")),
        ("quit", Quit()),
    ],
)
def test_commands_are_case_insensitive(line: str, command: Message) -> None:
    """The command word may be in any case; PING's token is kept verbatim."""
    assert parse_command(line) == command


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("JUMP", "unknown command"),
        ("HELLO", "a name is 1-16"),
        ("HELLO " + "a" * 17, "a name is 1-16"),
        ("HELLO bad!name", "a name is 1-16"),
        ("MOVE", "MOVE takes one cell"),
        ("MOVE 5 6", "MOVE takes one cell"),
        ("MOVE 0", "outside 1-9"),
        ("MOVE 55", "one digit"),
        ("MOVE ٣", "one digit"),  # an Arabic-Indic three is a digit, but not an ASCII one
        ("qu\u0131t", "unknown command 'qu\u0131t'"),  # a dotless i, which str.upper() makes I
        ("p\u0131ng x", "unknown command 'p\u0131ng'"),
    ],
)
def test_bad_commands_say_what_is_wrong(line: str, reason: str) -> None:
    """The reason goes back to the player in an ERROR line."""
    with pytest.raises(ProtocolViolation, match=reason):
        parse_command(line)


@pytest.mark.parametrize(
    "line", ["HTTP/1.1 200 OK", "GAME tictactoe", "START Z bob", "BOARD XXX", "END WIN soon"]
)
def test_lines_of_another_protocol_are_refused(line: str) -> None:
    """The client can tell a game server from anything else."""
    with pytest.raises(ProtocolViolation, match="not a message"):
        parse_message(line)


ONE_OF_EACH = [
    Hello("alice"),
    Move(5),
    Ping("t"),
    Quit(),
    Banner(),
    Welcome("alice"),
    Wait(),
    Start(Mark.X, "bob"),
    Update(Board()),
    Turn(),
    End(Result.DRAW),
    Bye(),
    Pong("t"),
    Error("no"),
]


@pytest.mark.parametrize("message", ONE_OF_EACH, ids=lambda m: type(m).__name__)
def test_messages_are_immutable_values(message: Message) -> None:
    """A message cannot be changed after it is made, so it can be shared and hashed."""
    assert hash(message) == hash(parse_any(message.encode()))
    with pytest.raises(dataclasses.FrozenInstanceError):
        message.WORD = "CHANGED"  # type: ignore[misc]


def parse_any(line: bytes) -> Message:
    """The message ``line`` encodes, from whichever side sends it."""
    text = line.decode().rstrip("\n")
    try:
        return parse_command(text)
    except ProtocolViolation:
        return parse_message(text)
