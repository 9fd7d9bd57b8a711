"""sockettest's pytest plugin, as a user meets it: fixtures with no conftest, guards that name
what leaked, and a socket patch that hands the module back intact, pytest-socket or not.

Each test runs a small pytest session of its own with ``pytester``; the inner session loads the
plugin through its ``pytest11`` entry point, exactly as a user's would. Sessions run in this
process where they cannot disturb it, and in a subprocess where they need a clean
``sys.modules``, workers, or a socket module untouched by this tier's own pytest-socket guard
(every test here runs under ``allow_hosts``, which the ``memory_or_loopback`` fixture reads).
"""

from __future__ import annotations

import importlib.util
import inspect
import re
import sys

import pytest

from sockettest import _plugin

QUIET = ("-p", "no:randomly", "-p", "no:cacheprovider", "-p", "no:nbmake")
"""Plugins an inner session does without: random order (unless a test is about it), the cache
(nothing to remember between runs) and nbmake (its import costs a second)."""

INNER_INI = "[pytest]\naddopts = --strict-markers -rs\nfilterwarnings = error\n" + (
    "asyncio_default_fixture_loop_scope = function\n"  # unset, pytest-asyncio warns
    if importlib.util.find_spec("pytest_asyncio")
    else ""
)
"""A strict user project: unregistered markers and stray warnings fail the inner run."""

SUBPROCESS_TIMEOUT = 60.0

FIXTURES = (
    "memory_network",
    "patched_network",
    "virtual_clock",
    "patched_network_on_virtual_clock",
    "fake_server",
    "fake_server_factory",
    "fake_client_factory",
    "mock_sockets",
    "memory_or_loopback",
    "leak_guard",
)


def make_project(pytester: pytest.Pytester, source: str) -> None:
    """A user project: the strict ini and one test module, ``test_user.py``."""
    pytester.makeini(INNER_INI)
    pytester.makepyfile(test_user=source)


def run_inprocess(pytester: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    """Run ``source`` as a user's test module in this process."""
    make_project(pytester, source)
    return pytester.runpytest_inprocess(*QUIET, *args)


def run_subprocess(pytester: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    """Run ``source`` as a user's test module in a fresh interpreter."""
    make_project(pytester, source)
    return pytester.runpytest_subprocess(*QUIET, *args, timeout=SUBPROCESS_TIMEOUT)


def run_python(pytester: pytest.Pytester, *args: str, prints: str) -> None:
    """Run ``python *args`` outside pytest, in a fresh interpreter: it exits 0 and prints
    ``prints``, a line it says only once every assertion of its own has passed."""
    result = pytester.run(sys.executable, *args, timeout=SUBPROCESS_TIMEOUT)
    assert result.ret == 0, result.stderr.str()
    result.stdout.fnmatch_lines([prints])


# Discovery: every fixture is there, with its docstring -----------------------------------


def test_fixtures_are_listed_with_their_docstrings(pytester: pytest.Pytester) -> None:
    """`pytest --fixtures` in an empty project lists every kit fixture with its docstring."""
    pytester.makeini(INNER_INI)
    result = pytester.runpytest_inprocess("--fixtures", *QUIET)
    assert result.ret == pytest.ExitCode.OK
    for name in FIXTURES:
        docstring = inspect.getdoc(getattr(_plugin, name))
        assert docstring, name
        result.stdout.re_match_lines(
            [
                rf"{name} -- .*sockettest[/\\]_plugin\.py:\d+$",
                rf"    {re.escape(docstring.splitlines()[0])}$",
            ],
            consecutive=True,
        )


def test_the_kit_loads_mock_and_hypothesis_only_when_used(pytester: pytest.Pytester) -> None:
    """Importing sockettest and its plugin does not import unittest.mock or hypothesis."""
    run_python(
        pytester,
        "-c",
        "import sys, sockettest, sockettest._plugin\n"
        "heavy = lambda: [m for m in sys.modules if m.split('.')[0] == 'hypothesis'"
        " or m == 'unittest.mock']\n"
        "assert heavy() == [], heavy()\n"
        "sockettest.mock_sockets\n"
        "assert 'unittest.mock' in sys.modules\n"
        "sockettest.strategies\n"
        "assert 'hypothesis' in sys.modules\n"
        "print('loaded lazily')\n",
        prints="loaded lazily",
    )


# Leak guards --------------------------------------------------------------------------------------


def test_a_memory_socket_left_open_fails_the_test_by_name(pytester: pytest.Pytester) -> None:
    """memory_network fails a test that leaves a socket open, naming it; closing all passes."""
    result = run_inprocess(
        pytester,
        """
        import socket

        def test_leaves_a_socket_open(memory_network):
            memory_network.socket_factory(socket.AF_INET, socket.SOCK_STREAM)

        def test_closes_everything(memory_network):
            listener = memory_network.socket_factory(socket.AF_INET, socket.SOCK_STREAM)
            listener.bind(("127.0.0.1", 0))
            listener.listen()
            client = memory_network.socket_factory(socket.AF_INET, socket.SOCK_STREAM)
            client.connect(listener.getsockname())
            accepted, _ = listener.accept()
            for sock in (accepted, client, listener):
                sock.close()
        """,
        "-v",
    )
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.re_match_lines(
        [
            r".*::test_leaves_a_socket_open ERROR",
            r".*::test_closes_everything PASSED",
            r"_+ ERROR at teardown of test_leaves_a_socket_open _+$",
            r".*socket <MemorySocket memory-socket-\d+ .*> was not closed",
        ]
    )


def test_a_thread_left_running_fails_the_test_by_name(pytester: pytest.Pytester) -> None:
    """leak_guard fails a test whose thread outlives it, naming the thread."""
    result = run_inprocess(
        pytester,
        """
        import threading

        release = threading.Event()

        def test_leaves_a_thread_running(leak_guard):
            leak_guard.grace = 0.2
            worker = threading.Thread(
                target=release.wait, args=(5.0,), name="forgotten-worker", daemon=True
            )
            worker.start()

        def test_releases_it():
            release.set()
        """,
        "-v",
    )
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.re_match_lines(
        [
            r"_+ ERROR at teardown of test_leaves_a_thread_running _+$",
            r".*thread 'forgotten-worker' is still running",
        ]
    )


# patched_network, and handing the socket module back to pytest-socket ---------------------------

ECHO_SERVER_PROJECT = """
import socket
import socketserver

from sockettest import serve_in_thread

class Echo(socketserver.StreamRequestHandler):
    def handle(self):
        self.wfile.write(self.rfile.readline())

def test_socket_makes_memory_sockets(patched_network):
    with socket.socket() as sock:
        assert type(sock).__name__ == "MemorySocket"
        assert isinstance(sock, socket.socket)

def test_names_resolve_without_the_network(patched_network):
    answers = socket.getaddrinfo("localhost", 80)
    assert answers
    assert {address[:2] for *_, address in answers} <= {("127.0.0.1", 80), ("::1", 80)}

def test_unmodified_socketserver_round_trips_a_line(patched_network):
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), Echo) as server:
        with serve_in_thread(server.serve_forever, stop=server.shutdown):
            port = server.server_address[1]
            with socket.create_connection(("localhost", port), timeout=2) as sock:
                assert type(sock).__name__ == "MemorySocket"
                sock.sendall(b"hello, memory\\n")
                with sock.makefile("rb") as lines:
                    assert lines.readline() == b"hello, memory\\n"
"""


@pytest.mark.parametrize("options", [(), ("--disable-socket",)], ids=["plain", "disable-socket"])
def test_patched_network_runs_unmodified_socket_code(
    pytester: pytest.Pytester, options: tuple[str, ...]
) -> None:
    """Under patched_network, socket.socket, getaddrinfo and socketserver are in memory."""
    result = run_inprocess(pytester, ECHO_SERVER_PROJECT, "-v", *options)
    result.assert_outcomes(passed=3)


SOCKET_ORIGINALS = """
NAMES = (
    "socket", "socketpair", "getaddrinfo", "gethostbyname", "gethostbyname_ex",
    "gethostbyaddr", "getfqdn", "getnameinfo",
)
ORIGINALS = {name: getattr(socket, name) for name in NAMES}  # at import: untouched
"""
"""Inner source, after ``import socket``: the names a patch replaces, each as it is when the
inner module is imported. The inner projects list the names themselves, not from the kit, so
that a name the kit forgot to hand back still fails them."""

REAL_SOCKET_HELPERS = (
    """
import socket
import warnings

import pytest
"""
    + SOCKET_ORIGINALS
    + """# Like a user's, this module does not import sockettest: the fixtures need no import.

def use_real_sockets():
    assert socket.getaddrinfo("localhost", 80)  # real DNS: pytest-socket's guard is gone
    with socket.socket() as listener:
        assert type(listener) is ORIGINALS["socket"]
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), timeout=2) as client:
            accepted, _ = listener.accept()
            with accepted:
                client.sendall(b"real")
                assert accepted.recv(4) == b"real"
    left_over = [name for name in NAMES if getattr(socket, name) is not ORIGINALS[name]]
    assert left_over == [], f"socket module still patched or guarded: {left_over}"

def use_patched_sockets(network):
    with socket.socket() as sock:
        assert type(sock).__name__ == "MemorySocket"
    assert socket.getaddrinfo("localhost", 80)
"""
)

FIXTURE_PATCH_THEN_REAL = (
    REAL_SOCKET_HELPERS
    + """
@pytest.mark.disable_socket
def test_1_patched_under_a_disabled_socket(patched_network):
    use_patched_sockets(patched_network)

def test_2_real_sockets_with_no_marker():
    use_real_sockets()

@pytest.mark.allow_hosts(["127.0.0.1"])
def test_3_real_sockets_on_allowed_hosts():
    use_real_sockets()
"""
)

BODY_PATCH_THEN_REAL = (
    REAL_SOCKET_HELPERS
    + """
def test_1_patched_in_the_body_under_disable_socket():
    from sockettest import MemoryNetwork

    network = MemoryNetwork()
    with network.patch():
        use_patched_sockets(network)
    with warnings.catch_warnings():  # pytest-socket warns as it raises
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError, match="socket.getaddrinfo"):
            socket.getaddrinfo("localhost", 80)  # its guard is back for the rest of the test

@pytest.mark.enable_socket
def test_2_real_sockets_enabled():
    use_real_sockets()

@pytest.mark.enable_socket
def test_3_real_sockets_enabled_again():
    use_real_sockets()
"""
)


def test_a_real_socket_test_after_a_patched_one_gets_the_real_module(
    pytester: pytest.Pytester,
) -> None:
    """In a fresh process, the test after a disable_socket patched_network test has real DNS."""
    result = run_subprocess(pytester, FIXTURE_PATCH_THEN_REAL, "-v")
    result.stdout.re_match_lines([r".*::test_1_.* PASSED", r".*::test_2_.*", r".*::test_3_.*"])
    result.assert_outcomes(passed=3)


def test_a_patch_in_the_test_body_under_disable_socket_is_undone(
    pytester: pytest.Pytester,
) -> None:
    """`with MemoryNetwork().patch():` under --disable-socket leaves later tests real sockets."""
    result = run_subprocess(pytester, BODY_PATCH_THEN_REAL, "-v", "--disable-socket")
    result.assert_outcomes(passed=3)


MANY_FIXTURE_PATCHES = (
    REAL_SOCKET_HELPERS
    + """
@pytest.mark.disable_socket
@pytest.mark.parametrize("n", range(6))
def test_patched(patched_network, n):
    use_patched_sockets(patched_network)

@pytest.mark.parametrize("n", range(3))
def test_real_with_no_marker(n):
    use_real_sockets()

@pytest.mark.allow_hosts(["127.0.0.1"])
@pytest.mark.parametrize("n", range(3))
def test_real_on_allowed_hosts(n):
    use_real_sockets()
"""
)

MANY_BODY_PATCHES = (
    REAL_SOCKET_HELPERS
    + """
@pytest.mark.parametrize("n", range(6))
def test_patched_in_the_body(n):
    from sockettest import MemoryNetwork

    network = MemoryNetwork()
    with network.patch():
        use_patched_sockets(network)

@pytest.mark.enable_socket
@pytest.mark.parametrize("n", range(3))
def test_real_enabled(n):
    use_real_sockets()

@pytest.mark.allow_hosts(["127.0.0.1"])
@pytest.mark.parametrize("n", range(3))
def test_real_on_allowed_hosts(n):
    use_real_sockets()
"""
)


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    ("project", "options", "seed"),
    [
        # Seeds 1 and 2 each put a patched test first on a worker: they caught the originals
        # being captured under a guard. Each run starts two workers: a few seconds.
        pytest.param(MANY_FIXTURE_PATCHES, (), 1, id="fixture-1"),
        pytest.param(MANY_FIXTURE_PATCHES, (), 2, id="fixture-2"),
        pytest.param(MANY_BODY_PATCHES, ("--disable-socket",), 1, id="body-disable-socket-1"),
    ],
)
def test_patched_and_real_tests_pass_in_any_order_on_two_workers(
    pytester: pytest.Pytester, project: str, options: tuple[str, ...], seed: int
) -> None:
    """6 patched and 6 real-socket tests all pass in random order, split over two workers."""
    for plugin in ("xdist", "pytest_randomly"):
        pytest.importorskip(plugin, reason="in the kit's tests extra, not in sockettest[pytest]")
    make_project(pytester, project)
    result = pytester.runpytest_subprocess(
        "-p",
        "randomly",
        "-p",
        "xdist",
        "-n",
        "2",
        f"--randomly-seed={seed}",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:nbmake",
        *options,
        timeout=SUBPROCESS_TIMEOUT,
    )
    result.stdout.fnmatch_lines([f"*--randomly-seed={seed}*", "*2 workers*"])
    result.assert_outcomes(passed=12)


# memory_or_loopback ------------------------------------------------------------------------------

ECHO_ON_BOTH = """
import socket

def recv_exactly(sock, size):
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        assert chunk, f"EOF after {data!r}"
        data += chunk
    return data

def test_echo(memory_or_loopback):
    factory = memory_or_loopback.socket_factory
    listener = factory(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    client = factory(socket.AF_INET, socket.SOCK_STREAM)
    client.settimeout(5)
    client.connect(listener.getsockname())
    accepted, _ = listener.accept()
    accepted.settimeout(5)
    client.sendall(b"ping")
    accepted.sendall(recv_exactly(accepted, 4))
    assert recv_exactly(client, 4) == b"ping"
    for sock in (accepted, client, listener):
        sock.close()
"""

MEMORY_PASSED = r".*::test_echo\[memory\] PASSED"
LOOPBACK_PASSED = r".*::test_echo\[loopback\] PASSED"


@pytest.mark.parametrize(
    ("options", "outcomes", "lines"),
    [
        pytest.param((), {"passed": 2}, [MEMORY_PASSED, LOOPBACK_PASSED], id="both"),
        pytest.param(
            ("--disable-socket",),
            {"passed": 1, "skipped": 1},
            [
                MEMORY_PASSED,
                r".*::test_echo\[loopback\] SKIPPED",
                r"SKIPPED \[1\] .*: .*the loopback case runs in the integration tier$",
            ],
            id="disable-socket",
        ),
        pytest.param(
            ("--allow-hosts=127.0.0.1,::1",),
            {"passed": 1, "skipped": 1},
            [
                r".*::test_echo\[memory\] SKIPPED",
                LOOPBACK_PASSED,
                r"SKIPPED \[1\] .*: this is the integration tier: the memory case runs .*",
            ],
            id="allow-hosts",
        ),
        pytest.param(
            ("-m", "memory"), {"passed": 1, "deselected": 1}, [MEMORY_PASSED], id="m-memory"
        ),
        pytest.param(
            ("-m", "loopback"), {"passed": 1, "deselected": 1}, [LOOPBACK_PASSED], id="m-loopback"
        ),
    ],
)
def test_memory_or_loopback_runs_each_case_in_its_tier(
    pytester: pytest.Pytester,
    options: tuple[str, ...],
    outcomes: dict[str, int],
    lines: list[str],
) -> None:
    """memory_or_loopback runs [memory] and [loopback], each skipped outside its tier, by marker."""
    result = run_subprocess(pytester, ECHO_ON_BOTH, "-v", *options)
    result.assert_outcomes(**outcomes)
    result.stdout.re_match_lines(lines)
    if "-m" in options:
        other = "loopback" if "memory" in options else "memory"
        assert f"test_echo[{other}]" not in result.stdout.str()


# A patched network on a virtual clock -------------------------------------------------------------

ON_A_VIRTUAL_CLOCK = """
import socket

import pytest

def test_a_300_second_timeout_fires_in_milliseconds(
    patched_network_on_virtual_clock, virtual_clock
):
    assert patched_network_on_virtual_clock.clock is virtual_clock
    assert virtual_clock.autojump_threshold == 0.01
    with (
        socket.create_server(("127.0.0.1", 0)) as listener,  # listens, never accepts
        socket.create_connection(listener.getsockname(), timeout=300) as client,
        pytest.raises(TimeoutError),
    ):
        client.recv(1)
    assert virtual_clock.monotonic() == pytest.approx(300)

def test_fake_server_named_first_listens_on_it(fake_server, patched_network_on_virtual_clock):
    assert fake_server.network is patched_network_on_virtual_clock
    with socket.create_connection(fake_server.address) as client:
        assert client.recv(1) == b""  # accept_and_close: an orderly EOF

def test_leaves_a_socket_open(patched_network_on_virtual_clock):
    socket.socket()
"""


def test_patched_network_on_virtual_clock_runs_unmodified_timeouts_on_the_clock(
    pytester: pytest.Pytester,
) -> None:
    """Under patched_network_on_virtual_clock, socket.socket is on the network, its timeouts on
    virtual_clock (autojump 0.01), fake_server listens there, and a leak fails by name."""
    # A subprocess: pytester undoes an in-process run's first imports of the kit's modules, so a
    # later run would meet a second VirtualClock class beside the one the network checks for.
    result = run_subprocess(pytester, ON_A_VIRTUAL_CLOCK, "-v", "--disable-socket")
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.re_match_lines(
        [
            r".*::test_a_300_second_timeout_fires_in_milliseconds PASSED",
            r".*::test_fake_server_named_first_listens_on_it PASSED",
            r".*::test_leaves_a_socket_open PASSED",
            r".*::test_leaves_a_socket_open ERROR",
            r"_+ ERROR at teardown of test_leaves_a_socket_open _+$",
            r".*socket <MemorySocket memory-socket-\d+ .*> was not closed",
        ]
    )


# Fixtures with needs ------------------------------------------------------------------------------


def test_mock_sockets_without_pytest_mock_names_the_extra(
    pytester: pytest.Pytester,
) -> None:
    """Without pytest-mock, mock_sockets fails with `pip install 'sockettest[pytest]'`."""
    result = run_inprocess(
        pytester,
        "def test_mocks(mock_sockets):\n    pass\n",
        "-p",
        "no:pytest_mock",
    )
    result.assert_outcomes(errors=1)
    result.stdout.re_match_lines(
        [
            r".*the mock_sockets fixture needs pytest-mock \(its `mocker` fixture\): "
            r"pip install 'sockettest\[pytest\]'$"
        ]
    )
    assert "fixture 'mocker' not found" not in result.stdout.str()


def test_mock_sockets_records_calls_with_pytest_mock(pytester: pytest.Pytester) -> None:
    """With pytest-mock, mock_sockets gives an autospecced socket and its factory."""
    result = run_inprocess(
        pytester,
        """
        import socket

        def test_mocks(mock_sockets):
            sock = mock_sockets.socket_factory(socket.AF_INET, socket.SOCK_STREAM)
            assert sock is mock_sockets.socket
            sock.connect(("127.0.0.1", 0))  # a mock: nothing is connected to
            sock.close()
            assert mock_sockets.call_names == [
                "socket_factory", "socket.connect", "socket.close"
            ]
        """,
    )
    result.assert_outcomes(passed=1)


def test_fake_server_factory_runs_a_scripted_peer_in_memory(pytester: pytest.Pytester) -> None:
    """fake_server_factory on memory_network's factory serves a script under --disable-socket."""
    result = run_inprocess(
        pytester,
        """
        from sockettest import FakeClient, answer_from_table

        def test_ping_pong(memory_network, fake_server_factory):
            server = fake_server_factory(
                answer_from_table({"PING": "PONG"}), socket_factory=memory_network.socket_factory
            )
            with FakeClient(server.address, socket_factory=memory_network.socket_factory) as client:
                client.send_line("PING")
                assert client.read_line() == "PONG"
            assert server.wait_for_lines(1) == ["PING"]
            assert memory_network.open_sockets(), "the server listens on the memory network"
        """,
        "--disable-socket",
    )
    result.assert_outcomes(passed=1)


# Patch scope: a patch lasts exactly as long as what holds it -----------------------------------

SCOPED_PATCH_CONFTEST = (
    """
import socket

import pytest

from sockettest import MemoryNetwork
"""
    + SOCKET_ORIGINALS
    + """
def in_memory(network):
    with socket.socket() as sock:
        made_there = any(made is sock for made in network.sockets)
    answers = socket.getaddrinfo("localhost", 80, socket.AF_INET)
    return made_there and {address for *_, address in answers} == {("127.0.0.1", 80)}

def unpatched():
    # Each name is the true one, or pytest-socket's guard for this test: never a patch.
    return [
        name for name in NAMES
        if getattr(socket, name) is not ORIGINALS[name]
        and "pytest_socket" not in getattr(getattr(socket, name), "__module__", "")
    ]

@pytest.fixture(scope="session")
def session_network():
    network = MemoryNetwork()
    with network.patch():
        yield network
"""
)

SCOPED_PATCH_MODULE = """
import socket

import pytest

from conftest import in_memory
from sockettest import MemoryNetwork

@pytest.fixture(scope="module")
def module_network():
    network = MemoryNetwork()
    with network.patch():
        yield network

@pytest.fixture
def a_listener(module_network):
    # A function-scoped fixture of each test sees the module's patch too.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener

@pytest.mark.parametrize("n", range(3))
def test_each_test_of_the_module_is_on_its_network(module_network, n):
    assert in_memory(module_network)

def test_a_guard_the_test_asks_for_wins_over_it(module_network, socket_disabled):
    with pytest.warns(UserWarning), pytest.raises(RuntimeError):  # pytest-socket's guard
        socket.socket()

def test_a_function_fixture_uses_it_too(module_network, a_listener):
    assert any(made is a_listener for made in module_network.sockets)
    with socket.create_connection(a_listener.getsockname(), timeout=2) as client:
        accepted, _ = a_listener.accept()
        accepted.close()
        assert any(made is client for made in module_network.sockets)
"""

AFTER_THE_SCOPE = """
from conftest import unpatched

def test_the_next_module_has_the_module_unpatched():
    assert unpatched() == []
"""

SESSION_PATCH_MODULES = {
    "test_a_session": """
import pytest
from conftest import in_memory

@pytest.mark.parametrize("n", range(2))
def test_first_module(session_network, n):
    assert in_memory(session_network)
""",
    "test_b_session": """
from conftest import in_memory

def test_second_module(session_network):
    assert in_memory(session_network)
""",
}

GUARD_OPTIONS = [
    pytest.param((), id="plain"),
    pytest.param(("--disable-socket",), id="disable-socket"),
    pytest.param(("--allow-hosts=127.0.0.1,::1",), id="allow-hosts"),
]


def run_beside_scoped_patch_conftest(
    pytester: pytest.Pytester, modules: dict[str, str], options: tuple[str, ...]
) -> pytest.RunResult:
    """Run ``modules`` (name: source) as a user's test modules beside
    ``SCOPED_PATCH_CONFTEST``, verbosely, in a fresh interpreter."""
    pytester.makeini(INNER_INI)
    pytester.makeconftest(SCOPED_PATCH_CONFTEST)
    pytester.makepyfile(**modules)
    return pytester.runpytest_subprocess(*QUIET, "-v", *options, timeout=SUBPROCESS_TIMEOUT)


@pytest.mark.parametrize("options", GUARD_OPTIONS)
def test_a_module_scoped_patch_lasts_for_its_module_and_no_longer(
    pytester: pytest.Pytester, options: tuple[str, ...]
) -> None:
    """A module fixture's patch is in force in every test of its module (where a test asks for
    pytest-socket's guard, the guard wins), and not after it."""
    modules = {"test_a_scoped": SCOPED_PATCH_MODULE, "test_b_after": AFTER_THE_SCOPE}
    result = run_beside_scoped_patch_conftest(pytester, modules, options)
    result.assert_outcomes(passed=6)


@pytest.mark.parametrize("options", GUARD_OPTIONS)
def test_a_session_scoped_patch_lasts_across_modules(
    pytester: pytest.Pytester, options: tuple[str, ...]
) -> None:
    """A session fixture's patch is in force in the tests of every module that uses it."""
    result = run_beside_scoped_patch_conftest(pytester, SESSION_PATCH_MODULES, options)
    result.assert_outcomes(passed=3)


LEAKED_PATCHES = {
    "test_a_leaks": """
import pytest
from conftest import in_memory
from sockettest import MemoryNetwork

NEVER_ENDED = []  # held, so that no garbage collection ends them

def test_enters_a_patch_and_never_ends_it():
    network = MemoryNetwork()
    NEVER_ENDED.append(network.patch())
    NEVER_ENDED[-1].__enter__()
    assert in_memory(network)

@pytest.fixture(scope="module")
def leaking_module_network():
    network = MemoryNetwork()
    NEVER_ENDED.append(network.patch())
    NEVER_ENDED[-1].__enter__()
    return network

@pytest.mark.parametrize("n", range(2))
def test_uses_a_module_fixture_that_never_ends_its_patch(leaking_module_network, n):
    assert in_memory(leaking_module_network)
""",
    "test_b_after": AFTER_THE_SCOPE,
}


@pytest.mark.parametrize("options", GUARD_OPTIONS[:2])
def test_a_leaked_patch_ends_with_what_held_it(
    pytester: pytest.Pytester, options: tuple[str, ...]
) -> None:
    """A patch never ended lasts no longer than its test, or its module fixture's module."""
    result = run_beside_scoped_patch_conftest(pytester, LEAKED_PATCHES, options)
    result.assert_outcomes(passed=4)


# Fixtures that cannot combine, and fixtures that follow a patch ----------------------------------

LOOPBACK_WITH_A_PATCH = """
import socket

def test_echo(memory_or_loopback, patched_network):
    with memory_or_loopback.socket_factory(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
"""


def test_the_loopback_case_under_patched_network_fails_at_set_up_saying_why(
    pytester: pytest.Pytester,
) -> None:
    """memory_or_loopback's loopback case with patched_network is an error at set-up, not a
    silent run in memory; its memory case runs."""
    result = run_subprocess(pytester, LOOPBACK_WITH_A_PATCH, "-v")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.re_match_lines(
        [
            r".*::test_echo\[memory\] PASSED",
            r".*::test_echo\[loopback\] ERROR",
            r".*memory_or_loopback's loopback case needs real sockets, and the socket module is "
            r"patched to an in-memory network.*",
        ]
    )


FAKE_SERVER_UNDER_A_PATCH = """
import socket

import pytest

def reaches(server):
    with socket.create_connection(server.address, timeout=2) as client:
        client.settimeout(2)
        return client.recv(1) == b""  # accept_and_close: an orderly EOF

def test_patch_named_first(patched_network, fake_server):
    assert fake_server.network is patched_network
    assert repr(fake_server).endswith(f" on {patched_network!r}>")
    assert reaches(fake_server)

def test_patch_named_last(fake_server, patched_network):
    assert fake_server.network is patched_network
    assert reaches(fake_server)

@pytest.mark.enable_socket
def test_real_without_a_patch(fake_server):
    assert fake_server.network is None
    assert " on " not in repr(fake_server)
    assert reaches(fake_server)
"""


def test_fake_server_under_a_patch_serves_that_network_and_says_so(
    pytester: pytest.Pytester,
) -> None:
    """fake_server with patched_network listens on it (either order) and names it."""
    result = run_inprocess(pytester, FAKE_SERVER_UNDER_A_PATCH, "-v", "--disable-socket")
    result.assert_outcomes(passed=3)


# Outside pytest, and the process's own AF_UNIX plumbing under a patch --------------------------

OVERLAPPING_PATCHES_SCRIPT = (
    """
import socket
import threading
from contextlib import ExitStack

from sockettest import MemoryNetwork
"""
    + SOCKET_ORIGINALS
    + """
first, second = MemoryNetwork(), MemoryNetwork()
outer = ExitStack()
outer.enter_context(first.patch())
inner = ExitStack()
inner.enter_context(second.patch())
outer.close()
inner.close()
assert {name: getattr(socket, name) for name in NAMES} == ORIGINALS, "ExitStack out of order"

entered, ended = threading.Event(), threading.Event()
def hold():
    with MemoryNetwork().patch():
        entered.set()
        assert ended.wait(5)
holder = threading.Thread(target=hold)
holder.start()
assert entered.wait(5)
with MemoryNetwork().patch():
    ended.set()
    holder.join(5)  # the older patch, in the other thread, ends first
assert not holder.is_alive()
assert {name: getattr(socket, name) for name in NAMES} == ORIGINALS, "two threads"

with socket.socket() as listener:  # the real module answers: a real listener on loopback
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    with socket.create_connection(listener.getsockname(), timeout=5) as client:
        accepted, _ = listener.accept()
        accepted.close()
assert first.sockets == [] and second.sockets == []
print("the real module is back")
"""
)


def test_overlapping_patches_outside_pytest_leave_the_real_module(
    pytester: pytest.Pytester,
) -> None:
    """In a plain script, patches ended out of order leave the real socket module."""
    run_python(pytester, "-c", OVERLAPPING_PATCHES_SCRIPT, prints="the real module is back")


MULTIPROCESSING_SCRIPT = """
import multiprocessing
import socket

from sockettest import MemoryNetwork

def main():
    network = MemoryNetwork()
    with network.patch():
        left, right = multiprocessing.Pipe()
        left.send("over a pipe")
        assert right.recv() == "over a pipe"
        left.close()
        right.close()
        with multiprocessing.Manager() as manager:
            shared = manager.list(["managed"])
            assert list(shared) == ["managed"]
        with socket.socket(socket.AF_UNIX) as unix:
            assert type(unix) is not type(socket.socket())  # a real one
    assert network.sockets and all(s.family != socket.AF_UNIX for s in network.sockets)
    print("pipe, manager and AF_UNIX work under a patch")

if __name__ == "__main__":
    main()
"""


def test_multiprocessing_works_under_a_patch_outside_pytest(pytester: pytest.Pytester) -> None:
    """In a plain script under a patch, Pipe(), Manager() and socket(AF_UNIX) work."""
    script = pytester.makepyfile(use_multiprocessing=MULTIPROCESSING_SCRIPT)
    run_python(pytester, str(script), prints="pipe, manager and AF_UNIX work under a patch")


AF_UNIX_UNDER_PATCHED_NETWORK = """
import asyncio
import multiprocessing
import socket
import warnings

import pytest

from sockettest import MemoryNetwork

async def woken_from_a_thread():
    loop = asyncio.get_running_loop()
    woken = loop.create_future()
    loop.call_soon_threadsafe(woken.set_result, "woken")  # through the loop's self-pipe
    return await asyncio.wait_for(woken, 5)

async def echo_on_the_network():
    async def handle(reader, writer):
        writer.write(await reader.readline())
        await writer.drain()
        writer.close()
        await writer.wait_closed()
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    async with server:
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"line\\n")
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), 5)
        writer.close()
        await writer.wait_closed()
    return line

def test_asyncio(patched_network):
    assert asyncio.run(woken_from_a_thread()) == "woken"
    assert asyncio.run(echo_on_the_network()) == b"line\\n"

def test_pipe(patched_network):
    left, right = multiprocessing.Pipe()
    left.send(1)
    assert right.recv() == 1
    left.close()
    right.close()

def manager_outcome():
    with warnings.catch_warnings():  # pytest-socket warns as it raises
        warnings.simplefilter("ignore")
        try:
            with multiprocessing.Manager() as manager:
                return manager.dict(a=1)["a"]
        except Exception as error:  # compared with the outcome under a patch
            return type(error).__name__

def test_manager_as_without_the_patch(request):
    options = request.config.option
    without = manager_outcome()
    assert (without == 1) is (not options.disable_socket or options.allow_unix_socket)
    with MemoryNetwork().patch():
        assert manager_outcome() == without

def test_af_unix_as_without_the_patch(patched_network, request):
    options = request.config.option
    if options.disable_socket and not options.allow_unix_socket:
        with pytest.warns(UserWarning), pytest.raises(RuntimeError):  # pytest-socket's guard
            socket.socket(socket.AF_UNIX)
    else:
        with socket.socket(socket.AF_UNIX) as unix:
            assert unix.family == socket.AF_UNIX
            assert not any(made is unix for made in patched_network.sockets)
"""


@pytest.mark.parametrize(
    "options",
    [
        pytest.param((), id="plain"),
        pytest.param(("--disable-socket",), id="disable-socket"),
        pytest.param(("--disable-socket", "--allow-unix-socket"), id="allow-unix-socket"),
    ],
)
def test_asyncio_and_multiprocessing_under_patched_network(
    pytester: pytest.Pytester, options: tuple[str, ...]
) -> None:
    """Under a patch, asyncio and Pipe() work under any guard; Manager() and AF_UNIX sockets
    do what they do without the patch (work, or meet pytest-socket's guard)."""
    result = run_subprocess(pytester, AF_UNIX_UNDER_PATCHED_NETWORK, "-v", *options)
    result.assert_outcomes(passed=4)
