"""The lobby, pure: who is paired with whom and what each player is told, with no socket."""

import dataclasses

import pytest

from game.lobby import Close, Effect, Lobby, PlayerId, Send
from game.protocol import (
    Banner,
    Bye,
    End,
    Error,
    Pong,
    Result,
    ServerMessage,
    Start,
    Turn,
    Update,
    Wait,
    Welcome,
)
from game.rules import Board, Mark


def lines_for(effects: list[Effect], player: PlayerId) -> list[ServerMessage]:
    return [e.message for e in effects if isinstance(e, Send) and e.player == player]


def closed(effects: list[Effect]) -> set[PlayerId]:
    return {e.player for e in effects if isinstance(e, Close)}


@pytest.fixture
def lobby() -> Lobby:
    return Lobby()


@pytest.fixture
def match(lobby: Lobby) -> tuple[PlayerId, PlayerId]:
    """alice (X) and bob (O) in a fresh match."""
    x, _ = lobby.connect()
    o, _ = lobby.connect()
    lobby.receive(x, "HELLO alice")
    lobby.receive(o, "HELLO bob")
    return x, o


def test_connect_greets_with_the_banner(lobby: Lobby) -> None:
    """Every connection first gets GAME tictactoe 1."""
    player, effects = lobby.connect()
    assert effects == [Send(player, Banner("tictactoe", 1))]


def test_first_hello_is_welcomed_then_told_to_wait(lobby: Lobby) -> None:
    """WELCOME <name>, then WAIT when nobody else is waiting."""
    player, _ = lobby.connect()
    effects = lobby.receive(player, "HELLO alice")
    assert lines_for(effects, player) == [Welcome("alice"), Wait()]


def test_second_hello_starts_a_match_with_the_waiter_as_x(lobby: Lobby) -> None:
    """The one who waited is X and gets TURN; the newcomer is O and gets no WAIT."""
    x, _ = lobby.connect()
    o, _ = lobby.connect()
    lobby.receive(x, "HELLO alice")
    effects = lobby.receive(o, "hello bob")
    assert lines_for(effects, x) == [Start(Mark.X, "bob"), Update(Board()), Turn()]
    assert lines_for(effects, o) == [Welcome("bob"), Start(Mark.O, "alice"), Update(Board())]


def test_names_need_not_be_unique(lobby: Lobby) -> None:
    """Two players called sam still play each other."""
    x, _ = lobby.connect()
    o, _ = lobby.connect()
    lobby.receive(x, "HELLO sam")
    effects = lobby.receive(o, "HELLO sam")
    assert Start(Mark.X, "sam") in lines_for(effects, x)


def test_a_legal_move_updates_both_then_turns_to_the_opponent(
    lobby: Lobby, match: tuple[PlayerId, PlayerId]
) -> None:
    """BOARD to both, then TURN to the next mover only."""
    x, o = match
    effects = lobby.receive(x, "move 5")
    board = Update(Board("....X...."))
    assert lines_for(effects, x) == [board]
    assert lines_for(effects, o) == [board, Turn()]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("MOVE 1", "not your turn"),  # sent by O, who does not have the turn
        ("FLY away", "unknown command"),
        ("MOVE", "MOVE takes one cell"),
        ("MOVE 0", "outside 1-9"),
        ("MOVE 10", "one digit"),
        ("MOVE x", "one digit"),
        ("HELLO again", "already said HELLO"),
        ("QUIT now", "takes no argument"),
    ],
)
def test_recoverable_mistakes_get_an_error_and_change_nothing(
    lobby: Lobby, match: tuple[PlayerId, PlayerId], line: str, reason: str
) -> None:
    """ERROR <reason> to the sender only; no close; the match goes on as before."""
    x, o = match
    [effect] = lobby.receive(o, line)
    assert isinstance(effect, Send)
    assert effect.player == o
    assert isinstance(effect.message, Error)
    assert reason in effect.message.reason
    assert lines_for(lobby.receive(x, "MOVE 5"), o) == [Update(Board("....X....")), Turn()]


def test_a_taken_cell_is_refused(lobby: Lobby, match: tuple[PlayerId, PlayerId]) -> None:
    """MOVE to an occupied cell gets ERROR and keeps the turn."""
    x, o = match
    lobby.receive(x, "MOVE 5")
    assert lines_for(lobby.receive(o, "MOVE 5"), o) == [Error("cell 5 is taken")]
    assert lines_for(lobby.receive(o, "MOVE 1"), o)[0] == Update(Board("O...X...."))


def test_move_before_start_is_refused(lobby: Lobby) -> None:
    """A waiting player cannot move."""
    player, _ = lobby.connect()
    lobby.receive(player, "HELLO alice")
    [error] = lines_for(lobby.receive(player, "MOVE 5"), player)
    assert isinstance(error, Error)
    assert "no match yet" in error.reason


def test_ping_is_answered_at_any_time_with_its_token_verbatim(lobby: Lobby) -> None:
    """PING's token is the rest of the line, inner spaces included."""
    player, _ = lobby.connect()
    assert lines_for(lobby.receive(player, "ping a  b c"), player) == [Pong("a  b c")]
    assert lines_for(lobby.receive(player, "PING"), player) == [Pong("")]


def test_a_win_ends_the_match_for_both(lobby: Lobby, match: tuple[PlayerId, PlayerId]) -> None:
    """After the winning move: BOARD, END from each side, BYE, and both connections close."""
    x, o = match
    for player, cell in [(x, 1), (o, 4), (x, 2), (o, 5)]:
        lobby.receive(player, f"MOVE {cell}")
    effects = lobby.receive(x, "MOVE 3")
    final = Update(Board("XXXOO...."))
    assert lines_for(effects, x) == [final, End(Result.WIN), Bye()]
    assert lines_for(effects, o) == [final, End(Result.LOSE), Bye()]
    assert closed(effects) == {x, o}


def test_a_full_board_is_a_draw(lobby: Lobby, match: tuple[PlayerId, PlayerId]) -> None:
    """Nine moves with no line: END DRAW to both."""
    x, o = match
    moves = [(x, 5), (o, 1), (x, 3), (o, 7), (x, 4), (o, 6), (x, 9), (o, 2)]
    for player, cell in moves:
        lobby.receive(player, f"MOVE {cell}")
    effects = lobby.receive(x, "MOVE 8")
    assert lines_for(effects, x)[1:] == [End(Result.DRAW), Bye()]
    assert lines_for(effects, o)[1:] == [End(Result.DRAW), Bye()]


@pytest.mark.parametrize("how", ["quit", "fail", "disconnect"])
def test_leaving_a_match_forfeits_it(
    lobby: Lobby, match: tuple[PlayerId, PlayerId], how: str
) -> None:
    """QUIT, a fatal error or a disconnect gives the opponent END WIN forfeit, BYE and a close."""
    x, o = match
    if how == "quit":
        effects = lobby.receive(x, "QUIT")
        assert lines_for(effects, x) == [Bye()]
    elif how == "fail":
        effects = lobby.fail(x, "line longer than 512 bytes")
        assert lines_for(effects, x) == [Error("line longer than 512 bytes")]
    else:
        effects = lobby.disconnect(x)
    assert lines_for(effects, o) == [End(Result.WIN, forfeit=True), Bye()]
    assert o in closed(effects)
    assert lobby.receive(o, "MOVE 1") == []  # the match is gone: nothing more is said


def test_a_waiting_player_who_leaves_is_forgotten_silently(lobby: Lobby) -> None:
    """The next two players pair with each other, not with the one who left."""
    gone, _ = lobby.connect()
    lobby.receive(gone, "HELLO ghost")
    assert lobby.disconnect(gone) == []
    x, _ = lobby.connect()
    assert lines_for(lobby.receive(x, "HELLO alice"), x) == [Welcome("alice"), Wait()]


def test_matches_are_independent(lobby: Lobby) -> None:
    """A forfeit in one match says nothing to the players of another."""
    players = [lobby.connect()[0] for _ in range(4)]
    for index, player in enumerate(players):
        lobby.receive(player, f"HELLO p{index}")
    effects = lobby.disconnect(players[0])
    assert {e.player for e in effects if isinstance(e, Send)} == {players[1]}
    assert lines_for(lobby.receive(players[2], "MOVE 5"), players[3])[0] == Update(
        Board("....X....")
    )


def test_the_player_count_leaves_out_players_that_are_going(
    lobby: Lobby, match: tuple[PlayerId, PlayerId]
) -> None:
    """Two in a match count two; one QUITs, and its opponent wins by forfeit: both are going,
    though neither has disconnected yet."""
    x, _ = match
    assert lobby.player_count == 2
    lobby.receive(x, "QUIT")
    assert lobby.player_count == 0


def test_effects_are_immutable_values(lobby: Lobby) -> None:
    """What the lobby returns cannot be changed by whoever delivers it."""
    player, effects = lobby.connect()
    closing = lobby.receive(player, "QUIT")
    for effect in [*effects, *closing]:
        assert hash(effect) == hash(type(effect)(**vars(effect)))
        with pytest.raises(dataclasses.FrozenInstanceError):
            effect.player = 0  # type: ignore[misc]
