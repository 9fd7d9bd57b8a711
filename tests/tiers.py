"""The tiers: which markers each test gets, from the folder it was collected from.

One table and one hook, loaded by ``tests/conftest.py``. Each test gets its tier's name as a
marker (so ``-m unit`` selects the tier) and pytest-socket's guard for that tier:
``disable_socket`` in the unit tier, so a test that opens a real socket fails with
``SocketBlockedError``; ``allow_hosts`` with 127.0.0.1 and ::1 in the others, so a test that
tries to reach any other address fails instead of touching the network. pytest-socket's
command-line flags would apply to the whole session; markers let one ``pytest tests`` run guard
each tier its own way.

``tests/transports/`` holds tests that run once in memory and once on loopback (sockettest's
``memory_or_loopback`` fixture): each case joins the tier of its transport. A test that needs
another local address (``0.0.0.0``) says so with its own ``allow_hosts``, which is kept.
"""

from __future__ import annotations

from pathlib import Path

import pytest

__all__ = ["LOOPBACK", "TIERS", "pytest_collection_modifyitems", "tier_of"]

TESTS = Path(__file__).parent

LOOPBACK = ["127.0.0.1", "::1"]
"""The only hosts a test outside the unit tier may connect to."""

TIERS: dict[str, list[pytest.MarkDecorator]] = {
    "unit": [pytest.mark.unit, pytest.mark.disable_socket],
    "integration": [pytest.mark.integration, pytest.mark.allow_hosts(LOOPBACK)],
    "stress": [pytest.mark.stress, pytest.mark.allow_hosts(LOOPBACK)],
}
"""Each tier's markers; a tier is a folder of ``tests/``."""

TRANSPORT_TIERS = {"memory": "unit", "loopback": "integration"}
"""The tier of each case of ``memory_or_loopback``, by the marker the fixture gives it."""


def tier_of(item: pytest.Item) -> str | None:
    """The tier ``item`` belongs to, or ``None`` if it is not one of these tests."""
    if TESTS not in item.path.parents:
        return None
    folder = item.path.relative_to(TESTS).parts[0]
    if folder in TIERS:
        return folder
    for marker, tier in TRANSPORT_TIERS.items():
        if item.get_closest_marker(marker):
            return tier
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test collected from a tier's folder with that tier's markers."""
    for item in items:
        tier = tier_of(item)
        for mark in TIERS.get(tier or "", []):
            if mark.name == "allow_hosts" and item.get_closest_marker("allow_hosts"):
                continue  # the test's own list wins
            item.add_marker(mark)
