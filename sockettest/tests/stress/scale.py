"""How big the stress tier runs, from ``STRESS_SCALE``: ``small`` (the default, what
``make test`` runs, well under a minute) or ``full`` (``make stress``).

Every count in the tier goes through :func:`scaled`, so the two sizes are one table in the tests.
"""

import os

SCALES = ("small", "full")

SCALE = os.environ.get("STRESS_SCALE", "small").strip().lower() or "small"
if SCALE not in SCALES:
    raise RuntimeError(f"STRESS_SCALE must be one of {', '.join(SCALES)}, not {SCALE!r}")


def scaled(small: int, full: int) -> int:
    """``small`` at the small scale, ``full`` at the full one."""
    return full if SCALE == "full" else small
