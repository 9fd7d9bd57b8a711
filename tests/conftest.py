"""Settings shared by both tiers: Hypothesis profiles.

``HYPOTHESIS_PROFILE=ci`` (set by .ci/run) runs more examples and never reuses the example
database; the default ``dev`` profile keeps the unit tier fast on every save.
"""

import os

from hypothesis import HealthCheck, settings

pytest_plugins = ["pytester"]  # the plugin's own tests run small pytest sessions

settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
