"""Render the course to HTML, executed, with its outputs: the course read without running it.

Why: the committed notebooks carry no outputs (``nbstripout --verify`` in ``make lint``), so
that their diffs stay reviewable and a stale output can never pass for a real one. Read on
GitHub they show the code and none of what it does: no test report, no failure a lesson
provokes on purpose, no plot. And nbconvert's HTML draws a ```` ```mermaid ```` block only by
loading mermaid.js from a CDN, which an offline reader, or a CI artifact, does not have.

So this builds ``build/course/``: built, not committed (``build/`` is gitignored; CI uploads it
as an artifact). Notebook by notebook (``notebooks/*.ipynb``, found when it runs, in file-name
order), it

1. executes the notebook with nbclient in ``notebooks/`` (the notebooks import ``_course`` from
   there), each cell with a timeout; a cell that raises stops the build, with a message that
   names the notebook and the cell: the pages never show a course that does not run;
2. replaces each mermaid block by its SVG, pre-rendered by ``make diagrams`` into
   ``notebooks/diagrams/`` (no browser is needed here); a missing SVG stops the build before
   anything runs, saying to run ``make diagrams``;
3. rewrites links: to a notebook, to its page; to a file of the repository (``_course.py``), to
   a page of that file's text under ``files/``;
4. writes a self-contained page: styles, plots, images and diagrams inlined, no script loaded
   from the network, so the folder can be opened, or uploaded, as it is; then ``index.html``,
   which lists the pages in order, each page linking to the one before and after;
5. checks every page: each code cell ran (it has an execution count), a page with code has
   outputs, a notebook that plots shows an image, each diagram is there, no raw mermaid text is
   left and nothing is loaded from the network (``--check-only`` runs these checks alone).

The pages are written to ``build/course.partial/`` and moved into place at the end, so a failed
build never leaves a half-written course that looks complete.

Run it from the repository root (``make course-html`` does)::

    python scripts/course_html.py                 # build/course/index.html and a page each
    python scripts/course_html.py --timeout 300   # seconds a cell may take (120)
    python scripts/course_html.py --check-only    # check an existing build/course/

Exit status: 0 built and checked, 1 a cell raised or a page failed a check, 2 cannot run.
"""

from __future__ import annotations

import argparse
import base64
import html
import mimetypes
import re
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from diagrams import (
    NOTEBOOKS,
    ROOT,
    blocks,
    cell_source,
    diagrams,
    digest,
    missing,
    notebooks,
    shown,
)
from jinja2 import DictLoader
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from nbconvert import HTMLExporter

OUT = ROOT / "build" / "course"
CELL_TIMEOUT = 120
KERNEL = "python3"
ANSI_ESCAPES = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

# A markdown link, not an image: [text](target "title"). The text may hold one level of
# brackets; the target has no spaces (or is written <like this>).
_LINK = re.compile(
    r"(?<!!)\[(?P<text>(?:[^\[\]\n]|\[[^\]\n]*\])*)\]"
    r"\((?P<target><[^>\n]*>|[^)\s]+)(?P<title>\s+\"[^\"\n]*\")?\)"
)
_MARKDOWN_IMAGE = re.compile(r"!\[(?P<alt>[^\]\n]*)\]\((?P<target><[^>\n]*>|[^)\s]+)\)")
_HTML_IMAGE = re.compile(r'(?P<start><img\b[^>]*?\bsrc=")(?P<target>[^"]+)"')
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_SVG_WIDTH = re.compile(r"<svg\b[^>]*?max-width:\s*(?P<width>[0-9.]+)px")
# An input prompt, "In [3]:" (a space, a no-break space or its entity), and an output's area.
_PROMPT = re.compile(r"In(?:&nbsp;|\xa0| )\[([^\]]*)\]:")
_OUTPUT = re.compile(r'class="[^"]*\bjp-OutputArea-output\b')
# A cell's output that is an image (a plot), inlined: not a diagram, not the stylesheet's icons.
_IMAGE_OUTPUT = re.compile(
    r'<div class="[^"]*\bjp-RenderedImage\b[^"]*"[^>]*>\s*<img[^>]+src="data:image/'
)
_SVG_OUTPUT = re.compile(r'<div class="[^"]*\bjp-RenderedSVG\b[^"]*"[^>]*>\s*<svg\b')
# Code that draws a plot: the page of its notebook must show an image.
_PLOTS = re.compile(r"\b(matplotlib|plt\.|\.plot\(|\.savefig\()")

PAGE_CSS = """
.course-nav { display: flex; gap: 1.5em; justify-content: space-between;
  max-width: 1200px; margin: 0 auto; padding: 0.6em var(--jp-notebook-padding, 10px);
  font-family: var(--jp-ui-font-family, sans-serif); font-size: 0.95em;
  border-bottom: 1px solid #ddd; }
.course-nav.bottom { border-bottom: none; border-top: 1px solid #ddd; }
.course-nav a { text-decoration: none; }
figure.course-diagram { margin: 1em 0; }
figure.course-diagram img { display: block; width: 100%; height: auto; }
"""

TEMPLATE = """{%- extends 'index.html.j2' -%}
{#- Nothing is loaded from the network: no require.js, MathJax or mermaid.js. -#}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{% block extra_css %}<style type="text/css">{{ resources.course_css }}</style>{% endblock %}
{%- block body_header -%}
{{ super() }}
{{ resources.course_nav_top }}
{%- endblock body_header -%}
{% block body_footer %}
{{ resources.course_nav_bottom }}
{{ super() }}
{% endblock body_footer %}
"""

INDEX = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>The course: learn to unit-test network code</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; line-height: 1.5;
  max-width: 52em; margin: 2em auto; padding: 0 1em; color: #222; }}
li {{ margin: 0.4em 0; }}
.note {{ color: #555; font-size: 0.95em; }}
</style>
</head>
<body>
<h1>The course: learn to unit-test network code</h1>
<p class="note">Every notebook of the course, executed, with the outputs of one run: the test
reports, the failures shown on purpose, the plots and the diagrams. Built by
<code>make course-html</code>; the notebooks themselves are committed without outputs.</p>
<ol class="course-pages">
{items}
</ol>
</body>
</html>
"""


FILE_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{name}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5em; }}
pre {{ font-size: 0.9em; line-height: 1.4; background: #f7f7f7; padding: 1em; overflow-x: auto; }}
</style>
</head>
<body>
<p><a href="{index}">The course</a> &middot; from the repository: <code>{name}</code></p>
<pre>{text}</pre>
</body>
</html>
"""


class CannotRun(Exception):
    """Something the build needs is missing; the message says what to do."""


class CellFailed(Exception):
    """A cell raised, or timed out, while its notebook ran; the message names both."""


@dataclass
class Page:
    """One notebook of the course and its page."""

    notebook: Path
    title: str = ""
    html: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.notebook.with_suffix(".html").name


def read(path: Path) -> Any:
    """A notebook, as nbformat's version 4 node."""
    return nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]


def title_of(notebook: Any, fallback: str) -> str:
    """The text of the notebook's first heading, or ``fallback``."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for line in cell_source(cell).splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip().replace("`", "")
    return fallback


def plots(notebook: Any) -> bool:
    """Whether the notebook's code draws a plot (so that its page must show an image)."""
    return any(
        cell.cell_type == "code" and _PLOTS.search(cell_source(cell)) for cell in notebook.cells
    )


def code_cells(notebook: Any) -> list[tuple[int, Any]]:
    """The code cells that have code in them, with their index in the notebook."""
    return [
        (index, cell)
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and cell_source(cell).strip()
    ]


# --- 1. execute --------------------------------------------------------------------------------


def execute(notebook: Any, path: Path, timeout: int) -> None:
    """Run every cell of ``notebook`` in its folder, or raise :class:`CellFailed`."""
    current: dict[str, int] = {"index": -1}

    def started(cell: Any, cell_index: int, **_: Any) -> None:
        current["index"] = cell_index

    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name=KERNEL,
        allow_errors=False,
        resources={"metadata": {"path": str(path.parent)}},
        on_cell_start=started,
        # the kernel's own warnings (it listens on loopback without encryption) are noise here
        extra_arguments=["--log-level=ERROR"],
    )
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as error:
        index = current["index"]
        cell = notebook.cells[index] if 0 <= index < len(notebook.cells) else None
        where = f"{shown(path)}, cell {index}"
        if cell is not None:
            first = next((ln for ln in cell_source(cell).splitlines() if ln.strip()), "")
            where += f" (the code cell that starts {first.strip()[:60]!r})"
        if isinstance(error, CellTimeoutError):
            what = f"did not finish within {timeout} s (--timeout)"
        elif isinstance(error, DeadKernelError):
            what = "killed the kernel"
        else:
            message = ANSI_ESCAPES.sub("", str(error.evalue)).strip().splitlines()
            what = f"raised {error.ename}: {message[0][:200] if message else ''}"
        detail = ANSI_ESCAPES.sub("", str(error)).strip()
        tail = "\n".join(detail.splitlines()[-30:])
        raise CellFailed(f"{where} {what}\n{tail}") from error


# --- 2. and 3. diagrams and links --------------------------------------------------------------


def diagram_html(svg: Path, source: str) -> str:
    """A figure with the diagram's SVG inlined as a data URI, on one line of markdown."""
    text = svg.read_text(encoding="utf-8")
    match = _SVG_WIDTH.search(text)
    width = f' style="max-width: {float(match.group("width")):g}px"' if match else ""
    data = base64.b64encode(text.encode()).decode()
    alt = html.escape(source.strip(), quote=True).replace("\n", "&#10;")
    return (
        f'<figure class="course-diagram" data-diagram="{svg.stem}">'
        f'<img src="data:image/svg+xml;base64,{data}" alt="{alt}"{width}></figure>'
    )


def replace_diagrams(markdown: str, folder: Path) -> tuple[str, int]:
    """``markdown`` with each mermaid block replaced by its SVG; and how many there were."""
    count = 0
    for block, source in list(blocks(markdown)):
        svg = folder / "diagrams" / f"{digest(source)}.svg"
        if not svg.is_file():
            raise CannotRun(f"{shown(svg)} is missing: run make diagrams")
        markdown = markdown.replace(block, f"\n{diagram_html(svg, source)}\n", 1)
        count += 1
    return markdown, count


def inline_images(markdown: str, folder: Path, warn: Callable[[str], None]) -> str:
    """``markdown`` with its relative images, ``![alt](path)`` or ``<img src="path">``, inlined."""

    def data_uri(target: str) -> str | None:
        if _SCHEME.match(target) or target.startswith(("/", "#")):
            return None
        path = folder / target
        kind = mimetypes.guess_type(path.name)[0]
        if not path.is_file() or kind is None or not kind.startswith("image/"):
            warn(f"shows the image {target}, which is no image file: left as it is")
            return None
        return f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode()}"

    def markdown_image(match: re.Match[str]) -> str:
        uri = data_uri(match.group("target").strip("<>"))
        return match.group(0) if uri is None else f"![{match.group('alt')}]({uri})"

    def html_image(match: re.Match[str]) -> str:
        uri = data_uri(html.unescape(match.group("target")))
        return match.group(0) if uri is None else f'{match.group("start")}{uri}"'

    markdown = _MARKDOWN_IMAGE.sub(markdown_image, markdown)
    return _HTML_IMAGE.sub(html_image, markdown)


@dataclass
class Links:
    """Rewrites the relative links of the notebooks' markdown for the pages."""

    folder: Path
    out: Path
    pages: set[str]  # the notebooks' file names
    files: dict[Path, str] = field(default_factory=dict)  # repository file -> its page

    def rewrite(self, markdown: str, warn: Callable[[str], None]) -> str:
        def one(match: re.Match[str]) -> str:
            target = match.group("target").strip("<>")
            new = self.target(target, warn)
            if new is None:
                return match.group(0)
            return f"[{match.group('text')}]({new}{match.group('title') or ''})"

        return _LINK.sub(one, markdown)

    def target(self, target: str, warn: Callable[[str], None]) -> str | None:
        if not target or target.startswith(("#", "/")) or _SCHEME.match(target):
            return None
        path, _, fragment = target.partition("#")
        anchor = f"#{fragment}" if fragment else ""
        resolved = (self.folder / path).resolve()
        if resolved.suffix == ".ipynb" and resolved.parent == self.folder.resolve():
            if resolved.name not in self.pages:
                warn(f"links to {path}, which is not in the course (yet): the link is broken")
            return resolved.with_suffix(".html").name + anchor
        if not resolved.is_file() or not resolved.is_relative_to(ROOT):
            warn(f"links to {path}, which is no file of the repository: left as it is")
            return None
        page = self.files.setdefault(resolved, f"files/{resolved.relative_to(ROOT)}.html")
        return page + anchor

    def write_files(self) -> None:
        """A page of each repository file that a notebook links to: its text, as it is."""
        for path, page in self.files.items():
            name = html.escape(path.relative_to(ROOT).as_posix())
            text = html.escape(path.read_text(encoding="utf-8"))
            target = self.out / page
            target.parent.mkdir(parents=True, exist_ok=True)
            back = "../" * (page.count("/"))
            target.write_text(
                FILE_PAGE.format(name=name, text=text, index=f"{back}index.html"),
                encoding="utf-8",
            )


# --- 4. pages ----------------------------------------------------------------------------------


def nav(pages: list[Page], index: int, where: str) -> str:
    """The links above and below a page: the previous page, the index, the next page."""
    before = pages[index - 1] if index > 0 else None
    after = pages[index + 1] if index + 1 < len(pages) else None

    def link(page: Page | None, label: str) -> str:
        if page is None:
            return "<span></span>"
        return f'<a href="{page.name}">{label}{html.escape(page.title)}</a>'

    return (
        f'<nav class="course-nav {where}">{link(before, "&larr; ")}'
        f'<a href="index.html">The course</a>{link(after, "&rarr; ")}</nav>'
    )


def export(notebook: Any, page: Page, pages: list[Page], index: int) -> str:
    """The page of one executed notebook, as a self-contained HTML document."""
    exporter = HTMLExporter(  # type: ignore[no-untyped-call]
        extra_loaders=[DictLoader({"course.html.j2": TEMPLATE})],
        template_file="course.html.j2",
        # Not nbconvert's embed_images: it reparses each HTML block alone, which closes a
        # <details> before its content; images are inlined by inline_images() instead.
        embed_images=False,
    )
    body, _ = exporter.from_notebook_node(
        notebook,
        resources={
            "metadata": {"name": page.title, "path": str(page.notebook.parent)},
            "course_css": PAGE_CSS,
            "course_nav_top": nav(pages, index, "top"),
            "course_nav_bottom": nav(pages, index, "bottom"),
        },
    )
    return str(body)


def index_html(pages: list[Page]) -> str:
    items = "\n".join(
        f'<li><a href="{page.name}">{html.escape(page.title)}</a></li>' for page in pages
    )
    return INDEX.format(items=items)


# --- 5. checks ---------------------------------------------------------------------------------


def check_page(source: Any, page_html: str, name: str) -> list[str]:
    """What is wrong with one page, given the notebook it was built from (without outputs)."""
    problems = []
    expected = len(code_cells(source))
    prompts = _PROMPT.findall(page_html)
    ran = [p for p in prompts if p.strip().isdigit()]
    if len(ran) != expected or len(prompts) != expected:
        problems.append(
            f"{name}: {expected} code cells, {len(ran)} of them with an execution count"
        )
    if expected and not _OUTPUT.search(page_html):
        problems.append(f"{name}: no output at all")
    if plots(source) and not (_IMAGE_OUTPUT.search(page_html) or _SVG_OUTPUT.search(page_html)):
        problems.append(f"{name}: its notebook plots, but the page shows no image")
    if "```mermaid" in page_html or 'class="mermaid"' in page_html:
        problems.append(f"{name}: raw mermaid text is left")
    diagrams = sum(
        len(list(blocks(cell_source(cell))))
        for cell in source.cells
        if cell.cell_type == "markdown"
    )
    shown_diagrams = page_html.count('<figure class="course-diagram"')
    if shown_diagrams != diagrams:
        problems.append(f"{name}: {diagrams} mermaid diagrams, {shown_diagrams} shown")
    if re.search(r"<(script|link)\b[^>]*(src|href)=\"(https?:)?//", page_html):
        problems.append(f"{name}: loads a script or a style from the network")
    if re.search(r'<img\b[^>]*\bsrc="(?!data:)', page_html):
        problems.append(f"{name}: shows an image that is not inlined")
    return problems


def check_build(folder: Path, out: Path) -> list[str]:
    """What is wrong with the built pages in ``out``, and the index."""
    problems = []
    paths = notebooks(folder)
    index = out / "index.html"
    listed = re.findall(r'<li><a href="([^"]+)">', index.read_text()) if index.is_file() else []
    wanted = [path.with_suffix(".html").name for path in paths]
    if listed != wanted:
        problems.append(f"index.html lists {listed}, not the course's pages {wanted}")
    for path in paths:
        page = out / path.with_suffix(".html").name
        if not page.is_file():
            problems.append(f"{page.name}: missing")
            continue
        problems.extend(check_page(read(path), page.read_text(encoding="utf-8"), page.name))
    return problems


# --- the build ---------------------------------------------------------------------------------


def build(folder: Path, out: Path, timeout: int) -> list[str]:
    """Build every page into ``out``; return the warnings. Raises on a failure."""
    paths = notebooks(folder)
    if not paths:
        raise CannotRun(f"no notebooks in {shown(folder)}")
    absent = missing(diagrams(folder))
    if absent:
        raise CannotRun("\n".join(absent))
    staging = out.with_name(out.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    pages = [Page(path) for path in paths]
    links = Links(folder, staging, {path.name for path in paths})
    executed = []
    for page in pages:
        notebook = read(page.notebook)
        page.title = title_of(notebook, page.notebook.stem)
        started = time.perf_counter()
        execute(notebook, page.notebook, timeout)
        print(f"ran {shown(page.notebook)} in {time.perf_counter() - started:.1f} s", flush=True)
        for cell in notebook.cells:
            if cell.cell_type == "markdown":
                text, _ = replace_diagrams(cell_source(cell), folder)
                text = inline_images(text, folder, page.warnings.append)
                cell.source = links.rewrite(text, page.warnings.append)
        unran = [i for i, cell in code_cells(notebook) if cell.get("execution_count") is None]
        if unran:
            raise CellFailed(f"{shown(page.notebook)}: cells {unran} have no execution count")
        executed.append(notebook)
    for index, (page, notebook) in enumerate(zip(pages, executed, strict=True)):
        page.html = export(notebook, page, pages, index)
        (staging / page.name).write_text(page.html, encoding="utf-8")
    (staging / "index.html").write_text(index_html(pages), encoding="utf-8")
    links.write_files()
    problems = check_build(folder, staging)
    if problems:
        raise CellFailed("the pages failed their checks:\n" + "\n".join(problems))
    shutil.rmtree(out, ignore_errors=True)
    staging.rename(out)
    return [f"{shown(page.notebook)}: {w}" for page in pages for w in page.warnings]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=int, default=CELL_TIMEOUT, help="seconds a cell may take")
    parser.add_argument("--notebooks", type=Path, default=NOTEBOOKS, help="(notebooks/)")
    parser.add_argument("--out", type=Path, default=OUT, help="(build/course/)")
    parser.add_argument("--check-only", action="store_true", help="check the pages in --out")
    args = parser.parse_args()
    folder, out = args.notebooks.resolve(), args.out.resolve()
    started = time.perf_counter()
    try:
        if args.check_only:
            problems = check_build(folder, out)
            for problem in problems:
                print(problem, file=sys.stderr)
            if problems:
                return 1
        else:
            for warning in build(folder, out, args.timeout):
                print(f"course-html: warning: {warning}", file=sys.stderr)
    except CannotRun as error:
        print(f"course-html: {error}", file=sys.stderr)
        return 2
    except CellFailed as error:
        print(f"course-html: {error}", file=sys.stderr)
        return 1
    pages = len(notebooks(folder))
    elapsed = time.perf_counter() - started
    plural = "" if pages == 1 else "s"
    print(f"course-html: {pages} page{plural} in {shown(out)}, checked ({elapsed:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
