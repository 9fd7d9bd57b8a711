"""Command-line arguments: mistakes are one line and exit status 2, never a traceback."""

from typing import Any
from unittest.mock import create_autospec

import pytest

import game.__main__
from game import Client, ListenFailed, Server
from game.__main__ import _ask_cell, main
from game.protocol import End, Error, Result, Start, Turn, Update
from game.rules import Board, Mark
from sockettest import MemoryNetwork


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


def test_a_move_is_one_digit_not_a_run_of_them(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """ "12" is no cell (though it is in "123456789"): asked again, then 5 is taken."""
    typed = iter(["12", "5"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(typed))
    assert _ask_cell() == 5
    assert "type one digit 1-9" in capsys.readouterr().out


def test_play_asks_for_a_cell_on_its_turn_and_after_its_own_move_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A refusal after the board moved on is not about our move: no cell is asked for then."""
    client = create_autospec(Client, instance=True)
    client.__enter__.return_value = client
    client.next_message.side_effect = [
        Start(Mark.X, "bob"),
        Turn(),
        Error("cell 5 is taken"),  # our move was refused: asked again
        Update(Board("X........")),
        Error("idle for more than 300 s"),  # while bob thinks: not a prompt
        End(Result.DRAW),
    ]
    monkeypatch.setattr(game.__main__, "Client", lambda host, port: client)
    typed = iter(["5", "1"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(typed))
    assert main(["play", "--name", "alice"]) == 0
    assert [c.args for c in client.move.call_args_list] == [(5,), (1,)]
    assert next(typed, None) is None
    assert capsys.readouterr().out.rstrip().endswith("a draw")


def test_the_demo_serves_on_a_port_the_system_picks(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The demo binds port 0 (never a fixed port, nor port 1) and plays a whole game; here on
    the in-memory network, so the unit tier needs no socket."""
    network = MemoryNetwork()
    ports: list[int] = []

    def server(*args: Any, **kwargs: Any) -> Server:
        ports.append(kwargs["port"])
        return Server(*args, socket_factory=network.socket_factory, **kwargs)

    def client(*args: Any, **kwargs: Any) -> Client:
        return Client(*args, socket_factory=network.socket_factory, **kwargs)

    monkeypatch.setattr(game.__main__, "Server", server)
    monkeypatch.setattr(game.__main__, "Client", client)
    assert main(["demo"]) == 0
    assert ports == [0]
    assert "result: a draw\nserver stopped cleanly" in capsys.readouterr().out
    network.assert_all_closed(grace=5.0)


@pytest.mark.parametrize(
    ("flags", "options"),
    [
        ([], {"idle_timeout": 300.0, "write_timeout": 30.0, "max_clients": 512}),
        (
            ["--idle-timeout", "7", "--write-timeout", "0", "--max-clients", "3"],
            {"idle_timeout": 7.0, "write_timeout": None, "max_clients": 3},
        ),
        (["--write-timeout", "inf"], {"write_timeout": None}),
        (["--write-timeout", "2.5"], {"write_timeout": 2.5}),
    ],
)
def test_serve_passes_its_options_to_the_server(
    monkeypatch: pytest.MonkeyPatch, flags: list[str], options: dict[str, Any]
) -> None:
    """Each flag reaches the Server it makes (checked by it, then refused here: serve ends)."""
    made: list[dict[str, Any]] = []

    def server(*args: Any, **kwargs: Any) -> Server:
        Server(*args, **kwargs)
        made.append(kwargs)
        raise ListenFailed("no listening in the unit tier")

    monkeypatch.setattr(game.__main__, "Server", server)
    assert main(["serve", *flags]) == 1
    [kwargs] = made
    assert {key: kwargs[key] for key in options} == options
