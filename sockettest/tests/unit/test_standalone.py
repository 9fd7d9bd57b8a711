"""The kit stands on its own: nothing in its folder (package, tests, docs) imports the game."""

import ast
from pathlib import Path

KIT = Path(__file__).resolve().parents[2]


def imported_modules(path: Path) -> set[str]:
    """The top-level names of the modules ``path`` imports (absolute imports only)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_nothing_in_the_kit_imports_the_game() -> None:
    """No module under sockettest/ imports `game`, in any form (`import game.x`, `from game`)."""
    sources = sorted(KIT.rglob("*.py"))
    assert len(sources) > 40, f"found only {len(sources)} Python files under {KIT}"
    # Only a file that spells "game" somewhere can import it: the rest need no parsing.
    naming = [path for path in sources if "game" in path.read_text(encoding="utf-8")]
    importers = [str(path.relative_to(KIT)) for path in naming if "game" in imported_modules(path)]
    assert importers == []
