"""``python -m game`` as a user runs it: real processes, real loopback sockets, exit codes."""

import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from game import Client, Server
from game.protocol import End

DEADLINE = 20.0


def run_game(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "game", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        check=False,
    )


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A loopback port that something else is listening on."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield other.getsockname()[1]


def test_demo_plays_a_whole_game_and_exits_zero() -> None:
    """Moves, boards and the result are printed; the server stops cleanly."""
    done = run_game("demo")
    assert done.returncode == 0, done.stderr
    assert "X takes 5" in done.stdout
    assert "result: " in done.stdout
    assert done.stdout.rstrip().endswith("server stopped cleanly")
    assert done.stderr == ""


def test_serve_stops_cleanly_on_sigterm() -> None:
    """The server says where it listens, serves, and on SIGTERM stops and exits 0."""
    with subprocess.Popen(
        [sys.executable, "-m", "game", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as server:
        assert server.stdout is not None
        banner = server.stdout.readline()  # the readiness signal: printed once listening
        assert banner.startswith("serving tic-tac-toe on 127.0.0.1:"), banner
        port = int(banner.split()[3].rstrip(";").rsplit(":", 1)[1])
        with Client(port=port) as client:
            assert client.ping("alive") >= 0
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=DEADLINE)
    assert server.returncode == 0, err
    assert out.splitlines()[-1] == "server stopped cleanly"
    assert "Traceback" not in err


def test_serve_on_a_port_in_use_is_one_line_and_exit_1(busy_port: int) -> None:
    """No traceback: one line that names the address and what to do."""
    done = run_game("serve", "--port", str(busy_port))
    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert f"cannot listen on 127.0.0.1:{busy_port}" in line
    assert "--port" in line


def test_play_against_nobody_is_refused_in_one_line() -> None:
    """A refused connection is one line with a hint, exit 1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    done = run_game("play", "--port", str(port), "--name", "alice")
    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert "connection refused; is the server running?" in line


def test_play_lets_a_person_play_a_whole_game_from_the_keyboard() -> None:
    """Typed cells become moves; a taken cell is refused and asked again; the game ends."""
    with Server(port=0).running() as (host, port):
        result: list[End] = []

        def opponent() -> None:
            with Client(host, port) as bot:
                result.append(bot.play("bot", wait=DEADLINE))

        typed = "\n".join(["oops", *"123456789"]) + "\n"
        human = subprocess.Popen(
            [sys.executable, "-m", "game", "play", "--port", str(port), "--name", "human"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        with human:
            # The human says HELLO first, so the human waits and plays X.
            bot = threading.Thread(target=opponent)
            assert human.stdout is not None
            assert human.stdout.readline().startswith("connected to")
            bot.start()
            out, err = human.communicate(typed, timeout=DEADLINE)
            bot.join(DEADLINE)
        assert not bot.is_alive()
    assert human.returncode == 0, err
    assert "type one digit 1-9" in out
    assert "server: cell" in out  # a taken cell was refused and asked again
    assert out.rstrip().splitlines()[-1] in ("you win", "you lose", "a draw")
    assert result
