"""The course's mermaid diagrams, pre-rendered to SVG files committed beside the notebooks.

Why: JupyterLab draws a ```` ```mermaid ```` block in a markdown cell itself, but the HTML that
nbconvert writes (``make course-html``) only draws it by loading mermaid.js from a CDN, so the
page shows nothing offline, or as an uploaded CI artifact. Drawing a diagram takes a browser, and
CI has none. So each diagram is drawn once, here, to ``notebooks/diagrams/<hash>.svg``, and
committed; ``make course-html`` inlines those files and needs no browser.

The file is named by a short hash of the diagram's source, so a diagram that changes has no SVG
until it is drawn again: ``check`` (part of ``make lint``, no browser, the standard library only)
fails then, and on an SVG that no diagram has any more.

``render`` (``make diagrams``) draws the diagrams that have no SVG, and deletes the orphans. It
uses mermaid-cli, pinned with its dependencies in ``tools/mermaid/package.json`` and
``package-lock.json`` and installed on first use by ``npm ci`` into ``.venv/mermaid-cli``
(puppeteer's own browser download skipped), and the system's Chromium, named in
``tools/mermaid/puppeteer-config.json`` (``/usr/bin/chromium``; ``CHROMIUM=path`` overrides it).
Needs Node.js 20 or later, npm and Chromium.

Run it from the repository root::

    python scripts/diagrams.py check            # every diagram has its SVG, no SVG is an orphan
    python scripts/diagrams.py render           # draw the missing ones, delete the orphans
    python scripts/diagrams.py render --all     # draw every one again (after a mermaid upgrade)

Exit status: 0 done or clean, 1 a finding, 2 cannot run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from _npm import CannotRun, Package, node

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
SVGS = NOTEBOOKS / "diagrams"
PINS = ROOT / "tools" / "mermaid"
MERMAID = Package(
    pins=PINS,
    folder=ROOT / ".venv" / "mermaid-cli",
    cli=Path("node_modules", "@mermaid-js", "mermaid-cli", "src", "cli.js"),
    environment={"PUPPETEER_SKIP_DOWNLOAD": "1"},  # the system's Chromium draws instead
)
DRAW_TIMEOUT = 120.0
HASH_LENGTH = 12

# A fenced code block whose info string is "mermaid": up to three spaces of indentation, then
# ``` or ~~~ (or longer), closed by the same fence.
_FENCE = re.compile(
    r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})[ \t]*mermaid\b[^\n]*\n"
    r"(?P<source>.*?)"
    r"^(?P=indent)(?P=fence)[ \t]*$",
    re.MULTILINE | re.DOTALL,
)


_STACK_FRAME = re.compile(r"^(\s+at |Parser\.|\w+ \(https?://)")


@dataclass(frozen=True)
class Diagram:
    """One mermaid block of a markdown cell, and where its SVG belongs."""

    notebook: Path
    cell: int  # the cell's index in the notebook, from 0
    source: str
    block: str  # the whole fenced block, fences included, as it stands in the cell

    @property
    def digest(self) -> str:
        return digest(self.source)

    @property
    def svg(self) -> Path:
        return self.notebook.parent / SVGS.name / f"{self.digest}.svg"

    @property
    def where(self) -> str:
        return f"{shown(self.notebook)}, cell {self.cell}"


def shown(path: Path) -> str:
    """A path as messages show it: from the repository's root when it is inside it."""
    return str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


def digest(source: str) -> str:
    """The short hash that names a diagram's SVG: of its source, line endings normalized."""
    normalized = "\n".join(line.rstrip() for line in source.strip().splitlines())
    return hashlib.sha256(normalized.encode()).hexdigest()[:HASH_LENGTH]


def cell_source(cell: dict[str, object]) -> str:
    """A cell's source as one string (nbformat stores it as a string or a list of lines)."""
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def blocks(markdown: str) -> Iterator[tuple[str, str]]:
    """Each mermaid block in a markdown text: (the whole block, the diagram's source)."""
    for match in _FENCE.finditer(markdown):
        yield match.group(0), match.group("source")


def notebooks(folder: Path = NOTEBOOKS) -> list[Path]:
    """The course's notebooks, in reading order (their file names)."""
    return sorted(folder.glob("*.ipynb"))


def diagrams(folder: Path = NOTEBOOKS) -> list[Diagram]:
    """Every mermaid block in the notebooks' markdown cells, in reading order."""
    found = []
    for path in notebooks(folder):
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
        for index, cell in enumerate(cells):
            if cell.get("cell_type") == "markdown":
                for block, source in blocks(cell_source(cell)):
                    found.append(Diagram(path, index, source, block))
    return found


def missing(found: list[Diagram]) -> list[str]:
    """The diagrams that have no SVG, or an SVG file that is not one."""
    problems = []
    for diagram in found:
        if not diagram.svg.is_file():
            problems.append(
                f"{diagram.where}: diagram {diagram.digest} has no "
                f"{shown(diagram.svg)}: run make diagrams"
            )
        elif "<svg" not in diagram.svg.read_text(encoding="utf-8", errors="replace")[:4096]:
            problems.append(f"{shown(diagram.svg)} is not an SVG: run make diagrams")
    return problems


def orphans(folder: Path, found: list[Diagram]) -> list[str]:
    """The SVGs that no diagram has (any more)."""
    wanted = {diagram.svg for diagram in found}
    return [
        f"{shown(svg)} is no diagram's (changed or removed): run make diagrams, which deletes it"
        for svg in sorted((folder / SVGS.name).glob("*.svg"))
        if svg not in wanted
    ]


def check(folder: Path = NOTEBOOKS) -> int:
    found = diagrams(folder)
    problems = missing(found) + orphans(folder, found)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        return 1
    print(f"diagrams: {len(found)} mermaid diagrams, each with its SVG, no orphans")
    return 0


def puppeteer_config() -> Path:
    """The puppeteer configuration to draw with: the committed one, CHROMIUM overriding it."""
    config = json.loads((PINS / "puppeteer-config.json").read_text(encoding="utf-8"))
    config["executablePath"] = os.environ.get("CHROMIUM") or config["executablePath"]
    if not Path(config["executablePath"]).is_file():
        raise CannotRun(
            f"no browser at {config['executablePath']}: install Chromium "
            "(apt-get install chromium) or set CHROMIUM to its path"
        )
    path = MERMAID.folder / "puppeteer-config.json"
    path.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    return path


def draw(node_path: str, puppeteer: Path, diagram: Diagram, scratch: Path) -> None:
    """Draw one diagram to its SVG file with mermaid-cli, or raise :class:`CannotRun`."""
    source = scratch / f"{diagram.digest}.mmd"
    source.write_text(diagram.source, encoding="utf-8")
    drawn = scratch / f"{diagram.digest}.svg"
    command = [
        node_path,
        str(MERMAID.script),
        "--quiet",
        "--input",
        str(source),
        "--output",
        str(drawn),
        "--configFile",
        str(PINS / "mermaid-config.json"),
        "--puppeteerConfigFile",
        str(puppeteer),
        "--backgroundColor",
        "white",
        # Each SVG's styles are scoped to its id: a unique one keeps two diagrams on one page
        # from restyling each other.
        "--svgId",
        f"diagram-{diagram.digest}",
    ]
    result = subprocess.run(  # noqa: S603 - node on PATH, the pinned mermaid-cli, our files
        command, check=False, capture_output=True, text=True, timeout=DRAW_TIMEOUT
    )
    if result.returncode != 0 or not drawn.is_file():
        # mermaid's message, without the browser's stack trace that follows it
        lines = (result.stdout + result.stderr).strip().splitlines()
        end = next((i for i, ln in enumerate(lines) if _STACK_FRAME.match(ln)), len(lines))
        message = "\n".join(lines[:end]).strip()
        if "Parse error" in message and ";" in diagram.source:
            message += (
                "\n(a ';' ends a statement in mermaid, even inside a message: write #59; for one)"
            )
        raise CannotRun(f"{diagram.where}: mermaid-cli failed:\n{message}")
    diagram.svg.parent.mkdir(exist_ok=True)
    text = drawn.read_text(encoding="utf-8")
    diagram.svg.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")


def render(folder: Path, everything: bool, jobs: int) -> int:
    found = diagrams(folder)
    unique = list({diagram.digest: diagram for diagram in found}.values())
    todo = [d for d in unique if everything or not d.svg.is_file()]
    failed = []
    if todo:
        node_path = node()
        MERMAID.install()
        puppeteer = puppeteer_config()
        with (
            tempfile.TemporaryDirectory(prefix="diagrams-") as scratch,
            ThreadPoolExecutor(max_workers=max(1, jobs)) as pool,
        ):
            futures = [pool.submit(draw, node_path, puppeteer, d, Path(scratch)) for d in todo]
            for diagram, future in zip(todo, futures, strict=True):
                try:
                    future.result()
                except CannotRun as error:
                    failed.append(diagram)
                    print(f"diagrams: {error}", file=sys.stderr)
                else:
                    print(f"drew {shown(diagram.svg)} ({diagram.where})")
    wanted = {diagram.svg for diagram in found}
    for svg in sorted((folder / SVGS.name).glob("*.svg")):
        if svg not in wanted:
            svg.unlink()
            print(f"deleted {shown(svg)}: no diagram has it any more")
    print(f"diagrams: {len(found)} mermaid diagrams, {len(todo) - len(failed)} drawn")
    if failed:
        where = "; ".join(diagram.where for diagram in failed)
        print(f"diagrams: {len(failed)} could not be drawn (fix their source): {where}")
        return 1
    return check(folder)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--notebooks", type=Path, default=NOTEBOOKS, help="the notebooks' folder (notebooks/)"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("check", help="every diagram has its SVG; no browser needed")
    draw_parser = commands.add_parser("render", help="draw the missing SVGs, delete orphans")
    draw_parser.add_argument("--all", action="store_true", help="draw every diagram again")
    draw_parser.add_argument("--jobs", type=int, default=4, help="browsers at once (4)")
    args = parser.parse_args()
    try:
        if args.command == "check":
            return check(args.notebooks)
        return render(args.notebooks, args.all, args.jobs)
    except CannotRun as error:
        print(f"diagrams: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
