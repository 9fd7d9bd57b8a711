"""The stress tier: load, faults, fuzz and shutdown under load, on real loopback sockets.

Each test collected from this folder gets the ``stress`` marker and loopback's guard from the
tier table (:mod:`tests.tiers`), as the integration tier does. How big the tier runs is set by
``STRESS_SCALE`` (see :mod:`tests.stress.scale`). The tier registers its own marker, so it
runs under ``--strict-markers`` wherever it is collected.
"""

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "stress: load, faults, fuzz, shutdown (tests/stress)")


def pytest_report_header() -> str:
    from tests.stress.scale import SCALE  # only when the tier is collected: it reads the env

    return f"stress scale: {SCALE} (STRESS_SCALE=small|full)"
