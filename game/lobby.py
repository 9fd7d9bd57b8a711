"""The lobby: who plays whom, and what each player is told. Pure, like the rules.

The server owns one :class:`Lobby` and calls it, under one lock, whenever something happens on a
connection: it connected, it sent a line, it broke the protocol, it went away. Each call returns
the :data:`Effect` list that follows from it, in order: lines to send to which player, and which
connections to close after their lines are sent. The lobby never blocks and never does I/O, so the
whole game can be tested, and fuzzed, without a socket or a thread.

Rule: a player gets lines in exactly the order the effects list them; the server must deliver
them in that order (one writer per connection) and close only after the last one.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from itertools import count
from typing import TypeAlias

from game.errors import IllegalMove, ProtocolViolation
from game.protocol import (
    SHUTTING_DOWN,
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
    ServerMessage,
    Start,
    Turn,
    Update,
    Wait,
    Welcome,
    parse_command,
)
from game.rules import Board, Mark

__all__ = ["Close", "Effect", "Lobby", "PlayerId", "Send"]

PlayerId: TypeAlias = int


@dataclass(frozen=True)
class Send:
    """Send ``message`` to ``player``."""

    player: PlayerId
    message: ServerMessage


@dataclass(frozen=True)
class Close:
    """Close ``player``'s connection once every line sent to it before this effect is
    delivered."""

    player: PlayerId


Effect: TypeAlias = Send | Close


class _Phase(enum.Enum):
    GREETED = "greeted"  # banner sent, no HELLO yet
    WAITING = "waiting"  # said HELLO, nobody to play with yet
    PLAYING = "playing"
    GONE = "gone"  # closed or closing: ignore whatever it still sends


@dataclass
class _Match:
    x: PlayerId
    o: PlayerId
    board: Board = field(default_factory=Board)

    def mark_of(self, player: PlayerId) -> Mark:
        return Mark.X if player == self.x else Mark.O

    def player_of(self, mark: Mark) -> PlayerId:
        return self.x if mark is Mark.X else self.o

    def opponent_of(self, player: PlayerId) -> PlayerId:
        return self.o if player == self.x else self.x


@dataclass
class _Player:
    phase: _Phase = _Phase.GREETED
    name: str = ""
    match: _Match | None = None


class Lobby:
    """Pairs players in the order they said HELLO and referees their matches.

    Matches are independent: a player only ever affects their own opponent.
    """

    def __init__(self) -> None:
        self._players: dict[PlayerId, _Player] = {}
        self._waiting: PlayerId | None = None
        self._ids = count(1)

    @property
    def player_count(self) -> int:
        """Players connected and not yet gone."""
        return sum(p.phase is not _Phase.GONE for p in self._players.values())

    def connect(self) -> tuple[PlayerId, list[Effect]]:
        """A connection opened: register a player and greet it with the banner."""
        player = next(self._ids)
        self._players[player] = _Player()
        return player, [Send(player, Banner())]

    def receive(self, player: PlayerId, line: str) -> list[Effect]:
        """``player`` sent ``line`` (complete, without its ending)."""
        if self._players[player].phase is _Phase.GONE:
            return []
        try:
            command = parse_command(line)
        except ProtocolViolation as error:
            return [Send(player, Error(str(error)))]
        if isinstance(command, Ping):
            return [Send(player, Pong(command.token))]
        if isinstance(command, Quit):
            return [Send(player, Bye()), Close(player), *self._leave(player)]
        if isinstance(command, Hello):
            return self._hello(player, command.name)
        return self._move(player, command)

    def fail(self, player: PlayerId, reason: str) -> list[Effect]:
        """``player`` broke the protocol beyond repair: tell it why and close, no BYE."""
        if self._players[player].phase is _Phase.GONE:
            return []
        return [Send(player, Error(reason)), Close(player), *self._leave(player)]

    def disconnect(self, player: PlayerId) -> list[Effect]:
        """``player``'s connection ended (EOF, reset, server shutdown). Forget it."""
        effects = self._leave(player) if self._players[player].phase is not _Phase.GONE else []
        del self._players[player]
        return effects

    def shutdown(self) -> list[Effect]:
        """The server is stopping: tell every player still here, and close. Nobody forfeits:
        the players' disconnects that follow find them gone already."""
        effects: list[Effect] = []
        for player, me in self._players.items():
            if me.phase is not _Phase.GONE:
                me.phase = _Phase.GONE
                effects += [Send(player, Error(SHUTTING_DOWN)), Close(player)]
        self._waiting = None
        return effects

    def _hello(self, player: PlayerId, name: str) -> list[Effect]:
        me = self._players[player]
        if me.phase is not _Phase.GREETED:
            return [Send(player, Error("you already said HELLO"))]
        me.name = name
        effects: list[Effect] = [Send(player, Welcome(name))]
        if self._waiting is None:
            me.phase = _Phase.WAITING
            self._waiting = player
            return [*effects, Send(player, Wait())]
        match = _Match(x=self._waiting, o=player)
        self._waiting = None
        x, o = self._players[match.x], me
        x.phase = o.phase = _Phase.PLAYING
        x.match = o.match = match
        return [
            *effects,
            Send(match.x, Start(Mark.X, o.name)),
            Send(match.x, Update(match.board)),
            Send(match.x, Turn()),
            Send(match.o, Start(Mark.O, x.name)),
            Send(match.o, Update(match.board)),
        ]

    def _move(self, player: PlayerId, move: Move) -> list[Effect]:
        match = self._players[player].match
        if match is None:
            return [Send(player, Error("no match yet: say HELLO and wait for START"))]
        try:
            board = match.board.play(move.cell, match.mark_of(player))
        except IllegalMove as error:
            return [Send(player, Error(str(error)))]
        match.board = board
        both = (match.x, match.o)
        effects: list[Effect] = [Send(p, Update(board)) for p in both]
        if not board.is_over:
            return [*effects, Send(match.player_of(board.to_move), Turn())]
        winner = board.winner
        for p in both:
            if winner is None:
                result = Result.DRAW
            else:
                result = Result.WIN if match.mark_of(p) is winner else Result.LOSE
            effects.append(Send(p, End(result)))
        for p in both:
            effects += [Send(p, Bye()), Close(p)]
            self._players[p].phase = _Phase.GONE
        return effects

    def _leave(self, player: PlayerId) -> list[Effect]:
        """``player`` is going: take it out of the lobby, and forfeit its match if it has one."""
        me = self._players[player]
        phase, me.phase = me.phase, _Phase.GONE
        if phase is _Phase.WAITING:
            self._waiting = None
        if phase is not _Phase.PLAYING or me.match is None:
            return []
        opponent = me.match.opponent_of(player)
        self._players[opponent].phase = _Phase.GONE
        return [
            Send(opponent, End(Result.WIN, forfeit=True)),
            Send(opponent, Bye()),
            Close(opponent),
        ]
