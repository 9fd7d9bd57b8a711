"""The stress tier: load, faults, fuzz and shutdown under load, on real loopback sockets.

Each test collected from this folder gets the ``stress`` marker and pytest-socket's
``allow_hosts`` marker for 127.0.0.1 and ::1, as the integration tier does, so a test that tries
to reach any other address fails instead of touching the network. How big the tier runs is set by
``STRESS_SCALE`` (see :mod:`tests.stress.scale`). The tier registers its own marker, so it
runs under ``--strict-markers`` wherever it is collected.
"""

from pathlib import Path

import pytest

HERE = Path(__file__).parent
LOOPBACK = ["127.0.0.1", "::1"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "stress: load, faults, fuzz, shutdown (tests/stress)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.stress)
            item.add_marker(pytest.mark.allow_hosts(LOOPBACK))


def pytest_report_header() -> str:
    from tests.stress.scale import SCALE  # only when the tier is collected: it reads the env

    return f"stress scale: {SCALE} (STRESS_SCALE=small|full)"
