"""The benchmark of concurrency bugs at the budgets of ``make explore-bench``: each bug found
within 1,000 schedules by at least one policy, and each fix passing every seed tried under
each policy (20 at the small scale, 200 at the full one). tests/unit/test_benchmark_bugs.py
runs the same checks small."""

from types import ModuleType

import pytest
from benchmarks import PROGRAMS, harness

from sockettest import PCT, RandomWalk
from tests.stress.scale import scaled

pytestmark = pytest.mark.usefixtures("leak_guard")

SCHEDULES = 1000
FIX_SEEDS = scaled(20, 200)

programs = pytest.mark.parametrize(
    "program", PROGRAMS, ids=[program.__name__.split(".")[-1] for program in PROGRAMS]
)


@programs
def test_some_policy_finds_the_bug_within_1000_schedules(program: ModuleType) -> None:
    """RandomWalk, PCT sized to the program, or Hypothesis's schedules() finds it."""
    sized = PCT(steps=harness.steps_of(program.fixed))
    first = harness.seeded(program.racy, RandomWalk(), SCHEDULES).first
    if first is None:
        first = harness.seeded(program.racy, sized, SCHEDULES).first
    if first is None:
        first = harness.hypothesis(program.racy, SCHEDULES).first
    assert first is not None, f"no policy found the bug within {SCHEDULES} schedules"


@programs
def test_the_fix_passes_every_seed_of_each_policy(program: ModuleType) -> None:
    """No seed of RandomWalk or sized PCT, and no Hypothesis example, breaks the fix."""
    sized = PCT(steps=harness.steps_of(program.fixed))
    for search in (
        harness.seeded(program.fixed, RandomWalk(), FIX_SEEDS),
        harness.seeded(program.fixed, sized, FIX_SEEDS),
        harness.hypothesis(program.fixed, FIX_SEEDS),
    ):
        assert (search.first, search.tried) == (None, FIX_SEEDS)
