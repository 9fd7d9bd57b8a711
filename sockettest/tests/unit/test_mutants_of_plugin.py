"""Plugin behaviour that only a mutation showed unpinned in the unit tier (the integration tier
runs it in a fresh interpreter, under each pytest-socket option); the test fails on the mutant
it was written for."""

import importlib.util

import pytest

INNER_INI = "[pytest]\nfilterwarnings = error\n" + (
    "asyncio_default_fixture_loop_scope = function\n"  # unset, pytest-asyncio warns
    if importlib.util.find_spec("pytest_asyncio")
    else ""
)

MODULE_SCOPED_PATCH = """
import socket

import pytest

from sockettest import MemoryNetwork

@pytest.fixture(scope="module")
def module_network():
    network = MemoryNetwork()
    with network.patch():
        yield network

@pytest.mark.parametrize("n", range(3))
def test_each_test_of_the_module_is_on_its_network(module_network, n):
    with socket.socket() as sock:
        assert any(made is sock for made in module_network.sockets)
"""


def test_a_module_scoped_patch_stays_in_force_for_every_test_of_its_module(
    pytester: pytest.Pytester,
) -> None:
    """A patch a module-scoped fixture begins is still in force in the module's second and
    third tests: the plugin ends only the patches of fixtures already torn down."""
    pytester.makeini(INNER_INI)
    pytester.makepyfile(test_user=MODULE_SCOPED_PATCH)
    result = pytester.runpytest_inprocess(
        "-p", "no:randomly", "-p", "no:cacheprovider", "-p", "no:nbmake"
    )
    result.assert_outcomes(passed=3)
