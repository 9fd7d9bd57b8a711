"""The unit tier: every test here runs with real sockets disabled by pytest-socket.

pytest-socket's command-line flags apply to the whole session, so instead each test collected
from this folder gets the ``disable_socket`` marker: ``pytest tests`` then guards the two tiers
differently in one run. A test that opens a real socket fails with ``SocketBlockedError`` (or,
as warnings are errors, with the warning pytest-socket emits just before raising it).
"""

from pathlib import Path

import pytest

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.unit)
            item.add_marker(pytest.mark.disable_socket)
