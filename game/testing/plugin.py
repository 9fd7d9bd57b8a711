"""The game's fixtures: a running game server and the sans-IO pair.

Not registered through an entry point, so installing the course adds nothing to anyone's pytest
runs. Load it with ``pytest_plugins = ["game.testing.plugin"]`` in a conftest (this repository's
``tests/conftest.py`` does) or ``-p game.testing.plugin``. The generic fixtures
(``memory_network``, ``patched_network``, ``fake_server``, ``leak_guard`` ...) come from
sockettest's own plugin.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from game import Server
    from game.testing import GamePair
    from sockettest import LeakGuard


@pytest.fixture
def game_server(leak_guard: LeakGuard) -> Iterator[Server]:
    """A real :class:`game.Server` listening on an ephemeral loopback port.

    Read the address from ``game_server.address``. Shut down and joined after the test.
    """
    from game import Server

    server = Server(port=0, idle_timeout=30.0)
    with server.running():
        yield server


@pytest.fixture
def game_pair() -> GamePair:
    """The sans-IO pair: the server's protocol objects and clients' joined in memory, pumped
    in the test's own thread. No socket, no thread: the fastest protocol tests."""
    from game.testing import GamePair

    return GamePair()
