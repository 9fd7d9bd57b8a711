"""The game's fixtures: running game servers, on real sockets or on the kit's doubles, and the
sans-IO pair.

Not registered through an entry point, so installing the course adds nothing to anyone's pytest
runs. Load it with ``pytest_plugins = ["game.testing.plugin"]`` in a conftest (this repository's
``tests/conftest.py`` does) or ``-p game.testing.plugin``. The generic fixtures
(``memory_network``, ``patched_network``, ``fake_server``, ``leak_guard`` ...) come from
sockettest's own plugin.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Protocol

import pytest

if TYPE_CHECKING:
    from game import Server, SocketFactory
    from game.testing import GamePair
    from sockettest import LeakGuard

__all__ = [
    "GameServerFactory",
    "game_pair",
    "game_server",
    "game_server_class",
    "game_server_factory",
]

TIMEOUT = 30.0
"""Seconds a server has to start listening, and its thread to end after shutdown."""


class GameServerFactory(Protocol):
    """What ``game_server_factory`` yields: call it to start a game server."""

    def __call__(
        self, socket_factory: SocketFactory | None = None, **options: Any
    ) -> tuple[str, int]:
        """Start a :class:`game.Server` on an ephemeral port; return the address it listens on.

        Args:
            socket_factory: what the server makes its sockets with: a
                :class:`sockettest.MemoryNetwork`'s in the unit tier, ``None`` for real
                loopback sockets.
            options: any other keyword of :class:`game.Server` (``host``, ``idle_timeout``,
                ``max_clients``, ``clock`` ...).

        A test that drives the server itself (``shutdown()`` in the middle) builds it and uses
        :meth:`game.Server.running`, which this calls.
        """
        ...


@pytest.fixture
def game_server_class() -> Callable[..., Any]:
    """The server class ``game_server_factory`` and ``game_server`` start: :class:`game.Server`.
    Override it (in a conftest, parametrized) with anything built as ``Server`` is and offering
    its ``running()``, to run the same tests against another shell."""
    from game import Server

    return Server


@pytest.fixture
def game_server_factory(
    leak_guard: LeakGuard, game_server_class: Callable[..., Any]
) -> Iterator[GameServerFactory]:
    """Start game servers on any socket factory: ``game_server_factory(network.socket_factory)``.

    Each call returns once its server listens, with the address it is bound to; every server is
    shut down and its thread joined after the test, before the leak guard looks for threads left
    running. Example::

        def test_two_bots_draw(game_server_factory, memory_network):
            address = game_server_factory(memory_network.socket_factory)
            ends = play_match(address, socket_factory=memory_network.socket_factory)
            assert ends == (End(Result.DRAW), End(Result.DRAW))
    """
    with contextlib.ExitStack() as servers:

        def start(socket_factory: SocketFactory | None = None, **options: Any) -> tuple[str, int]:
            server = game_server_class(port=0, socket_factory=socket_factory, **options)
            address: tuple[str, int] = servers.enter_context(server.running(timeout=TIMEOUT))
            return address

        yield start


@pytest.fixture
def game_server(leak_guard: LeakGuard, game_server_class: Callable[..., Any]) -> Iterator[Server]:
    """A real :class:`game.Server` listening on an ephemeral loopback port.

    Read the address from ``game_server.address``. Shut down and joined after the test. On the
    kit's doubles (in the unit tier), use ``game_server_factory``.
    """
    server = game_server_class(port=0, idle_timeout=TIMEOUT)
    with server.running(timeout=TIMEOUT):
        yield server


@pytest.fixture
def game_pair() -> GamePair:
    """The sans-IO pair: the server's protocol objects and clients' joined in memory, pumped
    in the test's own thread. No socket, no thread: the fastest protocol tests."""
    from game.testing import GamePair

    return GamePair()
