"""Each strategy of sockettest.strategies gives what it promises."""

import importlib
import sys
from collections.abc import Callable
from typing import TypeVar

import pytest
from hypothesis import Phase, find, given, settings, target
from hypothesis import strategies as st

from sockettest import Faults, Schedule
from sockettest.strategies import chunk_sizes, faults, preemptions, schedules, splits

T = TypeVar("T")


@given(data=st.data(), wire=st.binary(max_size=64))
def test_splits_join_back_to_the_data(data: st.DataObject, wire: bytes) -> None:
    """The chunks of a split are non-empty and join back to the bytes split."""
    chunks = data.draw(splits(wire))
    assert b"".join(chunks) == wire
    assert all(chunks), f"an empty chunk in {chunks!r}"


@given(data=st.data(), wire=st.binary(min_size=1, max_size=32), limit=st.integers(1, 4))
def test_splits_respect_max_chunks(data: st.DataObject, wire: bytes, limit: int) -> None:
    """``max_chunks`` bounds the number of chunks."""
    chunks = data.draw(splits(wire, max_chunks=limit))
    assert 1 <= len(chunks) <= limit
    assert b"".join(chunks) == wire


@given(chunks=splits(b""))
def test_splits_of_nothing_is_no_chunk(chunks: list[bytes]) -> None:
    """Empty data splits into no chunk at all."""
    assert chunks == []


@given(sizes=chunk_sizes(max_size=5))
def test_chunk_sizes_are_positive(sizes: tuple[int, ...]) -> None:
    """Chunk sizes are a non-empty tuple of sizes 1..max_size, fit for Faults.recv_chunks."""
    assert sizes
    assert all(1 <= size <= 5 for size in sizes)
    Faults(recv_chunks=sizes)


@given(drawn=faults(max_bytes=10))
def test_drawn_faults_are_valid(drawn: Faults) -> None:
    """Every drawn Faults keeps within the bounds asked for, and its repr rebuilds it."""
    assert isinstance(drawn, Faults)
    for position in (drawn.reset_after_recv, drawn.reset_after_send, drawn.eof_after):
        assert position is None or 0 <= position <= 10
    assert eval(repr(drawn), {"Faults": Faults}) == drawn  # noqa: S307 (our own repr)


@given(drawn=faults(resets=False, timeouts=False, early_eof=False))
def test_faults_flags_switch_kinds_off(drawn: Faults) -> None:
    """A kind switched off is never drawn: here only chunking and short sends remain."""
    assert drawn.reset_after_recv is None
    assert drawn.reset_after_send is None
    assert drawn.timeout_on_recv is None
    assert drawn.eof_after is None


def test_without_hypothesis_the_import_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """The one module that needs Hypothesis says how to get it, rather than a bare ImportError."""
    monkeypatch.setitem(sys.modules, "hypothesis", None)  # as if it were not installed
    monkeypatch.delitem(sys.modules, "sockettest.strategies")
    with pytest.raises(ImportError, match=r"pip install 'sockettest\[pytest\]'"):
        importlib.import_module("sockettest.strategies")


DRAWS_ONLY = settings(max_examples=2000, phases=[Phase.reuse, Phase.generate])
"""find()'s own budget, without its shrinking (about half a second a search without the example
database): for what can be drawn at all, where the smallest such draw says nothing more."""


def found(strategy: st.SearchStrategy[T], condition: Callable[[T], bool]) -> T:
    """The first value of ``strategy`` found to meet ``condition``."""
    return find(strategy, condition, settings=DRAWS_ONLY)


def test_faults_reach_the_smallest_and_largest_of_each_kind() -> None:
    """``faults()`` can draw a one-byte send, a timeout on the first recv, and a reset or an
    early EOF at byte 0 or at ``max_bytes``: the edges where code breaks."""
    drawn = faults(max_bytes=16)
    assert found(drawn, lambda f: f.send_limit == 1).send_limit == 1
    assert found(drawn, lambda f: f.send_limit == 16).send_limit == 16
    assert found(drawn, lambda f: f.timeout_on_recv == 1).timeout_on_recv == 1
    assert found(drawn, lambda f: f.timeout_on_recv == 8).timeout_on_recv == 8
    assert found(drawn, lambda f: f.reset_after_recv == 0).reset_after_recv == 0
    assert found(drawn, lambda f: f.reset_after_recv == 16).reset_after_recv == 16
    assert found(drawn, lambda f: f.eof_after == 0).eof_after == 0
    assert found(drawn, lambda f: f.eof_after == 16).eof_after == 16


@given(preemptions(max_preemptions=2, max_points=10, max_threads=3))
def test_preemptions_are_a_few_switches_among_the_first_points(schedule: Schedule) -> None:
    """At most two switches, each to another thread (1 or 2), among the first ten points, and
    nothing after the last: every other point keeps the running thread."""
    switches = [choice for choice in schedule.choices if choice]
    assert len(switches) <= 2
    assert set(switches) <= {1, 2}
    assert len(schedule.choices) <= 10
    assert not schedule.choices or schedule.choices[-1] != 0


def test_preemptions_reach_the_last_point_and_thread_and_shrink_to_none() -> None:
    """The drawn switches reach point ``max_points - 1`` and thread ``max_threads - 1``; the
    simplest schedule is no switch at all, ``Schedule([])``."""
    drawn = preemptions(max_points=10, max_threads=3)
    assert len(found(drawn, lambda s: len(s.choices) == 10).choices) == 10
    assert 2 in found(drawn, lambda s: 2 in s.choices).choices
    assert find(drawn, lambda s: True) == Schedule([])


BOUNDS = settings(
    max_examples=300, derandomize=True, database=None, phases=[Phase.generate, Phase.target]
)
"""Draws, the same ones every run, that ``target()`` drives toward a strategy's largest value:
they meet a value past its bound if it can draw one, where a search that must come back
empty-handed (``find``'s 2,000 draws) costs seconds."""


@BOUNDS
@given(faults())
def test_faults_stay_within_their_bounds_by_default(drawn: Faults) -> None:
    """``faults()`` draws a timeout on one of the first eight recv calls, as its docstring
    says, never a later one; and no chunk, send size, reset or EOF position past its default
    ``max_bytes`` of 64."""
    target(float(drawn.timeout_on_recv or 0), label="timeout")
    assert drawn.timeout_on_recv is None or 1 <= drawn.timeout_on_recv <= 8
    sizes = [*drawn.recv_chunks, drawn.send_limit, drawn.reset_after_recv]
    sizes += [drawn.reset_after_send, drawn.eof_after]
    largest = max((size for size in sizes if size is not None), default=0)
    target(float(largest), label="bytes")
    assert largest <= 64


def test_schedules_draw_every_choice_below_max_threads_zero_included() -> None:
    """``schedules()`` draws choices 0 to ``max_threads - 1``: 0 (the running thread, or the
    first runnable) as well as the others."""
    drawn = schedules(max_threads=3)
    assert 0 in found(drawn, lambda s: 0 in s.choices).choices
    assert 2 in found(drawn, lambda s: 2 in s.choices).choices


@BOUNDS
@given(schedules(max_threads=3))
def test_schedules_draw_no_choice_from_max_threads_on(drawn: Schedule) -> None:
    """A choice is a runnable thread's index: none is ``max_threads`` or more."""
    target(float(max(drawn.choices, default=0)))
    assert all(0 <= choice < 3 for choice in drawn.choices)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"max_preemptions": -1}, "max_preemptions must be at least 0, not -1"),
        ({"max_points": 0}, "max_points must be at least 1, not 0"),
        ({"max_threads": 1}, "max_threads must be at least 2, not 1"),
    ],
)
def test_preemptions_refuse_an_argument_out_of_range_naming_it(
    arguments: dict[str, int], message: str
) -> None:
    """A bound that leaves nothing to draw is a ValueError at the call, naming the argument."""
    with pytest.raises(ValueError, match=message):
        preemptions(**arguments)
