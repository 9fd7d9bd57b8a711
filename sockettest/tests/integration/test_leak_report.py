"""A leak the fixtures find is reported once, as one failure with its own message: not as a
second exception "during handling of" the first, which repeats the message to the reader."""

from __future__ import annotations

import pytest

from tests.integration.test_plugin import QUIET, make_project

LEAKY = """
import socket

def test_leaks_a_socket(patched_network):
    socket.socket()
"""


def test_a_leaked_socket_is_reported_once_without_a_chained_exception(
    pytester: pytest.Pytester,
) -> None:
    """The teardown error names the socket once, with no "During handling" chain."""
    make_project(pytester, LEAKY)
    result = pytester.runpytest_inprocess(*QUIET)
    result.assert_outcomes(passed=1, errors=1)
    output = result.stdout.str()
    assert "During handling of the above exception" not in output
    assert output.count("the test leaked: socket <MemorySocket") == 1
