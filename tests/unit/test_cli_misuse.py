"""The command line misused: each mistake is one line on stderr and a non-zero exit, and the
line says what to change."""

import signal
import threading
from typing import Any
from unittest.mock import create_autospec

import pytest

import game.__main__
import game.asyncio_shell
from game import AsyncClient
from game.__main__ import main
from game.protocol import Start, Turn
from game.rules import Mark
from sockettest import MemoryNetwork
from tests.deadline import DEADLINE


@pytest.mark.parametrize("shell", [[], ["--asyncio"]], ids=["threads", "asyncio"])
@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("8.8.8.8", "Cannot assign requested address"),  # not an address of this machine
        ("no-such-host.invalid", "Name or service not known"),
        ("256.0.0.1", "Name or service not known"),
    ],
)
def test_serve_on_a_host_it_cannot_bind_says_to_check_the_host_not_the_port(
    patched_network: MemoryNetwork,
    capsys: pytest.CaptureFixture[str],
    host: str,
    reason: str,
    shell: list[str],
) -> None:
    """A host that is not this machine's, or no host at all, is exit 1 and one line naming it
    and --host: another --port would not help."""
    assert main(["serve", "--host", host, "--port", "0", *shell]) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert line == (
        f"python -m game serve: error: cannot listen on {host}:0: {reason}; "
        "check --host: an address or name of this machine, or '' for all of them"
    )
    patched_network.assert_all_closed()


@pytest.fixture
def stop_at_once(monkeypatch: pytest.MonkeyPatch, patched_network: MemoryNetwork) -> None:
    """serve on either shell stops as soon as it is up: a SIGTERM lands while it builds its
    server (serve takes the stop signals first thing, so the stop is clean)."""
    for module, name in [(game.__main__, "Server"), (game.asyncio_shell, "AsyncServer")]:
        make = getattr(module, name)

        def stopped(*args: Any, make: Any = make, **kwargs: Any) -> Any:
            signal.raise_signal(signal.SIGTERM)
            return make(*args, **kwargs)

        monkeypatch.setattr(module, name, stopped)


@pytest.mark.usefixtures("stop_at_once")
@pytest.mark.parametrize("shell", [[], ["--asyncio"]], ids=["threads", "asyncio"])
@pytest.mark.parametrize(
    ("host", "near", "play"),
    [
        ("127.0.0.1", "127.0.0.1", "play --port"),
        ("0.0.0.0", "127.0.0.1", "play --port"),  # every interface: this machine's loopback
        ("", "127.0.0.1", "play --port"),  # every interface too
        ("::1", "::1", "play --host ::1 --port"),
        ("::", "::1", "play --host ::1 --port"),
    ],
)
def test_serve_tells_how_to_reach_it_from_this_machine(
    capsys: pytest.CaptureFixture[str], host: str, near: str, play: str, shell: list[str]
) -> None:
    """The banner's nc and play commands reach the server as bound: play is given --host when
    its default, 127.0.0.1, would not reach it."""
    assert main(["serve", "--host", host, "--port", "0", *shell]) == 0
    banner = capsys.readouterr().out.splitlines()[0]
    port = banner.split("; ")[0].rsplit(":", 1)[1]
    assert f"play with `nc {near} {port}` or `python -m game {play} {port} --name NAME`" in banner


@pytest.mark.usefixtures("stop_signals_harmless", "patched_network")  # the loop's self-pipe
def test_ctrl_c_at_the_asyncio_move_prompt_ends_play_without_waiting_for_a_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """play --asyncio asks for a move in a thread, off the loop: Ctrl-C at that prompt ends
    play at once, exit 130, while the question still waits for a line. (It waited for one:
    the loop's executor is joined on the way out, and its thread sat in input().)"""
    client = create_autospec(AsyncClient, instance=True)
    client.__aenter__.return_value = client
    client.next_message.side_effect = [Start(Mark.X, "bob"), Turn()]
    monkeypatch.setattr(game.asyncio_shell, "AsyncClient", lambda host, port: client)
    asking: list[threading.Thread] = []
    answer = threading.Event()

    def no_answer_yet() -> int | None:
        asking.append(threading.current_thread())
        signal.pthread_kill(main_thread, signal.SIGINT)  # the player's Ctrl-C
        answer.wait(DEADLINE)  # bounds the test that fails
        return None

    monkeypatch.setattr(game.__main__, "_ask_cell", no_answer_yet)
    main_thread = threading.get_ident()
    assert main(["play", "--asyncio", "--name", "alice"]) == 130
    [asker] = asking
    assert asker.is_alive(), "play waited for the move before it ended"
    answer.set()
    asker.join(DEADLINE)
    assert not asker.is_alive()
    assert capsys.readouterr().err == "\n"
    client.move.assert_not_called()
