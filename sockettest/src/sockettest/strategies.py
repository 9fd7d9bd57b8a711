"""Hypothesis strategies for network code: how bytes are split, when faults strike, and how
threads interleave.

The only module of :mod:`sockettest` that imports Hypothesis (an optional dependency:
``pip install 'sockettest[pytest]'``), so the rest of the kit works without it.

Each strategy shrinks toward the simplest case: :func:`splits` toward one chunk, :func:`faults`
toward ``Faults()`` (nothing goes wrong), :func:`preemptions` and :func:`schedules` toward no
preemption at all.
So when a property fails, Hypothesis reports the smallest split or schedule that breaks it::

    @given(data=st.data())
    def test_any_split_gives_the_same_lines(data):
        wire = b"PING\\nQUIT\\n"
        reader = MyLineReader()
        lines = [line for chunk in data.draw(splits(wire)) for line in reader.feed(chunk)]
        assert lines == ["PING", "QUIT"]
"""

from __future__ import annotations

from itertools import pairwise

try:
    from hypothesis import strategies as st
except ImportError as error:  # say which extra brings it, not just that it is missing
    raise ImportError(
        "sockettest.strategies needs Hypothesis: pip install 'sockettest[pytest]'"
    ) from error

from sockettest._faults import Faults
from sockettest._simulation.policies import Schedule

__all__ = ["chunk_sizes", "faults", "preemptions", "schedules", "splits"]


def splits(data: bytes, *, max_chunks: int | None = None) -> st.SearchStrategy[list[bytes]]:
    """Ways to cut ``data`` into non-empty chunks, as successive ``recv`` calls might return it.

    ``b"".join(chunks) == data`` always; no chunk is empty (``recv`` returns ``b""`` only at
    EOF); ``b""`` gives ``[]``. Shrinks toward ``[data]``, one chunk.

    Args:
        data: the bytes to split.
        max_chunks: at most this many chunks (at least 1); ``None`` for up to one per byte.
    """
    if max_chunks is not None and max_chunks < 1:
        raise ValueError(f"max_chunks must be at least 1, not {max_chunks!r}")
    if not data:
        return st.just([])
    if len(data) == 1:
        return st.just([data])
    cuts = st.sets(
        st.integers(1, len(data) - 1),
        max_size=None if max_chunks is None else max_chunks - 1,
    )
    return cuts.map(
        lambda points: [data[a:b] for a, b in pairwise([0, *sorted(points), len(data)])]
    )


def chunk_sizes(*, max_size: int = 16, max_chunks: int = 8) -> st.SearchStrategy[tuple[int, ...]]:
    """Non-empty tuples of sizes 1..``max_size``, for :attr:`Faults.recv_chunks`."""
    return st.lists(st.integers(1, max_size), min_size=1, max_size=max_chunks).map(tuple)


def faults(
    *,
    recv_chunks: bool = True,
    short_sends: bool = True,
    resets: bool = True,
    timeouts: bool = True,
    early_eof: bool = True,
    max_bytes: int = 64,
) -> st.SearchStrategy[Faults]:
    """Faults (:class:`~sockettest.Faults`), each kind switched on by a flag.

    Leave a kind on to let Hypothesis try it; turn it off when the property does not hold under
    it. For instance a correct program gives the same result under any chunking and short
    sends, so ``faults(resets=False, timeouts=False, early_eof=False)`` draws only those
    *benign* faults; the harmful ones need a property such as "the server closes only that
    connection". Shrinks toward ``Faults()``.

    Args:
        recv_chunks, short_sends, resets, timeouts, early_eof: which kinds may be drawn.
        max_bytes: the largest byte position for a reset or an early EOF, and the largest
            chunk or send size. A timeout falls on one of the first eight ``recv`` calls.
    """

    def maybe(enabled: bool, values: st.SearchStrategy[int]) -> st.SearchStrategy[int | None]:
        return st.none() | values if enabled else st.none()

    positions = st.integers(0, max_bytes)
    return st.builds(
        Faults,
        recv_chunks=st.just(()) | chunk_sizes(max_size=max_bytes) if recv_chunks else st.just(()),
        send_limit=maybe(short_sends, st.integers(1, max_bytes)),
        reset_after_recv=maybe(resets, positions),
        reset_after_send=maybe(resets, positions),
        timeout_on_recv=maybe(timeouts, st.integers(1, 8)),
        eof_after=maybe(early_eof, positions),
    )


def schedules(*, max_choices: int = 64, max_threads: int = 8) -> st.SearchStrategy[Schedule]:
    """Thread schedules for :func:`sockettest.simulate`: ``simulate(fn, schedule=...)``.

    A :class:`~sockettest.Schedule` is the scheduler's choice sequence itself (at each point
    with a choice, which runnable thread goes next; 0 is the running one), so Hypothesis
    shrinks the interleaving, not a seed: a failing schedule shrinks toward fewer and earlier
    preemptions, and the falsifying example prints a short ``Schedule([...])`` that replays
    it. Past its end a schedule never preempts. Shrinks toward ``Schedule([])``::

        @given(schedule=schedules())
        def test_names_are_claimed_once(schedule):
            sockettest.simulate(two_claims, schedule=schedule)

    Args:
        max_choices: the longest choice sequence drawn.
        max_threads: choices are drawn below this (they are taken modulo the number of
            runnable threads, so a larger value only spreads them).
    """
    if max_choices < 0:
        raise ValueError(f"max_choices must be at least 0, not {max_choices!r}")
    if max_threads < 1:
        raise ValueError(f"max_threads must be at least 1, not {max_threads!r}")
    choices = st.lists(st.integers(0, max_threads - 1), max_size=max_choices)
    return choices.map(Schedule)


def preemptions(
    *, max_preemptions: int = 3, max_points: int = 64, max_threads: int = 2
) -> st.SearchStrategy[Schedule]:
    """Sparse thread schedules: a few preemption points, every other point "no switch".

    Where :func:`schedules` draws a choice for every scheduling point (so a random one switches
    threads at most points, and a race that needs one thread to run many steps uninterrupted
    is rarely drawn), this draws only where to preempt: up to ``max_preemptions`` pairs of a
    point (the index among the points that have a choice) and a thread to switch to. Most
    races need one or two preemptions at the right places, and that is what it draws: on
    notebook 10's race, a median of 23 examples to the first failure over ten Hypothesis seeds,
    where :func:`schedules` found it within 300 for only five of them. It shrinks toward
    fewer, earlier preemptions; the falsifying example is a :class:`~sockettest.Schedule` (the
    choices, 0 everywhere but at the preemptions) that ``simulate(fn, schedule=...)``
    replays::

        @given(schedule=preemptions())
        def test_a_seat_is_sold_once(schedule):
            sockettest.simulate(two_fans_one_seat, schedule=schedule)

    Args:
        max_preemptions: at most this many preemptions (at least 0).
        max_points: preemptions fall among the first this many points that have a choice
            (at least 1); past them a run is never preempted, so raise it for longer runs.
        max_threads: a preemption's choice is drawn from ``1 .. max_threads - 1`` (at least 2),
            taken modulo the number runnable as :class:`~sockettest.Schedule` does. The
            default, 2, always switches to the runnable thread started first (other than the
            running one): it found notebook 10's race and six of the benchmark's ten bugs in
            fewer examples than ``max_threads=4`` (medians of five Hypothesis seeds), three in
            more. Raise it to let a preemption pick any thread (a choice that wraps to 0 is
            then no switch).
    """
    if max_preemptions < 0:
        raise ValueError(f"max_preemptions must be at least 0, not {max_preemptions!r}")
    if max_points < 1:
        raise ValueError(f"max_points must be at least 1, not {max_points!r}")
    if max_threads < 2:
        raise ValueError(f"max_threads must be at least 2, not {max_threads!r}")
    points = st.dictionaries(
        st.integers(0, max_points - 1),
        st.integers(1, max_threads - 1),
        max_size=max_preemptions,
    )
    return points.map(_sparse_schedule)


def _sparse_schedule(points: dict[int, int]) -> Schedule:
    choices = [0] * (max(points) + 1 if points else 0)
    for point, choice in points.items():
        choices[point] = choice
    return Schedule(choices)
