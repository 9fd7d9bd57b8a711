"""Each strategy of game.testing.strategies gives what it promises."""

from hypothesis import given
from hypothesis import strategies as st

from game.protocol import (
    MAX_LINE,
    NAME_PATTERN,
    ClientCommand,
    LineBuffer,
    Message,
    ServerMessage,
    parse_command,
    parse_message,
)
from game.rules import Board
from game.testing.strategies import (
    boards,
    cells,
    client_commands,
    client_lines,
    player_names,
    server_messages,
    tokens,
)
from sockettest.strategies import splits


@given(name=player_names())
def test_player_names_match_the_protocol(name: str) -> None:
    """Every name is one the protocol accepts."""
    assert NAME_PATTERN.fullmatch(name)


@given(cell=cells(), board=boards())
def test_cells_and_boards_are_valid(cell: int, board: Board) -> None:
    """Cells are 1-9; boards are nine cells of X, O and '.'."""
    assert 1 <= cell <= 9
    assert len(board.cells) == 9
    assert set(board.cells) <= set("XO.")


@given(token=tokens())
def test_tokens_are_one_line_without_trailing_whitespace(token: str) -> None:
    """A token fits in one line and survives the line reader's stripping."""
    assert "\n" not in token
    assert "\r" not in token
    assert token == token.rstrip()


def _through_the_wire(message: Message) -> list[str]:
    """The lines a LineBuffer reads from the message's bytes."""
    wire = message.encode()
    assert len(wire) <= MAX_LINE
    return LineBuffer().feed(wire)


@given(command=client_commands())
def test_client_commands_survive_the_wire(command: ClientCommand) -> None:
    """Every command, encoded and read back as a line, parses to itself."""
    [line] = _through_the_wire(command)
    assert parse_command(line) == command


@given(message=server_messages())
def test_server_messages_survive_the_wire(message: ServerMessage) -> None:
    """Every server message, encoded and read back as a line, parses to itself."""
    [line] = _through_the_wire(message)
    assert parse_message(line) == message


@given(pair=client_lines(), data=st.data())
def test_client_lines_mean_their_command(
    pair: tuple[bytes, ClientCommand], data: st.DataObject
) -> None:
    """A drawn line, however it is split, reads as one line that parses to its command."""
    wire, command = pair
    assert wire.endswith(b"\n")
    buffer = LineBuffer()
    lines = [line for chunk in data.draw(splits(wire)) for line in buffer.feed(chunk)]
    assert [parse_command(line) for line in lines] == [command]
