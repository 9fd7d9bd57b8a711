"""A patch lasts exactly as long as its block, whatever the order blocks end in, and it takes
over only the network's families: AF_UNIX, the descriptors multiprocessing and asyncio use,
stays what it is without the patch.

Every test here runs under pytest-socket's guard (the unit tier), so a real network socket
would fail it; the AF_UNIX pairs are local to the process.
"""

from __future__ import annotations

import asyncio
import importlib.util
import multiprocessing
import socket
import threading
import warnings
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import pytest
import pytest_socket

import sockettest
from sockettest import (
    Address,
    FakeServer,
    Faults,
    MemoryNetwork,
    MemorySocket,
    ScriptedConnection,
    run_in_thread,
)
from sockettest._transports import Transport
from tests.deadlines import DEADLINE


def socket_module_state() -> dict[str, object]:
    """The socket module's names a patch replaces, as they are now."""
    return {name: getattr(socket, name) for name in sockettest._originals.PATCHED_NAMES}


def made_on(network: MemoryNetwork, sock: object) -> bool:
    """``sock`` is one of ``network``'s sockets."""
    return any(made is sock for made in network.sockets)


def outcome(call: Callable[[], object]) -> str:
    """What ``call`` did: ``"returned"``, or the name of the exception it raised (a socket it
    returned is closed)."""
    with warnings.catch_warnings():  # pytest-socket warns as it raises
        warnings.simplefilter("ignore")
        try:
            made = call()
        except Exception as error:  # the type is the outcome compared
            return type(error).__name__
    if isinstance(made, socket.socket):
        made.close()
    return "returned"


# Blocks that do not nest ---------------------------------------------------------------------


def test_an_exit_stack_closed_out_of_order_leaves_the_real_module() -> None:
    """Two patches ended first-in first-out leave every name as it was before the first."""
    before = socket_module_state()
    first, second = MemoryNetwork(), MemoryNetwork()
    with ExitStack() as outer:
        outer.enter_context(first.patch())
        inner = ExitStack()
        inner.enter_context(second.patch())
        with socket.socket() as sock:
            assert made_on(second, sock)
        outer.close()  # the first patch ends while the second is still open
        with socket.socket() as sock:
            assert made_on(second, sock), "the open patch stays in force"
        inner.close()
    assert socket_module_state() == before


def test_patches_in_two_threads_that_end_in_either_order_leave_the_real_module() -> None:
    """A patch entered in each of two threads, the first to start ending first, is undone."""
    before = socket_module_state()
    first_entered, second_entered, first_ended = (threading.Event() for _ in range(3))

    def first() -> None:
        with MemoryNetwork().patch():
            first_entered.set()
            assert second_entered.wait(DEADLINE)
        first_ended.set()

    def second() -> None:
        assert first_entered.wait(DEADLINE)
        with MemoryNetwork().patch():
            second_entered.set()
            assert first_ended.wait(DEADLINE)

    join_first = run_in_thread(first, name="first-patch")
    join_second = run_in_thread(second, name="second-patch")
    join_first()
    join_second()
    assert socket_module_state() == before


def test_create_connection_after_overlapping_patches_is_not_answered_by_a_network() -> None:
    """After two overlapping patches end, create_connection uses the real (guarded) module."""
    first, second = MemoryNetwork(), MemoryNetwork()
    first_patch, second_patch = first.patch(), second.patch()
    first_patch.__enter__()
    second_patch.__enter__()
    first_patch.__exit__(None, None, None)
    second_patch.__exit__(None, None, None)
    with warnings.catch_warnings():  # pytest-socket warns as it raises
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError, match="socket"):  # its guard, not ECONNREFUSED
            socket.create_connection(("127.0.0.1", 9), timeout=DEADLINE)
    assert first.sockets == []
    assert second.sockets == []


def test_one_patch_object_can_be_used_again_after_its_block_ends() -> None:
    """A ``network.patch()`` entered again after its block ended patches again, as mock's do."""
    before = socket_module_state()
    network = MemoryNetwork()
    patch = network.patch()
    for _ in range(2):
        with patch as patched, socket.socket() as sock:
            assert patched is network
            assert made_on(network, sock)
        assert socket_module_state() == before


def test_a_patch_decorates_a_function_each_call_in_a_block_of_its_own() -> None:
    """``@network.patch()`` patches for each call of the function, as ``mock.patch`` does, a
    call made inside another included."""
    before = socket_module_state()
    network = MemoryNetwork()
    made: list[bool] = []

    @network.patch()
    def make_one(again: bool) -> None:
        with socket.socket() as sock:
            made.append(made_on(network, sock))
        if again:
            make_one(again=False)

    make_one(again=True)
    assert made == [True, True]
    assert socket_module_state() == before


def test_entering_one_patch_object_inside_its_own_block_is_refused_at_the_call() -> None:
    """A ``network.patch()`` entered while its block is open raises a clear error, and the open
    block still ends as if nothing had happened."""
    before = socket_module_state()
    network = MemoryNetwork()
    patch = network.patch()
    with patch:
        with pytest.raises(RuntimeError, match=r"patch\(\) .*already in force.*new"):
            patch.__enter__()
        with socket.socket() as sock:
            assert made_on(network, sock)
    assert socket_module_state() == before


# What the network does not carry: AF_UNIX ------------------------------------------------------


def test_an_af_unix_socket_under_a_patch_is_what_it_is_without_one() -> None:
    """socket.socket(AF_UNIX) under a patch does what it does without (here: the guard's)."""
    unpatched = outcome(lambda: socket.socket(socket.AF_UNIX))
    network = MemoryNetwork()
    with network.patch():
        patched = outcome(lambda: socket.socket(socket.AF_UNIX))
        in_memory = outcome(lambda: socket.socket(socket.AF_INET))
    assert unpatched == "SocketBlockedError"  # this tier's guard: no AF_UNIX allowed
    assert patched == unpatched
    assert in_memory == "returned"
    assert network.sockets, "the AF_INET socket was the network's"
    assert all(made.family in (socket.AF_INET, socket.AF_INET6) for made in network.sockets)


def test_multiprocessing_pipe_works_under_a_patch(memory_network: MemoryNetwork) -> None:
    """multiprocessing.Pipe() under a patch carries objects both ways (its pair is real)."""
    with memory_network.patch():
        left, right = multiprocessing.Pipe()
        try:
            left.send({"move": 4})
            assert right.poll(DEADLINE)
            assert right.recv() == {"move": 4}
            right.send_bytes(b"ack")
            assert left.poll(DEADLINE)
            assert left.recv_bytes() == b"ack"
        finally:
            left.close()
            right.close()
    assert memory_network.sockets == [], "the pair is not the network's"


def test_socketpair_under_a_patch_is_real_for_af_unix_and_the_networks_for_inet(
    memory_network: MemoryNetwork,
) -> None:
    """socketpair() under a patch: a real AF_UNIX pair; socketpair(AF_INET): the network's."""
    with memory_network.patch():
        local, remote = socket.socketpair()
        with local, remote:
            assert type(local) is pytest_socket._true_socket  # the standard library's class
            assert local.family == socket.AF_UNIX
            local.sendall(b"x")
            assert remote.recv(1) == b"x"
        left, right = socket.socketpair(socket.AF_INET)
        with left, right:
            assert made_on(memory_network, left)
            assert made_on(memory_network, right)
            assert left.getpeername() == right.getsockname()


async def call_from_another_thread() -> str:
    """Wake the running loop from a thread (through its self-pipe, a socketpair)."""
    loop = asyncio.get_running_loop()
    woken = loop.create_future()
    join = run_in_thread(lambda: loop.call_soon_threadsafe(woken.set_result, "woken"))
    result: str = await asyncio.wait_for(woken, DEADLINE)
    join()
    return result


async def echo_once_on_the_network() -> bytes:
    """An asyncio server and client on the socket module: one line there and back."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(await reader.readline())
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    async with server:
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"over asyncio\n")
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), DEADLINE)
        writer.close()
        await writer.wait_closed()
    return line


def test_an_asyncio_event_loop_runs_under_a_patch(memory_network: MemoryNetwork) -> None:
    """Under a patch, asyncio's loop is woken from a thread and serves on the network."""
    with memory_network.patch():
        assert asyncio.run(call_from_another_thread()) == "woken"
        assert asyncio.run(echo_once_on_the_network()) == b"over asyncio\n"
    assert len(memory_network.sockets) >= 3, "listener, client and accepted were in memory"


def test_an_asyncio_client_talks_to_a_fake_server_through_faults() -> None:
    """An unmodified asyncio client, under a patch, against a FakeServer on the same network,
    its side cut to one byte a recv and two bytes a send: each line arrives whole both ways."""
    network = MemoryNetwork(connect_faults=Faults(recv_chunks=(1,), send_limit=2))

    def shout(conn: ScriptedConnection) -> None:
        line = conn.read_line(timeout=DEADLINE)
        conn.send_line((line or "").upper())

    async def say_hello(address: Address) -> bytes:
        reader, writer = await asyncio.open_connection(*address)
        writer.write(b"hello there\n")
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), DEADLINE)
        writer.close()
        await writer.wait_closed()
        return line

    with network.patch(), FakeServer(shout) as server:
        assert asyncio.run(say_hello(server.address)) == b"HELLO THERE\n"
    assert server.received == ["hello there"]
    network.assert_all_closed(grace=DEADLINE)


# isinstance(x, socket.socket) ----------------------------------------------------------------


def test_isinstance_of_socket_under_a_patch_is_as_without_one(
    memory_network: MemoryNetwork,
) -> None:
    """Under a patch, real and memory sockets are socket.socket instances; nothing else is."""
    with memory_network.patch():
        real_pair = socket.socketpair()  # real: AF_UNIX is not the network's
        made = socket.socket()
        with made, real_pair[0], real_pair[1]:
            assert isinstance(made, socket.socket)
            assert isinstance(real_pair[0], socket.socket)
            for other in (None, 42, "socket", object(), memory_network):
                assert not isinstance(other, socket.socket), other
            assert issubclass(MemorySocket, socket.socket)
            assert issubclass(type(real_pair[0]), socket.socket)
            assert not issubclass(int, socket.socket)


# Importing the kit where pytest-socket's guard is already installed ----------------------------


def test_the_originals_module_imported_under_the_guard_captures_the_true_functions() -> None:
    """A fresh import of the originals module while the guard is on records the true functions."""
    assert socket.socket is not pytest_socket._true_socket, "this tier's guard is installed"
    path = Path(sockettest._originals.__file__)
    spec = importlib.util.spec_from_file_location("sockettest_originals_copy", path)
    assert spec is not None
    assert spec.loader is not None
    fresh = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fresh)
    assert fresh.SOCKET["socket"] is pytest_socket._true_socket
    assert fresh.SOCKET["getaddrinfo"] is pytest_socket._true_getaddrinfo
    assert fresh.SOCKET["gethostbyname"] is pytest_socket._true_gethostbyname
    assert fresh.SOCKET == sockettest._originals.SOCKET


# A transport that would be answered by the patch ------------------------------------------------


def test_the_loopback_transport_refuses_to_make_a_socket_under_a_patch() -> None:
    """Transport('loopback').socket_factory under a patch raises, naming the patch."""
    network = MemoryNetwork()
    loopback = Transport("loopback")
    with network.patch(), pytest.raises(RuntimeError, match="patched to <MemoryNetwork"):
        loopback.socket_factory(socket.AF_INET, socket.SOCK_STREAM)
    assert network.sockets == []
    assert loopback.open_socket_names() == []


def test_the_memory_transport_names_its_open_sockets_and_closes_them_all() -> None:
    """Transport('memory') names every open socket, or the accepted ones alone with
    ``listeners=False``; close_all closes them all."""
    memory = Transport("memory")
    listener = memory.socket_factory(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    client = memory.socket_factory(socket.AF_INET, socket.SOCK_STREAM)
    client.connect(listener.getsockname())
    server, _ = listener.accept()
    assert memory.accepted == 1
    assert sorted(memory.open_socket_names()) == sorted(map(repr, (listener, client, server)))
    assert memory.open_socket_names(listeners=False) == [repr(server)]
    memory.close_all()
    assert memory.open_socket_names() == []
    assert [sock.fileno() for sock in (listener, client, server)] == [-1, -1, -1]


# The plugin's side: a patch that a scoped fixture holds, and what pytest-socket does around it ---


def test_fake_server_named_before_the_patch_listens_on_that_patch(
    fake_server: FakeServer, patched_network: MemoryNetwork
) -> None:
    """fake_server asked for before patched_network still listens on the patched network (not
    on a patch of its own choosing), where the code under test connects."""
    assert fake_server.network is patched_network
    with socket.create_connection(fake_server.address, timeout=DEADLINE) as client:
        assert client.recv(1) == b""  # accept_and_close: an orderly EOF


class Owners:
    """Stands for the plugin's fixtures: each patch begun belongs to ``current``, and an owner
    is set up until it is ``finish``-ed."""

    def __init__(self) -> None:
        self.current: object = None
        self.set_up: list[object] = []

    def begin(self, name: str) -> object:
        self.current = name
        self.set_up.append(name)
        return name

    def finish(self, owner: object) -> None:
        self.set_up.remove(owner)

    def alive(self, owner: object) -> bool:
        return owner in self.set_up


@pytest.fixture
def owners(monkeypatch: pytest.MonkeyPatch) -> Owners:
    """The patch module's owner source, for this test only."""
    made = Owners()
    monkeypatch.setattr(sockettest._patch, "_owner_source", lambda: made.current)
    return made


def end_of_test(owners: Owners) -> None:
    """What happens between two tests: pytest-socket's teardown, then the plugin's restore."""
    pytest_socket._remove_restrictions()
    sockettest._patch.restore_after_test(owners.alive)


def start_of_test() -> None:
    """pytest-socket's set-up of a guarded test, then the plugin's reinstatement."""
    pytest_socket.disable_socket()
    sockettest._patch.reinstate_open_patches()


def test_a_patch_held_by_a_live_owner_outlasts_tests_until_its_owner_finishes(
    owners: Owners,
) -> None:
    """A scoped fixture's patch is back after each test's restore and guard, and ends with it."""
    network = MemoryNetwork()
    module_fixture = owners.begin("module fixture")
    held = network.patch()
    held.__enter__()
    patched = socket_module_state()
    owners.current = None
    for _ in range(2):
        end_of_test(owners)
        assert socket_module_state() == patched
        start_of_test()
        assert socket_module_state() == patched
        with socket.socket() as sock:
            assert made_on(network, sock)
    owners.finish(module_fixture)  # its finaliser never ended the patch: a leak
    end_of_test(owners)
    assert socket_module_state() == sockettest._originals.SOCKET
    held.__exit__(None, None, None)  # late: changes nothing
    assert socket_module_state() == sockettest._originals.SOCKET


def test_the_newest_of_two_held_patches_is_in_force_between_tests(owners: Owners) -> None:
    """Two scoped patches: the newer one is shown after each restore and guard."""
    older, newer = MemoryNetwork(), MemoryNetwork()
    session, module = owners.begin("session"), owners.begin("module")
    owners.current = session
    held_older = older.patch()
    held_older.__enter__()
    owners.current = module
    held_newer = newer.patch()
    held_newer.__enter__()
    owners.current = None
    for start in (start_of_test, lambda: None):
        end_of_test(owners)
        start()
        with socket.socket() as sock:
            assert made_on(newer, sock)
    held_newer.__exit__(None, None, None)
    owners.finish(module)
    with socket.socket() as sock:
        assert made_on(older, sock)
    held_older.__exit__(None, None, None)
    owners.finish(session)
    end_of_test(owners)
    assert socket_module_state() == sockettest._originals.SOCKET


def test_a_patch_of_the_test_itself_ends_at_its_teardown(owners: Owners) -> None:
    """A patch begun outside any scoped fixture and never ended is gone after the restore."""
    leaked = MemoryNetwork().patch()
    leaked.__enter__()
    sockettest._patch.restore_after_test(owners.alive)
    assert socket_module_state() == sockettest._originals.SOCKET
    leaked.__exit__(None, None, None)


def guarded_getaddrinfo(*args: object, **kwargs: object) -> list[object]:
    """A user's own replacement whose name looks like pytest-socket's guard."""
    return []


def test_a_replacement_of_the_users_own_survives_the_restore(
    owners: Owners, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A name someone else replaced over a patch keeps their value after the block and the
    plugin's restore, even one named like pytest-socket's guard."""
    with MemoryNetwork().patch():
        monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    assert socket.getaddrinfo is guarded_getaddrinfo
    sockettest._patch.restore_after_test(owners.alive)
    assert socket.getaddrinfo is guarded_getaddrinfo
    assert socket.socket is sockettest._originals.SOCKET["socket"]


def a_users_gethostbyaddr(address: str) -> tuple[str, list[str], list[str]]:
    """A user's own replacement, installed over a patch that a fixture holds."""
    return ("user.test", [], [address])


def test_a_replacement_over_a_held_patch_survives_the_next_test_start(
    owners: Owners, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between tests, only pytest-socket's guards give way to a held patch, not a user's own."""
    module_fixture = owners.begin("module fixture")
    held = MemoryNetwork().patch()
    held.__enter__()
    owners.current = None
    monkeypatch.setattr(socket, "gethostbyaddr", a_users_gethostbyaddr)
    end_of_test(owners)
    start_of_test()
    assert socket.gethostbyaddr is a_users_gethostbyaddr
    held.__exit__(None, None, None)
    owners.finish(module_fixture)
    assert socket.gethostbyaddr is a_users_gethostbyaddr
