"""The bug zoo: ten realistic bugs, planted one at a time, and which tier of tests catches each.

`scripts/mutate.py` makes hundreds of small mechanical changes (``<`` for ``<=``); the zoo plants
the bugs people really write in socket code: ``send`` where ``sendall`` is needed, a forgotten
``listen`` or ``close``, a timeout that was never set or a timer never restarted, a line split
by TCP and lost. Each :class:`Bug` is one exact change to one file of ``game/``, planted in a
scratch copy of the repository (``.zoo/``, git-ignored), as :mod:`mutate` does it.

Two ways to run it (from the repository root):

``python scripts/bug_zoo.py --record``
    The full run, part of ``make mutate``: each bug against the whole unit tier, the whole
    integration tier and the course's notebooks, each tier to its end or its first failure.
    A test that failed is run again, alone, beside CPU-bound processes and without them: a
    catch is recorded only if it fails every time, so that it does not rest on timing (how TCP
    split the bytes that run, a thread slow to be scheduled). One that passed is recorded as
    ``flaky``, and the tier goes on without it. It writes ``notebooks/bug_zoo.json``: per bug
    and tier, caught or not, by which test, and why. A quarter of an hour or more; ``--bugs``
    and ``--tiers`` record less.

``python scripts/bug_zoo.py --check``
    What notebook 9 runs in CI, in seconds: each bug planted again, against only the tests
    that the record says caught it, all in one pytest process. Each of those tests must still
    fail on the bug, so a record that no longer tells the truth fails the notebook, with the
    test and the bug named. What the record says a tier *missed* only a full run can confirm.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import difflib
import json
import queue
import re
import sys
import time
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

from flake_hunt import cpu_hogs
from mutate import ROOT, TIERS, prepare, reported, run_pytest

WORK = ROOT / ".zoo"
RECORD = ROOT / "notebooks" / "bug_zoo.json"
NOTEBOOK_TIER = "notebooks"
_NBMAKE = ["-c", "pyproject.toml", "-p", "nbmake", "--nbmake"]
ZOO_TIERS = {
    "unit": TIERS["unit"],
    "integration": TIERS["integration"],
    # The course's own tests: every notebook but this zoo's own.
    NOTEBOOK_TIER: [*_NBMAKE, "notebooks", "--ignore-glob=notebooks/09_*"],
}
ZOO_TIMEOUT = {"unit": 60.0, "integration": 180.0, NOTEBOOK_TIER: 300.0}
"""Seconds a tier may take on one bug, at least: a tier that hangs on it (until the tests' own
timeouts, or this) caught it too. A tier slower than a fifth of this with no bug planted (a
loaded machine) gets five times its own time instead, so that slowness is not taken for a hang."""
HANG_FACTOR = 5.0
CONFIRMATIONS = {"unit": 2, "integration": 2, NOTEBOOK_TIER: 1}
"""How many times a tier's failing test is run again, alone, to confirm the catch."""
CONFIRMATION_HOGS = 2
"""CPU-bound processes beside every other one of those runs, the first included: what the
machine is doing must not decide a catch."""
MAX_FLAKY = 3
"""Flaky failures of one bug in one tier after which the tier is recorded as missing it."""
CHECK_TIMEOUT = 60.0
_EXPLAINED = re.compile(r"^E +(\S.*)$", re.MULTILINE)  # pytest's lines that say what failed


class Verdict(TypedDict):
    """One tier on one bug, as the record keeps it."""

    caught: bool
    by: str | None  # the first test that failed (pytest's node id), if one did
    why: str  # the first line of its failure
    s: float  # how long the tier took, in seconds
    flaky: list[str]  # tests that failed on the bug once, then passed when run again


Results = dict[str, dict[str, Verdict]]
"""The record: bug name -> tier -> verdict."""


@dataclass(frozen=True)
class Bug:
    """One realistic bug: ``before``, which occurs exactly once in ``path``, becomes ``after``."""

    name: str
    title: str
    path: str
    before: str
    after: str
    why: str

    def plant(self, source: str) -> str:
        """``source`` with this bug in it.

        Raises:
            ValueError: ``before`` is not in ``source`` exactly once: the code changed under
                the bug, which must be updated to match it.
        """
        count = source.count(self.before)
        if count != 1:
            raise ValueError(
                f"bug {self.name!r}: the code it changes occurs {count} times in {self.path}, "
                "not once; update the bug to match the code"
            )
        return source.replace(self.before, self.after)

    def diff(self) -> str:
        """The change, as ``git diff`` would show it."""
        source = (ROOT / self.path).read_text()
        lines = difflib.unified_diff(
            source.splitlines(keepends=True),
            self.plant(source).splitlines(keepends=True),
            f"a/{self.path}",
            f"b/{self.path}",
            n=1,
        )
        return "".join(lines)


BUGS = (
    Bug(
        "send-not-sendall",
        "send where sendall is needed",
        "game/client.py",
        "sock.sendall(self._connection.send(command))",
        "sock.send(self._connection.send(command))",
        "send() may take only part of the bytes; the rest of the command is silently dropped",
    ),
    Bug(
        "no-listen",
        "no listen()",
        "game/server.py",
        "        sock.listen(socket.SOMAXCONN)\n",
        "",
        "a socket that is bound but not listening refuses every connection",
    ),
    Bug(
        "no-connect-timeout",
        "a missing timeout",
        "game/client.py",
        "            sock.settimeout(_for_socket(self.timeout))\n            sock.connect",
        "            sock.connect",
        "connect() to a host that never answers waits for the kernel's two minutes",
    ),
    Bug(
        "idle-timer-not-restarted",
        "an idle timer that is not restarted",
        "game/server.py",
        "            if self._handle(connection, writer, data):\n"
        "                reader.restart_timer()",
        "            self._handle(connection, writer, data)",
        "an active player is cut off as idle, counted from when they connected",
    ),
    Bug(
        "split-line-lost",
        "a split line lost",
        "game/protocol.py",
        "        self._pending += data\n",
        "        self._pending = bytearray(data)\n",
        "a line that arrives in two reads loses its first part",
    ),
    Bug(
        "forgotten-close",
        "a forgotten close",
        "game/server.py",
        "                writer_thread.join()\n            conn.close()\n",
        "                writer_thread.join()\n",
        "each connection's socket stays open after its client is gone: a descriptor leak",
    ),
    Bug(
        "pipelined-reply-lost",
        "a reply lost when the client pipelines",
        "game/connection.py",
        "self._lines.extend(self._buffer.feed(data))",
        "self._lines.extend(self._buffer.feed(data)[:1])",
        "of the lines that one read completes, only the first is handled",
    ),
    Bug(
        "lines-merged-in-one-read",
        "a framing bug that depends on how TCP split the bytes",
        "game/protocol.py",
        'and data.find(b"\\n") == len(data) - 1',
        'and data.endswith(b"\\n")',
        "two lines that TCP delivers in one read are taken for one line",
    ),
    Bug(
        "reset-kills-reader",
        "a reset that escapes the reader",
        "game/server.py",
        "            except OSError:\n                return\n            if not data:",
        "            except BrokenPipeError:\n                return\n            if not data:",
        "a client that resets its connection raises ConnectionResetError in the server's thread",
    ),
    Bug(
        "taken-cell-retaken",
        "a taken cell can be taken again",
        "game/rules.py",
        "        if self[cell] != EMPTY:\n",
        "        if self[cell] not in (EMPTY, mark.value):\n",
        "a player may move again on a cell of their own, so the board loses a mark",
    ),
)


@contextmanager
def planted(bug: Bug, work: Path) -> Iterator[None]:
    """``bug`` in the copy ``work``, for the duration of the block."""
    target = work / bug.path
    original = target.read_text()
    target.write_text(bug.plant(original))
    try:
        yield
    finally:
        target.write_text(original)


def explained(output: str) -> str:
    """The first line of pytest's explanation of the first failure ("E   ..."), if any."""
    found = _EXPLAINED.search(output)
    return found.group(1)[:200] if found else ""


def record(work: Path, bugs: list[Bug], limits: dict[str, float]) -> Results:
    """Each bug against each tier of ``limits`` (seconds before it counts as hung) in full:
    caught or not, by which test, and why."""
    results: Results = {}
    for bug in bugs:
        results[bug.name] = {}
        with planted(bug, work):
            for tier, limit in limits.items():
                verdict = judge(work, tier, limit)
                results[bug.name][tier] = verdict
                print(f"{bug.name:<26} {tier:<12} {verdict}", flush=True)
    return results


def judge(work: Path, tier: str, limit: float) -> Verdict:
    """Run ``tier`` on the copy ``work`` to its first failure, and confirm that failure.

    A failing test that then passes, run alone with and without CPU hogs, is set aside as flaky,
    and the tier is run again without it: the catch recorded is one that holds whatever the timing.
    """
    flaky: list[str] = []
    seconds = 0.0  # the tier's own runs, not the confirmations
    while True:
        skipped = [argument for test in flaky for argument in ("--deselect", test)]
        began = time.monotonic()
        outcome = run_pytest([*ZOO_TIERS[tier], "-x", *skipped], work, limit)
        seconds = round(seconds + time.monotonic() - began, 1)
        if outcome is None:
            return Verdict(caught=True, by=None, why="the tier hung", s=seconds, flaky=flaky)
        passed, output = outcome
        failures, why = reported(output), explained(output)
        if tier == NOTEBOOK_TIER:  # the notebook, and the test inside it that failed
            inside = [name for name in failures if ".ipynb" not in name]
            failures = [name for name in failures if ".ipynb" in name]
            if inside:
                why = f"{inside[0].rpartition('::')[2]}: {why}"
        by = next(iter(failures), None)
        if passed or by is None or fails_every_time(work, tier, by):
            return Verdict(caught=not passed, by=by, why=why, s=seconds, flaky=flaky)
        print(f"  {by} failed once, then passed: flaky, set aside", flush=True)
        flaky.append(by)
        if len(flaky) >= MAX_FLAKY:
            why = f"{len(flaky)} tests failed once and then passed"
            return Verdict(caught=False, by=None, why=why, s=seconds, flaky=flaky)


def fails_every_time(work: Path, tier: str, test: str) -> bool:
    """Whether ``test`` fails (or hangs) each of :data:`CONFIRMATIONS` times it is run alone
    on the copy ``work``: beside :data:`CONFIRMATION_HOGS` CPU-bound processes, then, if it
    is run twice or more, with no more load than the machine has (a catch that rests on timing
    may need either to show it: a busy machine joins bytes that a quiet one splits)."""
    arguments = [*_NBMAKE, test.partition("::")[0]] if tier == NOTEBOOK_TIER else [test]
    for number in range(CONFIRMATIONS[tier]):
        with cpu_hogs(CONFIRMATION_HOGS if number % 2 == 0 else 0):
            outcome = run_pytest(arguments, work, ZOO_TIMEOUT[tier])
        if outcome is not None and outcome[0]:
            return False
    return True


@dataclass(frozen=True)
class Recheck:
    """A catch of the record, tried again: did ``test`` fail on ``bug`` again, and how."""

    bug: str
    test: str
    failed: bool
    why: str


def check(work: Path, results: Results, workers: int = 2) -> list[Recheck]:
    """Plant each bug again, and run the tests that the record says caught it.

    One pytest process a bug runs all of that bug's catching tests (unit and integration
    alike: each tier's conftest guards its own tests), ``workers`` of them at a time, each
    process in its own copy of the repository under ``work``. A test that hangs counts as
    failing (the hang is the catch).

    Raises:
        ValueError: a bug of :data:`BUGS` is not in the record at all.
    """
    missing = [bug.name for bug in BUGS if bug.name not in results]
    if missing:
        raise ValueError(f"not in the record: {', '.join(missing)}; run `make mutate`")
    copies: queue.SimpleQueue[Path] = queue.SimpleQueue()
    for number in range(workers):
        prepare(work / str(number))
        copies.put(work / str(number))

    def recheck(bug: Bug) -> list[Recheck]:
        catchers = [
            verdict["by"]
            for tier, verdict in results[bug.name].items()
            if tier != NOTEBOOK_TIER and verdict["caught"] and verdict["by"] is not None
        ]
        if not catchers:
            return []
        copy = copies.get()
        try:
            with planted(bug, copy):
                outcome = run_pytest(catchers, copy, CHECK_TIMEOUT)
        finally:
            copies.put(copy)
        if outcome is None:
            return [Recheck(bug.name, test, True, "it hung") for test in catchers]
        output = outcome[1]
        failed, why = reported(output), explained(output)
        return [
            Recheck(bug.name, test, True, why)
            if _among(test, failed)
            else Recheck(bug.name, test, False, _not_failing(test, output))
            for test in catchers
        ]

    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        return [each for found in pool.map(recheck, BUGS) for each in found]


def _among(test: str, failed: Collection[str]) -> bool:
    """Whether ``test`` failed: by its own node id, or one of its parameters did (a test
    recorded before it was parametrized, say over the game's two shells, is all of them)."""
    return test in failed or any(name.startswith(f"{test}[") for name in failed)


def _not_failing(test: str, output: str) -> str:
    """Why ``test`` did not fail: it is gone, pytest stopped at one that is, or it passed."""
    missing = [line for line in output.splitlines() if "not found:" in line]
    if any(test.rpartition("::")[2] in line for line in missing):
        return "there is no such test now: renamed or deleted?"
    if missing:
        return "it did not run: pytest stopped at a test of this bug that is gone"
    return "it passed"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--record", action="store_true", help=f"the full run; writes {RECORD.name}")
    mode.add_argument("--check", action="store_true", help="re-run the record's catching tests")
    parser.add_argument("--tiers", nargs="*", choices=list(ZOO_TIERS), help="--record: only these")
    parser.add_argument("--bugs", nargs="*", help="only these bugs, by name (default: all)")
    parser.add_argument("--work", type=Path, default=WORK, help="the scratch copy (default .zoo)")
    args = parser.parse_args()
    work = args.work.resolve()
    bugs = [bug for bug in BUGS if args.bugs is None or bug.name in args.bugs]
    if args.record:
        prepare(work)
        limits: dict[str, float] = {}
        for tier in args.tiers or list(ZOO_TIERS):  # a tier that fails with no bug tells nothing
            began = time.monotonic()
            outcome = run_pytest(ZOO_TIERS[tier], work, ZOO_TIMEOUT[tier] * 2)
            if outcome is None or not outcome[0]:
                print(f"the {tier} tier fails with no bug planted: fix that first")
                print(*(outcome[1].splitlines()[-30:] if outcome else ["(it hung)"]), sep="\n")
                return 2
            took = time.monotonic() - began
            limits[tier] = max(ZOO_TIMEOUT[tier], HANG_FACTOR * took)
            print(f"the {tier} tier passes with no bug in {took:.1f} s", flush=True)
        results = json.loads(RECORD.read_text()) if RECORD.exists() else {}
        for bug in bugs:  # one at a time, so that an interrupted run keeps what it found
            verdicts = record(work, [bug], limits)[bug.name]
            results.setdefault(bug.name, {}).update(verdicts)
            RECORD.write_text(json.dumps(results, indent=1) + "\n")
        print(f"wrote {RECORD.relative_to(ROOT)}")
        return 0
    wrong = [each for each in check(work, json.loads(RECORD.read_text())) if not each.failed]
    for each in wrong:
        print(f"bug {each.bug!r}: the record says {each.test} catches it, but {each.why}")
    if wrong:
        print(f"{RECORD.relative_to(ROOT)} is out of date: run `make mutate` to record it again")
        return 1
    print(f"every catch in {RECORD.relative_to(ROOT)} still holds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
