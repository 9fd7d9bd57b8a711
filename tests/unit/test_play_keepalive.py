"""``python -m game play`` while its player waits (for an opponent, or for the opponent's
move): it PINGs now and then, so that the server's idle timeout (300 s by default), which
counts any time without a line, does not cut off a player who is only waiting."""

from typing import Any
from unittest.mock import create_autospec

import pytest

import game.__main__
import game.asyncio_shell
from game import AsyncClient, Client, ResponseTimeout
from game.__main__ import KEEPALIVE, main
from game.protocol import End, Result, ServerMessage, Wait


def waiting_then(messages: list[ServerMessage | Exception]) -> list[ServerMessage | Exception]:
    """What ``next_message`` gives: a wait with no message, then ``messages``."""
    return [ResponseTimeout("no message"), *messages]


def test_play_pings_while_it_waits_and_plays_on(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each wait for a message is bounded by KEEPALIVE; a wait that ends with no message is
    followed by a PING, then the wait goes on: the match is played to its end."""
    client = create_autospec(Client, instance=True)
    client.__enter__.return_value = client
    client.next_message.side_effect = waiting_then(
        [Wait(), ResponseTimeout("no message"), End(Result.WIN, forfeit=True)]
    )
    monkeypatch.setattr(game.__main__, "Client", lambda host, port: client)
    assert main(["play", "--name", "alice"]) == 0
    assert client.ping.call_count == 2
    assert {c.kwargs["timeout"] for c in client.next_message.call_args_list} == {KEEPALIVE}
    assert "you win" in capsys.readouterr().out


def test_play_on_asyncio_pings_while_it_waits_and_plays_on(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], patched_network: Any
) -> None:
    """The same with ``--asyncio``, on AsyncClient."""
    client = create_autospec(AsyncClient, instance=True)
    client.__aenter__.return_value = client
    client.next_message.side_effect = waiting_then([Wait(), End(Result.DRAW)])
    monkeypatch.setattr(game.asyncio_shell, "AsyncClient", lambda host, port: client)
    assert main(["play", "--name", "alice", "--asyncio"]) == 0
    assert client.ping.await_count == 1
    assert {c.kwargs["timeout"] for c in client.next_message.await_args_list} == {KEEPALIVE}
    assert "a draw" in capsys.readouterr().out
