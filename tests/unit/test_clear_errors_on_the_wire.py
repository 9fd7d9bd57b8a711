"""What a person typing into ``nc`` is told for lines a newcomer gets wrong: each ERROR says
what to do, and quotes nothing that looks like a missing command word."""

import pytest

from game import ProtocolViolation
from game.protocol import parse_command


@pytest.mark.parametrize("line", [" HELLO bob", "  MOVE 5", " PING"])
def test_a_line_that_starts_with_a_space_is_told_so(line: str) -> None:
    """A leading space is not an ``unknown command ''``: the reason says that a line starts
    with its command word, and names the commands."""
    with pytest.raises(ProtocolViolation) as refused:
        parse_command(line)
    assert str(refused.value) == (
        "a line starts with its command word, not a space; try HELLO, MOVE, PING or QUIT"
    )
