"""One import path for each public name of the game: ``from game import Server``, never also
``from game.server import Server``; the module a name lives in does not offer it a second time."""

import ast
import importlib
import json
import pkgutil
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import game
from tests.derived import derived

ROOT = Path(__file__).resolve().parents[2]
USERS = ["tests", "scripts", "notebooks", "docs", "README.md", "game/testing"]
"""Where the game is used as its users use it: through its public names."""

# An import written in prose (markdown, or a docstring shown as an example).
PROSE_IMPORT = re.compile(r"from (game\.[\w.]+) import ([\w ,]+)")


def sources() -> Iterator[tuple[str, str, str]]:
    """Every file under :data:`USERS` as ``(where, kind, text)``; a notebook cell by cell."""
    for user in USERS:
        top = ROOT / user
        paths = [top] if top.is_file() else sorted(top.rglob("*"))
        for path in paths:
            where = str(path.relative_to(ROOT))
            if ".ipynb_checkpoints" in path.parts or "__pycache__" in path.parts:
                continue
            if path.suffix == ".py":
                yield where, "code", path.read_text()
            elif path.suffix == ".md":
                yield where, "prose", path.read_text()
            elif path.suffix == ".ipynb":
                for number, cell in enumerate(json.loads(path.read_text())["cells"]):
                    text = "".join(cell["source"])
                    if cell["cell_type"] == "code":
                        # IPython's magics and shell escapes are not Python.
                        lines = text.splitlines()
                        magic = ("%", "!")
                        text = "\n".join(
                            "" if ln.lstrip().startswith(magic) else ln for ln in lines
                        )
                    kind = "code" if cell["cell_type"] == "code" else "prose"
                    yield f"{where} cell {number}", kind, text


def second_paths(text: str, kind: str) -> Iterator[str]:
    """Each use in ``text`` of a name :mod:`game` exports, reached through one of its modules."""
    if "game." not in text:  # every use below names a module as game.<module>: skip the parse
        return
    public = set(game.__all__)
    if kind == "prose":
        for module, names in PROSE_IMPORT.findall(text):
            for name in names.replace(" ", "").split(","):
                if name in public:
                    yield f"from {module} import {name}"
        return
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("game."):
            for alias in node.names:
                if alias.name in public:
                    yield f"from {node.module} import {alias.name}"
        elif isinstance(node, ast.Attribute) and node.attr in public:
            module = node.value  # game.server in game.server.Server
            if (
                isinstance(module, ast.Attribute)
                and isinstance(module.value, ast.Name)
                and module.value.id == "game"
            ):
                yield f"game.{module.attr}.{node.attr}"


def test_the_games_users_import_each_public_name_from_game_itself(
    pytestconfig: pytest.Config,
) -> None:
    """Tests, scripts, notebooks, docs and game.testing name Server, Client and the errors as
    game's, never through the module that defines them."""
    cache = getattr(pytestconfig, "cache", None)  # none under -p no:cacheprovider
    rules = [Path(__file__).read_text(), " ".join(sorted(game.__all__))]  # what is looked for
    found = []
    for where, kind, text in sources():
        if "game." not in text:  # nothing to parse (second_paths says why): nothing to keep
            continue

        def uses(text: str = text, kind: str = kind) -> list[str]:
            return list(second_paths(text, kind))

        key = f"second-paths/{where}"
        found += [f"{where}: {use}" for use in derived(cache, key, [*rules, kind, text], uses)]
    assert found == []


def test_no_module_of_the_game_offers_a_name_that_game_exports() -> None:
    """A module's ``__all__`` lists only what ``game`` itself does not: one home to document."""
    offered = []
    for module in pkgutil.walk_packages(game.__path__, "game."):
        if module.name == "game.__main__":
            continue
        names = getattr(importlib.import_module(module.name), "__all__", [])
        offered += [f"{module.name}.{name}" for name in names if name in game.__all__]
    assert offered == []


def test_every_name_game_exports_is_importable_from_game() -> None:
    """The lazy ``__getattr__`` finds each name in ``__all__`` in the module it lives in."""
    for name in game.__all__:
        assert getattr(game, name).__name__ == name


def test_importing_game_loads_none_of_its_modules_until_a_name_is_used() -> None:
    """``import game`` alone imports no ``game.*`` module: each loads on its name's first use."""
    code = (
        "import sys, game\n"
        "print(sorted(m for m in sys.modules if m.startswith('game.')))\n"
        "game.Server\n"
        "print('game.server' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["[]", "True"]
