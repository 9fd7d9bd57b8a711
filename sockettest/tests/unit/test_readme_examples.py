"""The kit README's Python examples, run as they are written, so that none of them can rot.

Each ``python`` block runs in a fresh namespace; each ``test_*`` function it defines is then
called, with the kit's fixtures for its parameters, as pytest would call it. A block that is
a sketch (it leaves out what a real test would need) says so in an HTML comment on the line
above it, and is only compiled.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path
from types import CodeType
from typing import NamedTuple

import pytest

SKETCH = "<!-- a sketch: not run by the README's test -->"
PROJECT = "<!-- pytest-asyncio project: run by the kit's tests -->"
"""The blocks of a project the kit runs with pytest in its own folder (test_event_loop_clock.py):
here they are only compiled."""
FENCE = re.compile(r"^```python\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def _readme() -> Path:
    """The kit's README: beside the package, however deep these tests sit in the tree."""
    for folder in Path(__file__).resolve().parents:
        if (readme := folder / "sockettest" / "README.md").is_file():
            return readme
    raise FileNotFoundError("sockettest/README.md, above " + __file__)


README = _readme()


class Block(NamedTuple):
    """A ``python`` block of the README: its first line's number, its code, and whether it
    is marked as a sketch (only compiled), or as a file of a project a test runs."""

    line: int
    code: str
    sketch: bool
    project: bool = False

    def compiled(self) -> CodeType:
        """The code, compiled so that a traceback names the README's own line."""
        return compile("\n" * self.line + self.code, str(README), "exec")

    def tests(self) -> list[str | None]:
        """The names of the ``test_*`` functions the block defines."""
        return [
            node.name
            for node in ast.parse(self.code).body
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
        ]


def _blocks() -> list[Block]:
    text = README.read_text(encoding="utf-8")
    blocks = []
    for match in FENCE.finditer(text):
        line = text.count("\n", 0, match.start(1))
        above = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        project = above == PROJECT
        blocks.append(
            Block(line, match.group(1), sketch=above == SKETCH or project, project=project)
        )
    return blocks


BLOCKS = _blocks()
RUN = [
    pytest.param(block, name, id=f"line{block.line}-{name or 'module'}")
    for block in BLOCKS
    if not block.sketch
    for name in block.tests() or [None]  # None: a block with no test function
]


def test_the_readme_shows_the_examples_a_user_looks_for() -> None:
    """The README has runnable examples of faults on a network and per socket, of a
    FaultPlan, of a scripted server's connection, and of the virtual-clock fixture."""
    code = "\n".join(block.code for block in BLOCKS if not block.sketch)
    for shown in (
        "accept_faults=",
        "connect_faults=[",
        ".faults = Faults(",
        "conn: ScriptedConnection",
        "conn.read_until_eof()",
        "patched_network_on_virtual_clock: MemoryNetwork",
    ):
        assert shown in code, f"no runnable README example shows {shown!r}"


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.sketch], ids=lambda b: f"line{b.line}")
def test_a_sketch_compiles(block: Block) -> None:
    """A block marked as a sketch is still Python: it compiles."""
    block.compiled()


@pytest.mark.parametrize(("block", "name"), RUN)
def test_a_readme_example_runs(
    block: Block, name: str | None, request: pytest.FixtureRequest
) -> None:
    """The block runs without error, and so does its test function, given the fixtures it
    names."""
    namespace: dict[str, object] = {"__name__": f"readme_line{block.line}"}
    exec(block.compiled(), namespace)  # noqa: S102 - the README's own code, which it shows
    if name is None:
        return
    test = namespace[name]
    assert callable(test)
    fixtures = {
        parameter: request.getfixturevalue(parameter)
        for parameter in inspect.signature(test).parameters
    }
    test(**fixtures)
