"""The command line: mistakes are one line and exit status 2, never a traceback; serve stops
on a signal, whichever of its threads takes it."""

import functools
import os
import re
import signal
import sys
import threading
import time
from typing import Any
from unittest.mock import create_autospec

import pytest

import game.__main__
import game.asyncio_shell
from game import AsyncServer, Client, ListenFailed, Server
from game.__main__ import _ask_cell, main
from game.protocol import End, Error, Result, ServerMessage, Start, Turn, Update
from game.rules import Board, Mark
from sockettest import MemoryNetwork, serve_in_thread
from tests.deadline import DEADLINE
from tests.stacks import waiting_in


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
        (["serve", "--max-clients", "many"], "at least 1, not 'many'"),
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


def client_saying(monkeypatch: pytest.MonkeyPatch, messages: list[ServerMessage]) -> Any:
    """An autospecced Client that ``play`` gets in place of a connection, and whose
    ``next_message`` returns ``messages`` one after the other."""
    client = create_autospec(Client, instance=True)
    client.__enter__.return_value = client
    client.next_message.side_effect = messages
    monkeypatch.setattr(game.__main__, "Client", lambda host, port: client)
    return client


def test_play_asks_for_a_cell_on_its_turn_and_after_its_own_move_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A refusal after the board moved on is not about our move: no cell is asked for then."""
    client = client_saying(
        monkeypatch,
        [
            Start(Mark.X, "bob"),
            Turn(),
            Error("cell 5 is taken"),  # our move was refused: asked again
            Update(Board("X........")),
            Error("idle for more than 300 s"),  # while bob thinks: not a prompt
            End(Result.DRAW),
        ],
    )
    typed = iter(["5", "1"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(typed))
    assert main(["play", "--name", "alice"]) == 0
    assert [c.args for c in client.move.call_args_list] == [(5,), (1,)]
    assert next(typed, None) is None
    assert capsys.readouterr().out.rstrip().endswith("a draw")


def test_play_quit_at_the_prompt_leaves_the_game_and_exits_0(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Typing q on one's turn is leaving, not failing: QUIT is said, no move is sent, and
    play exits 0 saying so."""
    client = client_saying(monkeypatch, [Start(Mark.X, "bob"), Turn()])
    monkeypatch.setattr("builtins.input", lambda prompt="": "q")
    assert main(["play", "--name", "alice"]) == 0
    client.quit.assert_called_once_with()
    client.move.assert_not_called()
    assert capsys.readouterr().out.rstrip().endswith("you left the game")


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
    out = capsys.readouterr().out
    assert "result: a draw\nserver stopped cleanly" in out
    # alice's game, narrated: who plays what, then each of a draw's nine moves once
    assert re.search(r"^alice plays [XO], bob plays [XO]$", out, re.MULTILINE)
    assert sorted(
        int(cell) for cell in re.findall(r"^[XO] takes (\d)$", out, re.MULTILINE)
    ) == list(range(1, 10))
    network.assert_all_closed(grace=5.0)


@pytest.mark.usefixtures("patched_network")
def test_the_asyncio_demo_serves_on_a_port_the_system_picks(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """demo --asyncio binds port 0 too, and plays a whole game on the AsyncServer; here on
    the in-memory network, patched in for the event loop's sockets."""
    ports: list[int] = []

    def server(*args: Any, **kwargs: Any) -> AsyncServer:
        ports.append(kwargs["port"])
        return AsyncServer(*args, **kwargs)

    monkeypatch.setattr(game.asyncio_shell, "AsyncServer", server)
    assert main(["demo", "--asyncio"]) == 0
    assert ports == [0]
    out = capsys.readouterr().out
    assert out.splitlines()[0].endswith(" (asyncio)")
    assert "result: a draw\nserver stopped cleanly" in out


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


@pytest.mark.skipif(not hasattr(signal, "pthread_kill"), reason="needs pthread_kill")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
@pytest.mark.usefixtures("stop_signals_harmless")
def test_serve_stops_on_a_signal_that_another_of_its_threads_takes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], signum: signal.Signals
) -> None:
    """The kernel hands a process's signal to any thread that does not block it: serve stops
    on one that a thread other than the main thread takes. (Before, the main thread slept on
    in Event.wait(): only the main thread runs Python's handlers, and nothing woke it.)"""
    network = MemoryNetwork(max_block=3 * DEADLINE)  # the listener waits out a failing run
    made: list[Server] = []
    main_thread = threading.get_ident()
    returned = threading.Event()

    def server(*args: Any, **kwargs: Any) -> Server:
        made.append(Server(*args, socket_factory=network.socket_factory, **kwargs))
        return made[-1]

    rescued: list[bool] = []

    def take_the_signal_here() -> None:
        """Send the signal to this thread once serve waits; record whether the main thread had
        to be sent it too, after a deadline, for serve to stop."""
        deadline = time.monotonic() + DEADLINE
        while not waiting_in(main_thread, "_serve"):
            assert time.monotonic() < deadline, "serve did not start waiting in time"
            time.sleep(0.001)  # sleep-ok: polls the main thread's frames
        signal.pthread_kill(threading.get_ident(), signum)
        rescued.append(not returned.wait(DEADLINE))
        if rescued[-1]:
            signal.pthread_kill(main_thread, signum)  # the rescue: the test fails, not hangs

    monkeypatch.setattr(game.__main__, "Server", server)
    with serve_in_thread(take_the_signal_here, timeout=2 * DEADLINE, name="signal-taker"):
        status = main(["serve", "--port", "0"])
        returned.set()
    assert rescued == [False], f"serve went on serving after {signum.name}"
    assert status == 0
    assert capsys.readouterr().out.splitlines()[1:] == ["stopping...", "server stopped cleanly"]
    network.assert_all_closed(grace=DEADLINE)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
@pytest.mark.usefixtures("stop_signals_harmless")
def test_a_stop_signal_while_serve_builds_its_server_is_a_clean_stop(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], signum: signal.Signals
) -> None:
    """A Ctrl-C or SIGTERM that lands while serve is still starting stops it cleanly once it
    is up, exit 0: serve takes the stop signals first thing. (Before, a SIGINT there was a
    KeyboardInterrupt and exit 130, which a loaded machine made likely.)"""
    network = MemoryNetwork()

    def server(*args: Any, **kwargs: Any) -> Server:
        signal.raise_signal(signum)  # the signal lands in the middle of serve's start-up
        return Server(*args, socket_factory=network.socket_factory, **kwargs)

    monkeypatch.setattr(game.__main__, "Server", server)
    assert main(["serve", "--port", "0"]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == ["stopping...", "server stopped cleanly"]
    network.assert_all_closed(grace=DEADLINE)


@pytest.mark.usefixtures("stop_signals_harmless", "patched_network")
def test_serve_asyncio_serves_then_stops_cleanly_on_a_stop_signal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """serve --asyncio prints its banner once listening, then stops on a SIGTERM (here one that
    lands while it builds its server), exit 0, as the threaded serve does."""

    def server(*args: Any, **kwargs: Any) -> AsyncServer:
        signal.raise_signal(signal.SIGTERM)
        return AsyncServer(*args, **kwargs)

    monkeypatch.setattr(game.asyncio_shell, "AsyncServer", server)
    assert main(["serve", "--asyncio", "--port", "0"]) == 0
    banner, *rest = capsys.readouterr().out.splitlines()
    assert banner.startswith("serving tic-tac-toe on 127.0.0.1:")
    assert banner.endswith("Ctrl-C stops (asyncio)")
    assert rest == ["stopping...", "server stopped cleanly"]


@pytest.mark.usefixtures("stop_signals_harmless")
def test_ctrl_c_in_demo_or_play_is_exit_130_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Outside serve, which stops on Ctrl-C by itself, main turns Ctrl-C into a
    KeyboardInterrupt that it ends as exit 130, whatever SIGINT's handler was before."""

    def interrupted(_: object) -> int:
        signal.raise_signal(signal.SIGINT)
        return 0

    monkeypatch.setattr(game.__main__, "_demo", interrupted)
    assert main(["demo"]) == 130
    assert capsys.readouterr().err == "\n"


class CountedReads:
    """``os`` for ``game.__main__``, counting each ``read`` as it begins: a read of the wakeup
    pipe that begins is serve waiting (again) for a stop signal."""

    def __init__(self) -> None:
        self.begun = threading.Semaphore(0)

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)

    def read(self, fd: int, size: int) -> bytes:
        self.begun.release()
        return os.read(fd, size)


@pytest.mark.skipif(sys.platform == "win32", reason="the wakeup fd is a pipe on POSIX only")
@pytest.mark.usefixtures("stop_signals_harmless")
def test_serve_goes_on_serving_through_a_signal_that_is_not_a_stop(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A signal with a Python handler of its own (SIGUSR1 here) runs that handler, and serve
    goes back to waiting; the SIGTERM after it stops serve."""
    network = MemoryNetwork()
    monkeypatch.setattr(
        game.__main__, "Server", functools.partial(Server, socket_factory=network.socket_factory)
    )
    reads = CountedReads()
    monkeypatch.setattr(game.__main__, "os", reads)
    main_thread = threading.get_ident()
    handled = threading.Event()
    signal.signal(signal.SIGUSR1, lambda *_: handled.set())

    def signal_twice() -> None:
        assert reads.begun.acquire(timeout=DEADLINE), "serve never waited for a signal"
        signal.pthread_kill(main_thread, signal.SIGUSR1)
        assert handled.wait(DEADLINE), "SIGUSR1's own handler did not run"
        assert reads.begun.acquire(timeout=DEADLINE), "serve stopped waiting after SIGUSR1"
        signal.pthread_kill(main_thread, signal.SIGTERM)

    try:
        with serve_in_thread(signal_twice, timeout=3 * DEADLINE, name="signal-twice"):
            assert main(["serve", "--port", "0"]) == 0
    finally:
        signal.signal(signal.SIGUSR1, signal.SIG_DFL)
    assert capsys.readouterr().out.splitlines()[1:] == ["stopping...", "server stopped cleanly"]
    network.assert_all_closed(grace=DEADLINE)


def test_serve_takes_one_client_as_its_least_max_clients(monkeypatch: pytest.MonkeyPatch) -> None:
    """--max-clients 1 is the least allowed, and reaches the Server as 1."""
    made: list[dict[str, Any]] = []

    def server(*args: Any, **kwargs: Any) -> Server:
        made.append(kwargs)
        raise ListenFailed("no listening in the unit tier")

    monkeypatch.setattr(game.__main__, "Server", server)
    assert main(["serve", "--max-clients", "1"]) == 1
    assert [kwargs["max_clients"] for kwargs in made] == [1]


def test_play_asks_for_no_cell_for_a_refusal_before_its_first_turn(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An ERROR before our first TURN (bob, playing X, thinks) is not about a move of ours."""
    client = client_saying(
        monkeypatch,
        [
            Start(Mark.O, "bob"),
            Error("idle for more than 300 s"),
            Update(Board("X........")),
            Turn(),
            End(Result.WIN, forfeit=True),
        ],
    )
    typed = iter(["5"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(typed))
    assert main(["play", "--name", "alice"]) == 0
    assert [c.args for c in client.move.call_args_list] == [(5,)]
    assert next(typed, None) is None
    assert capsys.readouterr().out.rstrip().endswith("you win (your opponent left)")
