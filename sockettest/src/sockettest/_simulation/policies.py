"""How a simulated run picks the next thread: :class:`RandomWalk`, :class:`PCT`, :class:`Schedule`.

A policy is a frozen value (so that a failure can print it, and a replay can pass it back);
each run asks it for a fresh *chooser* (``_chooser(seed)``) that makes that run's choices. At a
scheduling point the candidates are the runnable threads, the running one first (if it can go
on) and then the others in the order they were started; a choice is a position in that list.
So position 0 always means "no switch", which is what a :class:`Schedule` shrinks toward.

The other choice a run makes is the order of a selector's ready events (``pick``): the position,
among those not yet reported, of the one reported next, 0 being the first in the selector's
registration order. Such choices take their place among the threads' in ``choices``.

The model is awslabs/shuttle: ``scheduler/random.rs``, ``pct.rs`` and ``replay.rs``.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sockettest._simulation.scheduler import Chooser
from sockettest._validation import check_int

__all__ = ["FIRST_GUESS", "PCT", "Policy", "RandomWalk", "Schedule", "sized"]


@dataclass(frozen=True)
class RandomWalk:
    """At every scheduling point with a choice, any runnable thread, uniformly, from the seed.

    Cheap and unbiased over single steps; a bug that needs one thread to run many steps
    uninterrupted is found faster by :class:`PCT`.
    """

    def _chooser(self, seed: int) -> Chooser:
        return _RandomChooser(random.Random(seed))

    def __repr__(self) -> str:
        return "RandomWalk()"


@dataclass(frozen=True)
class PCT:
    """Probabilistic concurrency testing (Burckhardt et al., 2010), as shuttle's ``PctScheduler``.

    Each thread gets a random priority when it starts, and the highest-priority runnable thread
    always runs; at ``depth - 1`` points, picked at random among the first ``steps``, the running
    thread's priority drops below every other. A bug that needs ``d`` ordering constraints is
    found with probability at least ``1 / (threads * steps ** (d - 1))`` a run, so ``steps``
    should be about a run's length: too large, and most change points fall after the run ends.

    By default (``steps=None``) the estimate adapts, as shuttle's ``PctScheduler`` does:
    :func:`~sockettest.explore` gives each seed the longest run it has seen so far in that
    call (a guess, 64, before any), and the seed's run takes that estimate as a fixed
    ``PCT(depth=..., steps=...)``, which its replay note prints: so a failing seed replays
    exactly, whatever ran before it. A lone ``simulate`` with ``steps=None`` uses the guess.

    Args:
        depth: the bug depth to aim at (at least 1; 1 never preempts).
        steps: about how many scheduling points a run has; change points fall among them.
            ``None``: adapt to the runs seen (see above).
    """

    depth: int = 3
    steps: int | None = None

    def __post_init__(self) -> None:
        check_int("depth", self.depth, 1)
        if self.steps is not None:
            check_int("steps", self.steps, 2)

    def _chooser(self, seed: int) -> Chooser:
        return _PCTChooser(random.Random(seed), self.depth, self.steps or FIRST_GUESS)


FIRST_GUESS = 64
"""The step estimate of an adaptive :class:`PCT` before any run is seen (the benchmark's
programs take 11-61 scheduling points; a guess too small only puts change points early)."""


def sized(policy: RandomWalk | PCT | None, longest: int) -> RandomWalk | PCT | None:
    """``policy`` for the next run of an :func:`~sockettest.explore` whose runs so far took at
    most ``longest`` scheduling points: an adaptive :class:`PCT` becomes a fixed one with that
    estimate (``FIRST_GUESS`` before any run), so that the run's replay names it; any
    other policy is itself."""
    if not isinstance(policy, PCT) or policy.steps is not None:
        return policy
    return PCT(depth=policy.depth, steps=max(2, longest) if longest else FIRST_GUESS)


@dataclass(frozen=True)
class Schedule:
    """An explicit sequence of choices: the scheduler's, replayed; what Hypothesis shrinks.

    At the i-th scheduling point that has a choice, ``choices[i]`` (modulo the number of
    runnable threads) picks among them, 0 being the running thread; past the end, 0 (no
    preemption). A selector's ready events take choices too, one for each but the last, 0
    keeping them in registration order. ``Schedule([])`` runs each thread until it blocks. A
    seeded run's choices are ``simulation.choices``: ``Schedule(simulation.choices)`` replays
    it. Any non-negative int is a choice (``Schedule([99])`` with two threads runnable picks
    the second, 99 % 2), so that Hypothesis can draw and shrink choices without knowing how
    many threads a run has.

    Args:
        choices: non-negative ints.

    Raises:
        TypeError: ``choices`` is not an iterable of ints.
        ValueError: a negative choice.
    """

    choices: tuple[int, ...] = field(default=())

    def __init__(self, choices: Iterable[int] = ()) -> None:
        if isinstance(choices, str | bytes) or not isinstance(choices, Iterable):
            raise TypeError(f"choices must be an iterable of ints, not {choices!r}")
        values = tuple(choices)
        for choice in values:
            check_int("a choice", choice)
        if any(choice < 0 for choice in values):
            raise ValueError(f"choices must be non-negative ints, not {values!r}")
        object.__setattr__(self, "choices", values)

    def __repr__(self) -> str:
        return f"Schedule({list(self.choices)!r})"

    def _chooser(self, seed: int) -> Chooser:
        return _ReplayChooser(self.choices)


Policy = RandomWalk | PCT | Schedule
"""Any of the three: what ``Simulation(policy=...)`` takes."""


class _RandomChooser:
    """Uniform choices; a selector's ready events are drawn so by every seeded policy."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def added(self, index: int) -> None:
        pass

    def choose(self, candidates: Sequence[int], running: int, step: int) -> int:
        return 0 if len(candidates) == 1 else self._rng.randrange(len(candidates))

    def pick(self, count: int) -> int:
        return self._rng.randrange(count)


class _PCTChooser(_RandomChooser):
    def __init__(self, rng: random.Random, depth: int, steps: int) -> None:
        super().__init__(rng)
        self._depth = depth
        self._changes = set(rng.sample(range(1, steps), min(depth - 1, steps - 1)))
        self._lowered = 0
        self._priorities: dict[int, float] = {}

    def added(self, index: int) -> None:
        self._priorities[index] = self._depth + self._rng.random()  # above every lowered one

    def choose(self, candidates: Sequence[int], running: int, step: int) -> int:
        if step in self._changes:  # once per change point: a wait chooses again at one step
            self._changes.discard(step)
            self._lowered += 1
            self._priorities[running] = float(self._depth - self._lowered)
        return max(range(len(candidates)), key=lambda i: self._priorities[candidates[i]])


class _ReplayChooser:
    def __init__(self, choices: tuple[int, ...]) -> None:
        self._choices = choices
        self._next = 0

    def added(self, index: int) -> None:
        pass

    def choose(self, candidates: Sequence[int], running: int, step: int) -> int:
        if len(candidates) == 1:
            return 0
        return self.pick(len(candidates))

    def pick(self, count: int) -> int:
        position = self._choices[self._next] if self._next < len(self._choices) else 0
        self._next += 1
        return position % count
