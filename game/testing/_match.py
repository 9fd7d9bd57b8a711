"""Two bots play one whole match over sockets: the game's most common test, written once.

The unit tier plays it on :class:`sockettest.MemoryNetwork` (pass its ``socket_factory``), the
integration tier on loopback (no factory), the stress tier under load, the timing scripts to
time it. Through the sans-IO pair, with no socket at all, it is :func:`game.testing.play_game`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from game import Client, SocketFactory
from game.protocol import End
from game.rules import Board, suggest_move
from sockettest import serve_in_thread

__all__ = ["play_match"]


def play_match(
    address: tuple[str, int],
    *,
    socket_factory: SocketFactory | None = None,
    names: tuple[str, str] = ("alice", "bob"),
    choose: Callable[[Board], int] = suggest_move,
    timeout: float = 30.0,
) -> tuple[End, End]:
    """Two bots join the server at ``address`` and play one match against each other.

    Each is a :class:`game.Client` playing :meth:`~game.Client.play` with ``choose``: the
    first in a thread of its own (:func:`sockettest.serve_in_thread`: joined within
    ``timeout``, what it raised re-raised here), the second in the caller's thread, so that
    under :func:`sockettest.simulate` both are simulated threads. Nobody else may be waiting
    in the server's lobby, or a bot may be paired with them. Two bots of the same strategy
    always draw (``suggest_move`` never loses); which one plays X is the lobby's choice.

    Args:
        address: the server's ``(host, port)``.
        socket_factory: what the clients make their sockets with (default: real sockets).
        names: the two players' names, different.
        choose: both bots' strategy: the board in, a free cell out.
        timeout: seconds for each client's connect and for each wait, and for the join.

    Returns:
        The ``END`` each received: ``(names[0]'s, names[1]'s)``.

    Raises:
        ValueError: ``names`` is not two different names, or ``timeout`` not a finite
            positive number of seconds.
        AssertionError: the first bot's thread was still playing ``timeout`` seconds after
            the second finished (as :class:`sockettest.BlockedTooLong`).
        GameError: whatever either bot's client raised.
    """
    if len(names) != 2 or names[0] == names[1]:
        raise ValueError(f"names must be two different names, not {names!r}")
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise ValueError(f"timeout must be a number of seconds, not {timeout!r}")
    if not (timeout > 0 and math.isfinite(timeout)):
        raise ValueError(f"timeout must be finite and more than 0 seconds, not {timeout!r}")

    def bot(name: str) -> End:
        with Client(*address, socket_factory=socket_factory, timeout=timeout) as client:
            return client.play(name, choose, wait=timeout)

    first: list[End] = []
    with serve_in_thread(lambda: first.append(bot(names[0])), timeout=timeout, name=names[0]):
        second = bot(names[1])
    return first[0], second
