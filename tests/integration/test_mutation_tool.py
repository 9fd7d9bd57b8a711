"""``scripts/mutate.py`` counts a kill only when it is one: a failure that repeats on the mutant.

Its verdicts are pinned on a scratch pytest project of a few tests, run as real pytest
processes (a child pytest with no plugins but pytest-timeout, in well under a second a run): a
failure that does not repeat is a flaky test, not a kill; a test stopped by pytest-timeout has
timed out, not killed. The tool's pure parts are tested in the unit tier.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.mutation_tool import mutate

LIMIT = 60.0  # seconds a child run may take: only a hang comes near it

SCRATCH_TESTS = """
import threading
from pathlib import Path


def test_passes():
    pass


def test_fails_every_time():
    raise AssertionError("on this mutant")


def test_fails_the_first_time_only():
    ran = Path("ran-once")
    if not ran.exists():
        ran.write_text("")
        raise AssertionError("once")


def test_hangs():
    threading.Event().wait(30)
"""


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A pytest project with one test of each kind, run with no plugin but pytest-timeout."""
    (tmp_path / "test_scratch.py").write_text(SCRATCH_TESTS)
    (tmp_path / "pytest.ini").write_text("[pytest]\ntimeout = 1\n")
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    return tmp_path


def tier(*tests: str) -> list[str]:
    """A tier of these tests of the scratch project."""
    return [*(f"test_scratch.py::{name}" for name in tests), "-p", "pytest_timeout"]


def test_a_failure_that_repeats_is_a_kill_by_that_test(scratch: Path) -> None:
    """The tier stops at the failure; the test fails again alone; the verdict names it."""
    verdict = mutate.judge_tier(tier("test_passes", "test_fails_every_time"), scratch, LIMIT)
    assert verdict == mutate.TierVerdict("killed", "test_scratch.py::test_fails_every_time")


def test_a_failure_that_does_not_repeat_is_flaky_and_the_tier_goes_on_without_it(
    scratch: Path,
) -> None:
    """Not a kill: the test is named as flaky, deselected, and the rest of the tier decides."""
    flaky = "test_scratch.py::test_fails_the_first_time_only"
    verdict = mutate.judge_tier(
        tier("test_fails_the_first_time_only", "test_passes"), scratch, LIMIT
    )
    assert verdict == mutate.TierVerdict("passed", None, (flaky,))
    (scratch / "ran-once").unlink()
    verdict = mutate.judge_tier(
        tier("test_fails_the_first_time_only", "test_fails_every_time"), scratch, LIMIT
    )
    assert verdict == mutate.TierVerdict(
        "killed", "test_scratch.py::test_fails_every_time", (flaky,)
    )


def test_a_test_stopped_by_pytest_timeout_has_timed_out_and_killed_nothing(
    scratch: Path,
) -> None:
    """A hang stopped by the tests' own timeout is reported as a timeout, naming the test."""
    verdict = mutate.judge_tier(tier("test_passes", "test_hangs"), scratch, LIMIT)
    assert verdict == mutate.TierVerdict("timed out", "test_scratch.py::test_hangs")
