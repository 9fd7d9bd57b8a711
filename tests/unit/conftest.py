"""Fixtures the game's unit tests share across modules."""

import signal
from collections.abc import Iterator

import pytest

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
"""The signals that stop ``serve``."""


@pytest.fixture
def stop_signals_harmless() -> Iterator[None]:
    """SIGTERM and SIGINT do nothing outside serve's own handling, for the test: one that a
    failing test sends late cannot end the test run."""
    previous = {sig: signal.signal(sig, lambda *_: None) for sig in STOP_SIGNALS}
    yield
    for sig, handler in previous.items():
        signal.signal(sig, handler)
