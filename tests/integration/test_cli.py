"""``python -m game`` as a user runs it: real processes, real loopback sockets, exit codes."""

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import game
from game import Client
from game.protocol import End, Result
from game.testing.plugin import GameServerFactory
from sockettest import serve_in_thread
from tests.deadline import DEADLINE
from tests.serve_under_load import stop_under_load

PROCESS_DEADLINE = 2 * DEADLINE
"""A wait on a process of its own: a fresh Python starts and imports the game first."""
GAME_SOURCE = str(Path(game.__file__).parent)
"""Where the game's modules are: a traceback frame from there would be the game's own."""
USERS_ENVIRONMENT = {name: v for name, v in os.environ.items() if name != "PYTHONUNBUFFERED"}
"""The environment of the processes these tests start, as a user's shell has it: without
``PYTHONUNBUFFERED`` (which CI machines often set), output to a pipe is buffered, so a line that
a test waits for, like the serve banner, arrives only if the game flushes it."""


def run_game(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "game", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=USERS_ENVIRONMENT,
        timeout=PROCESS_DEADLINE,
        check=False,
    )


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A loopback port that something else is listening on."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield other.getsockname()[1]


def test_demo_plays_a_whole_game_and_exits_zero(shell_switch: list[str]) -> None:
    """Moves, boards and the result are printed; the server stops cleanly."""
    done = run_game("demo", *shell_switch)
    assert done.returncode == 0, done.stderr
    assert "X takes 5" in done.stdout
    assert ("(asyncio)" in done.stdout) == bool(shell_switch)  # the shell asked for
    assert "result: " in done.stdout
    assert done.stdout.rstrip().endswith("server stopped cleanly")
    assert done.stderr == ""


def test_serve_stops_cleanly_on_sigterm(shell_switch: list[str]) -> None:
    """The server says where it listens, serves, and on SIGTERM stops and exits 0."""
    with subprocess.Popen(
        [sys.executable, "-m", "game", "serve", "--port", "0", *shell_switch],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=USERS_ENVIRONMENT,
    ) as server:
        assert server.stdout is not None
        banner = server.stdout.readline()  # the readiness signal: printed once listening
        assert banner.startswith("serving tic-tac-toe on 127.0.0.1:"), banner
        assert banner.rstrip().endswith("(asyncio)") == bool(shell_switch), banner
        port = int(banner.split()[3].rstrip(";").rsplit(":", 1)[1])
        with Client(port=port) as client:
            assert client.ping("alive") >= 0
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=PROCESS_DEADLINE)
    assert server.returncode == 0, err
    assert out.splitlines()[-1] == "server stopped cleanly"
    assert "Traceback" not in err


def test_serve_on_a_port_in_use_is_one_line_and_exit_1(
    busy_port: int, shell_switch: list[str]
) -> None:
    """No traceback: one line that names the address and what to do."""
    done = run_game("serve", "--port", str(busy_port), *shell_switch)
    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert f"cannot listen on 127.0.0.1:{busy_port}" in line
    assert "--port" in line


def test_play_against_nobody_is_refused_in_one_line(shell_switch: list[str]) -> None:
    """A refused connection is one line with a hint, exit 1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    done = run_game("play", "--port", str(port), "--name", "alice", *shell_switch)
    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert "connection refused; is the server running?" in line


def play_against_a_bot(
    address: tuple[str, int],
    typed: str | None,
    *,
    stdin_closed: bool = False,
    switch: tuple[str, ...] = (),
) -> tuple[subprocess.CompletedProcess[str], End]:
    """``python -m game play`` as "human" against a bot that joins once the human is connected,
    so the human waits and plays X; return how the process ended and the bot's END.

    Args:
        typed: what the human types (``None``: stdin at its end at once).
        stdin_closed: start the player with file descriptor 0 closed instead.
        switch: the player's shell switch (``--asyncio``), if any.
    """
    ends: list[End] = []

    def bot() -> None:
        with Client(*address) as client:
            ends.append(client.play("bot", wait=PROCESS_DEADLINE))

    command = [sys.executable, "-m", "game", "play", "--port", str(address[1]), "--name", "human"]
    command += switch
    if stdin_closed:
        command = ["sh", "-c", '"$@" <&-', "sh", *command]
    human = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL if typed is None else subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=USERS_ENVIRONMENT,
    )
    with human:
        assert human.stdout is not None
        assert human.stdout.readline().startswith("connected to")
        with serve_in_thread(bot, timeout=PROCESS_DEADLINE, name="bot"):
            out, err = human.communicate(typed, timeout=PROCESS_DEADLINE)
    [end] = ends
    return subprocess.CompletedProcess(command, human.returncode, out, err), end


def test_play_lets_a_person_play_a_whole_game_from_the_keyboard(
    game_server_factory: GameServerFactory, shell_switch: list[str]
) -> None:
    """Typed cells become moves; a taken cell is refused and asked again; the bot wins (the
    player on the server's shell: threads, or --asyncio)."""
    typed = "\n".join(["oops", *"123456789"]) + "\n"
    done, bot_end = play_against_a_bot(game_server_factory(), typed, switch=(*shell_switch,))
    assert done.returncode == 0, done.stderr
    assert "type one digit 1-9" in done.stdout
    assert "server: cell" in done.stdout  # a taken cell was refused and asked again
    # X types 1, 2, then 3 (taken: asked again), 4; the bot, O, takes 5, 3 and 7: 3-5-7.
    assert done.stdout.rstrip().splitlines()[-1] == "you lose"
    assert bot_end == End(Result.WIN)


@pytest.mark.parametrize("stdin", ["closed", "at-eof"])
def test_play_with_no_input_quits_in_one_line(
    stdin: str, game_server_factory: GameServerFactory, shell_switch: list[str]
) -> None:
    """With stdin closed or at its end, play leaves the game when asked for a move, exit 0,
    and no traceback (before, a closed stdin raised RuntimeError from input())."""
    address = game_server_factory()
    done, bot_end = play_against_a_bot(
        address, None, stdin_closed=stdin == "closed", switch=(*shell_switch,)
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout.rstrip().splitlines()[-1].endswith("you left the game")
    assert bot_end == End(Result.WIN, forfeit=True)


@pytest.mark.parametrize("delay", [0.0, 0.01, 0.02, 0.03, 0.04, 0.06, 0.08, 0.12, 0.2])
def test_ctrl_c_at_any_moment_of_serve_start_up_is_never_a_traceback(delay: float) -> None:
    """SIGINT while the game is imported, or right after, ends serve by the signal or cleanly:
    never a KeyboardInterrupt traceback from the game's code. (A SIGINT during the
    interpreter's own start-up, before any of the game runs, is the interpreter's: it may
    report its site import interrupted, which no program can prevent.)"""
    with (
        sigint_not_ignored(),
        subprocess.Popen(
            [sys.executable, "-m", "game", "serve", "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=USERS_ENVIRONMENT,
        ) as server,
    ):
        time.sleep(delay)  # sleep-ok: the moment of the signal is what this test varies
        server.send_signal(signal.SIGINT)
        _, err = server.communicate(timeout=PROCESS_DEADLINE)
    assert [frame for frame in game_frames(err) if not before_the_handler(frame)] == [], err
    # Else the interpreter's own start-up (site, runpy) was interrupted: a traceback of its
    # frames, or, from 3.13, "Fatal Python error: init_import_site" with none.
    if "Traceback" not in err and "Fatal Python error: init_" not in err:
        assert server.returncode in (0, -signal.SIGINT), (server.returncode, err)


@contextlib.contextmanager
def sigint_not_ignored() -> Iterator[None]:
    """Start children as from a terminal, with SIGINT not ignored. A test run in the
    background of a shell inherits SIGINT ignored, and passes it on to the processes it
    starts; a signal that reaches one before the game installs its handling is then lost."""
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        yield
        return
    signal.signal(signal.SIGINT, signal.default_int_handler)  # a handler: reset on exec
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)


HANDLER_LINE = next(
    number
    for number, text in enumerate((Path(GAME_SOURCE) / "__main__.py").read_text().splitlines(), 1)
    if text.startswith("_signal.signal(")
)
"""The line of game/__main__.py that takes Ctrl-C over from the interpreter."""


def game_frames(err: str) -> list[tuple[str, int]]:
    """The (file name, line) of every traceback frame in the game's own modules."""
    found = re.findall(r'File "([^"]+)", line (\d+)', err)
    return [(Path(name).name, int(line)) for name, line in found if GAME_SOURCE in name]


def before_the_handler(frame: tuple[str, int]) -> bool:
    """A frame the interpreter's own handler still covers: the package's first lines (run by
    runpy before __main__), or __main__ up to the line that installs the game's."""
    name, line = frame
    return name == "__init__.py" or (name == "__main__.py" and line <= HANDLER_LINE)


@pytest.mark.parametrize("players", [0, 50])
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serve_stops_on_a_signal_during_a_connect_close_flood(
    signum: signal.Signals, players: int
) -> None:
    """During a connect/close flood (and with players in the middle of games), serve stops on
    SIGTERM or SIGINT, every time: exit 0, having said so, within the deadline. (Before, a
    busy server's own thread often took the signal, and the main thread slept on.)"""
    stops = [stop_under_load(signum, flooders=4, players=players) for _ in range(3)]
    for stop in stops:
        assert stop.seconds is not None, f"still serving {DEADLINE:g} s after {signum.name}"
        assert stop.clean, stop
