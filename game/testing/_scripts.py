"""The game's scripted-peer scripts, built on :mod:`sockettest`'s :class:`~sockettest.FakeServer`.

The generic scripts (``accept_and_close``, ``answer_from_table`` ...) send nothing first; a game
server always opens with its banner, so these do.
"""

from __future__ import annotations

from collections.abc import Mapping

from game.protocol import Banner
from sockettest import Reply, Script, ScriptedConnection, answer_from_table

__all__ = ["BANNER", "answer_like_the_game", "send_banner_and_hang_up"]

BANNER = Banner().to_line()
"""The game's first line, ``GAME tictactoe 1``, as the real server sends it."""


def send_banner_and_hang_up(conn: ScriptedConnection) -> None:
    """Script: send the game banner ``GAME tictactoe 1`` and close."""
    conn.send_line(BANNER)


def answer_like_the_game(table: Mapping[str, Reply], *, unknown: Reply = ()) -> Script:
    """:func:`sockettest.answer_from_table` that sends the banner first, as the game server does.

    Example::

        answer_like_the_game({"HELLO alice": ["WELCOME alice", "WAIT"], "QUIT": ["BYE", None]})
    """
    return answer_from_table(table, greeting=BANNER, unknown=unknown)
