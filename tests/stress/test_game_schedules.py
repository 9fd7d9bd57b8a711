"""The game survives a thousand thread schedules (issue 11): two clients play a whole game on
the game server, then ``shutdown()`` comes during a second game, under
:func:`sockettest.simulate`, each seed a different interleaving of the server's accept loop,
readers, writers and the two bots. ``STRESS_SCALE=full`` runs 1,000 seeds with each policy;
the small scale, in ``make test``, 100.

A seed that fails is a real bug: fix it, and keep the seed as a regression test, with the bug
it found. The one bug these schedules found so far was not a failure but a replay that differed:
``shutdown()`` joined the handler threads in set order, by ``id``, so one seed's trace changed
from run to run. The server now keeps them in the order they came, and the test below replays
seeds and compares their traces, step by step.
"""

import pytest

from sockettest import PCT, RandomWalk, explore
from tests.stress.scale import scaled
from tests.unit.game_scenarios import a_game_then_a_shutdown

SEEDS = range(scaled(100, 1000))

pytestmark = pytest.mark.usefixtures("leak_guard")


@pytest.mark.parametrize("policy", [RandomWalk(), PCT()], ids=repr)
def test_a_game_then_a_shutdown_survives_every_seed(policy: RandomWalk | PCT) -> None:
    explore(a_game_then_a_shutdown, seeds=SEEDS, policy=policy, raise_failure=True)


@pytest.mark.parametrize("policy", [RandomWalk(), PCT()], ids=repr)
def test_each_seed_replays_the_same_schedule(policy: RandomWalk | PCT) -> None:
    explore(
        a_game_then_a_shutdown,
        seeds=range(scaled(10, 100)),
        policy=policy,
        check_determinism=True,
        raise_failure=True,
    )
