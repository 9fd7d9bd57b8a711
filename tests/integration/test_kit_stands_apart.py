"""The kit knows nothing of the course: installing both registers no game plugin, the kit's
fixtures list no game fixture, and a user project with a ``game`` package of its own runs with
the kit's plugin loaded.

These are the course's tests of its relationship with the kit, so they live here: the kit's own
suite never names the game. Each runs a small pytest session (or interpreter) of its own with
``pytester``, in a subprocess where it needs a clean ``sys.modules``.
"""

from __future__ import annotations

import importlib.metadata
import re
import sys

import pytest

pytest_plugins = ["pytester"]

QUIET = ("-p", "no:randomly", "-p", "no:cacheprovider", "-p", "no:nbmake")
"""Plugins an inner session does without: random order, the cache and nbmake (slow to import)."""

INNER_INI = (
    "[pytest]\naddopts = --strict-markers\nfilterwarnings = error\n"
    "asyncio_default_fixture_loop_scope = function\n"
)
"""A strict user project: unregistered markers and stray warnings fail the inner run."""

SUBPROCESS_TIMEOUT = 60.0


def test_no_game_fixture_is_listed(pytester: pytest.Pytester) -> None:
    """`pytest --fixtures` in a user project lists no game fixture and no game plugin."""
    pytester.makeini(INNER_INI)
    result = pytester.runpytest_subprocess("--fixtures", *QUIET, timeout=SUBPROCESS_TIMEOUT)
    assert result.ret == pytest.ExitCode.OK
    listed = result.stdout.str()
    assert re.search(r"^memory_network\b", listed, re.MULTILINE), "the kit's fixtures are listed"
    for name in ("game_server", "game_pair", "transport", "recording_factory"):
        assert not re.search(rf"^{name}\b", listed, re.MULTILINE), name
    [plugins] = [line for line in result.stdout.lines if line.startswith("plugins:")]
    names = [entry.strip() for entry in plugins.removeprefix("plugins:").split(",")]
    assert any(name.startswith("sockettest-") for name in names), plugins
    assert not [name for name in names if name.startswith("game")], plugins


def test_installing_the_course_registers_no_pytest_plugin() -> None:
    """No installed distribution has a pytest11 entry point into a `game` module."""
    plugins = importlib.metadata.entry_points(group="pytest11")
    assert "sockettest._plugin" in {plugin.value for plugin in plugins}
    into_game = [p for p in plugins if p.value == "game" or p.value.startswith("game.")]
    assert into_game == []


def test_a_project_with_its_own_game_package_runs_unharmed(pytester: pytest.Pytester) -> None:
    """A user project whose own top-level package is `game` runs with the kit's plugin loaded."""
    package = pytester.mkpydir("game")
    (package / "rules.py").write_text(
        "WINNING_SCORE = 3\n\n\ndef winner(scores):\n    return max(scores, key=scores.get)\n"
    )
    pytester.makeini(INNER_INI)
    pytester.makepyfile(
        test_user="""
        import sys
        from pathlib import Path

        import game
        from game.rules import WINNING_SCORE, winner

        def test_imports_its_own_game():
            here = Path(__file__).resolve().parent
            assert Path(game.__file__).resolve() == here / "game" / "__init__.py"
            assert "game.testing" not in sys.modules
            assert winner({"ann": WINNING_SCORE, "bob": 1}) == "ann"

        def test_has_the_kit_fixtures(memory_network):
            left, right = memory_network.socketpair()
            left.sendall(b"move")
            assert right.recv(4) == b"move"
            left.close()
            right.close()
        """
    )
    result = pytester.runpytest_subprocess(*QUIET, "-v", timeout=SUBPROCESS_TIMEOUT)
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["plugins:*sockettest-*"])
    assert "No module named" not in result.stdout.str() + result.stderr.str()


def test_the_kit_imports_nothing_of_the_game(pytester: pytest.Pytester) -> None:
    """Importing sockettest and its plugin leaves `game` and its submodules unimported."""
    result = pytester.run(
        sys.executable,
        "-c",
        "import sys, sockettest, sockettest._plugin\n"
        "found = [m for m in sys.modules if m == 'game' or m.startswith('game.')]\n"
        "assert not found, found\n"
        "print('no game module')\n",
        timeout=SUBPROCESS_TIMEOUT,
    )
    assert result.ret == 0, result.stderr.str()
    result.stdout.fnmatch_lines(["no game module"])
