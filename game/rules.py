"""Tic-tac-toe rules: the board, whose turn it is, and who won.

Pure and immutable: a :class:`Board` never changes, :meth:`Board.play` returns a new one. Nothing
here knows about players' names, connections or bytes; the lobby and the protocol build on it.

Cells are numbered 1-9 row by row from the top left, as on the wire::

    1 2 3
    4 5 6
    7 8 9
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from game.errors import IllegalMove

__all__ = ["CELLS", "EMPTY", "Board", "Mark", "suggest_move"]

CELLS = range(1, 10)
"""The valid cell numbers."""

EMPTY = "."
"""How an empty cell is written in :attr:`Board.cells`."""

_LINES = (  # as indexes into Board.cells: cell n is index n - 1
    (0, 1, 2), (3, 4, 5), (6, 7, 8),  # rows
    (0, 3, 6), (1, 4, 7), (2, 5, 8),  # columns
    (0, 4, 8), (2, 4, 6),  # diagonals
)  # fmt: skip
_PARTNERS = tuple(
    tuple(tuple(i for i in line if i != index) for line in _LINES if index in line)
    for index in range(9)
)  # for each index, the two other cells of every line through it


class Mark(enum.Enum):
    """A player's symbol. X always moves first."""

    X = "X"
    O = "O"  # noqa: E741 (the letter is the game's own name for the mark)

    @property
    def other(self) -> Mark:
        """The opponent's mark."""
        return Mark.O if self is Mark.X else Mark.X


@dataclass(frozen=True)
class Board:
    """A position: nine cells, each ``"X"``, ``"O"`` or ``"."``.

    Construct the empty board with ``Board()``, or one from its wire form with
    ``Board("X.O......")``; the constructor rejects strings that are not nine such characters.
    Whose turn it is follows from the counts, since X moves first and the players alternate.
    """

    cells: str = EMPTY * 9

    def __post_init__(self) -> None:
        if len(self.cells) != 9 or set(self.cells) - {EMPTY, "X", "O"}:
            raise ValueError(f"a board is 9 characters of X, O or '.', not {self.cells!r}")

    def __getitem__(self, cell: int) -> str:
        return self.cells[cell - 1]

    @property
    def to_move(self) -> Mark:
        """The mark that moves next (meaningless once :attr:`is_over`)."""
        return Mark.X if self.cells.count("X") == self.cells.count("O") else Mark.O

    @property
    def free_cells(self) -> list[int]:
        """The cells still empty, in ascending order."""
        return [cell for cell in CELLS if self[cell] == EMPTY]

    @property
    def winner(self) -> Mark | None:
        """The mark holding three in a line, if any."""
        cells = self.cells
        for a, b, c in _LINES:
            if cells[a] != EMPTY and cells[a] == cells[b] == cells[c]:
                return Mark(cells[a])
        return None

    @property
    def is_over(self) -> bool:
        """True once someone has won or no cell is left."""
        return self.winner is not None or EMPTY not in self.cells

    def play(self, cell: int, mark: Mark) -> Board:
        """Return the board after ``mark`` takes ``cell``.

        Raises:
            IllegalMove: the game is over, it is not ``mark``'s turn, ``cell`` is not in 1-9, or
                the cell is taken. The message is fit to show the player.
        """
        if self.is_over:
            raise IllegalMove("the game is over")
        if mark is not self.to_move:
            raise IllegalMove("not your turn")
        if cell not in CELLS:
            raise IllegalMove(f"cell {cell} is outside 1-9")
        if self[cell] != EMPTY:
            raise IllegalMove(f"cell {cell} is taken")
        index = cell - 1
        return Board(self.cells[:index] + mark.value + self.cells[index + 1 :])

    def rows(self) -> list[str]:
        """The board as three strings of three cells, top row first (for display)."""
        return [self.cells[i : i + 3] for i in (0, 3, 6)]


def suggest_move(board: Board) -> int:
    """A decent move for whoever is :attr:`~Board.to_move`: win, else block, else the best cell.

    Deterministic, so demos and tests replay the same game. Raises :class:`IllegalMove` once
    the game is over.
    """
    if board.is_over:
        raise IllegalMove("the game is over")
    me = board.to_move
    for mark in (me, me.other):  # complete our line first, then block theirs
        for cell in board.free_cells:
            if _completes_a_line(board.cells, cell - 1, mark.value):
                return cell
    for cell in (5, 1, 3, 7, 9, 2, 4, 6, 8):
        if board[cell] == EMPTY:
            return cell
    raise AssertionError("unreachable: a board that is not over has a free cell")


def _completes_a_line(cells: str, index: int, mark: str) -> bool:
    """Whether ``mark`` at ``index`` would make three in a line (without building a Board)."""
    return any(cells[j] == mark == cells[k] for j, k in _PARTNERS[index])
