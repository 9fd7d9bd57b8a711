"""Hypothesis strategies for the game's own messages: names, cells, boards, tokens, every
command and every reply, and lines as a client might type them.

The generic ones (how bytes are split, faults) are :mod:`sockettest.strategies`. Each
strategy here shrinks toward the shortest message, so a failing property reports the simplest
message that breaks it::

    @given(client_lines())
    def test_the_server_reads_what_a_client_types(line_and_command):
        line, command = line_and_command
        assert parse_command(line.decode().rstrip()) == command
"""

from __future__ import annotations

import string

from hypothesis import strategies as st

from game.protocol import (
    Banner,
    Bye,
    ClientCommand,
    End,
    Error,
    Hello,
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
)
from game.rules import Board, Mark

__all__ = [
    "boards",
    "cells",
    "client_commands",
    "client_lines",
    "player_names",
    "server_messages",
    "tokens",
]


# The game's protocol -------------------------------------------------------------------------


_NAME_ALPHABET = string.ascii_letters + string.digits + "_-"


def player_names() -> st.SearchStrategy[str]:
    """Valid player names: 1-16 of ``A-Z a-z 0-9 _ -`` (:data:`game.protocol.NAME_PATTERN`).

    Drawn from the alphabet rather than with ``from_regex``: the same names, several times
    faster, and shrinking toward ``"a"``; a test checks they match the pattern.
    """
    return st.text(_NAME_ALPHABET, min_size=1, max_size=16)


def cells() -> st.SearchStrategy[int]:
    """Cell numbers 1-9."""
    return st.integers(1, 9)


def boards() -> st.SearchStrategy[Board]:
    """Any nine cells of ``X``, ``O`` and ``.``: what a ``BOARD`` line may carry (reachable in
    a game or not; the wire format does not care)."""
    return st.text(alphabet="XO.", min_size=9, max_size=9).map(Board)


def tokens(*, max_size: int = 32) -> st.SearchStrategy[str]:
    """Free text for ``PING``/``PONG`` tokens and ``ERROR`` reasons: one line, any printable
    Unicode, no trailing whitespace (which the line reader strips), possibly empty."""
    characters = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp"))
    return st.text(characters, max_size=max_size).map(str.rstrip)


def client_commands() -> st.SearchStrategy[ClientCommand]:
    """Every command a client may send: ``HELLO``, ``MOVE``, ``PING`` and ``QUIT``."""
    return st.one_of(
        st.just(Quit()),
        st.builds(Move, cells()),
        st.builds(Hello, player_names()),
        st.builds(Ping, tokens()),
    )


def server_messages() -> st.SearchStrategy[ServerMessage]:
    """Every message the server may send, each a valid instance: ``encode`` then
    :func:`~game.protocol.parse_message` gives it back."""
    return st.one_of(
        st.sampled_from([Banner(), Wait(), Turn(), Bye()]),
        st.builds(Welcome, player_names()),
        st.builds(Start, st.sampled_from(Mark), player_names()),
        st.builds(Update, boards()),
        st.builds(End, st.sampled_from(Result), st.booleans()),
        st.builds(Pong, tokens()),
        st.builds(Error, tokens()),
    )


@st.composite
def client_lines(draw: st.DrawFn) -> tuple[bytes, ClientCommand]:
    """A valid line as a client might type it, and the command it means.

    The command word in any case, extra spaces where the protocol allows them, trailing
    whitespace, ``\\n`` or ``\\r\\n``: the server must read each as the command paired with it.
    """
    command = draw(client_commands())
    word = "".join(draw(st.sampled_from([c.lower(), c.upper()])) for c in command.WORD)
    line = word
    arguments = command.arguments()
    if arguments:
        # HELLO and MOVE strip their argument; a PING token is taken verbatim after one space.
        padding = "" if isinstance(command, Ping) else draw(st.sampled_from(["", " ", "  "]))
        line += " " + padding + arguments
    line += draw(st.sampled_from(["", " ", "\t", " \t "]))
    line += draw(st.sampled_from(["\n", "\r\n"]))
    return line.encode("utf-8"), command
