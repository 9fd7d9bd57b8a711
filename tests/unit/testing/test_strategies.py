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
from game.testing.faults import Faults
from game.testing.strategies import (
    boards,
    cells,
    chunk_sizes,
    client_commands,
    client_lines,
    faults,
    player_names,
    server_messages,
    splits,
    tokens,
)


@given(data=st.data(), wire=st.binary(max_size=64))
def test_splits_join_back_to_the_data(data: st.DataObject, wire: bytes) -> None:
    """The chunks of a split are non-empty and join back to the bytes split."""
    chunks = data.draw(splits(wire))
    assert b"".join(chunks) == wire
    assert all(chunks), f"an empty chunk in {chunks!r}"


@given(data=st.data(), wire=st.binary(min_size=1, max_size=32), limit=st.integers(1, 4))
def test_splits_respect_max_chunks(data: st.DataObject, wire: bytes, limit: int) -> None:
    """``max_chunks`` bounds the number of chunks."""
    chunks = data.draw(splits(wire, max_chunks=limit))
    assert 1 <= len(chunks) <= limit
    assert b"".join(chunks) == wire


@given(chunks=splits(b""))
def test_splits_of_nothing_is_no_chunk(chunks: list[bytes]) -> None:
    """Empty data splits into no chunk at all."""
    assert chunks == []


@given(sizes=chunk_sizes(max_size=5))
def test_chunk_sizes_are_positive(sizes: tuple[int, ...]) -> None:
    """Chunk sizes are a non-empty tuple of sizes 1..max_size, fit for Faults.recv_chunks."""
    assert sizes
    assert all(1 <= size <= 5 for size in sizes)
    Faults(recv_chunks=sizes)


@given(schedule=faults(max_bytes=10))
def test_faults_are_valid_schedules(schedule: Faults) -> None:
    """Every drawn schedule is a Faults within the bounds asked for, whose repr rebuilds it."""
    assert isinstance(schedule, Faults)
    for position in (schedule.reset_after_recv, schedule.reset_after_send, schedule.eof_after):
        assert position is None or 0 <= position <= 10
    assert eval(repr(schedule), {"Faults": Faults}) == schedule  # noqa: S307 (our own repr)


@given(schedule=faults(resets=False, timeouts=False, early_eof=False))
def test_faults_flags_switch_kinds_off(schedule: Faults) -> None:
    """A kind switched off is never drawn: here only chunking and short sends remain."""
    assert schedule.reset_after_recv is None
    assert schedule.reset_after_send is None
    assert schedule.timeout_on_recv is None
    assert schedule.eof_after is None


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
