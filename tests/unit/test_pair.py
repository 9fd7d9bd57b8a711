"""The sans-IO pair: protocol objects of a server and its clients joined in memory.

Unit tier, and the fastest tests of all: no socket, no thread. Every byte still goes through
``encode`` -> ``LineBuffer`` -> ``parse``, so these pin the wire format, not just objects.
"""

from __future__ import annotations

import threading

import pytest

from game.protocol import (
    MAX_LINE,
    Banner,
    Bye,
    End,
    Error,
    Hello,
    Move,
    Ping,
    Pong,
    Quit,
    Result,
    Start,
    Turn,
    Update,
    Wait,
    Welcome,
)
from game.rules import Board, Mark
from game.testing import GamePair, PairClient, play_game


def matched(game_pair: GamePair) -> tuple[PairClient, PairClient]:
    """Alice (X) and Bob (O) in a match, their inboxes drained."""
    alice, bob = game_pair.join("alice"), game_pair.join("bob")
    game_pair.messages(alice)
    game_pair.messages(bob)
    return alice, bob


def first_free(board: Board) -> int:
    """A poor strategy: X takes 1, 3, 5, 7 and wins on the diagonal."""
    return board.free_cells[0]


def test_connecting_delivers_the_banner_as_bytes_on_the_wire(game_pair: GamePair) -> None:
    """The pair sends real bytes: the raw stream is exactly what a socket would carry."""
    alice = game_pair.connect("alice")
    assert game_pair.raw(alice) == b"GAME tictactoe 1\n"
    assert game_pair.messages(alice) == [Banner()]


def test_messages_drains_what_was_received(game_pair: GamePair) -> None:
    """A second call returns only what arrived since the first."""
    alice = game_pair.connect("alice")
    assert game_pair.messages(alice) == [Banner()]
    assert game_pair.messages(alice) == []
    game_pair.send(alice, Ping("x"))
    assert game_pair.messages(alice) == [Pong("x")]


def test_the_first_hello_waits_and_the_second_starts_a_match(game_pair: GamePair) -> None:
    """X is whoever waited; X gets TURN; both get the empty board."""
    alice = game_pair.join("alice")
    assert game_pair.messages(alice) == [Banner(), Welcome("alice"), Wait()]
    bob = game_pair.join("bob")
    assert game_pair.messages(alice) == [Start(Mark.X, "bob"), Update(Board()), Turn()]
    assert game_pair.messages(bob) == [
        Banner(),
        Welcome("bob"),
        Start(Mark.O, "alice"),
        Update(Board()),
    ]


def test_a_move_is_seen_by_both_and_the_turn_passes(game_pair: GamePair) -> None:
    """After X moves, both see the board, and O gets TURN."""
    alice, bob = matched(game_pair)
    game_pair.send(alice, Move(5))
    after = Board("....X....")
    assert game_pair.messages(alice) == [Update(after)]
    assert game_pair.messages(bob) == [Update(after), Turn()]


def test_bytes_split_anywhere_make_the_same_lines(game_pair: GamePair) -> None:
    """The server's LineBuffer reassembles a command sent in pieces."""
    alice = game_pair.connect("alice")
    game_pair.messages(alice)
    for piece in (b"HEL", b"LO al", b"ice\r", b"\n"):
        game_pair.send_bytes(alice, piece)
    assert game_pair.messages(alice) == [Welcome("alice"), Wait()]


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 7, None])
def test_a_whole_game_ends_the_same_whatever_the_chunk_size(chunk_size: int | None) -> None:
    """Both directions split into ``chunk_size`` pieces: the result does not change."""
    assert play_game(chunk_size=chunk_size) == (End(Result.DRAW), End(Result.DRAW))


def test_play_game_with_suggest_move_is_a_draw_and_opens_no_thread() -> None:
    """The timing helper: two perfect bots draw, in the test's own thread."""
    before = threading.active_count()
    assert play_game() == (End(Result.DRAW), End(Result.DRAW))
    assert threading.active_count() == before


def test_play_returns_each_side_result(game_pair: GamePair) -> None:
    """A weak strategy loses: the results come back as (first's, second's)."""
    alice, bob = game_pair.connect("alice"), game_pair.connect("bob")
    assert game_pair.play(alice, bob, first_free) == (End(Result.WIN), End(Result.LOSE))
    assert game_pair.is_closed(alice)
    assert game_pair.is_closed(bob)
    assert game_pair.lobby.player_count == 0


def test_play_fails_loudly_on_an_illegal_move(game_pair: GamePair) -> None:
    """A strategy that repeats a taken cell gets ERROR, and the helper says so."""
    alice, bob = game_pair.connect("alice"), game_pair.connect("bob")
    with pytest.raises(AssertionError, match="got 'ERROR cell 5 is taken'"):
        game_pair.play(alice, bob, lambda board: 5)


def test_more_than_two_clients_make_independent_matches(game_pair: GamePair) -> None:
    """Four clients, two matches; moves in one are not seen in the other."""
    alice, bob = matched(game_pair)
    carol, dave = matched(game_pair)
    game_pair.send(carol, Move(1))
    assert game_pair.messages(alice) == []
    assert game_pair.messages(bob) == []
    assert game_pair.messages(dave) == [Update(Board("X........")), Turn()]


def test_an_unknown_command_gets_an_error_and_the_connection_stays(game_pair: GamePair) -> None:
    """A mistake is not fatal: ERROR, and the next line is served."""
    alice = game_pair.connect("alice")
    game_pair.messages(alice)
    game_pair.send_line(alice, "DANCE")
    (error,) = game_pair.messages(alice)
    assert isinstance(error, Error)
    assert "unknown command 'DANCE'" in error.reason
    assert not game_pair.is_closed(alice)
    game_pair.send(alice, Hello("alice"))
    assert game_pair.messages(alice) == [Welcome("alice"), Wait()]


def test_an_over_long_line_is_fatal_and_later_bytes_are_ignored(game_pair: GamePair) -> None:
    """Framing errors end the connection (ERROR, close, no BYE), as in the real server."""
    alice = game_pair.connect("alice")
    game_pair.messages(alice)
    game_pair.send_bytes(alice, b"x" * MAX_LINE)
    assert game_pair.messages(alice) == [Error(f"line longer than {MAX_LINE} bytes")]
    assert game_pair.is_closed(alice)
    game_pair.send(alice, Ping())
    assert game_pair.messages(alice) == []


def test_bad_utf8_is_fatal(game_pair: GamePair) -> None:
    """A line that is not UTF-8 cannot be answered in kind: ERROR and close."""
    alice = game_pair.connect("alice")
    game_pair.messages(alice)
    game_pair.send_bytes(alice, b"HELLO \xff\n")
    assert game_pair.messages(alice) == [Error("line is not valid UTF-8")]
    assert game_pair.is_closed(alice)


def test_quit_says_bye_and_closes(game_pair: GamePair) -> None:
    """QUIT -> BYE, then the server closes."""
    alice = game_pair.connect("alice")
    game_pair.send(alice, Quit())
    assert game_pair.messages(alice)[-1] == Bye()
    assert game_pair.is_closed(alice)


def test_hanging_up_mid_match_forfeits_it(game_pair: GamePair) -> None:
    """The opponent wins by forfeit, hears BYE and is closed."""
    alice, bob = matched(game_pair)
    game_pair.hang_up(alice)
    assert game_pair.messages(bob) == [End(Result.WIN, forfeit=True), Bye()]
    assert game_pair.is_closed(bob)
    game_pair.hang_up(alice)  # again: harmless


def test_a_client_that_hung_up_cannot_send(game_pair: GamePair) -> None:
    """Misuse of the pair is an error, not a silent no-op."""
    alice = game_pair.connect("alice")
    game_pair.hang_up(alice)
    with pytest.raises(RuntimeError, match="alice hung up"):
        game_pair.send(alice, Ping())


def test_a_chunk_size_below_one_is_refused() -> None:
    """``chunk_size=0`` would never deliver anything."""
    with pytest.raises(ValueError, match="chunk_size"):
        GamePair(chunk_size=0)


def test_clients_are_listed_in_connection_order(game_pair: GamePair) -> None:
    """``clients`` keeps everyone, with their labels."""
    alice, unnamed = game_pair.connect("alice"), game_pair.connect()
    assert game_pair.clients == [alice, unnamed]
    assert unnamed.name == f"client-{unnamed.player}"
    assert "alice" in repr(game_pair)
