"""The tier table: every folder of tests is a tier with its guard, and a test gets its tier's
markers from where it lives."""

from __future__ import annotations

import socket

import pytest
from pytest_socket import SocketBlockedError

from tests.tiers import TESTS, TIERS, TRANSPORT_TIERS, tier_of


def test_every_folder_of_tests_is_in_the_table() -> None:
    """A new folder of tests without a row would run unguarded: each one has a tier."""
    folders = {path.parent.name for path in TESTS.glob("*/test_*.py")}
    assert folders == {*TIERS, "transports"}
    assert set(TRANSPORT_TIERS.values()) <= set(TIERS)


def test_a_test_of_this_folder_gets_the_unit_tier_and_its_guard(
    request: pytest.FixtureRequest,
) -> None:
    """This test is marked unit and disable_socket, and a real socket is refused."""
    assert tier_of(request.node) == "unit"
    assert request.node.get_closest_marker("unit") is not None
    assert request.node.get_closest_marker("disable_socket") is not None
    with pytest.warns(UserWarning, match="socket"), pytest.raises(SocketBlockedError):
        socket.socket()
