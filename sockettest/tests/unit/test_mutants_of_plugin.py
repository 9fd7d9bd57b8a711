"""Plugin behaviour that only a mutation showed unpinned in the unit tier (the integration tier
runs it in a fresh interpreter, under each pytest-socket option); the test fails on the mutant
it was written for."""

import importlib.util
import select

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


LEAKING_MODULE_FIXTURE = """
import socket

import pytest

from sockettest import MemoryNetwork

NEVER_ENDED = []  # held, so that no garbage collection ends them

@pytest.fixture(scope="module")
def leaking_module_network():
    network = MemoryNetwork()
    NEVER_ENDED.append(network.patch())
    NEVER_ENDED[-1].__enter__()
    return network

@pytest.mark.parametrize("n", range(2))
def test_uses_a_module_fixture_that_never_ends_its_patch(leaking_module_network, n):
    with socket.socket() as sock:
        assert any(made is sock for made in leaking_module_network.sockets)
"""

AFTER_THE_MODULE = """
import socket

from sockettest._originals import SOCKET, is_a_guard
from test_a_leaks import NEVER_ENDED

def test_the_next_module_has_the_true_socket_class():
    try:
        assert socket.socket is SOCKET["socket"] or is_a_guard(socket.socket)
    finally:
        # The plugin ends a leaked patch's hold on the socket module; the block itself (and
        # its select stand-ins) would end only when collected: end it now.
        for patch in NEVER_ENDED:
            patch.__exit__(None, None, None)
"""


def test_a_patch_a_module_fixture_leaked_ends_with_its_module(pytester: pytest.Pytester) -> None:
    """A patch a module-scoped fixture began and never ended lasts for the tests of its module
    and ends once that fixture is torn down: the next module has the true socket class."""
    select_before = select.select
    pytester.makeini(INNER_INI)
    pytester.makepyfile(test_a_leaks=LEAKING_MODULE_FIXTURE, test_b_after=AFTER_THE_MODULE)
    result = pytester.runpytest_inprocess(
        "-p", "no:randomly", "-p", "no:cacheprovider", "-p", "no:nbmake"
    )
    result.assert_outcomes(passed=3)
    assert select.select is select_before  # nothing of the leaked block outlives the run
