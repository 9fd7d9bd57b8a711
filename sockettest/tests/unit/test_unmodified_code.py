"""Code written without a testing hook, run unmodified on the in-memory network.

The programs (tests/unit/learner_programs.py) call ``socket.socket()``,
``socket.create_connection``, ``socketserver``, ``selectors``, ``http.server`` and
``http.client`` the usual way; ``MemoryNetwork.patch()`` (the ``patched_network`` fixture) makes
them run on in-memory sockets in a tier where real sockets are disabled.
"""

from __future__ import annotations

import functools
import http.client
import os
import socket
import threading
import time
from contextlib import closing

import pytest

from sockettest import MemoryNetwork, MemorySocket, run_in_thread, serve_in_thread
from tests.deadlines import DEADLINE
from tests.unit.learner_programs import (
    HELLO_BODY,
    IdleHangupServer,
    KeyValueClient,
    KeyValueServer,
    SelectorEchoServer,
    hello_server,
)

POLL = 0.01  # serve_forever's poll_interval: shutdown() returns within it


# 1. socketserver: a threading key-value server and create_connection clients ----------------


def test_two_key_value_clients_at_once_see_each_others_writes(
    patched_network: MemoryNetwork,
) -> None:
    """Two clients connected at once to a ThreadingTCPServer read each other's SETs."""
    with (
        KeyValueServer(("127.0.0.1", 0)) as server,
        serve_in_thread(
            functools.partial(server.serve_forever, poll_interval=POLL), stop=server.shutdown
        ),
    ):
        port = server.server_address[1]
        with KeyValueClient("localhost", port) as alice, KeyValueClient("localhost", port) as bob:
            assert alice.get("colour") == "NONE"
            assert alice.set("colour", "green") == "OK"
            assert bob.get("colour") == "green"
            assert bob.set("shape", "square") == "OK"
            assert alice.get("shape") == "square"
            assert bob.set("colour", "red") == "OK"
            assert alice.get("colour") == "red"
            assert alice.quit() == "BYE"
            assert alice.read_rest() == b""
            assert bob.quit() == "BYE"
            assert bob.read_rest() == b""
    patched_network.assert_all_closed(grace=1.0)


def test_key_value_clients_in_two_threads_share_one_store(patched_network: MemoryNetwork) -> None:
    """Two client threads each SET a key, meet at a barrier, then GET the other's key."""
    barrier = threading.Barrier(2, timeout=DEADLINE)
    seen: dict[str, str] = {}

    with (
        KeyValueServer(("127.0.0.1", 0)) as server,
        serve_in_thread(
            functools.partial(server.serve_forever, poll_interval=POLL), stop=server.shutdown
        ),
    ):
        port = server.server_address[1]

        def client(mine: str, theirs: str) -> None:
            with KeyValueClient("localhost", port) as kv:
                assert kv.set(mine, f"from-{mine}") == "OK"
                barrier.wait()
                seen[mine] = kv.get(theirs)
                assert kv.quit() == "BYE"

        with serve_in_thread(lambda: client("a", "b")), serve_in_thread(lambda: client("b", "a")):
            pass  # both play at once, joined at the end
        assert seen == {"a": "from-b", "b": "from-a"}
        assert server.store == {"a": "from-a", "b": "from-b"}
    patched_network.assert_all_closed(grace=1.0)


# 2. selectors: the docs' non-blocking echo server ---------------------------------------------


def test_selectors_echo_server_returns_100_kib_intact(patched_network: MemoryNetwork) -> None:
    """The docs' selectors echo server gives back 100 KiB sent with one sendall, byte for byte."""
    payload = os.urandom(100 * 1024)
    server = SelectorEchoServer("localhost", 0)
    try:
        with (
            serve_in_thread(server.serve_forever, stop=server.stop),
            socket.create_connection(server.address, timeout=DEADLINE) as sock,
        ):
            join_sender = run_in_thread(lambda: sock.sendall(payload), name="sender")
            received = bytearray()
            while len(received) < len(payload):
                chunk = sock.recv(65536)
                assert chunk, f"EOF after {len(received)} of {len(payload)} bytes"
                received += chunk
            join_sender()
    finally:
        server.close()
    assert bytes(received) == payload
    patched_network.assert_all_closed(grace=1.0)


# 3. A refused connect ---------------------------------------------------------------------------


def test_a_refused_connect_fails_at_once(patched_network: MemoryNetwork) -> None:
    """create_connection to a port nothing listens on raises ConnectionRefusedError at once."""
    with socket.socket() as probe:  # a port that was just free: bound, never listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("localhost", port), timeout=5)
    assert time.monotonic() - started < 1.0
    patched_network.assert_all_closed(grace=1.0)


# 4. http.server and http.client -----------------------------------------------------------------


def test_http_server_answers_http_client(patched_network: MemoryNetwork) -> None:
    """An HTTPServer's GET handler answers http.client with 200, its body and its header."""
    with (
        hello_server("127.0.0.1", 0) as server,
        serve_in_thread(
            functools.partial(server.serve_forever, poll_interval=POLL), stop=server.shutdown
        ),
    ):
        port = server.server_address[1]
        with closing(http.client.HTTPConnection("localhost", port, timeout=5)) as conn:
            conn.request("GET", "/hello")
            response = conn.getresponse()
            body = response.read()
            assert response.status == 200
            assert response.getheader("X-Learner") == "yes"
            assert response.getheader("Content-Type") == "text/plain"
            assert body == HELLO_BODY
    patched_network.assert_all_closed(grace=1.0)


# 5. Names a test registers ----------------------------------------------------------------------


def test_a_registered_host_name_is_served_and_resolved(patched_network: MemoryNetwork) -> None:
    """A server bound by a registered name is reached by it; the resolvers answer for it."""
    patched_network.add_host("db.test", "10.0.0.7")
    with (
        KeyValueServer(("db.test", 0)) as server,
        serve_in_thread(
            functools.partial(server.serve_forever, poll_interval=POLL), stop=server.shutdown
        ),
    ):
        host, port = server.server_address[:2]
        assert host == "10.0.0.7"
        infos = socket.getaddrinfo("db.test", port)
        assert infos
        assert {info[4] for info in infos} == {("10.0.0.7", port)}
        assert {info[0] for info in infos} == {socket.AF_INET}
        assert socket.gethostbyname("db.test") == "10.0.0.7"
        with KeyValueClient("db.test", port) as kv:
            assert kv.sock.getpeername() == ("10.0.0.7", port)
            assert kv.set("engine", "memory") == "OK"
            assert kv.get("engine") == "memory"
            assert kv.quit() == "BYE"
    with pytest.raises(socket.gaierror):
        socket.getaddrinfo("nowhere.test", 80)
    with pytest.raises(socket.gaierror):
        socket.gethostbyname("nowhere.test")
    with pytest.raises(socket.gaierror):
        socket.create_connection(("nowhere.test", 80), timeout=5)
    patched_network.assert_all_closed(grace=1.0)


# 6. The patch undoes itself ---------------------------------------------------------------------


def test_the_patch_puts_the_socket_module_back() -> None:
    """After the patch block, socket.socket and socket.getaddrinfo are the ones from before."""
    socket_before, getaddrinfo_before = socket.socket, socket.getaddrinfo
    network = MemoryNetwork()
    with network.patch():
        assert socket.socket is not socket_before
        assert socket.getaddrinfo is not getaddrinfo_before
    assert socket.socket is socket_before
    assert socket.getaddrinfo is getaddrinfo_before
    network.assert_all_closed(grace=1.0)


def test_the_patch_is_undone_when_the_block_raises() -> None:
    """An exception out of the patch block still restores socket.socket and getaddrinfo."""
    socket_before, getaddrinfo_before = socket.socket, socket.getaddrinfo
    network = MemoryNetwork()
    with pytest.raises(RuntimeError, match="boom"), network.patch():
        raise RuntimeError("boom")
    assert socket.socket is socket_before
    assert socket.getaddrinfo is getaddrinfo_before


# 7. socket.socket() itself ----------------------------------------------------------------------


def test_plain_socket_calls_make_memory_sockets(patched_network: MemoryNetwork) -> None:
    """socket.socket() and `with socket.socket() as s` make MemorySockets that pass isinstance."""
    # typed `object`: to a type checker a socket.socket can never be a MemorySocket
    sock: object = socket.socket()
    assert isinstance(sock, MemorySocket)
    try:
        assert passes_isinstance_socket(sock)
        assert sock.family == socket.AF_INET
        assert sock.type == socket.SOCK_STREAM
        assert sock in patched_network.sockets
    finally:
        sock.close()
    with socket.socket() as managed:
        made: object = managed
        assert isinstance(made, MemorySocket)
        assert isinstance(managed, socket.socket)
    assert made.closed
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as six:
        made_v6: object = six
        assert type(made_v6) is MemorySocket
        assert six.family == socket.AF_INET6
    patched_network.assert_all_closed(grace=1.0)


def passes_isinstance_socket(value: object) -> bool:
    """``isinstance(value, socket.socket)``, for a value already narrowed to MemorySocket."""
    return isinstance(value, socket.socket)


def test_an_idle_hangup_server_echoes_on_real_time(patched_network: MemoryNetwork) -> None:
    """The idle-hangup server echoes a line, and says BYE idle after its (short) real timeout."""
    server = IdleHangupServer("127.0.0.1", 0, idle_timeout=0.05)
    try:
        with (
            serve_in_thread(server.serve_forever, stop=server.stop),
            socket.create_connection(server.address, timeout=DEADLINE) as sock,
            sock.makefile("rb") as lines,
        ):
            sock.sendall(b"ping\n")
            assert lines.readline() == b"ping\n"
            assert lines.readline() == b"BYE idle\n"
            assert lines.readline() == b""
    finally:
        server.close()
    patched_network.assert_all_closed(grace=1.0)
