"""Mutation testing of the game and of the kit, tier by tier: which tier kills which mutant.

A mutant is the product with one small change a bug could make: a comparison turned round
(``==`` to ``!=``, ``<`` to ``<=``), ``and`` for ``or``, a ``not`` dropped, a number off by one,
``True`` for ``False``, ``+`` for ``-``. A tier *kills* a mutant when one of its tests fails on it;
a mutant that every tier lets through is a change nothing notices.

Two products are mutated, each against its own tests (:data:`PRODUCTS`): the game (``game/``;
``game/testing/`` excluded: it is test code) against the project's three tiers, and the kit
(``sockettest/src/sockettest/``) against the kit's own tests only, so that its score says what
the kit's suite catches without the game's help. Each mutant is tried in a scratch copy of the
repository, ``.mutants/`` (git-ignored), put first on ``PYTHONPATH`` so that ``import game`` and
``import sockettest`` find the mutant: the unit tier first; if it survives, the integration
tier; then the stress tier at its small scale.

A kill must be confirmed. When a tier fails, the first test that failed is run again, alone, on
the same mutant; only if it fails again is the mutant killed (by that tier, that test). A test
that passes the second time was flaky: it is reported, deselected, and the tier runs again
without it. A tier that outruns its time limit, or a test stopped by pytest-timeout, has not
killed the mutant: the mutant is *timed out*, reported apart with the test that was running, and
the next tiers still try it. Each tier's time limit is derived from its own run on the unmutated
copy at the start (:data:`TIMEOUT_FACTOR` times as long, at least :data:`TIMEOUT_FLOOR`), so a
loaded machine moves the limit with it.

Two kinds of survivor do not count, and are reported apart: *equivalent* mutants (no input can
tell them from the original, e.g. ``< 1`` to ``<= 0`` on an int) and changes to *text* no user
sees (log lines, ``repr``). Each is listed, with the reason, in ``scripts/mutants-not-counted.txt``
by file, line and change; a change to text that docs/PROTOCOL.md or the CLI's output promises
counts. The percentages are of the mutants that count; a timed-out mutant counts, and is not a
kill.

A sample is stratified by module: each module gets a share of the sample in proportion to its
mutants, and at least one when the sample is as large as the number of modules, so that a small
module is never left out by chance.

``--record`` keeps the scores in a JSON file: the game's at its top level (what notebook 9
reads), the kit's under ``"kit"``, each with its survivors, timeouts, flaky tests and counts per
module. A run locks its scratch copy: a second run at the same time needs its own ``--work``.

It uses ``ast``, not mutmut or cosmic-ray, because it must run each tier in turn with that
tier's own socket guards and count kills per tier, which neither reports.

Run it from the repository root (``make mutate``; not part of ``make test``)::

    python scripts/mutate.py --sample 20          # 20 mutants of the game and 20 of the kit
    python scripts/mutate.py --products kit --sample 60 --seed 2
    python scripts/mutate.py                      # every mutant: hours
    python scripts/mutate.py --files game/lobby.py --sample 20 --seed 3
    python scripts/mutate.py --files game/server.py --tiers unit  # one shell's unit score
    python scripts/mutate.py --at game/server.py:80 game/server.py:83  # some lines, all tiers
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import fcntl
import json
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".mutants"
"""The scratch copy, by default; ``--work`` names another, for a second run at the same time."""
TIERS = {
    "unit": ["tests/unit", "tests/transports", "-m", "not loopback"],
    "integration": ["tests/integration", "tests/transports", "-m", "not memory"],
    "stress": ["tests/stress"],
}
"""The project's tiers, as ``make unit``, ``make integration`` and ``make stress-small`` run
them: the game's mutants face these."""
KIT_TIERS = {tier: [f"tests/{tier}"] for tier in ("unit", "integration", "stress")}
"""The kit's own suite in each tier, run in its folder (``sockettest/``) with its own settings:
what a copy of the kit, without the game, has."""


@dataclass(frozen=True)
class Product:
    """What is mutated (the modules ``patterns`` match) and the tiers that face its mutants."""

    name: str
    patterns: tuple[str, ...]
    tiers: dict[str, list[str]]
    folder: str = ""
    """Where its tiers run, in the copy: the repository's root, or the kit's own folder."""

    def modules(self) -> list[str]:
        """The product's modules, relative to the repository, sorted."""
        return sorted(
            str(p.relative_to(ROOT)) for pattern in self.patterns for p in ROOT.glob(pattern)
        )

    def owns(self, path: str) -> bool:
        """Whether the module at ``path`` is one of this product's."""
        return any(Path(path).match(pattern) for pattern in self.patterns)


PRODUCTS = {
    "game": Product("game", ("game/*.py",), TIERS),
    "kit": Product(
        "kit",
        (
            "sockettest/src/sockettest/*.py",
            "sockettest/src/sockettest/_simulation/*.py",
            "sockettest/src/sockettest/contract/*.py",
        ),
        KIT_TIERS,
        "sockettest",
    ),
}
NOT_COUNTED = ROOT / "scripts" / "mutants-not-counted.txt"
TIMEOUT_FACTOR = 3.0
"""A tier may take this many times as long on a mutant as on the unmutated copy..."""
TIMEOUT_FLOOR = 30.0
"""... and at least this many seconds: a tier that takes a second has as much noise as one that
takes ten."""
BASELINE_TIMEOUT = 1200.0
"""Seconds the unmutated copy's run of one tier may take before the whole run gives up."""
FLAKY_RETRIES = 3
"""How many unconfirmed failures one tier may have on one mutant before it is given up on."""
_REPORTED = re.compile(r"^(?:FAILED|ERROR) (.+?)(?: - .*)?$", re.MULTILINE)
_SUMMARY = "short test summary info"  # the banner of pytest's short summary
_STARTED = re.compile(r"^(\S+::\S+) ", re.MULTILINE)  # pytest -v, before a test's outcome
_PYTEST_TIMEOUT = "Timeout (>"  # how pytest-timeout's failure reads

_COMPARE_SWAPS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
_BINARY_SWAPS: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.FloorDiv,
    ast.FloorDiv: ast.Mult,
}


@dataclass(frozen=True)
class Mutant:
    """One change to one module: the ``index``-th mutation point of ``path``."""

    path: str  # relative to the repository
    index: int
    line: int
    change: str


def _points(tree: ast.AST) -> Iterator[tuple[ast.AST, str]]:
    """Every node a mutation applies to, with a description of the mutation, in a fixed order."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and type(node.ops[0]) in _COMPARE_SWAPS:
            swapped = _COMPARE_SWAPS[type(node.ops[0])]
            yield node, f"{type(node.ops[0]).__name__} -> {swapped.__name__}"
        elif isinstance(node, ast.BoolOp):
            yield (
                node,
                f"{type(node.op).__name__} -> {'Or' if isinstance(node.op, ast.And) else 'And'}",
            )
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            yield node, "not x -> x"
        elif isinstance(node, ast.BinOp) and type(node.op) in _BINARY_SWAPS:
            yield node, f"{type(node.op).__name__} -> {_BINARY_SWAPS[type(node.op)].__name__}"
        elif isinstance(node, ast.Constant) and isinstance(node.value, bool):
            yield node, f"{node.value} -> {not node.value}"
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, int | float)
            and not isinstance(node.value, bool)
        ):
            yield node, f"{node.value!r} -> {node.value + 1!r}"


def _apply(node: ast.AST) -> None:
    """Mutate ``node`` in place, as :func:`_points` described."""
    if isinstance(node, ast.Compare):
        node.ops[0] = _COMPARE_SWAPS[type(node.ops[0])]()
    elif isinstance(node, ast.BoolOp):
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif isinstance(node, ast.BinOp):
        node.op = _BINARY_SWAPS[type(node.op)]()
    elif isinstance(node, ast.Constant) and isinstance(node.value, bool):
        node.value = not node.value
    elif isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        node.value = node.value + 1


class _DropNot(ast.NodeTransformer):
    def __init__(self, target: ast.AST) -> None:
        self.target = target

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.AST:
        self.generic_visit(node)
        return node.operand if node is self.target else node


def not_counted() -> dict[tuple[str, int, str], str]:
    """The survivors classified as not counting: ``(path, line, change)`` -> ``kind: reason``.

    Each line of the file is ``path:line | change | equivalent or text | reason``; ``#`` starts
    a comment.
    """
    found: dict[tuple[str, int, str], str] = {}
    for raw in NOT_COUNTED.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        where, change, kind, reason = (part.strip() for part in line.split("|", 3))
        path, number = where.rsplit(":", 1)
        if kind not in ("equivalent", "text"):
            raise ValueError(f"{NOT_COUNTED.name}: {kind!r} is neither equivalent nor text")
        found[(path, int(number), change)] = f"{kind}: {reason}"
    return found


def mutants_of(path: str, work: Path) -> list[Mutant]:
    """Every mutant of the module at ``path`` (relative to the repository), as copied into
    ``work`` by :func:`prepare`."""
    tree = ast.parse((work / path).read_text())
    return [
        Mutant(path, index, getattr(node, "lineno", 0), change)
        for index, (node, change) in enumerate(_points(tree))
    ]


def mutated_source(mutant: Mutant, source: str) -> str:
    """``source``, the text of ``mutant.path`` the mutants were listed from, with the one
    change made. (Not the file as it is now: it may be edited while a long run goes on.)"""
    tree = ast.parse(source)
    points = [node for node, _ in _points(tree)]
    target = points[mutant.index]
    if isinstance(target, ast.UnaryOp):
        tree = _DropNot(target).visit(tree)
    else:
        _apply(target)
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def stratified(everything: Sequence[Mutant], size: int, seed: str) -> list[Mutant]:
    """``size`` of ``everything``, drawn module by module in proportion to each module's
    mutants (largest remainders first), each module getting one first if ``size`` allows."""
    groups: dict[str, list[Mutant]] = defaultdict(list)
    for mutant in everything:
        groups[mutant.path].append(mutant)
    size = min(size, len(everything))
    quota = dict.fromkeys(groups, 1 if size >= len(groups) else 0)
    rest = {path: len(group) - quota[path] for path, group in groups.items()}
    left, pool = size - sum(quota.values()), sum(rest.values())
    shares = {path: left * rest[path] / pool if pool else 0.0 for path in groups}
    for path, share in shares.items():
        quota[path] += math.floor(share)
    by_remainder = sorted(groups, key=lambda path: (math.floor(shares[path]) - shares[path], path))
    for path in by_remainder[: size - sum(quota.values())]:
        quota[path] += 1
    draw = random.Random(seed)
    chosen = [m for path in sorted(groups) for m in draw.sample(groups[path], quota[path])]
    return sorted(chosen, key=lambda m: (m.path, m.index))


def prepare(work: Path) -> None:
    """A fresh copy in ``work`` of the repository's files as they are now: tracked, and new
    ones git does not ignore (a test just written counts before it is committed)."""
    shutil.rmtree(work, ignore_errors=True)
    listed = subprocess.run(
        # git from PATH, as every make target finds it
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in listed:
        source, target = ROOT / name, work / name
        if source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def _environment(work: Path) -> dict[str, str]:
    """The environment of a run in the copy ``work``: its ``game`` and ``sockettest`` first."""
    path = os.pathsep.join([str(work), str(work / "sockettest" / "src")])
    environment = {**os.environ, "PYTHONPATH": path, "HYPOTHESIS_PROFILE": "dev"}
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    return environment


@dataclass(frozen=True)
class Run:
    """One pytest run: whether it passed, what it printed (so far, if it timed out), how long."""

    passed: bool
    timed_out: bool
    output: str
    seconds: float


BLIND_TO_MUTANTS = (
    "tests/unit/test_mutation_tool.py::test_every_mutant_set_apart_is_one_the_code_has_today"
)
"""A test that fails on any mutant of a module with entries in the not-counted list: a mutant is
written back with ``ast.unparse``, which moves the module's lines. It would "kill" those mutants
for nothing and, run first with ``-x``, hide whether the real tests do; so no run here runs it."""


def pytest_run(arguments: list[str], work: Path, timeout: float, folder: str = "") -> Run:
    """Run pytest in the copy ``work`` (in its ``folder``), stopping it after ``timeout``
    seconds."""
    command = [sys.executable, "-m", "pytest", *arguments, "-q", "-p", "no:randomly"]
    command += ["-p", "no:cacheprovider", "--color=no"]  # plain text, even under a notebook
    command += [f"--deselect={BLIND_TO_MUTANTS}"]
    began = time.monotonic()
    # A session of its own, so that a timeout stops what the tests started as well (a server
    # run with ``python -m game serve``, say), not pytest alone.
    process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
        command,
        cwd=work / folder,
        env=_environment(work),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        try:
            output, _ = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:  # something left the session and holds the pipe
            if process.stdout is not None:
                process.stdout.close()
            output = ""
        return Run(False, True, output, time.monotonic() - began)
    return Run(process.returncode == 0, False, output, time.monotonic() - began)


def run_pytest(arguments: list[str], work: Path, timeout: float) -> tuple[bool, str] | None:
    """Run pytest in the copy ``work``, whose ``game`` and ``sockettest`` are imported first:
    whether it passed, and what it printed; ``None`` if it took longer than ``timeout`` seconds
    (it hung)."""
    run = pytest_run(arguments, work, timeout)
    return None if run.timed_out else (run.passed, run.output)


def _options(arguments: list[str], work: Path) -> list[str]:
    """``arguments`` without the tests they name: the options a test run alone keeps."""
    after = ["", *arguments]  # each argument with the one before it: an option's value stays
    return [
        argument
        for before, argument in zip(after, arguments, strict=False)
        if before.startswith("-") or not (work / argument.partition("::")[0]).exists()
    ]


def reported(output: str) -> list[str]:
    """The tests pytest's short summary names as failed or in error, in its order.

    Only the last summary counts: a failed test's captured output, printed before it, can hold
    a pytester run's own summary (its ``test_user.py::...``) or a log line at ERROR level
    (``ERROR    asyncio:...``)."""
    return _REPORTED.findall(output.rpartition(_SUMMARY)[2])


def _running(output: str) -> str:
    """The test a verbose run had started last, as far as its output shows."""
    started = _STARTED.findall(output)
    return started[-1] if started else "(before the first test)"


Outcome = Literal["killed", "survived", "timed out"]


@dataclass(frozen=True)
class TierVerdict:
    """One tier on one mutant: killed (by ``test``, failing twice), passed, or timed out
    (``test`` was running); ``flaky``: tests that failed once and then passed."""

    outcome: Literal["killed", "passed", "timed out"]
    test: str | None = None
    flaky: tuple[str, ...] = ()


def judge_tier(arguments: list[str], work: Path, limit: float, folder: str = "") -> TierVerdict:
    """Run a tier on the copy as it is now, and confirm a failure by running its test again."""
    deselected: list[str] = []
    for _ in range(FLAKY_RETRIES + 1):
        whole = [*arguments, "-x", "-vv", *(f"--deselect={test}" for test in deselected)]
        run = pytest_run(whole, work, limit, folder)  # -q -vv: verbose
        if run.timed_out:
            return TierVerdict("timed out", _running(run.output), tuple(deselected))
        if run.passed:
            return TierVerdict("passed", None, tuple(deselected))
        failed = reported(run.output)
        # No test named: the session itself failed (a conftest or plugin that no longer
        # imports, an internal error); the whole tier is what must fail again.
        test = failed[0] if failed else None
        alone = [test, *_options(arguments, work / folder)] if test else whole
        again = pytest_run(alone, work, limit, folder)
        if again.timed_out or _PYTEST_TIMEOUT in again.output:
            return TierVerdict("timed out", test or _running(again.output), tuple(deselected))
        if not again.passed:
            why = test or "the session: " + (run.output.strip().splitlines() or ["?"])[-1]
            return TierVerdict("killed", why, tuple(deselected))
        if test is None:
            break
        deselected.append(test)
    return TierVerdict("timed out", "(too many failures that did not repeat)", tuple(deselected))


@dataclass
class Result:
    """A mutant's fate: ``outcome``, in which ``tier`` (killed or first timed out), by which
    ``test``; the tests that were flaky on it."""

    mutant: Mutant
    outcome: Outcome
    tier: str | None = None
    test: str | None = None
    flaky: list[str] = field(default_factory=list)


def _drop_bytecode(module: Path) -> None:
    """Remove the cached bytecode of ``module``: a mutant of the same size written within the
    same second as the last one would otherwise be run from the last one's cache."""
    for cached in (module.parent / "__pycache__").glob(f"{module.stem}.*.pyc"):
        cached.unlink()


def try_mutant(
    mutant: Mutant,
    tiers: dict[str, list[str]],
    limits: dict[str, float],
    work: Path,
    folder: str = "",
) -> Result:
    """Write ``mutant`` into the copy, face it with each tier in turn, and put the copy back."""
    target = work / mutant.path
    original = target.read_text()  # the copy made at the start, as listed
    target.write_text(mutated_source(mutant, original))
    _drop_bytecode(target)
    result = Result(mutant, "survived")
    try:
        for tier, arguments in tiers.items():
            verdict = judge_tier(arguments, work, limits[tier], folder)
            result.flaky += verdict.flaky
            if verdict.outcome == "killed":
                result.outcome, result.tier, result.test = "killed", tier, verdict.test
                break
            if verdict.outcome == "timed out" and result.outcome == "survived":
                result.outcome, result.tier, result.test = "timed out", tier, verdict.test
    finally:
        target.write_text(original)
        _drop_bytecode(target)
    return result


def _claim(work: Path) -> IO[str]:
    """Lock ``work`` for this run until the returned file is closed (or the process ends): two
    runs in one copy would write each other's mutants and originals back."""
    lock = Path(f"{work}.lock").open("w")  # noqa: SIM115 (held open for the whole run)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        raise SystemExit(f"another mutation run is using {work}: give this one --work") from None
    return lock


def _check_the_copy_is_imported(work: Path) -> None:
    """Fail at once if ``game`` or ``sockettest`` would not be imported from the copy (an
    installed copy found first would make every mutant survive)."""
    code = "import game, sockettest; print(game.__file__); print(sockettest.__file__)"
    found = subprocess.run(  # noqa: S603 (our own interpreter)
        [sys.executable, "-c", code],
        cwd=work,
        env=_environment(work),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    outside = [name for name in found if not Path(name).resolve().is_relative_to(work)]
    if outside:
        raise SystemExit(f"the copy in {work} is not what is imported: {outside}")


def baseline(tiers: dict[str, list[str]], work: Path, folder: str = "") -> dict[str, float] | None:
    """Run each tier on the unmutated copy: each one's time limit for a mutant, or ``None`` (and
    what failed, printed) if a tier fails without any mutant."""
    limits: dict[str, float] = {}
    for tier, arguments in tiers.items():
        run = pytest_run(arguments, work, BASELINE_TIMEOUT, folder)
        if not run.passed:
            how = "timed out" if run.timed_out else "fails"
            print(f"the {tier} tier {how} on the unmutated copy: fix that first")
            print(*run.output.splitlines()[-30:], sep="\n")
            return None
        limits[tier] = max(TIMEOUT_FLOOR, TIMEOUT_FACTOR * run.seconds)
        print(f"  {tier}: {run.seconds:.1f} s unmutated; limit {limits[tier]:.0f} s", flush=True)
    return limits


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sample", type=int, help="try this many mutants of each product, stratified by module"
    )
    parser.add_argument("--seed", type=int, default=1, help="the draw's seed (default 1)")
    parser.add_argument(
        "--products",
        nargs="*",
        choices=list(PRODUCTS),
        help="only these products (default: all); --files narrows them further",
    )
    parser.add_argument("--files", nargs="*", help="only these modules (default: all)")
    parser.add_argument(
        "--tiers", nargs="*", choices=list(TIERS), help="only these tiers (default: all, in order)"
    )
    parser.add_argument(
        "--at",
        nargs="*",
        metavar="PATH:LINE",
        help="only the mutants on these lines, e.g. the survivors of a run of the unit tier",
    )
    parser.add_argument(
        "--record",
        type=Path,
        help="also write the scores to this JSON file (the products not run keep their entry)",
    )
    parser.add_argument(
        "--work", type=Path, help="the scratch copy (default .mutants; git-ignored as .mutants*)"
    )
    args = parser.parse_args()
    work = WORK if args.work is None else args.work.resolve()
    products = [PRODUCTS[name] for name in args.products or PRODUCTS]
    with _claim(work):
        return _run(args, work, products)


def _run(args: argparse.Namespace, work: Path, products: list[Product]) -> int:
    """Try the mutants ``args`` choose of ``products`` in the copy ``work``, and report."""
    prepare(work)
    _check_the_copy_is_imported(work)
    began = time.monotonic()
    scores: dict[str, dict[str, object]] = {}
    for product in products:
        files = product.modules()
        if args.files:
            files = [path for path in args.files if product.owns(path)]
        if not files:
            continue
        everything = [m for path in files for m in mutants_of(path, work)]
        if args.at:
            places = {(path, int(line)) for path, line in (a.rsplit(":", 1) for a in args.at)}
            everything = [m for m in everything if (m.path, m.line) in places]
        chosen = everything
        if args.sample is not None:
            chosen = stratified(everything, args.sample, f"{args.seed}:{product.name}")
        tiers = {t: a for t, a in product.tiers.items() if not args.tiers or t in args.tiers}
        print(
            f"{product.name}: {len(everything)} mutants in {len(files)} modules; "
            f"trying {len(chosen)}; the tiers unmutated:",
            flush=True,
        )
        limits = baseline(tiers, work, product.folder)
        if limits is None:
            return 2
        started = time.monotonic()
        results: list[Result] = []
        for number, mutant in enumerate(chosen, 1):
            result = try_mutant(mutant, tiers, limits, work, product.folder)
            results.append(result)
            shown = {
                "killed": f"{result.tier} ({result.test})",
                "survived": "SURVIVED",
                "timed out": f"TIMED OUT in {result.tier} ({result.test})",
            }[result.outcome]
            flaky = f"  [flaky: {', '.join(result.flaky)}]" if result.flaky else ""
            print(
                f"{number:4}/{len(chosen)} {mutant.path}:{mutant.line} {mutant.change}: {shown}"
                f"{flaky}",
                flush=True,
            )
        scores[product.name] = report(
            product.name, list(tiers), results, not_counted(), time.monotonic() - started
        )
    if args.record is not None:
        command = " ".join(["python", "scripts/mutate.py", *sys.argv[1:]])
        write_record(args.record, scores, command)
    print(f"\nall took {(time.monotonic() - began) / 60:.1f} min")
    return 0


def report(
    name: str,
    tiers: list[str],
    results: list[Result],
    classified: dict[tuple[str, int, str], str],
    seconds: float,
) -> dict[str, object]:
    """Print one product's table per module, its kill rates per tier (each tier with those
    before it), and every mutant that was not killed: survivors that count, timed out, not
    counted (with why); then the flaky tests seen. Return the totals, as ``--record`` keeps
    them."""

    def apart(result: Result) -> bool:
        mutant = result.mutant
        return result.outcome == "survived" and (mutant.path, mutant.line, mutant.change) in (
            classified
        )

    counting = [r for r in results if not apart(r)]
    paths = sorted({r.mutant.path for r in results})
    width = max([len("module"), *(len(path) for path in paths)]) + 2
    print(f"\n{name}: mutants per module and the tier that killed each")
    heading = f"{'module':<{width}}{'tried':>6}"
    heading += "".join(f"{tier[:7]:>8}" for tier in tiers)
    print(f"{heading}{'survived':>9}{'timeout':>8}{'apart':>6}{'unit %':>8}{'all %':>7}")
    modules: dict[str, dict[str, object]] = {}
    for path in paths:
        mine = [r for r in counting if r.mutant.path == path]
        kills = [sum(1 for r in mine if r.tier == t and r.outcome == "killed") for t in tiers]
        left = sum(1 for r in mine if r.outcome == "survived")
        timed = sum(1 for r in mine if r.outcome == "timed out")
        apart_here = sum(1 for r in results if r.mutant.path == path and apart(r))
        first = f"{100 * kills[0] / len(mine):.0f}" if mine and tiers[:1] == ["unit"] else "-"
        every = f"{100 * sum(kills) / len(mine):.0f}" if mine else "-"
        row = f"{path:<{width}}{len(mine) + apart_here:>6}" + "".join(f"{k:>8}" for k in kills)
        print(f"{row}{left:>9}{timed:>8}{apart_here:>6}{first:>8}{every:>7}")
        modules[path] = {
            "counted": len(mine),
            "not counted": apart_here,
            "killed first by": dict(zip(tiers, kills, strict=True)),
            "timed out": timed,
        }
    total = len(counting)
    by_tier = {t: sum(1 for r in counting if r.outcome == "killed" and r.tier == t) for t in tiers}
    running = 0
    for tier in tiers:
        running += by_tier[tier]
        print(f"{name}: killed by {tier} and the tiers before it: {running}/{total}", end="")
        print(f" ({100 * running / total:.1f}%)" if total else "")
    survivors = [r.mutant for r in counting if r.outcome == "survived"]
    hung = [r for r in counting if r.outcome == "timed out"]
    print(f"\n{len(survivors)} survivors that count:")
    for mutant in survivors:
        print(f"  {mutant.path}:{mutant.line}  {mutant.change}")
    print(f"{len(hung)} timed out (neither killed nor survived; in the percentages, not kills):")
    for result in hung:
        mutant = result.mutant
        print(f"  {mutant.path}:{mutant.line}  {mutant.change}  ({result.tier}: {result.test})")
    set_apart = [r.mutant for r in results if apart(r)]
    print(f"{len(set_apart)} survivors not counted ({NOT_COUNTED.name}):")
    for mutant in set_apart:
        why = classified[(mutant.path, mutant.line, mutant.change)]
        print(f"  {mutant.path}:{mutant.line}  {mutant.change}  ({why})")
    flaky = Counter(test for r in results for test in r.flaky)
    print(f"{len(flaky)} tests failed once on a mutant and then passed on it (flaky):")
    for test, times in flaky.most_common():
        print(f"  {test} ({times} mutants)")
    print(f"\n{name} took {seconds / 60:.1f} min")
    return {
        "date": time.strftime("%Y-%m-%d"),
        "counted": total,
        "not counted": len(set_apart),
        "killed first by": by_tier,
        "survivors": [f"{m.path}:{m.line} {m.change}" for m in survivors],
        "timed out": [f"{r.mutant.path}:{r.mutant.line} {r.mutant.change}" for r in hung],
        "flaky": sorted(flaky),
        "modules": modules,
        "minutes": round(seconds / 60, 1),
    }


def write_record(path: Path, scores: dict[str, dict[str, object]], command: str) -> None:
    """Keep ``scores`` in ``path``: the game's at the top level (the shape notebook 9 reads),
    every other product's under its name; a product not run keeps what the file had."""
    kept: dict[str, object] = json.loads(path.read_text()) if path.exists() else {}
    for name, score in scores.items():
        score["command"] = command
        if name == "game":
            kept.update(score)
        else:
            kept[name] = score
    path.write_text(json.dumps(kept, indent=1) + "\n")


if __name__ == "__main__":
    raise SystemExit(main())
