"""Hunt for flaky tests: run the integration tier many times, in random order and in parallel.

Each run is a fresh ``pytest`` process with pytest-randomly switched on and a new seed (so both
the test order and Hypothesis's examples change), two xdist workers (``-n 2``), and no rerun
plugin, so that nothing retries a failure out of sight. At the end it prints how many runs
failed and, for each failure, the seed that reproduces it and the failing test ids; it exits
non-zero if any run failed. Reproduce a failure with the command it prints.

Run it from the repository root (``make flake-hunt``)::

    python scripts/flake_hunt.py                 # 50 runs of tests/integration
    python scripts/flake_hunt.py --runs 10 --stress   # and the stress tier, at small scale
    python scripts/flake_hunt.py --runs 20 tests/unit  # any other tests
    python scripts/flake_hunt.py --runs 10 --hogs 4 tests/unit  # beside four busy processes
    python scripts/flake_hunt.py --kit --stress tests/unit tests/integration  # the kit's suite

``--hogs N`` starts N processes that only burn CPU, for the whole hunt, and stops them at its
end, whatever happened: a test whose outcome depends on getting the CPU in time (a timer that
fires before a thread it waits for ran) fails here, as it would on a loaded CI machine.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KIT = ROOT / "sockettest"
"""The kit's folder: ``--kit`` runs its own suite from there, with its own pytest settings."""
RUN_TIMEOUT = 900.0
"""Seconds one whole pytest run may take before it counts as a failure (a hang)."""

HOG_STOP_TIMEOUT = 10.0
"""Seconds a CPU hog may take to exit once killed."""
_HOG = "while True: pass"

_SUMMARY = re.compile(r"^(FAILED|ERROR) (\S+)", re.MULTILINE)


@dataclass
class Run:
    """One pytest run: its seed, outcome and the test ids that failed."""

    number: int
    seed: int
    command: list[str]
    seconds: float = 0.0
    exit_code: int | None = None  # None: killed at the timeout
    failed: list[str] = field(default_factory=list)
    tail: str = ""

    @property
    def passed(self) -> bool:
        return self.exit_code == 0


def pytest_command(paths: list[str], seed: int, workers: str) -> list[str]:
    """The pytest command of one run: random order with ``seed``, ``workers`` xdist workers."""
    return [
        sys.executable,
        "-m",
        "pytest",
        *paths,
        "-p",
        "randomly",  # pyproject.toml's addopts switch it off for everyday runs
        f"--randomly-seed={seed}",
        "-n",
        workers,
        "-p",
        "no:rerunfailures",  # in case it is ever installed: a rerun would hide the flake
        "-q",
        "-rfE",
        "--color=no",
    ]


def run_once(number: int, paths: list[str], workers: str, env: dict[str, str], cwd: Path) -> Run:
    seed = random.SystemRandom().randrange(2**32)
    run = Run(number, seed, pytest_command(paths, seed, workers))
    started = time.perf_counter()
    try:
        finished = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
            run.command,
            check=False,
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=RUN_TIMEOUT,
        )
    except subprocess.TimeoutExpired as timeout:
        output = timeout.output if isinstance(timeout.output, str) else ""
        run.tail = "\n".join(output.splitlines()[-20:])
        run.failed = [f"(the whole run hung past {RUN_TIMEOUT:g} s)"]
    else:
        run.exit_code = finished.returncode
        found = _SUMMARY.finditer(finished.stdout)
        run.failed = sorted({f"{m.group(1)} {m.group(2)}" for m in found})
        run.tail = "\n".join(finished.stdout.splitlines()[-20:])
    run.seconds = time.perf_counter() - started
    return run


@contextlib.contextmanager
def cpu_hogs(count: int) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``count`` processes that do nothing but spin on a CPU, for the duration of the block.

    Each is killed and reaped when the block ends, by an exception or a Ctrl-C included.
    """
    hogs: list[subprocess.Popen[bytes]] = []
    try:
        for _ in range(count):
            hogs.append(subprocess.Popen([sys.executable, "-c", _HOG]))  # noqa: S603 (our own)
        yield hogs
    finally:
        for hog in hogs:
            hog.kill()
        for hog in hogs:
            hog.wait(timeout=HOG_STOP_TIMEOUT)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="how many runs (default 50)")
    parser.add_argument(
        "--stress", action="store_true", help="also run tests/stress, at STRESS_SCALE=small"
    )
    parser.add_argument(
        "--hogs", type=int, default=0, help="CPU-bound processes to run beside (default 0)"
    )
    parser.add_argument("-n", dest="workers", default="2", help="xdist workers (default 2)")
    parser.add_argument(
        "--kit", action="store_true", help="paths are in sockettest/, run from there (its suite)"
    )
    parser.add_argument(
        "paths", nargs="*", default=["tests/integration"], help="default: tests/integration"
    )
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.hogs < 0:
        parser.error("--hogs must be 0 or more")
    paths = [*args.paths, *(["tests/stress"] if args.stress else [])]
    env = {**os.environ, "STRESS_SCALE": "small"}
    cwd = KIT if args.kit else ROOT
    paths_shown = " ".join(f"sockettest/{p}" if args.kit else p for p in paths)

    beside = f", beside {args.hogs} CPU hogs" if args.hogs else ""
    print(f"{args.runs} runs of {paths_shown}: random order, -n {args.workers}, no reruns{beside}")
    runs: list[Run] = []
    began = time.perf_counter()
    with cpu_hogs(args.hogs):
        for number in range(1, args.runs + 1):
            run = run_once(number, paths, args.workers, env, cwd)
            runs.append(run)
            outcome = "passed" if run.passed else f"FAILED (exit {run.exit_code})"
            print(
                f"run {number:>3}/{args.runs}  seed {run.seed:>10}  {outcome}  {run.seconds:.1f} s"
            )
            for test in run.failed:
                print(f"          {test}")

    failures = [run for run in runs if not run.passed]
    minutes = (time.perf_counter() - began) / 60
    print(f"\n{len(runs)} runs, {len(failures)} failures ({minutes:.1f} min{beside})")
    for run in failures:
        print(f"\nrun {run.number}, seed {run.seed}, exit {run.exit_code}:")
        for test in run.failed or ["(no failing test id in the output; its tail follows)"]:
            print(f"  {test}")
        if not run.failed:
            print(run.tail)
        where = f"cd {cwd.relative_to(ROOT)} && " if args.kit else ""
        print(f"  reproduce: {where}{shlex.join(['python', *run.command[1:]])}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
