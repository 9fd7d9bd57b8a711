"""``scripts/mutate.py`` counts a kill only when it is one: a failure that repeats on the mutant.

Its verdicts are pinned on a scratch pytest project of a few tests (a child pytest with no
plugins but pytest-timeout, in well under a second a run): a failure that does not repeat is a
flaky test, not a kill; a test stopped by pytest-timeout has timed out, not killed. And its
sample gives every module its share, the same for the same seed.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "mutate.py"
LIMIT = 60.0  # seconds a child run may take: only a hang comes near it


def _load() -> ModuleType:
    """scripts/mutate.py as a module (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("mutate", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("mutate", module)  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


mutate = _load()

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


def _mutants(sizes: dict[str, int]) -> list[object]:
    return [
        mutate.Mutant(path, index, index + 1, "1 -> 2")
        for path, size in sizes.items()
        for index in range(size)
    ]


def test_a_sample_gives_each_module_its_share_and_at_least_one() -> None:
    """20 of 111 mutants: one each first, the rest in proportion, the largest remainder first."""
    everything = _mutants({"a.py": 100, "b.py": 10, "c.py": 1})
    chosen = mutate.stratified(everything, 20, "1:kit")
    assert Counter(m.path for m in chosen) == {"a.py": 17, "b.py": 2, "c.py": 1}
    assert len(set(chosen)) == 20
    assert chosen == mutate.stratified(everything, 20, "1:kit")
    assert chosen != mutate.stratified(everything, 20, "2:kit")
    assert mutate.stratified(everything, 500, "1:kit") == everything


def test_a_sample_smaller_than_the_modules_goes_to_the_largest() -> None:
    """Fewer mutants than modules: shares in proportion, nothing for a module too small."""
    chosen = mutate.stratified(_mutants({"a.py": 50, "b.py": 30, "c.py": 1}), 2, "1:kit")
    assert Counter(m.path for m in chosen) == {"a.py": 1, "b.py": 1}


def test_the_record_keeps_the_games_score_on_top_and_the_kits_apart(tmp_path: Path) -> None:
    """Notebook 9 reads the game's score at the top level; a product not run keeps its entry."""
    record = tmp_path / "score.json"
    mutate.write_record(record, {"game": {"counted": 3}, "kit": {"counted": 5}}, "first")
    mutate.write_record(record, {"kit": {"counted": 7}}, "second")
    assert json.loads(record.read_text()) == {
        "counted": 3,
        "command": "first",
        "kit": {"counted": 7, "command": "second"},
    }
