"""The pytest plugin, as a user meets it: fixtures with no conftest, guards that name leaks.

Each test runs a small pytest session of its own with ``pytester``; the inner session loads
the plugin through its entry point, exactly as a user's would.
"""

import pytest

pytestmark = pytest.mark.timeout(120)


def run(pytester: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_user=source)
    return pytester.runpytest_inprocess(
        "-p", "no:randomly", "-p", "no:cacheprovider", "-p", "no:nbmake", *args
    )


def test_fixtures_are_listed_with_no_conftest(pytester: pytest.Pytester) -> None:
    """`pytest --fixtures` shows the kit's fixtures with their docstrings."""
    result = run(pytester, "def test_nothing(): pass\n", "--fixtures")
    listed = result.stdout.str()
    for name in (
        "memory_network",
        "game_server",
        "fake_server",
        "fake_client",
        "mock_socket_factory",
        "recording_factory",
        "game_pair",
        "transport",
        "leak_guard",
    ):
        assert f"\n{name} -- " in listed, name


def test_fixtures_play_a_game_in_memory_and_on_loopback(pytester: pytest.Pytester) -> None:
    """The transport fixture runs one test twice, with ids that say memory and loopback."""
    result = run(
        pytester,
        """
from game.protocol import End, Result
import threading

def test_a_whole_game(transport):
    with transport.server().running() as address:
        results = []
        def bob():
            with transport.client(address) as client:
                results.append(client.play("bob"))
        thread = threading.Thread(target=bob)
        thread.start()
        with transport.client(address) as alice:
            assert alice.play("alice") == End(Result.DRAW)
        thread.join(10)
        assert not thread.is_alive()
    assert results == [End(Result.DRAW)]
""",
        "-v",
    )
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*test_a_whole_game?memory? PASSED*", "*?loopback? PASSED*"])


def test_a_leaked_thread_fails_the_test_that_leaked_it_by_name(
    pytester: pytest.Pytester,
) -> None:
    """The guard joins with a grace period, then names what is still running."""
    result = run(
        pytester,
        """
import threading
release = threading.Event()

def test_leaks(leak_guard):
    threading.Thread(target=release.wait, name="forgotten-worker", daemon=True).start()

def test_after():
    release.set()
""",
    )
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*thread 'forgotten-worker' is still running*"])


def test_a_socket_left_open_fails_the_test_by_name(pytester: pytest.Pytester) -> None:
    """A memory socket still open at the end of the test is named in the failure."""
    result = run(
        pytester,
        """
def test_leaks(memory_network):
    left_open = memory_network.socket()
""",
    )
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*socket * was not closed*"])


def test_tests_that_use_no_fixture_are_left_alone(pytester: pytest.Pytester) -> None:
    """Guards are opt-in: a test without the kit's fixtures is not checked for leaks."""
    result = run(
        pytester,
        """
import threading
release = threading.Event()

def test_starts_a_thread():
    threading.Thread(target=release.wait, daemon=True).start()

def test_releases_it():
    release.set()
""",
    )
    result.assert_outcomes(passed=2)


def test_a_fixture_that_needs_pytest_mock_says_so(pytester: pytest.Pytester) -> None:
    """Without pytest-mock, mock_socket_factory fails with the install hint, not a lookup error."""
    result = run(
        pytester,
        "def test_mocks(mock_socket_factory):\n    pass\n",
        "-p",
        "no:pytest_mock",
    )
    result.assert_outcomes(errors=1)
    result.stdout.re_match_lines([r".*needs pytest-mock.*: pip install 'game\[testing\]'$"])
