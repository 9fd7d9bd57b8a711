"""``game.testing.play_match``: two bots, a whole match over sockets, the exact result; on
servers from the ``game_server_factory`` fixture.

Unit tier: on the in-memory network.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from game.protocol import End, Result
from game.rules import Board
from game.testing import play_match
from game.testing.plugin import GameServerFactory
from sockettest import MemoryNetwork
from tests.deadline import DEADLINE

DRAW = End(Result.DRAW)


def first_free_cell(board: Board) -> int:
    """A bot that takes the lowest free cell: X wins on its fourth move."""
    return board.free_cells[0]


def test_two_bots_of_the_game_draw(
    memory_network: MemoryNetwork, game_server_factory: GameServerFactory
) -> None:
    """suggest_move never loses: both players get END DRAW."""
    factory = memory_network.socket_factory
    address = game_server_factory(factory)
    assert play_match(address, socket_factory=factory, timeout=DEADLINE) == (DRAW, DRAW)


def test_the_strategy_is_the_bots(
    memory_network: MemoryNetwork, game_server_factory: GameServerFactory
) -> None:
    """With first_free_cell X wins: one END WIN and one END LOSE, no forfeit."""
    factory = memory_network.socket_factory
    address = game_server_factory(factory)
    ends = play_match(address, socket_factory=factory, choose=first_free_cell, timeout=DEADLINE)
    assert sorted(ends, key=lambda end: end.result.value) == [End(Result.LOSE), End(Result.WIN)]


def test_each_server_of_the_factory_listens_on_its_own_port(
    memory_network: MemoryNetwork, game_server_factory: GameServerFactory
) -> None:
    """Two servers from one factory fixture, each listening, each playing its own match."""
    factory = memory_network.socket_factory
    first, second = game_server_factory(factory), game_server_factory(factory, max_clients=2)
    assert first != second
    assert play_match(first, socket_factory=factory, timeout=DEADLINE) == (DRAW, DRAW)
    assert play_match(second, socket_factory=factory, timeout=DEADLINE) == (DRAW, DRAW)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"names": ("alice", "alice")}, "names must be two different names"),
        ({"names": ("alice",)}, "names must be two different names"),
        ({"timeout": 0}, "timeout must be finite and more than 0"),
        ({"timeout": math.inf}, "timeout must be finite and more than 0"),
        ({"timeout": True}, "timeout must be a number of seconds"),
    ],
)
def test_bad_arguments_are_refused_before_any_bot_starts(
    memory_network: MemoryNetwork, arguments: dict[str, Any], message: str
) -> None:
    """A wrong ``names`` or ``timeout`` is a ValueError naming it, and no socket is made."""
    with pytest.raises(ValueError, match=message):
        play_match(("127.0.0.1", 7777), socket_factory=memory_network.socket_factory, **arguments)
    assert memory_network.sockets == []
