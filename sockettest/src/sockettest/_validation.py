"""Argument checks for the kit's own API: a wrong argument fails at the call, naming itself.

A wrong type is a :class:`TypeError`, a value out of range a :class:`ValueError`, as the
standard library does; ``bool`` is refused where a number is meant (``True`` is an int to
Python, and never what a caller meant as a seed, a count or seconds). The socket methods' own
arguments are another matter, taken as CPython takes them: see ``_arguments``.
"""

from __future__ import annotations

import math

__all__ = ["check_flag", "check_int", "check_seconds"]


def check_int(name: str, value: object, least: int | None = None) -> int:
    """``value`` if it is an int (not a bool) of at least ``least``; else the error."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {value!r}")
    if least is not None and value < least:
        raise ValueError(f"{name} must be an int of at least {least}, not {value!r}")
    return value


def check_seconds(
    name: str, value: object, *, finite: bool = True, positive: bool = False
) -> float:
    """``value``, a number of seconds given as the argument ``name``, as a float; else the
    error, naming it: for what is not a number, for NaN, for infinity unless ``finite`` is
    False, and for zero or less where ``positive``.

    Raises:
        TypeError: not an int or a float.
        ValueError: NaN, infinite where it must be finite, or not positive where it must be.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be seconds (an int or a float), not {value!r}")
    if math.isnan(value) or (finite and math.isinf(value)):
        raise ValueError(f"{name} must be a finite number of seconds, not {value!r}")
    if positive and not value > 0:
        raise ValueError(f"{name} must be positive seconds, not {value!r}")
    return float(value)


def check_flag(name: str, value: object) -> bool:
    """``value`` if it is a bool (a flag given a string or a number is a slip); else the error."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, not {value!r}")
    return value
