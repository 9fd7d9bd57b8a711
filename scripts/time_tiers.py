"""Each package's unit tier against an empty pytest run in the same venv, side by side.

The unit tier is meant to run on every save: under 3 s wall, and at most 2.5 times what pytest
costs to start with nothing to run. For the kit (``sockettest/tests/unit``, from its folder,
with its own config) and for the game (``tests/unit tests/transports -m "not loopback"``, as
``make unit`` runs them), this script runs, in turn, ``runs`` times after one warm-up of each:

- the **empty run**: pytest started the way the tier starts it (same interpreter, same folder,
  same config file and so the same ``addopts``, every plugin the venv installs) on an empty
  folder: start-up, plugins and config, zero tests collected;
- the **floor**: pytest started the same way on as many tests as the tier collects, each of them
  ``assert True``: what pytest and the plugins cost per test before any test does work;
- the **tier**, exactly as ``make unit`` runs it.

It prints the median wall time of each, their ratios to the empty run, and the CPU time (user +
sys, the child and what it waited for) of each: on a machine others are loading, CPU time moves
less than wall time. The floor says how much of the ratio target pytest itself takes up.
``PYTHONDONTWRITEBYTECODE`` is dropped from the children's environment, as the Makefile does:
without pytest's cache of rewritten modules every run rewrites them all.

Run it from the repository root (``make time-tiers``)::

    python scripts/time_tiers.py
    python scripts/time_tiers.py --runs 5
    python scripts/time_tiers.py --root ../before  # another checkout's tests, this venv
    python scripts/time_tiers.py --before ../before  # both checkouts, run by run in turn

With ``--root``, the tests (and their conftest files) are the other checkout's, but ``game``
and ``sockettest`` are imported from this venv's editable installs: that quotes the cost of a
change to the tests alone, before and after, on one machine in one sitting. ``--before``
times that other checkout's tiers too, in the same rounds (empty run, tier before, tier now),
so that a load that comes and goes weighs on both alike, and prints the change in CPU time.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

WALL_TARGET = 3.0
"""Seconds of wall time a unit tier may take."""

RATIO_TARGET = 2.5
"""How many empty pytest runs a unit tier may cost."""

DEADLINE = 300.0
"""Seconds any single pytest run may take before the script gives up."""


@dataclass(frozen=True)
class Tier:
    """One package's unit tier: where pytest runs and what it is given."""

    name: str
    folder: Path
    arguments: tuple[str, ...]


def tiers_of(root: Path) -> tuple[Tier, ...]:
    """The unit tiers of the checkout at ``root``, as ``make unit`` runs them."""
    return (
        Tier("kit", root / "sockettest", ("tests/unit",)),
        Tier("game", root, ("tests/unit", "tests/transports", "-m", "not loopback")),
    )


@dataclass(frozen=True)
class Sample:
    """One pytest run's cost."""

    wall: float
    cpu: float


def run_pytest(folder: Path, arguments: list[str], expected_status: int) -> Sample:
    """Run pytest in ``folder`` with ``arguments``; return its wall and CPU seconds; raise
    unless it exits with ``expected_status``."""
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "pytest", "-q", *arguments],
        cwd=folder,
        env=environment,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        check=False,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != expected_status:
        tail = "\n".join(done.stdout.splitlines()[-20:])
        raise RuntimeError(
            f"pytest {' '.join(arguments)} in {folder} exited {done.returncode}, "
            f"not {expected_status}:\n{tail}\n{done.stderr}"
        )
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Sample(wall, cpu)


def empty_arguments(tier: Tier, folder: Path) -> list[str]:
    """pytest's arguments for a run of ``folder`` started as ``tier`` starts: its config, none
    of its tests (``folder`` is empty for the empty run, trivial tests for the floor)."""
    return ["-c", str(tier.folder / "pyproject.toml"), "--rootdir", str(tier.folder), str(folder)]


def collected(tier: Tier) -> int:
    """How many tests ``tier`` runs, as pytest's collection counts them."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "pytest", "-q", "--collect-only", *tier.arguments],
        cwd=tier.folder,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        check=True,
    )
    found = re.search(r"(\d+)(?:/\d+)? tests? collected", done.stdout)
    if found is None:
        raise RuntimeError(f"no count of collected tests in:\n{done.stdout[-2000:]}")
    return int(found.group(1))


def write_floor(folder: Path, count: int) -> Path:
    """``count`` tests that only ``assert True``, fifty to a module, in ``folder``."""
    folder.mkdir()
    for start in range(0, count, 50):
        tests = "".join(
            f"def test_{n}() -> None:\n    assert True\n"
            for n in range(start, min(count, start + 50))
        )
        (folder / f"test_floor_{start}.py").write_text(tests)
    return folder


def measure(
    tier: Tier, runs: int, empty: Path, floor: Path, before: Tier | None = None
) -> dict[str, Sample]:
    """The median empty run (``empty``), floor run (``floor``) and tier run (``tier``) and,
    given ``before``, those of that earlier tier (``empty before``, ``before``), taken in turn
    ``runs`` times after one warm-up of each."""
    plan = {
        "empty": (tier, empty_arguments(tier, empty), pytest.ExitCode.NO_TESTS_COLLECTED),
        "floor": (tier, empty_arguments(tier, floor), pytest.ExitCode.OK),
    }
    if before is not None:
        plan["empty before"] = (
            before,
            empty_arguments(before, empty),
            pytest.ExitCode.NO_TESTS_COLLECTED,
        )
        plan["before"] = (before, list(before.arguments), pytest.ExitCode.OK)
    plan["tier"] = (tier, list(tier.arguments), pytest.ExitCode.OK)
    samples: dict[str, list[Sample]] = {name: [] for name in plan}
    for round_ in range(runs + 1):
        for name, (where, arguments, status) in plan.items():
            sample = run_pytest(where.folder, arguments, status)
            if round_:  # the first round only warms the caches
                samples[name].append(sample)
    return {name: median(taken) for name, taken in samples.items()}


def median(samples: list[Sample]) -> Sample:
    """The median wall time and the median CPU time of ``samples``, each on its own."""
    return Sample(
        statistics.median(sample.wall for sample in samples),
        statistics.median(sample.cpu for sample in samples),
    )


def verdict(value: float, target: float, unit: str) -> str:
    """``met`` or by how much ``value`` misses ``target``."""
    if value <= target:
        return "met"
    return f"MISSED by {value - target:.2f}{unit}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each, after a warm-up")
    parser.add_argument("--only", choices=["kit", "game"], help="time one package's tier")
    parser.add_argument(
        "--root",
        type=Path,
        default=ROOT,
        help="the checkout whose tests to time (default: this one); e.g. an export of an"
        " earlier commit, to quote before and after on one machine in one sitting",
    )
    parser.add_argument(
        "--before",
        type=Path,
        help="another checkout (e.g. a worktree of the commit before a change) whose tiers to"
        " time in the same rounds, for a before-and-after comparison under one load",
    )
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    tiers = [tier for tier in tiers_of(args.root.resolve()) if args.only in (None, tier.name)]
    befores = {tier.name: tier for tier in tiers_of(args.before.resolve())} if args.before else {}
    print(f"unit tiers of {args.root} against an empty pytest run,")
    print(f"median of {args.runs} runs of each, in turn")
    print(f"(load average when started: {', '.join(f'{x:.1f}' for x in os.getloadavg())})\n")
    header = f"{'tier':<5} {'tests':>5} {'empty wall':>10} {'floor wall':>10} {'ratio':>6}"
    header += f" {'tier wall':>10} {'ratio':>6} {'empty cpu':>10} {'tier cpu':>10} {'ratio':>6}"
    print(header)
    rows: list[tuple[Tier, Sample, Sample]] = []
    floors: list[tuple[Tier, int, Sample, Sample]] = []
    changes: list[tuple[Tier, Sample, Sample, Sample, Sample]] = []
    with tempfile.TemporaryDirectory() as scratch:
        empty_folder = Path(scratch, "empty")
        empty_folder.mkdir()
        for tier in tiers:
            count = collected(tier)
            floor_folder = write_floor(Path(scratch, f"floor-{tier.name}"), count)
            medians = measure(tier, args.runs, empty_folder, floor_folder, befores.get(tier.name))
            empty, floor, unit = medians["empty"], medians["floor"], medians["tier"]
            rows.append((tier, empty, unit))
            floors.append((tier, count, empty, floor))
            if "before" in medians:
                changes.append((tier, empty, unit, medians["empty before"], medians["before"]))
            print(
                f"{tier.name:<5} {count:>5} {empty.wall:>9.2f}s"
                f" {floor.wall:>9.2f}s {floor.wall / empty.wall:>5.1f}x"
                f" {unit.wall:>9.2f}s {unit.wall / empty.wall:>5.1f}x"
                f" {empty.cpu:>9.2f}s {unit.cpu:>9.2f}s {unit.cpu / empty.cpu:>5.1f}x"
            )
    print(
        f"\ntargets: tier wall < {WALL_TARGET:g} s; tier at most {RATIO_TARGET:g} x the empty run"
    )
    for tier, empty, unit in rows:
        print(
            f"{tier.name:<5} wall {unit.wall:.2f} s: {verdict(unit.wall, WALL_TARGET, ' s')};"
            f" wall ratio {unit.wall / empty.wall:.2f}:"
            f" {verdict(unit.wall / empty.wall, RATIO_TARGET, 'x')};"
            f" cpu ratio {unit.cpu / empty.cpu:.2f}:"
            f" {verdict(unit.cpu / empty.cpu, RATIO_TARGET, 'x')}"
        )
    print("\nthe floor: as many tests of `assert True` alone, in the same config")
    for tier, count, empty, floor in floors:
        per_test = (floor.wall - empty.wall) / count * 1000
        left = RATIO_TARGET * empty.wall - floor.wall
        print(
            f"{tier.name:<5} {count} trivial tests cost {floor.wall / empty.wall:.2f} x the empty"
            f" run ({per_test:.2f} ms a test); the ratio target leaves {left:+.2f} s for"
            f" the tier's own work"
        )
    if changes:
        print(f"\nbefore: {args.before}, timed in the same rounds")
        for tier, empty, unit, empty_before, earlier in changes:
            print(
                f"{tier.name:<5} tier cpu {earlier.cpu:.2f} s -> {unit.cpu:.2f} s"
                f" ({unit.cpu - earlier.cpu:+.2f} s, {unit.cpu / earlier.cpu - 1:+.0%});"
                f" empty cpu {empty_before.cpu:.2f} s -> {empty.cpu:.2f} s;"
                f" cpu ratio {earlier.cpu / empty_before.cpu:.2f} -> {unit.cpu / empty.cpu:.2f};"
                f" tier wall {earlier.wall:.2f} s -> {unit.wall:.2f} s"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
