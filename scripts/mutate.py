"""Mutation testing of the product, tier by tier: which tier kills which mutant.

A mutant is the product with one small change a bug could make: a comparison turned round
(``==`` to ``!=``, ``<`` to ``<=``), ``and`` for ``or``, a ``not`` dropped, a number off by one,
``True`` for ``False``, ``+`` for ``-``. A tier *kills* a mutant when one of its tests fails on it;
a mutant that every tier lets through is a change nothing notices.

Every mutant of ``game/`` (``game/testing/`` excluded: it is test code) is tried in a scratch
copy of the repository, ``.mutants/`` (git-ignored), put first on ``PYTHONPATH`` so that
``import game`` finds the mutant: the unit tier first; if it survives, the integration tier;
then the stress tier at its small scale (a mutant of the kit, ``sockettest/``, goes through
the kit's own three tiers, run in its folder). A tier that times out counts as killing it (the
tests' own timeouts caught a hang). At the end it prints, per file, the mutants tried, how many
each tier killed, how many survived, and every survivor (file, line, the change).

Two kinds of survivor do not count, and are reported apart: *equivalent* mutants (no input can
tell them from the original, e.g. ``< 1`` to ``<= 0`` on an int) and changes to *text* no user
sees (log lines, ``repr``). Each is listed, with the reason, in ``scripts/mutants-not-counted.txt``
by file, line and change; a change to text that docs/PROTOCOL.md or the CLI's output promises
counts. The percentages are of the mutants that count.

It uses ``ast``, not mutmut or cosmic-ray, because it must run each tier in turn with that
tier's own socket guards and count kills per tier, which neither reports.

Run it from the repository root (``make mutate``; not part of ``make test``)::

    python scripts/mutate.py --sample 20          # a few minutes: 20 mutants drawn at random
    python scripts/mutate.py                      # every mutant: an hour or more
    python scripts/mutate.py --files game/lobby.py --sample 20 --seed 3
    python scripts/mutate.py --files game/server.py --tiers unit  # one shell's unit score
    python scripts/mutate.py --at game/server.py:80 game/server.py:83  # some lines, all tiers
    python scripts/mutate.py --files sockettest/src/sockettest/_faults.py --sample 5  # the kit's
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".mutants"
"""The scratch copy, by default; ``--work`` names another, for a second run at the same time."""
TIERS = {
    "unit": ["tests/unit", "tests/transports", "-m", "not loopback"],
    "integration": ["tests/integration", "tests/transports", "-m", "not memory"],
    "stress": ["tests/stress"],
}
KIT = "sockettest"
"""The kit's folder: a mutant of a module under it is tried on the kit's own tiers, run there."""
KIT_TIERS = {tier: [f"tests/{tier}"] for tier in ("unit", "integration", "stress")}
NOT_COUNTED = ROOT / "scripts" / "mutants-not-counted.txt"
TIER_TIMEOUT = {"unit": 60.0, "integration": 180.0, "stress": 300.0}
"""Seconds one tier may take on one mutant before the mutant counts as killed (it hangs): about
ten times what the tier takes on the product."""

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


def prepare(work: Path) -> None:
    """A fresh copy of the repository's tracked files in ``work``."""
    shutil.rmtree(work, ignore_errors=True)
    listed = subprocess.run(
        ["git", "ls-files"],  # noqa: S607 (git from PATH, as every make target finds it)
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


def run_tier(tier: str, work: Path, *, kit: bool = False) -> bool:
    """Whether the tier passes on the copy as it is now (False: the mutant was killed); the
    kit's tier of that name, run in its folder, if ``kit``."""
    arguments = [*(KIT_TIERS if kit else TIERS)[tier], "-x"]
    outcome = run_pytest(arguments, work, TIER_TIMEOUT[tier], cwd=work / KIT if kit else None)
    if outcome is None:
        (work / "last-tier.log").write_text(f"timed out after {TIER_TIMEOUT[tier]:g} s\n")
        return False
    passed, output = outcome
    (work / "last-tier.log").write_text(output)
    return passed


def run_pytest(
    arguments: list[str], work: Path, timeout: float, *, cwd: Path | None = None
) -> tuple[bool, str] | None:
    """Run pytest in the copy ``work`` (or in ``cwd``, a folder of it), whose ``game`` and
    ``sockettest`` are imported first: whether it passed, and what it printed; ``None`` if it
    took longer than ``timeout`` seconds (it hung)."""
    path = os.pathsep.join([str(work), str(work / "sockettest" / "src")])
    environment = {**os.environ, "PYTHONPATH": path, "HYPOTHESIS_PROFILE": "dev"}
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    command = [sys.executable, "-m", "pytest", *arguments, "-q", "-p", "no:randomly"]
    command += ["-p", "no:cacheprovider", "--color=no"]  # plain text, even under a notebook
    try:
        result = subprocess.run(  # noqa: S603 (our own interpreter and arguments)
            command,
            cwd=work if cwd is None else cwd,
            env=environment,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None
    return result.returncode == 0, result.stdout + result.stderr


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, help="try this many mutants, drawn at random")
    parser.add_argument("--seed", type=int, default=1, help="the draw's seed (default 1)")
    parser.add_argument("--files", nargs="*", help="only these modules (default: all of game/)")
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
        "--record", type=Path, help="also write the scores per tier to this JSON file"
    )
    parser.add_argument(
        "--work", type=Path, help="the scratch copy (default .mutants; git-ignored as .mutants*)"
    )
    args = parser.parse_args()
    work = WORK if args.work is None else args.work.resolve()
    tiers = args.tiers or list(TIERS)
    files = args.files or sorted(str(p.relative_to(ROOT)) for p in (ROOT / "game").glob("*.py"))
    prepare(work)
    everything = [m for path in files for m in mutants_of(path, work)]
    if args.at:
        places = {(path, int(line)) for path, line in (a.rsplit(":", 1) for a in args.at)}
        everything = [m for m in everything if (m.path, m.line) in places]
    chosen = everything
    if args.sample is not None:
        chosen = sorted(
            random.Random(args.seed).sample(everything, min(args.sample, len(everything))),
            key=lambda m: (m.path, m.index),
        )
    print(f"{len(everything)} mutants in {len(files)} modules; trying {len(chosen)}", flush=True)
    packages = sorted({path.startswith(f"{KIT}/") for path in files})
    for tier, kit in ((tier, kit) for tier in tiers for kit in packages):
        if not run_tier(tier, work, kit=kit):
            output = (work / "last-tier.log").read_text(errors="replace").splitlines()
            print(f"the {tier} tier fails on the unmutated copy: fix that first")
            print(*output[-30:], sep="\n")
            return 2
    began = time.monotonic()
    killed: Counter[tuple[str, str]] = Counter()
    tried: Counter[str] = Counter()
    survivors: list[Mutant] = []
    for number, mutant in enumerate(chosen, 1):
        target = work / mutant.path
        original = target.read_text()  # the copy made at the start, as listed
        target.write_text(mutated_source(mutant, original))
        try:
            kit = mutant.path.startswith(f"{KIT}/")
            verdict = next((tier for tier in tiers if not run_tier(tier, work, kit=kit)), None)
        finally:
            target.write_text(original)
        tried[mutant.path] += 1
        if verdict is None:
            survivors.append(mutant)
        else:
            killed[(mutant.path, verdict)] += 1
        shown = verdict or "SURVIVED"
        print(f"{number:4}/{len(chosen)} {mutant.path}:{mutant.line} {mutant.change}: {shown}")
    scores = report(tried, killed, survivors, not_counted(), time.monotonic() - began)
    if args.record is not None:
        scores["command"] = " ".join(["python", "scripts/mutate.py", *sys.argv[1:]])
        args.record.write_text(json.dumps(scores, indent=1) + "\n")
    return 0


def report(
    tried: Counter[str],
    killed: Counter[tuple[str, str]],
    survivors: list[Mutant],
    classified: dict[tuple[str, int, str], str],
    seconds: float,
) -> dict[str, object]:
    """Print the per-file table, the totals per tier (cumulative), and the survivors: those
    that count, then those that do not, with why. Return the totals, as ``--record`` keeps them."""
    apart = [m for m in survivors if (m.path, m.line, m.change) in classified]
    counted = [m for m in survivors if m not in apart]
    uncounted = Counter(m.path for m in apart)
    print(
        f"\n{'module':<24}{'tried':>7}{'unit':>7}{'integr.':>9}{'stress':>8}{'survived':>10}"
        f"{'apart':>7}{'unit %':>8}{'all %':>7}"
    )
    for path in sorted(tried):
        counts = [killed[(path, tier)] for tier in TIERS]
        count = tried[path] - uncounted[path]
        left = count - sum(counts)
        unit = f"{100 * counts[0] / count:.0f}" if count else "-"
        every = f"{100 * sum(counts) / count:.0f}" if count else "-"
        print(
            f"{path:<24}{tried[path]:>7}{counts[0]:>7}{counts[1]:>9}{counts[2]:>8}{left:>10}"
            f"{uncounted[path]:>7}{unit:>8}{every:>7}"
        )
    total = sum(tried.values()) - len(apart)
    running = 0
    by_tier: dict[str, int] = {}
    for tier in TIERS:
        by_tier[tier] = sum(killed[(path, tier)] for path in tried)
        running += by_tier[tier]
        print(f"killed by {tier} and the tiers before it: {running}/{total}", end="")
        print(f" ({100 * running / total:.1f}%)" if total else "")
    print(f"\n{len(counted)} survivors that count:")
    for mutant in counted:
        print(f"  {mutant.path}:{mutant.line}  {mutant.change}")
    print(f"{len(apart)} survivors not counted ({NOT_COUNTED.name}):")
    for mutant in apart:
        why = classified[(mutant.path, mutant.line, mutant.change)]
        print(f"  {mutant.path}:{mutant.line}  {mutant.change}  ({why})")
    print(f"\ntook {seconds / 60:.1f} min")
    return {
        "date": time.strftime("%Y-%m-%d"),
        "counted": total,
        "not counted": len(apart),
        "killed first by": by_tier,
        "survivors": [f"{m.path}:{m.line} {m.change}" for m in counted],
        "minutes": round(seconds / 60, 1),
    }


if __name__ == "__main__":
    raise SystemExit(main())
