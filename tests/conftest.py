"""Settings shared by every tier: the tier markers (:mod:`tests.tiers`) and Hypothesis profiles.

``HYPOTHESIS_PROFILE=ci`` (set by .ci/run) runs more examples and never reuses the example
database; the default ``dev`` profile (10 examples a property) keeps the unit tier quick enough
to run on every save; CI's 200 examples a property do the searching.
"""

import gc
import os

from hypothesis import HealthCheck, settings

from tests.tiers import pytest_collection_modifyitems

__all__ = ["pytest_collection_modifyitems"]  # the tier hook, found here by pytest

pytest_plugins = [
    "game.testing.plugin",  # the game's fixtures; sockettest's load through its entry point
]

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


def pytest_collection_finish() -> None:
    """Once collected, collect the garbage, then freeze what is left (pytest, Hypothesis, the
    modules and their tests) out of the garbage collector's sight: each full collection
    while the tests run then walks what the tests made, not all the process holds. Nothing
    frozen is garbage, so nothing it would have finalised (an unclosed socket) is hidden."""
    gc.collect()
    gc.freeze()
