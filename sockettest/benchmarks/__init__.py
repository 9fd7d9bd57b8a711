"""A benchmark of concurrency bugs in threaded socket code, on the kit's in-memory network.

Each module is one small program with a planted bug and its fix: ``program(fixed=...)`` runs
it and fails (an ``AssertionError``, or an error in one of its threads) when the bug shows;
``racy()`` and ``fixed()`` are the two versions, named so that a replay can find them
(``sockettest.simulate(benchmarks.lost_update.racy, seed=3)``). The programs never import the
game. ``harness.py`` runs any of them under a policy; ``run.py`` is ``make explore-bench``.
"""

from benchmarks import (
    ack_before_record,
    check_then_act,
    connect_before_listen,
    idle_timeout,
    lock_order,
    lost_update,
    missed_wakeup,
    queue_empty,
    shutdown_race,
    wrong_client,
)

PROGRAMS = (
    check_then_act,
    lost_update,
    connect_before_listen,
    missed_wakeup,
    lock_order,
    wrong_client,
    shutdown_race,
    idle_timeout,
    queue_empty,
    ack_before_record,
)
"""The programs, in the order the issue lists their bugs; the last is the benchmark's own."""
