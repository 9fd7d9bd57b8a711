"""What a long :func:`~sockettest.explore` reports while it runs, when asked (``progress=``).

Hypothesis prints its statistics when asked; an explore of thousands of seeds says, every
:data:`INTERVAL` real seconds, how far it is, how fast it goes and the first failure so far,
so that a run that will take an hour says so in its first minute.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["INTERVAL", "ExploreProgress", "Reporter", "check_progress"]

INTERVAL = 5.0
"""Real seconds between two lines of ``progress=True``."""


@dataclass(frozen=True)
class ExploreProgress:
    """How far an :func:`~sockettest.explore` is: what ``progress=`` is given.

    Args:
        seeds_run: the seeds whose runs have ended.
        seeds_total: the seeds to run (after ``SOCKETTEST_SEED_SLICE``).
        seconds: real seconds since the explore began.
        first_failure: the first failing seed, in the order given, among the seeds run so far
            (with ``processes``, a seed before it may still be running).
        done: the last report, once the explore has its answer.
    """

    seeds_run: int
    seeds_total: int
    seconds: float
    first_failure: int | None = None
    done: bool = False

    @property
    def seeds_per_second(self) -> float:
        """Seeds run a real second, so far."""
        return self.seeds_run / self.seconds if self.seconds > 0 else 0.0

    def __str__(self) -> str:
        so_far = "" if self.done else " so far"
        found = (
            f"no failure{so_far}"
            if self.first_failure is None
            else f"first failure{so_far}: seed {self.first_failure}"
        )
        return (
            f"sockettest.explore: {self.seeds_run}/{self.seeds_total} seeds run in "
            f"{self.seconds:.1f} s ({self.seeds_per_second:.1f} seeds/s), {found}"
            + ("; done" if self.done else "")
        )


def check_progress(progress: object) -> Callable[[ExploreProgress], object] | None:
    """``progress=`` as what to call with each report (``None``: off), or the error naming it."""
    if progress is True:
        return _print_every_interval()
    if progress is False:
        return None
    if not callable(progress):
        raise TypeError(
            "progress must be True, False or a callable taking an ExploreProgress, "
            f"not {progress!r}"
        )
    return progress


def _print_every_interval() -> Callable[[ExploreProgress], object]:
    """Print a report to stderr when :data:`INTERVAL` seconds have passed since the last, and
    the last one always."""
    printed = [0.0]

    def report(progress: ExploreProgress) -> None:
        if progress.done or progress.seconds - printed[0] >= INTERVAL:
            printed[0] = progress.seconds
            print(progress, file=sys.stderr, flush=True)

    return report


class Reporter:
    """Counts an explore's seeds and gives each report to ``report`` (when there is one)."""

    def __init__(self, report: Callable[[ExploreProgress], object] | None, total: int) -> None:
        self._report = report
        self._total = total
        self._start = time.monotonic()
        self.run = 0
        self.first_failure: int | None = None

    def ran(self, count: int, first_failure: int | None = None) -> None:
        """``count`` more seeds have run; ``first_failure`` is the first failure so far."""
        self.run += count
        if first_failure is not None:
            self.first_failure = first_failure
        self._send(done=False)

    def done(self, first_failure: int | None) -> None:
        """The explore's answer is known: the last report."""
        self.first_failure = first_failure
        self._send(done=True)

    def _send(self, *, done: bool) -> None:
        if self._report is not None:
            self._report(
                ExploreProgress(
                    self.run,
                    self._total,
                    time.monotonic() - self._start,
                    self.first_failure,
                    done,
                )
            )
