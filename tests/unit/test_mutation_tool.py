"""``scripts/mutate.py``'s own parts: its sample gives every module its share, the same for the
same seed, and its record keeps each product's score. Its verdicts on real pytest runs (a
failure that repeats is a kill, one that does not is flaky) run child processes: they are in
the integration tier, ``tests/integration/test_mutation_tool.py``.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tests.derived import derived
from tests.mutation_tool import SCRIPT, mutate


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


def test_only_the_outer_short_summary_names_failed_tests() -> None:
    """A failed test's captured output can hold a log line at ERROR level and a pytester run's
    own summary; neither is a test of the tier, so neither is taken as the one to re-run."""
    output = """\
tests/unit/test_plugin.py::test_a_user_project_fails FAILED                 [ 50%]
----------------------------- Captured stdout call -----------------------------
=========================== short test summary info ============================
FAILED test_user.py::test_inner - assert 1 == 2
------------------------------ Captured log call -------------------------------
ERROR    asyncio:base_events.py:1785 Task exception was never retrieved
=========================== short test summary info ============================
FAILED tests/unit/test_plugin.py::test_a_user_project_fails - AssertionError: boom
ERROR tests/unit/test_broken.py - ImportError: no module named nothing
"""
    assert mutate.reported(output) == [
        "tests/unit/test_plugin.py::test_a_user_project_fails",
        "tests/unit/test_broken.py",
    ]


def mutation_points(path: str, cache: pytest.Cache | None) -> set[tuple[int, str]]:
    """``(line, change)`` of each mutation point of the module at ``path`` as it is now: a
    function of the module's text and the tool's alone, so kept in pytest's cache (parsing the
    modules is most of this test's time)."""

    def compute() -> list[tuple[int, str]]:
        return [(mutant.line, mutant.change) for mutant in mutate.mutants_of(path, mutate.ROOT)]

    inputs = [SCRIPT.read_text(), (mutate.ROOT / path).read_text()]
    return {
        (line, change)
        for line, change in derived(cache, f"mutation-points/{path}", inputs, compute)
    }


def test_every_mutant_set_apart_is_one_the_code_has_today(pytestconfig: pytest.Config) -> None:
    """Each line of ``scripts/mutants-not-counted.txt`` names a mutation point of the code as it
    is now (its path, line and change): an entry left behind when code moves would no longer
    set anything apart, and its survivor would count while the file still seems to explain it."""
    cache = getattr(pytestconfig, "cache", None)  # none under -p no:cacheprovider
    points: dict[str, set[tuple[int, str]]] = {}
    stale = []
    for path, line, change in mutate.not_counted():
        if path not in points:
            points[path] = mutation_points(path, cache)
        if (line, change) not in points[path]:
            stale.append(f"{path}:{line} | {change}")
    assert stale == []
