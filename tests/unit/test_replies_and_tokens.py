"""What the server says back stays within the protocol: no reply over 512 bytes, whatever the
client sent, and PING tokens that a line reader could split are refused on both sides."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from game import Client, ProtocolViolation
from game.protocol import (
    MAX_LINE,
    QUOTE_LIMIT,
    Error,
    Ping,
    Pong,
    check_token,
    parse_command,
    parse_message,
    quote,
)
from game.testing import GamePair

LINE_BREAKING = ["\x00", "\r", "\t", "\x0b", "\x1b", "\x85", "\u2028", "\u2029", "\ud800"]
"""One character of each kind a token may not hold: C0 controls, C1 (U+0085), the line and
paragraph separators, a lone surrogate."""


def reply_to(line: str) -> bytes:
    """What the server's parser makes of ``line``: the ERROR it would send, or b"" if none."""
    try:
        parse_command(line)
    except ProtocolViolation as error:
        return Error(str(error)).encode()
    return b""


def test_a_legal_511_byte_move_gets_an_error_within_the_line_limit() -> None:
    """The 543-byte ERROR of old: MOVE with a 505-byte argument is answered in one legal line."""
    reply = reply_to("MOVE " + "x" * 505)
    assert reply.startswith(b"ERROR a cell is one digit 1-9, not 'xxx")
    assert len(reply) <= MAX_LINE


def test_quoted_nuls_do_not_blow_the_line_limit() -> None:
    """NULs quote as four characters each; the quote is still cut to its limit."""
    reply = reply_to("MOVE " + "\x00" * 505)
    assert len(reply) <= MAX_LINE
    assert reply.rstrip(b"\n").endswith(b"...")


@given(st.text(max_size=MAX_LINE - 1).map(str.strip))
def test_no_reply_to_any_line_exceeds_the_limit(line: str) -> None:
    """Whatever a client sends in one line, the ERROR it gets fits in one line."""
    assert len(reply_to(line)) <= MAX_LINE


def test_a_quote_of_40_bytes_is_not_cut() -> None:
    """Exactly the 40 bytes the limit allows: the whole quote, no ``...``."""
    text = "x" * 38  # and its two quote marks
    assert quote(text) == repr(text)


def test_a_long_quote_is_the_40_bytes_the_protocol_document_promises() -> None:
    """docs/PROTOCOL.md: a reason quotes at most 40 bytes of what was sent, ending in ``...``."""
    quoted = quote("x" * 100)
    assert len(quoted.encode()) == 40
    assert quoted == "'" + "x" * 36 + "..."


@given(st.text(max_size=200))
def test_a_quote_is_cut_by_encoded_bytes_after_a_whole_character(text: str) -> None:
    """A quote is at most QUOTE_LIMIT UTF-8 bytes; a cut one ends with the marker."""
    quoted = quote(text)
    assert len(quoted.encode("utf-8", errors="backslashreplace")) <= QUOTE_LIMIT
    if quoted != repr(text):
        assert quoted.endswith("...")
        assert repr(text).startswith(quoted.removesuffix("..."))


def test_an_error_reason_too_long_for_a_line_is_cut_and_still_parses() -> None:
    """An Error is never more than one line, and what the client parses is what was sent."""
    error = Error("é" * 600)
    encoded = error.encode()
    assert len(encoded) <= MAX_LINE
    assert parse_message(encoded.decode().rstrip("\n")) == error


def test_the_server_refuses_a_token_a_line_reader_could_split() -> None:
    """A PING token with a control or separator character is a recoverable ERROR."""
    for character in LINE_BREAKING:
        with pytest.raises(ProtocolViolation, match="a PING token may not hold"):
            parse_command(f"PING a{character}b")


def test_the_client_refuses_the_same_tokens_before_sending() -> None:
    """Client.ping makes the server's check, so it never sends what the server refuses."""
    client = Client()  # not connected: the check comes first
    for character in LINE_BREAKING:
        with pytest.raises(ValueError, match="a PING token may not hold"):
            client.ping(f"a{character}b")


def test_printable_unicode_tokens_go_through_verbatim() -> None:
    """Spaces inside, accents, emoji: the token comes back as it was."""
    spoken = "a  b é 🎲"
    check_token(spoken)
    assert parse_command(f"PING {spoken}") == Ping(spoken)


def test_a_refused_token_leaves_the_connection_open(game_pair: GamePair) -> None:
    """After the ERROR, the same connection still gets PONG for a good token."""
    alice = game_pair.connect("alice")
    game_pair.messages(alice)
    game_pair.send_line(alice, "PING a\u2028b")
    (refused,) = game_pair.messages(alice)
    assert isinstance(refused, Error)
    assert "may not hold" in refused.reason
    game_pair.send_line(alice, "PING fine")
    assert game_pair.messages(alice) == [Pong("fine")]
    assert not game_pair.is_closed(alice)
