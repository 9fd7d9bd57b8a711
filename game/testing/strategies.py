"""Hypothesis strategies for network code: how bytes are split, when faults strike, and the
game's own messages.

The only module of :mod:`game.testing` that imports Hypothesis (an optional dependency:
``pip install game[testing]``), so the rest of the kit works without it.

Each strategy shrinks toward the simplest case: :func:`splits` toward one chunk, :func:`faults`
toward ``Faults()`` (nothing goes wrong), the message strategies toward the shortest message.
So when a property fails, Hypothesis reports the smallest split or schedule that breaks it::

    @given(data=st.data())
    def test_any_split_gives_the_same_lines(data):
        wire = b"HELLO alice\\nMOVE 5\\n"
        buffer = LineBuffer()
        lines = [line for chunk in data.draw(splits(wire)) for line in buffer.feed(chunk)]
        assert lines == ["HELLO alice", "MOVE 5"]
"""

from __future__ import annotations

import string
from itertools import pairwise

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
from game.testing.faults import Faults

__all__ = [
    "boards",
    "cells",
    "chunk_sizes",
    "client_commands",
    "client_lines",
    "faults",
    "player_names",
    "server_messages",
    "splits",
    "tokens",
]


def splits(data: bytes, *, max_chunks: int | None = None) -> st.SearchStrategy[list[bytes]]:
    """Ways to cut ``data`` into non-empty chunks, as successive ``recv`` calls might return it.

    ``b"".join(chunks) == data`` always; no chunk is empty (``recv`` returns ``b""`` only at
    EOF); ``b""`` gives ``[]``. Shrinks toward ``[data]``, one chunk.

    Args:
        data: the bytes to split.
        max_chunks: at most this many chunks (at least 1); ``None`` for up to one per byte.
    """
    if max_chunks is not None and max_chunks < 1:
        raise ValueError(f"max_chunks must be at least 1, not {max_chunks!r}")
    if not data:
        return st.just([])
    if len(data) == 1:
        return st.just([data])
    cuts = st.sets(
        st.integers(1, len(data) - 1),
        max_size=None if max_chunks is None else max_chunks - 1,
    )
    return cuts.map(lambda points: _cut(data, sorted(points)))


def _cut(data: bytes, points: list[int]) -> list[bytes]:
    edges = [0, *points, len(data)]
    return [data[start:end] for start, end in pairwise(edges)]


def chunk_sizes(*, max_size: int = 16, max_chunks: int = 8) -> st.SearchStrategy[tuple[int, ...]]:
    """Non-empty tuples of sizes 1..``max_size``, for :attr:`Faults.recv_chunks`."""
    return st.lists(st.integers(1, max_size), min_size=1, max_size=max_chunks).map(tuple)


def faults(
    *,
    recv_chunks: bool = True,
    short_sends: bool = True,
    resets: bool = True,
    timeouts: bool = True,
    early_eof: bool = True,
    max_bytes: int = 64,
) -> st.SearchStrategy[Faults]:
    """Fault schedules (:class:`~game.testing.faults.Faults`), each kind switched on by a flag.

    Leave a kind on to let Hypothesis try it; turn it off when the property does not hold under
    it. For instance a correct program gives the same result under any chunking and short
    sends, so ``faults(resets=False, timeouts=False, early_eof=False)`` draws only those
    *benign* faults; the harmful ones need a property such as "the server closes only that
    connection". Shrinks toward ``Faults()``.

    Args:
        recv_chunks, short_sends, resets, timeouts, early_eof: which kinds may be drawn.
        max_bytes: the largest byte position for a reset or an early EOF, and the largest
            chunk or send size.
    """

    def maybe(enabled: bool, values: st.SearchStrategy[int]) -> st.SearchStrategy[int | None]:
        return st.none() | values if enabled else st.none()

    positions = st.integers(0, max_bytes)
    return st.builds(
        Faults,
        recv_chunks=st.just(()) | chunk_sizes(max_size=max_bytes) if recv_chunks else st.just(()),
        send_limit=maybe(short_sends, st.integers(1, max_bytes)),
        reset_after_recv=maybe(resets, positions),
        reset_after_send=maybe(resets, positions),
        timeout_on_recv=maybe(timeouts, st.integers(1, 8)),
        eof_after=maybe(early_eof, positions),
    )


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
