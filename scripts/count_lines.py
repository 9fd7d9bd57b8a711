"""The kit's package, module by module: its lines, and what kind of line each is.

Issue 17 set line targets for ``sockettest/src/sockettest`` as ``wc -l`` counts it: the package
at most 6,800 lines, no module over 900, name resolution (``_names.py``) under 400. This script
prints ``wc -l``'s count per module and in all, and splits each into

- **code**: a line with code on it, a trailing comment included;
- **docstrings**: a module's, class's or function's docstring, and an attribute's (a string
  just after an assignment), which the API reference (``make docs``) is built from;
- **comments**: a line with only a comment;
- **blank**.

Then the targets, each met or missed by how much. Run it from the repository root
(``make lines``)::

    python scripts/count_lines.py
    python scripts/count_lines.py --root ../before   # another checkout's kit
"""

from __future__ import annotations

import argparse
import ast
import io
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PACKAGE = Path("sockettest", "src", "sockettest")

PACKAGE_TARGET = 6800
MODULE_TARGET = 900
NAMES_TARGET = 400  # under it

KINDS = ("code", "docstrings", "comments", "blank")


@dataclass
class Count:
    """How many lines of each kind one module (or a sum of modules) has."""

    kinds: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))

    @property
    def total(self) -> int:
        """Every line, as ``wc -l`` counts them."""
        return sum(self.kinds.values())

    def add(self, other: Count) -> None:
        """Add ``other``'s lines to these."""
        for kind in KINDS:
            self.kinds[kind] += other.kinds[kind]


def _is_string(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def docstring_lines(tree: ast.Module) -> set[int]:
    """The line numbers (from 1) of every docstring in ``tree``, attributes' included."""
    found: set[int] = set()
    for node in ast.walk(tree):
        for name in ("body", "orelse", "finalbody"):
            body = getattr(node, name, None)
            if not isinstance(body, list) or not body:
                continue
            statements = [s for s in body if isinstance(s, ast.stmt)]
            documented = [
                after
                for before, after in zip([None, *statements], statements, strict=False)
                if _is_string(after)
                and (
                    (before is None and name == "body" and _has_docstring_slot(node))
                    or isinstance(before, ast.Assign | ast.AnnAssign)
                )
            ]
            for string in documented:
                found.update(range(string.lineno, (string.end_lineno or string.lineno) + 1))
    return found


def _has_docstring_slot(node: ast.AST) -> bool:
    return isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)


def count(source: str) -> Count:
    """The lines of ``source``, by kind."""
    lines = source.splitlines()
    comments = {
        token.start[0]
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.COMMENT
    }
    docstrings = docstring_lines(ast.parse(source))
    result = Count()
    for number, line in enumerate(lines, start=1):
        if number in docstrings:
            kind = "docstrings"
        elif not line.strip():
            kind = "blank"
        elif number in comments and line.lstrip().startswith("#"):
            kind = "comments"
        else:
            kind = "code"
        result.kinds[kind] += 1
    return result


def verdict(value: int, limit: int, *, under: bool = False) -> str:
    """``met`` or by how many lines ``value`` misses ``limit`` (at most, or ``under`` it)."""
    if value < limit or (value == limit and not under):
        return "met"
    return f"MISSED by {value - limit + (1 if under else 0):,} lines"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to count")
    args = parser.parse_args()
    package = args.root / PACKAGE
    modules = {
        path.relative_to(package).as_posix(): count(path.read_text(encoding="utf-8"))
        for path in sorted(package.rglob("*.py"))
    }
    total = Count()
    print(f"{'module':<28} {'lines':>6}" + "".join(f" {kind:>10}" for kind in KINDS))
    for name, lines in sorted(modules.items(), key=lambda item: -item[1].total):
        total.add(lines)
        print(f"{name:<28} {lines.total:>6}" + "".join(f" {lines.kinds[k]:>10}" for k in KINDS))
    print(f"{'all ' + str(len(modules)) + ' modules':<28} {total.total:>6}", end="")
    print("".join(f" {total.kinds[k]:>10}" for k in KINDS))
    largest, largest_lines = max(modules.items(), key=lambda item: item[1].total)
    names = modules["_names.py"].total
    print(f"\ntargets (issue 17), lines as wc -l counts them, in {PACKAGE.as_posix()}:")
    print(
        f"  the package: {total.total:,} (at most {PACKAGE_TARGET:,}):"
        f" {verdict(total.total, PACKAGE_TARGET)};"
        f" its code alone: {total.kinds['code']:,}: {verdict(total.kinds['code'], PACKAGE_TARGET)}"
    )
    print(
        f"  the largest module, {largest}: {largest_lines.total} (at most {MODULE_TARGET}):"
        f" {verdict(largest_lines.total, MODULE_TARGET)}"
    )
    print(
        f"  name resolution, _names.py: {names} (under {NAMES_TARGET}):"
        f" {verdict(names, NAMES_TARGET, under=True)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
