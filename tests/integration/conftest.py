"""The integration tier runs the server's behaviour against both of its shells: the threaded
:class:`game.Server` and the asyncio :class:`game.AsyncServer` (through
:class:`tests.shells.AsyncServerInThread`). Every test that starts its server with the
``game_server_factory``, ``game_server`` or ``server_shell`` fixture runs once on each."""

from typing import Any

import pytest

from tests.shells import SHELLS


@pytest.fixture(params=list(SHELLS))
def server_shell(request: pytest.FixtureRequest) -> Any:
    """The server class of one shell: ``Server``, then ``AsyncServerInThread``."""
    return SHELLS[request.param]


@pytest.fixture
def game_server_class(server_shell: Any) -> Any:
    """The game's fixtures start servers of ``server_shell``."""
    return server_shell


@pytest.fixture
def shell_switch(server_shell: Any) -> list[str]:
    """``python -m game``'s switch for the shell of ``server_shell``: none, or ``--asyncio``."""
    return [] if server_shell is SHELLS["threads"] else ["--asyncio"]
