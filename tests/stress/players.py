"""Players for the stress tier: bots in threads joined with deadlines, and a match held open.

Every helper here bounds its waits: a thread is joined with a deadline and asserted dead, a
client read has a timeout, a held match is released by its ``with`` block whatever happens.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import time
from collections.abc import Callable
from types import TracebackType

from game import Client, ConnectionLost, ResponseTimeout
from game.protocol import Bye, End, Result, ServerMessage, Update
from sockettest import run_in_thread
from tests.deadline import DEADLINE

__all__ = [
    "UNDER_LOAD",
    "DRAW",
    "FORFEIT_WIN",
    "HeldMatch",
    "expect_forfeit",
    "play",
]

UNDER_LOAD = 3 * DEADLINE
"""Seconds any one wait may take in this tier: hundreds of clients share 2 cores."""

DRAW = End(Result.DRAW)
"""What both bots get: they play the same deterministic strategy."""

FORFEIT_WIN = End(Result.WIN, forfeit=True)


def play(
    address: tuple[str, int],
    name: str,
    on_message: Callable[[ServerMessage], None] | None = None,
) -> End:
    """Connect, play one whole match with the deterministic bot, close; return its ``END``."""
    with Client(*address, timeout=UNDER_LOAD) as client:
        return client.play(name, wait=UNDER_LOAD, on_message=on_message)


class HeldMatch:
    """Two bots in one match, held after the first move until released: a match in progress
    while a test abuses the server around it.

    Entering starts both players and returns once both have seen the first move; while held,
    each sends ``PING`` every ``keepalive`` seconds, so a short idle timeout does not cut them
    off. :meth:`finish` releases them and returns both ``END``s; leaving the block releases
    and joins them whatever happened.

    Args:
        address: the server's address; nobody else may be waiting in its lobby.
        keepalive: seconds between pings while held.
        name: a prefix for the players' names and threads.
    """

    def __init__(self, address: tuple[str, int], keepalive: float, name: str = "held") -> None:
        self.address = address
        self.keepalive = keepalive
        self.name = name
        self._release = threading.Event()
        self._holding = [threading.Event(), threading.Event()]
        self._players: list[Callable[[], End]] = []

    def __enter__(self) -> HeldMatch:
        for index, holding in enumerate(self._holding):
            player = f"{self.name}-{index + 1}"
            self._players.append(
                run_in_thread(
                    functools.partial(self._play, player, holding),
                    timeout=UNDER_LOAD,
                    name=f"{player}-player",
                )
            )
        try:
            for holding in self._holding:
                if not holding.wait(UNDER_LOAD):
                    self._raise_from_players()
                    raise AssertionError(f"{self.name}: no first move within {UNDER_LOAD:g} s")
        except BaseException:
            self._stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is not None:
            self._stop()
        elif self._players:
            self.finish()

    def finish(self) -> tuple[End, End]:
        """Release both players and return their ``END``s, once they have played to the end.

        Raises:
            AssertionError: a player did not finish within the deadline.
            GameError: whatever a player's client raised (an ``ERROR``, a lost connection).
        """
        self._release.set()
        players, self._players = self._players, []
        first, second = (player() for player in players)
        return first, second

    def _stop(self) -> None:
        """Release and join the players without raising: a test's own error is on its way."""
        self._release.set()
        players, self._players = self._players, []
        for player in players:
            with contextlib.suppress(Exception):
                player()

    def _raise_from_players(self) -> None:
        """Release the players and join them: one that failed before holding re-raises its
        error here, in the test thread."""
        self._release.set()
        for player in self._players:
            player()

    def _play(self, name: str, holding: threading.Event) -> End:
        with Client(*self.address, timeout=UNDER_LOAD) as client:

            def hold(message: ServerMessage) -> None:
                if isinstance(message, Update) and message.board.cells.count(".") == 8:
                    holding.set()
                    give_up = time.monotonic() + 4 * UNDER_LOAD
                    while not self._release.wait(self.keepalive):
                        if time.monotonic() > give_up:
                            raise AssertionError(f"{name} was never released")
                        client.ping("held")

            return client.play(name, wait=UNDER_LOAD, on_message=hold)


def expect_forfeit(client: Client, keepalive: float = 1.0) -> list[ServerMessage]:
    """Read until ``BYE``, pinging every ``keepalive`` seconds of silence; check the match
    ended by forfeit in ``client``'s favour and the server then closed. Returns what was read.
    """
    seen: list[ServerMessage] = []
    give_up = time.monotonic() + UNDER_LOAD
    while not seen or not isinstance(seen[-1], Bye):
        assert time.monotonic() < give_up, f"no BYE within {UNDER_LOAD:g} s; read {seen}"
        try:
            seen.append(client.next_message(keepalive))
        except ResponseTimeout:
            with contextlib.suppress(ConnectionLost):
                # The forfeit may arrive, and the server close, while this PING waits for its
                # PONG: the lines read meanwhile are kept for next_message, which returns them.
                client.ping("waiting")
    assert seen[-2:] == [FORFEIT_WIN, Bye()], seen
    try:
        extra = client.next_message(UNDER_LOAD)
    except ConnectionLost:
        return seen
    raise AssertionError(f"the server sent {extra} after BYE")
