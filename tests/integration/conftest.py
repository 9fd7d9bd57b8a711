"""The integration tier: real sockets, but connections to loopback only.

Each test collected from this folder gets pytest-socket's ``allow_hosts`` marker for 127.0.0.1
and ::1, so a test that tries to reach any other address fails instead of touching the network.
A test that needs another local address (``0.0.0.0``) says so with its own ``allow_hosts``.
"""

from pathlib import Path

import pytest

HERE = Path(__file__).parent
LOOPBACK = ["127.0.0.1", "::1"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.integration)
            if item.get_closest_marker("allow_hosts") is None:
                item.add_marker(pytest.mark.allow_hosts(LOOPBACK))
