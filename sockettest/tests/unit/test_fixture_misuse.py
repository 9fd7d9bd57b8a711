"""Fixtures asked for together in a way that cannot mean what it says fail the test at set-up,
saying which to ask for, instead of running it on a network or a clock it did not expect."""

from __future__ import annotations

import importlib.util

import pytest

# Imported here, so that the inner runs, which pytester undoes the imports of, do not import the
# kit's modules again and compare a clock of one import with the class of another.
from sockettest import MemoryNetwork, VirtualClock  # noqa: F401

INNER_INI = "[pytest]\nfilterwarnings = error\n" + (
    "asyncio_default_fixture_loop_scope = function\n"  # unset, pytest-asyncio warns
    if importlib.util.find_spec("pytest_asyncio")
    else ""
)
QUIET = ("-p", "no:randomly", "-p", "no:cacheprovider", "-p", "no:nbmake", "-q")


@pytest.mark.parametrize(
    "arguments",
    [
        "patched_network, patched_network_on_virtual_clock",
        "patched_network_on_virtual_clock, patched_network",
        "patched_network, virtual_clock",
        "virtual_clock, patched_network",
    ],
)
def test_patched_network_with_the_virtual_clock_fixtures_fails_naming_the_one_to_use(
    pytester: pytest.Pytester, arguments: str
) -> None:
    """patched_network (real time) asked for with virtual_clock or with its virtual-clock twin
    fails at set-up, naming patched_network_on_virtual_clock, whatever the argument order, and
    with no traceback into the kit's plugin."""
    pytester.makeini(INNER_INI)
    pytester.makepyfile(test_user=f"def test_user({arguments}):\n    pass\n")
    result = pytester.runpytest_inprocess(*QUIET)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*patched_network is on real time*patched_network_on_virtual*"])
    result.stdout.no_fnmatch_line("*_plugin.py*")
