"""The rules, pure: legal boards only, and every game over within nine moves."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from game import IllegalMove
from game.rules import CELLS, Board, Mark, suggest_move

WINNING_LINES = [
    *[(1, 2, 3), (4, 5, 6), (7, 8, 9)],  # rows
    *[(1, 4, 7), (2, 5, 8), (3, 6, 9)],  # columns
    *[(1, 5, 9), (3, 5, 7)],  # diagonals
]


def lines_of(board: Board, mark: Mark) -> int:
    return sum(all(board[c] == mark.value for c in line) for line in WINNING_LINES)


@given(st.lists(st.integers(min_value=-2, max_value=12), max_size=30))
def test_no_sequence_of_moves_yields_an_impossible_board(cells: list[int]) -> None:
    """Whatever is tried, legal or not, the board stays one that real play can reach."""
    board = Board()
    for cell in cells:
        try:
            board = board.play(cell, board.to_move)
        except IllegalMove:
            continue
        xs, os = board.cells.count("X"), board.cells.count("O")
        assert xs - os in (0, 1)
        x_lines, o_lines = lines_of(board, Mark.X), lines_of(board, Mark.O)
        assert not (x_lines and o_lines)
        assert not x_lines or xs == os + 1  # X can only have won on X's own move
        assert not o_lines or xs == os


@given(st.permutations(list(CELLS)))
def test_every_game_ends_within_nine_moves(order: list[int]) -> None:
    """Playing free cells in any order, the game is over by the ninth move at the latest."""
    board, moves = Board(), 0
    for cell in order:
        if board.is_over:
            break
        board = board.play(cell, board.to_move)
        moves += 1
    assert board.is_over
    assert moves <= 9


@given(st.permutations(list(CELLS)), st.integers(min_value=0, max_value=8))
def test_suggest_move_picks_a_free_cell(order: list[int], played: int) -> None:
    """The demo bot never picks a taken cell."""
    board = Board()
    for cell in order[:played]:
        if board.is_over:
            break
        board = board.play(cell, board.to_move)
    if not board.is_over:
        assert suggest_move(board) in board.free_cells


@pytest.mark.parametrize(
    "board",
    [
        "XXOO.XXOO",
        ".XOOXXXOO",
        "XO.OXXOXO",
        "XOXOOX.XO",
        "XXOOOXXO.",
        "X.OOXXXOO",
        "XOX.XOOXO",
        "XOXXO.OXO",
        "XXOOOXX.O",
    ],
)
def test_suggest_move_takes_the_last_free_cell_that_completes_no_line(board: str) -> None:
    """Whichever cell is the only one left, with no line to complete or block, it is the
    move: the order of preference covers every cell."""
    assert suggest_move(Board(board)) == board.index(".") + 1


def test_suggest_move_takes_a_win_then_blocks() -> None:
    """Win beats block beats centre."""
    assert suggest_move(Board("XX.OO....")) == 3  # X to move: complete 1-2-3
    assert suggest_move(Board("OO..X...X")) == 3  # X to move: block O's 1-2-3


@pytest.mark.parametrize(
    ("board", "cell", "mark", "reason"),
    [
        (Board(), 5, Mark.O, "not your turn"),
        (Board("....X...."), 5, Mark.O, "cell 5 is taken"),
        (Board("....XO..."), 5, Mark.X, "cell 5 is taken"),  # by the mover: taken all the same
        (Board(), 0, Mark.X, "outside 1-9"),
        (Board("XXXOO...."), 9, Mark.O, "the game is over"),
    ],
)
def test_illegal_moves_say_why(board: Board, cell: int, mark: Mark, reason: str) -> None:
    """IllegalMove carries a reason fit to show the player."""
    with pytest.raises(IllegalMove, match=reason):
        board.play(cell, mark)


@pytest.mark.parametrize("cells", ["", "X" * 10, "XO.XO.XO?", "xo......."])
def test_a_board_is_nine_cells_of_x_o_or_dot(cells: str) -> None:
    """Anything else is refused when the board is built, not later."""
    with pytest.raises(ValueError, match="9 characters"):
        Board(cells)


WINNING_LINES = [
    (1, 2, 3),
    (4, 5, 6),
    (7, 8, 9),
    (1, 4, 7),
    (2, 5, 8),
    (3, 6, 9),
    (1, 5, 9),
    (3, 5, 7),
]


@pytest.mark.parametrize("line", WINNING_LINES, ids=lambda line: "-".join(map(str, line)))
def test_each_of_the_eight_lines_wins(line: tuple[int, int, int]) -> None:
    """Three of a mark on a row, a column or a diagonal win, and the game is over; two of
    them, with the third cell the other mark's, do not."""
    cells = ["."] * 9
    for cell in line:
        cells[cell - 1] = "X"
    won = Board("".join(cells))
    assert won.winner is Mark.X
    assert won.is_over
    cells[line[-1] - 1] = "O"
    assert Board("".join(cells)).winner is None


def test_suggest_move_takes_a_win_on_every_line() -> None:
    """The bot completes whichever line it has two of."""
    for line in WINNING_LINES:
        cells = ["."] * 9
        for cell in line[:2]:
            cells[cell - 1] = "X"
        for spare in (c for c in range(1, 10) if c not in line):
            cells[spare - 1] = "O"
            break
        assert suggest_move(Board("".join(cells))) == line[2], line


def test_rows_are_the_board_top_row_first() -> None:
    """What the CLI draws: three rows of three cells, in reading order."""
    assert Board("XO.X.O..X").rows() == ["XO.", "X.O", "..X"]
