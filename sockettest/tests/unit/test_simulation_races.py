"""A planted race, found and replayed: the name server of name_server.py under simulate.

The racy server checks that a name is free, sends OK, then records it; two clients claim one
name, and for some schedules both get OK. explore finds such a seed, simulate replays it, the
same way, every time, and the fixed server passes every seed. Each case runs twice: on an
injected socket factory, and on unmodified socket calls under network.patch(). The full counts
the issue asks for (200 seeds, 100 replays, 200 seeds of the fixed server) are in
tests/stress/test_simulation_races.py; these are the small, fast versions.
"""

import pytest

from sockettest import Simulation, explore, simulate
from tests.unit import name_server
from tests.unit.name_server import two_claims

SEEDS = range(200)

ways = pytest.mark.parametrize("patched", [False, True], ids=["factory", "patched"])


pytestmark = pytest.mark.usefixtures("leak_guard")  # no thread may outlive its test


@ways
def test_explore_finds_the_race_and_simulate_replays_it(patched: bool) -> None:
    """A failing seed within 200; five replays of it fail with the same error and trace."""
    racy = two_claims(fixed=False, patched=patched)
    seed = explore(racy, seeds=SEEDS, check_determinism=True)  # fails alike twice
    assert seed is not None, "no seed of 200 found the planted race"
    outcomes = set()
    for _ in range(5):
        simulation = Simulation(seed=seed)
        with pytest.raises(AssertionError, match=r"both claims of one name got \['OK', 'OK'\]"):
            simulation.run(racy)
        outcomes.add(tuple(simulation.trace))
    assert len(outcomes) == 1, "one seed gave different interleavings"


@ways
def test_the_failure_says_how_to_replay_it(patched: bool) -> None:
    """The error's note has the seed, the replay call, and the steps that led to it."""
    racy = two_claims(fixed=False, patched=patched)
    seed = explore(racy, seeds=SEEDS)
    with pytest.raises(AssertionError) as caught:
        simulate(racy, seed=seed)
    note = "\n".join(caught.value.__notes__)
    assert f"Replay: sockettest.simulate(fn, seed={seed})\n  where fn is a function made " in note
    assert f"(two_claims.<locals>.scenario, defined at {name_server.__file__}:" in note
    assert "handler-0: sendall" in note
    assert "handler-1: sendall" in note


@ways
def test_the_fixed_server_passes_every_seed_tried(patched: bool) -> None:
    """Check and record under one lock: no seed breaks it (10 here, 200 in the stress tier),
    and each replays step for step."""
    fixed = two_claims(fixed=True, patched=patched)
    assert explore(fixed, seeds=range(10), check_determinism=True, raise_failure=True) is None
    assert simulate(fixed, seed=0) == ["OK", "TAKEN"]
