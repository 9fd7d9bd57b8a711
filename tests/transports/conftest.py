"""Tests that run on both transports: each once in memory, once on loopback.

Every test here asks for sockettest's ``memory_or_loopback`` fixture, whose two cases belong to
two tiers. Each case gets its tier's guard from pytest-socket: the ``memory`` case runs with
real sockets disabled (with the unit tier: ``make unit`` selects ``-m "not loopback"``), the
``loopback`` case with connections to 127.0.0.1 and ::1 only (with the integration tier:
``make integration`` selects ``-m "not memory"``).
"""

from pathlib import Path

import pytest

HERE = Path(__file__).parent
LOOPBACK = ["127.0.0.1", "::1"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE not in item.path.parents:
            continue
        if item.get_closest_marker("memory"):
            item.add_marker(pytest.mark.unit)
            item.add_marker(pytest.mark.disable_socket)
        elif item.get_closest_marker("loopback"):
            item.add_marker(pytest.mark.integration)
            item.add_marker(pytest.mark.allow_hosts(LOOPBACK))
