"""Fixtures shared by the kit's own unit tests."""

from collections.abc import Iterator

import pytest

from sockettest import MemoryNetwork


@pytest.fixture
def network() -> Iterator[MemoryNetwork]:
    """A fresh network whose calls give up after 2 s; the test must close every socket."""
    network = MemoryNetwork(max_block=2.0)
    yield network
    try:
        network.assert_all_closed()
    finally:
        network.close_all()
