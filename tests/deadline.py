"""How long any one wait in the game's tests may take: one figure for every tier.

Every blocking call a test makes has a timeout and every thread it starts is joined within one:
this one, unless the test says why it needs another. It is far above what a wait takes even on
a loaded 2-core machine, so reaching it means a hang, not a slow run; it is never a figure a
test expects to reach (a test that waits for a timeout on purpose sets a short one of its own).
"""

__all__ = ["DEADLINE"]

DEADLINE = 10.0
"""Seconds any one wait may take before the test fails."""
