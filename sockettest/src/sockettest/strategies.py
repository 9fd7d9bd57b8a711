"""Hypothesis strategies for network code: how bytes are split, when faults strike, and how
threads interleave.

The only module of :mod:`sockettest` that imports Hypothesis (an optional dependency:
``pip install 'sockettest[pytest]'``), so the rest of the kit works without it.

Each strategy shrinks toward the simplest case: :func:`splits` toward one chunk, :func:`faults`
toward ``Faults()`` (nothing goes wrong), :func:`schedules` toward no preemption at all.
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

__all__ = ["chunk_sizes", "faults", "schedules", "splits"]


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
    return cuts.map(lambda points: _cut(data, sorted(points)))


def _cut(data: bytes, points: list[int]) -> list[bytes]:
    edges = [0, *points, len(data)]
    return [data[start:end] for start, end in pairwise(edges)]


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
            chunk or send size.
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
