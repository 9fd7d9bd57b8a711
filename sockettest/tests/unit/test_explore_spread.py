"""Exploration spread over CI jobs and reported while it runs: seed_slice, the
SOCKETTEST_SEED_SLICE variable explore honours, progress; and the arguments of processes=,
checked at the call (runs in worker processes are in tests/integration)."""

import dataclasses
import io
import re
import sys
from collections.abc import Iterator

import pytest
from benchmarks import lost_update

from sockettest import PCT, ExploreProgress, explore, seed_slice
from sockettest._simulation import progress as progress_module

CALLS: list[None] = []
"""One entry per run of :func:`counted`, cleared by the fixture."""


def counted() -> None:
    """A scenario that passes and counts its runs."""
    CALLS.append(None)


@pytest.fixture
def calls() -> Iterator[list[None]]:
    """:data:`CALLS`, empty when the test starts and cleared after it."""
    CALLS.clear()
    yield CALLS
    CALLS.clear()


def test_seed_slices_take_every_nth_seed_and_together_are_all_of_them_once() -> None:
    """Slice k/n is every n-th seed from the k-th, in the order given; the n slices partition."""
    seeds = [9, 3, 7, 1, 0, 4, 8]
    assert seed_slice(seeds, "2/3") == [3, 0]
    assert seed_slice(seeds, "1/3") == [9, 1, 8]
    parts = [seed_slice(seeds, f"{k}/3") for k in (1, 2, 3)]
    assert sorted(seed for part in parts for seed in part) == sorted(seeds)


def test_seed_slice_reads_the_environment_variable_and_without_it_keeps_every_seed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """seed_slice(seeds) is the slice SOCKETTEST_SEED_SLICE names, or every seed if unset."""
    monkeypatch.delenv("SOCKETTEST_SEED_SLICE", raising=False)
    assert seed_slice(range(5)) == [0, 1, 2, 3, 4]
    monkeypatch.setenv("SOCKETTEST_SEED_SLICE", "1/2")
    assert seed_slice(range(5)) == [0, 2, 4]


@pytest.mark.parametrize("part", ["0/4", "5/4", "2", "a/b", "2/0", " 2/4x", "-1/4"])
def test_a_bad_slice_is_a_value_error_naming_the_argument(part: str) -> None:
    """A slice that is not k/n with 1 <= k <= n fails at the call, naming part."""
    with pytest.raises(ValueError, match=r"^part must be 'k/n'"):
        seed_slice(range(10), part)


def test_a_bad_slice_in_the_environment_is_an_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, calls: list[None]
) -> None:
    """explore fails at the call, naming SOCKETTEST_SEED_SLICE, before any run."""
    monkeypatch.setenv("SOCKETTEST_SEED_SLICE", "3/2")
    with pytest.raises(ValueError, match=r"^SOCKETTEST_SEED_SLICE must be 'k/n'.*'3/2'"):
        explore(counted, seeds=range(4))
    assert calls == []


def test_explore_runs_only_the_slice_the_environment_names(
    monkeypatch: pytest.MonkeyPatch, calls: list[None]
) -> None:
    """With SOCKETTEST_SEED_SLICE=2/3, explore over nine seeds runs three of them."""
    monkeypatch.setenv("SOCKETTEST_SEED_SLICE", "2/3")
    assert explore(counted, seeds=range(9)) is None
    assert len(calls) == 3


def test_explore_in_a_slice_returns_the_first_failing_seed_of_that_slice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The answer in slice k/n is the serial answer over seed_slice(seeds, k/n)."""
    seeds = range(12)
    monkeypatch.delenv("SOCKETTEST_SEED_SLICE", raising=False)
    expected = explore(lost_update.racy, seeds=seed_slice(seeds, "1/2"))
    assert expected is not None
    assert explore(lost_update.racy, seeds=seeds) != expected  # the slice changes the answer
    monkeypatch.setenv("SOCKETTEST_SEED_SLICE", "1/2")
    assert explore(lost_update.racy, seeds=seeds) == expected


@pytest.mark.parametrize("fn_kind", ["lambda", "local"])
def test_processes_refuses_a_function_workers_cannot_import_before_any_run(fn_kind: str) -> None:
    """A lambda or a function made inside another cannot reach a worker: a TypeError naming fn."""

    def local() -> None:
        CALLS.append(None)

    fn = (lambda: CALLS.append(None)) if fn_kind == "lambda" else local
    CALLS.clear()
    with pytest.raises(TypeError, match=r"^fn must be importable .* processes=2") as raised:
        explore(fn, seeds=range(3), processes=2)
    assert ("a lambda" if fn_kind == "lambda" else "a function made inside another") in str(
        raised.value
    )
    assert CALLS == []


def test_processes_refuses_an_adaptive_pct_whose_runs_depend_on_the_seeds_before() -> None:
    """An adaptive PCT sizes a seed's run from the runs before it in one process, so seeds in
    worker processes would differ from a serial run: a ValueError saying so, before any run;
    a PCT with its steps given is taken."""
    CALLS.clear()
    with pytest.raises(ValueError, match=r"^explore\(processes=2\) .* give PCT\(steps=\.\.\.\)"):
        explore(counted, seeds=range(3), policy=PCT(), processes=2)
    assert CALLS == []
    assert explore(counted, seeds=range(3), policy=PCT(steps=100), processes=1) is None


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (0, ValueError, r"^processes must be an int of at least 1, not 0"),
        ("2", TypeError, r"^processes must be an int"),
        (True, TypeError, r"^processes must be an int"),
    ],
)
def test_processes_must_be_a_positive_int(
    value: object, error: type[Exception], message: str, calls: list[None]
) -> None:
    """A wrong processes fails at the call, naming it, before any run."""
    with pytest.raises(error, match=message):
        explore(counted, seeds=range(3), processes=value)  # type: ignore[arg-type]
    assert calls == []


def test_progress_is_called_after_each_seed_with_the_first_failure_and_once_done() -> None:
    """A callable progress sees every seed counted, the first failure, and a last report."""
    seeds = list(range(12))
    first = explore(lost_update.racy, seeds=seeds)
    assert first is not None
    reports: list[ExploreProgress] = []
    assert explore(lost_update.racy, seeds=seeds, progress=reports.append) == first
    ran = seeds.index(first) + 1
    assert [report.seeds_run for report in reports] == [*range(1, ran + 1), ran]
    assert [report.done for report in reports] == [False] * ran + [True]
    assert all(report.seeds_total == len(seeds) for report in reports)
    assert reports[-1].first_failure == first
    assert all(report.first_failure is None for report in reports[: ran - 1])


def test_progress_true_prints_to_stderr_every_interval_and_at_the_end(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], calls: list[None]
) -> None:
    """progress=True writes a line per interval (here every seed) and a last one; stdout none."""
    monkeypatch.setattr(progress_module, "INTERVAL", 0.0)
    assert explore(counted, seeds=range(3), progress=True) is None
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 4
    pattern = r"^sockettest\.explore: (\d)/3 seeds run in [\d.]+ s \([\d.]+ seeds/s\), "
    assert [re.match(pattern, line)[1] for line in lines] == ["1", "2", "3", "3"]  # type: ignore[index]
    assert lines[-1].endswith("no failure; done")
    assert lines[0].endswith("no failure so far")


def test_progress_true_flushes_each_line_to_a_block_buffered_stderr(
    monkeypatch: pytest.MonkeyPatch, calls: list[None]
) -> None:
    """Each progress line reaches stderr's file at once, even where stderr is block-buffered (a
    CI log file): a line that waits in the buffer is no report of a run still going."""
    written = io.BytesIO()
    stderr = io.TextIOWrapper(written, encoding="utf-8")  # no line buffering, no write-through
    monkeypatch.setattr(sys, "stderr", stderr)
    monkeypatch.setattr(progress_module, "INTERVAL", 0.0)
    try:
        assert explore(counted, seeds=range(2), progress=True) is None
        assert written.getvalue().decode().count("sockettest.explore: ") == 3
    finally:
        stderr.detach()


def test_progress_true_is_silent_until_the_interval_has_passed(
    capsys: pytest.CaptureFixture[str], calls: list[None]
) -> None:
    """A short explore with progress=True prints only its last line."""
    assert explore(counted, seeds=range(3), progress=True) is None
    assert len(capsys.readouterr().err.splitlines()) == 1


def test_progress_off_prints_nothing(capsys: pytest.CaptureFixture[str], calls: list[None]) -> None:
    """progress defaults to off."""
    assert explore(counted, seeds=range(3)) is None
    assert capsys.readouterr() == ("", "")


def test_progress_must_be_a_flag_or_a_callable(calls: list[None]) -> None:
    """A wrong progress fails at the call, naming it."""
    with pytest.raises(TypeError, match=r"^progress must be True, False or a callable"):
        explore(counted, seeds=range(3), progress="yes")  # type: ignore[arg-type]
    assert calls == []


def test_a_progress_report_reads_as_one_line() -> None:
    """str(ExploreProgress) names the seeds run, the rate and the first failure."""
    report = ExploreProgress(seeds_run=50, seeds_total=200, seconds=2.0, first_failure=17)
    assert report.seeds_per_second == 25.0
    assert str(report) == (
        "sockettest.explore: 50/200 seeds run in 2.0 s (25.0 seeds/s), "
        "first failure so far: seed 17"
    )


def test_a_progress_report_is_a_value_that_no_one_can_change() -> None:
    """An ExploreProgress is frozen and hashable: a callback that keeps the reports keeps what
    each said."""
    report = ExploreProgress(seeds_run=50, seeds_total=200, seconds=2.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.seeds_run = 51  # type: ignore[misc]
    same = ExploreProgress(seeds_run=50, seeds_total=200, seconds=2.0)
    assert {report, same} == {report}


def test_explore_in_a_slice_with_no_seed_passes_without_running_fn(
    monkeypatch: pytest.MonkeyPatch, calls: list[None]
) -> None:
    """More slices than seeds: the empty slice's job passes, running nothing."""
    monkeypatch.setenv("SOCKETTEST_SEED_SLICE", "3/3")
    assert explore(counted, seeds=range(2)) is None
    assert calls == []


def test_progress_true_prints_once_five_seconds_have_passed_since_the_last_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """progress=True prints every 5 real seconds, as the README says, and the last report."""
    report = progress_module.check_progress(True)
    assert report is not None
    for seconds in (1.0, 4.9, 5.0, 9.9, 10.0, 14.9):
        report(ExploreProgress(seeds_run=1, seeds_total=9, seconds=seconds))
    report(ExploreProgress(seeds_run=9, seeds_total=9, seconds=15.0, done=True))
    lines = capsys.readouterr().err.splitlines()
    printed_at = [re.search(r" in ([\d.]+) s ", line)[1] for line in lines]  # type: ignore[index]
    assert printed_at == ["5.0", "10.0", "15.0"]
