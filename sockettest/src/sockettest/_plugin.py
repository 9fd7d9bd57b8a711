"""The pytest plugin: the kit's doubles as fixtures, with no conftest needed.

Registered through the ``pytest11`` entry point, so it loads into *every* pytest session of an
environment that has ``sockettest`` installed. Hence four rules:

1. Importing it is cheap: only pytest and the patch module (which captures the socket
   module's true functions); each fixture imports what it needs when first used.
2. It changes nothing for a test that uses none of its fixtures: no autouse fixture. Its hooks
   do nothing unless a patch of the socket module is open or a test made one: the teardown
   wrapper ends the patches a test leaked and hands the module back; the set-up, fixture and
   call wrappers keep a patch that a module- or session-scoped fixture holds in force for
   every test of its scope, over pytest-socket's per-test guard.
3. A fixture that needs an optional library says which, and how to get it
   (``pip install 'sockettest[pytest]'``), instead of failing with a bare ``ImportError``.
4. It never imports the code under test, so any project's own packages are left alone.

Run ``pytest --fixtures`` to list them with their docstrings.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Generator, Iterator
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

# Captures the socket module's true functions now, before any test can have patched or guarded
# them (it imports only the socket module: cheap).
from sockettest._patch import (
    in_force,
    reinstate_open_patches,
    restore_after_test,
    set_owner_source,
)

if TYPE_CHECKING:
    from sockettest import (
        FakeClient,
        FakeServer,
        LeakGuard,
        MemoryNetwork,
        MockSockets,
        VirtualClock,
    )
    from sockettest._transports import Transport

EXTRA = "pip install 'sockettest[pytest]'"

_Peer = TypeVar("_Peer", "FakeServer", "FakeClient")

AUTOJUMP_THRESHOLD = 0.01
"""Real seconds with no socket call on the network before ``virtual_clock`` jumps to the
earliest deadline of a blocked call: long enough for a thread that is about to call, short
enough that a 300 s timeout fires in milliseconds."""

PATCHING_FIXTURES = ("patched_network", "patched_network_on_virtual_clock")
"""The fixtures that patch the socket module to an in-memory network for the test."""


def _optional_fixture(request: pytest.FixtureRequest, name: str, plugin: str) -> Any:
    """The value of fixture ``name``, or a clear failure saying which plugin provides it."""
    try:
        return request.getfixturevalue(name)
    except pytest.FixtureLookupError:
        pass
    pytest.fail(
        f"the {request.fixturename} fixture needs {plugin} (its `{name}` fixture): {EXTRA}",
        pytrace=False,
    )


@pytest.fixture
def leak_guard() -> Iterator[LeakGuard]:
    """Fails the test, naming them, if it leaves threads running or watched sockets open.

    Every other fixture of this plugin uses it; request it yourself to guard your own threads
    (``leak_guard.watch_sockets(...)`` adds sockets of your own).
    """
    from sockettest import LeakError, LeakGuard

    guard = LeakGuard()
    yield guard
    try:
        guard.check()
    except LeakError as error:
        leaked = str(error)
    else:
        return
    pytest.fail(leaked, pytrace=False)  # outside the except: no "During handling" chain


@pytest.fixture
def memory_network(leak_guard: LeakGuard) -> MemoryNetwork:
    """A fresh in-memory network: hand ``memory_network.socket_factory`` to the code under test.

    No real socket is opened, so this works where pytest-socket disables them; every socket
    made on it must be closed by the end of the test (the leak guard names the ones that are
    not, then closes them).
    """
    from sockettest import MemoryNetwork

    return _watched(MemoryNetwork(), leak_guard)


def _watched(network: MemoryNetwork, leak_guard: LeakGuard) -> MemoryNetwork:
    """``network``, its open sockets checked by the leak guard and closed after the test."""
    leak_guard.watch_sockets(lambda: [repr(s) for s in network.open_sockets()], network.close_all)
    return network


@pytest.fixture
def patched_network(
    request: pytest.FixtureRequest, memory_network: MemoryNetwork
) -> Iterator[MemoryNetwork]:
    """``memory_network``, with the :mod:`socket` module patched to it for the test.

    Unmodified code that calls ``socket.socket()``, ``socket.create_connection`` or
    ``socketserver`` runs on in-memory sockets. Undone after the test, in an order that works
    with pytest-socket's guard. It is on real time: asked for with ``virtual_clock`` or
    ``patched_network_on_virtual_clock``, it fails the test (ask for the latter alone).
    """
    if {"virtual_clock", "patched_network_on_virtual_clock"} & set(request.fixturenames):
        pytest.fail(
            "patched_network is on real time, and virtual_clock is the clock of "
            "patched_network_on_virtual_clock, a network of its own: ask for "
            "patched_network_on_virtual_clock (and virtual_clock to read it), not patched_network",
            pytrace=False,
        )
    with memory_network.patch():
        yield memory_network


@pytest.fixture
def virtual_clock() -> VirtualClock:
    """The :class:`~sockettest.VirtualClock` of ``patched_network_on_virtual_clock``, at 0 s:
    ask for both to read the time the test took (``virtual_clock.monotonic()``).

    Its ``autojump_threshold`` is 0.01: once no socket of the network has been called for
    10 ms of real time, it jumps to the earliest deadline of a blocked call.
    """
    from sockettest import VirtualClock

    return VirtualClock(autojump_threshold=AUTOJUMP_THRESHOLD)


@pytest.fixture
def patched_network_on_virtual_clock(
    virtual_clock: VirtualClock, leak_guard: LeakGuard
) -> Iterator[MemoryNetwork]:
    """``patched_network`` on ``virtual_clock``: unmodified code's ``settimeout(300)`` fires
    in milliseconds of real time.

    Every timeout of the network's sockets is measured on the clock, which jumps to the earliest
    deadline once the network has been idle for 10 ms. Give the test's own side no timeout, or
    its deadline may be the earliest and the clock jump there first; a call with no timeout
    still cannot hang: it fails with :class:`~sockettest.BlockedTooLong` after the network's
    ``max_block`` real seconds (:data:`~sockettest.DEFAULT_TIMEOUT`). ``time.sleep``,
    ``select()`` timeouts and ``time.monotonic()`` stay on real time.
    """
    from sockettest import MemoryNetwork

    network = _watched(MemoryNetwork(clock=virtual_clock), leak_guard)
    with network.patch():
        yield network


@pytest.fixture
def fake_server(request: pytest.FixtureRequest, leak_guard: LeakGuard) -> Iterator[FakeServer]:
    """A :class:`~sockettest.FakeServer` on an ephemeral loopback port that accepts each
    connection and closes it at once. For other scripts, use ``fake_server_factory``.

    Under a patch (``patched_network`` or ``patched_network_on_virtual_clock``, set up first
    whatever the order of the arguments, or any ``network.patch()`` open) it listens on that
    in-memory network, where the code under test connects: ``fake_server.network`` is that
    network, and ``None`` on real sockets.
    """
    from sockettest import FakeServer

    for name in PATCHING_FIXTURES:
        if name in request.fixturenames:
            request.getfixturevalue(name)
    with FakeServer() as server:
        yield server


@pytest.fixture
def fake_server_factory(leak_guard: LeakGuard) -> Iterator[Callable[..., FakeServer]]:
    """Call it with a script (and FakeServer's other options, ``socket_factory`` included) to
    get a started FakeServer; each is stopped and joined after the test."""
    from sockettest import FakeServer

    yield from _entered_until_teardown(FakeServer)


@pytest.fixture
def fake_client_factory(leak_guard: LeakGuard) -> Iterator[Callable[..., FakeClient]]:
    """Call it with ``(host, port)`` (and FakeClient's options) to get a connected
    :class:`~sockettest.FakeClient`; each is closed after the test."""
    from sockettest import FakeClient

    yield from _entered_until_teardown(FakeClient)


def _entered_until_teardown(make: Callable[..., _Peer]) -> Iterator[Callable[..., _Peer]]:
    """A factory fixture's value: ``make(...)`` entered as a context manager, exited after."""
    with ExitStack() as stack:
        yield lambda *args, **kwargs: stack.enter_context(make(*args, **kwargs))


@pytest.fixture
def mock_sockets(request: pytest.FixtureRequest) -> MockSockets:
    """An autospecced socket, the factory that returns it, and one parent mock recording the
    order of every call (``.parent.mock_calls``). Needs pytest-mock."""
    mocker = _optional_fixture(request, "mocker", "pytest-mock")
    from sockettest import mock_sockets as make_mock_sockets

    return make_mock_sockets(mocker)


@pytest.fixture(
    params=[
        pytest.param("memory", marks=pytest.mark.memory),
        pytest.param("loopback", marks=pytest.mark.loopback),
    ]
)
def memory_or_loopback(request: pytest.FixtureRequest, leak_guard: LeakGuard) -> Transport:
    """Runs the test twice: on a fresh in-memory network (``[memory]``, marked ``memory``) and
    on real loopback sockets (``[loopback]``, marked ``loopback``). Build everything with
    ``memory_or_loopback.socket_factory`` so that one test pins one behaviour on both.

    Each case belongs to one tier: the loopback case is skipped where pytest-socket disables
    real sockets, the memory case where it restricts them to allowed hosts (the integration tier).
    Run ``pytest -m memory --disable-socket`` with the unit tier and ``pytest -m loopback
    --allow-hosts=127.0.0.1,::1`` with the integration tier to run each case where it belongs.
    """
    from sockettest._transports import Transport

    if request.param == "loopback" and (
        any(name in request.fixturenames for name in PATCHING_FIXTURES) or in_force() is not None
    ):
        pytest.fail(
            "memory_or_loopback's loopback case needs real sockets, and the socket module is "
            "patched to an in-memory network (patched_network, or a network.patch() still "
            "open), so it would run in memory: use memory_or_loopback's memory case, or "
            "patched_network, not both",
            pytrace=False,
        )
    # pytest-socket's guard: its own socket.socket (the unit tier), or its connect (allow_hosts)
    disabled = socket.socket.__module__ == "pytest_socket"
    restricted = getattr(socket.socket.connect, "__module__", "") == "pytest_socket"
    if request.param == "loopback" and disabled:
        pytest.skip(
            "real sockets are disabled here: the loopback case runs in the integration tier"
        )
    if request.param == "memory" and restricted:
        pytest.skip("this is the integration tier: the memory case runs where sockets are disabled")
    chosen = Transport(request.param)
    leak_guard.watch_sockets(chosen.open_socket_names, chosen.close_all)
    return chosen


# Patch scope ------------------------------------------------------------------------------------

_fixtures_in_setup: list[pytest.FixtureDef[Any]] = []
"""The fixtures being set up, innermost last: a patch begun in one of them belongs to it."""
_reinstate_before_next_fixture = False


def _owner_of_a_new_patch() -> object:
    """The module-, class-, package- or session-scoped fixture being set up, which keeps the
    patch it begins for its scope; ``None`` (the test's own: ended at its teardown) otherwise."""
    if _fixtures_in_setup and _fixtures_in_setup[-1].scope != "function":
        return _fixtures_in_setup[-1]
    return None


def _still_set_up(owner: object) -> bool:
    """``owner`` is a fixture that has not been torn down (pytest clears its cached result)."""
    return owner is not None and getattr(owner, "cached_result", None) is not None


set_owner_source(_owner_of_a_new_patch)


def _reinstate_once() -> None:
    """Before the test's first fixture or its call, after pytest-socket installed its guard."""
    global _reinstate_before_next_fixture  # noqa: PLW0603 (one flag for one test at a time)
    if _reinstate_before_next_fixture:
        _reinstate_before_next_fixture = False
        reinstate_open_patches()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, object, object]:
    global _reinstate_before_next_fixture  # noqa: PLW0603 (see _reinstate_once)
    _reinstate_before_next_fixture = True  # pytest-socket's set-up runs inside this wrapper
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
) -> Generator[None, object, object]:
    _reinstate_once()
    _fixtures_in_setup.append(fixturedef)
    try:
        return (yield)
    finally:
        _fixtures_in_setup.pop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    _reinstate_once()
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, object, object]:
    # After every other teardown, pytest-socket's included: end the patches the test leaked,
    # and show the module as the patches still open, or none, want it (see sockettest._patch).
    try:
        return (yield)
    finally:
        restore_after_test(_still_set_up)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "memory: the in-memory case of memory_or_loopback")
    config.addinivalue_line("markers", "loopback: the loopback case of memory_or_loopback")
