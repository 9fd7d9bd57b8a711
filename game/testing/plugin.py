"""The pytest plugin: the kit's doubles as fixtures, with no conftest needed.

Installed with the package and registered through the ``pytest11`` entry point, so it loads into
*every* pytest session of a project that has ``game`` installed. Hence three rules:

1. Importing it is cheap: only pytest here; each fixture imports what it needs when first used.
2. It changes nothing for a test that uses none of its fixtures: no autouse fixture, no hook
   that touches other tests. Its leak guard runs only at the end of a test that used a fixture.
3. A fixture that needs an optional library (pytest-mock, Hypothesis) says which, and how to get
   it (``pip install 'game[testing]'``), instead of failing with a bare ``ImportError``.

Run ``pytest --fixtures`` to list them with their docstrings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from game.server import Server
    from game.testing.fakes import FakeClient, FakeServer
    from game.testing.guards import LeakGuard
    from game.testing.memory import MemoryNetwork
    from game.testing.pair import GamePair
    from game.testing.recording import MockSockets, RecordingFactory
    from game.testing.transports import Transport

LOOPBACK = ["127.0.0.1", "::1"]


def _optional_fixture(request: pytest.FixtureRequest, name: str, plugin: str) -> Any:
    """The value of fixture ``name``, or a clear failure saying which plugin provides it."""
    try:
        return request.getfixturevalue(name)
    except pytest.FixtureLookupError:
        pass
    pytest.fail(
        f"the {request.fixturename} fixture needs {plugin} (its `{name}` fixture): "
        "pip install 'game[testing]'",
        pytrace=False,
    )


@pytest.fixture
def leak_guard() -> Iterator[LeakGuard]:
    """Fails the test, naming them, if it leaves threads running or watched sockets open.

    Every other fixture of this plugin uses it; request it yourself to guard your own threads.
    """
    from game.testing.guards import LeakError, LeakGuard

    guard = LeakGuard()
    yield guard
    try:
        guard.check()
    except LeakError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture
def memory_network(leak_guard: LeakGuard) -> MemoryNetwork:
    """An in-memory network: pass ``memory_network.socket_factory`` to a Server and Clients.

    No real socket is opened, so this works where pytest-socket disables them; every socket
    it made must be closed by the end of the test.
    """
    from game.testing.memory import MemoryNetwork

    network = MemoryNetwork()
    leak_guard.watch_sockets(lambda: [repr(s) for s in network.open_sockets()], network.close_all)
    return network


@pytest.fixture
def game_server(leak_guard: LeakGuard) -> Iterator[Server]:
    """A real :class:`game.Server` listening on an ephemeral loopback port.

    Read the address from ``game_server.address``. Shut down and joined after the test.
    """
    from game.server import Server

    server = Server(port=0, idle_timeout=30.0)
    with server.running():
        yield server


@pytest.fixture
def fake_server(leak_guard: LeakGuard) -> Iterator[FakeServer]:
    """A :class:`~game.testing.FakeServer` on an ephemeral loopback port that accepts each
    connection and closes it at once (the blog post's fake). For other scripts, use
    ``fake_server_factory``."""
    from game.testing.fakes import FakeServer

    with FakeServer() as server:
        yield server


@pytest.fixture
def fake_server_factory(leak_guard: LeakGuard) -> Iterator[Callable[..., FakeServer]]:
    """Call it with a script (and FakeServer's other options) to get a started FakeServer;
    each is stopped and joined after the test."""
    from game.testing.fakes import FakeServer

    with ExitStack() as stack:

        def start(*args: Any, **kwargs: Any) -> FakeServer:
            return stack.enter_context(FakeServer(*args, **kwargs))

        yield start


@pytest.fixture
def fake_client(leak_guard: LeakGuard) -> Iterator[Callable[..., FakeClient]]:
    """Call it with ``(host, port)`` to get a connected :class:`~game.testing.FakeClient`;
    each is closed after the test."""
    from game.testing.fakes import FakeClient

    with ExitStack() as stack:

        def connect(*args: Any, **kwargs: Any) -> FakeClient:
            return stack.enter_context(FakeClient(*args, **kwargs))

        yield connect


@pytest.fixture
def mock_socket_factory(request: pytest.FixtureRequest) -> MockSockets:
    """An autospecced socket, the factory that returns it, and one parent mock recording the
    order of every call (``.parent.mock_calls``). Needs pytest-mock."""
    mocker = _optional_fixture(request, "mocker", "pytest-mock")
    from game.testing.recording import mock_socket_factory

    return mock_socket_factory(mocker)


@pytest.fixture
def recording_factory() -> RecordingFactory:
    """A recording fake socket factory, with poison switches that make a named call raise."""
    from game.testing.recording import RecordingFactory

    return RecordingFactory()


@pytest.fixture
def game_pair() -> GamePair:
    """The sans-IO pair: the server's protocol objects and clients' joined in memory, pumped
    in the test's own thread. No socket, no thread: the fastest protocol tests."""
    from game.testing.pair import GamePair

    return GamePair()


@pytest.fixture(
    params=[
        pytest.param("memory", marks=pytest.mark.disable_socket),
        pytest.param("loopback", marks=pytest.mark.allow_hosts(LOOPBACK)),
    ]
)
def transport(request: pytest.FixtureRequest, leak_guard: LeakGuard) -> Transport:
    """Runs the test twice: over the in-memory network (``memory``, real sockets disabled)
    and over real loopback sockets (``loopback``, connections to 127.0.0.1 and ::1 only).

    Build servers and clients with ``transport.server(...)`` and ``transport.client(...)``
    so that one test pins one behaviour on both.
    """
    from game.testing.transports import Transport

    chosen = Transport.named(request.param)
    leak_guard.watch_sockets(chosen.open_sockets, chosen.close_all)
    return chosen


def pytest_configure(config: pytest.Config) -> None:
    # pytest-socket owns these markers; declare them too, so --strict-markers accepts the
    # transport fixture's params in a session where pytest-socket is not installed.
    for marker in ("disable_socket", "allow_hosts(hosts)"):
        config.addinivalue_line("markers", f"{marker}: see pytest-socket")
