"""Command-line arguments: mistakes are one line and exit status 2, never a traceback."""

import pytest

from game.__main__ import main


@pytest.mark.parametrize(
    ("argv", "complaint"),
    [
        ([], "required: COMMAND"),
        (["fly"], "invalid choice: 'fly'"),
        (["serve", "--port", "70000"], "port must be 0-65535, not 70000"),
        (["serve", "--port", "65536"], "port must be 0-65535, not 65536"),
        (["serve", "--port", "-1"], "port must be 0-65535, not -1"),
        (["serve", "--port", "http"], "not a port number: 'http'"),
        (["serve", "--idle-timeout", "soon"], "not a number of seconds: 'soon'"),
        (["serve", "--idle-timeout", "1e10"], "seconds must be at most 9223372036, or 0 or inf"),
        (["serve", "--max-clients", "0"], "at least 1"),
        (["play"], "required: --name"),
        (["play", "--name", "two words"], "a name is 1-16"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(
    argv: list[str], complaint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """argparse's usage block is replaced by one line that points at --help."""
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    [line] = capsys.readouterr().err.splitlines()
    assert complaint in line
    assert line.endswith("(see --help)")
