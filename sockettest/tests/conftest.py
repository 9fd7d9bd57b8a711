"""The kit's own test suite: its tiers, and Hypothesis profiles.

One table says what each tier's folder guards against: ``unit`` runs with real sockets disabled
by pytest-socket, ``integration`` and ``stress`` may connect to loopback only (a test that needs
another local address says so with its own ``allow_hosts``). pytest-socket's command-line flags
apply to the whole session, so each test collected from a tier's folder gets the tier's marker
and its guard instead: ``pytest tests`` then guards the tiers differently in one run.

``HYPOTHESIS_PROFILE=ci`` runs more examples and never reuses the example database; the default
``dev`` profile (10 examples a property) keeps the unit tier fast enough to run on every save.
"""

import importlib.util
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

pytest_plugins = ["pytester"]  # the plugin's own tests run small pytest sessions

HERE = Path(__file__).parent
LOOPBACK = ["127.0.0.1", "::1"]

TIERS: dict[str, pytest.MarkDecorator] = {
    "unit": pytest.mark.disable_socket,
    "integration": pytest.mark.allow_hosts(LOOPBACK),
    "stress": pytest.mark.allow_hosts(LOOPBACK),
}

settings.register_profile("dev", max_examples=10, deadline=None)
settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def pytest_addoption(parser: pytest.Parser) -> None:
    """Keep pytest-asyncio's setting in pyproject.toml valid where pytest-asyncio is not
    installed: with ``sockettest[pytest]`` alone (``--strict-config`` refuses an unknown one).
    The few tests that need one of the ``tests`` extra's tools skip without it."""
    if importlib.util.find_spec("pytest_asyncio") is None:
        parser.addini("asyncio_default_fixture_loop_scope", "pytest-asyncio's, when installed")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        tier = item.path.relative_to(HERE).parts[0] if HERE in item.path.parents else None
        if tier not in TIERS:
            continue
        item.add_marker(getattr(pytest.mark, tier))
        if item.get_closest_marker(TIERS[tier].name) is None:  # a test's own guard wins
            item.add_marker(TIERS[tier])


def pytest_report_header() -> str:
    from tests.stress.scale import SCALE  # read from the environment when the suite is collected

    return f"stress scale: {SCALE} (STRESS_SCALE=small|full)"
