"""The in-memory network: what the contract does not cover.

The behaviour every TCP socket shares is pinned by the contract suite
(test_contract_memory.py); here are the network's own promises: addresses, leak tracking,
max_block, the send buffer and thread safety.
"""

import errno
import gc
import select
import socket
import struct
import threading
from pathlib import Path

import pytest

from sockettest import (
    TIME_WAIT,
    BlockedTooLong,
    MemoryNetwork,
    MemorySocket,
    VirtualClock,
    _linux,
    serve_in_thread,
)
from sockettest._network import EPHEMERAL_PORTS
from tests.deadlines import DEADLINE
from tests.sockets import connected_pair


def listening(network: MemoryNetwork, host: str = "127.0.0.1") -> MemorySocket:
    listener = network.socket_factory()
    listener.bind((host, 0))
    listener.listen(8)
    return listener


# Addresses ---------------------------------------------------------------------------------------


def test_factory_makes_memory_sockets_and_only_tcp(memory_network: MemoryNetwork) -> None:
    """The factory makes MemorySockets for TCP over IPv4 or IPv6, and refuses anything else."""
    with memory_network.socket_factory(socket.AF_INET6, socket.SOCK_STREAM) as sock:
        assert isinstance(sock, MemorySocket)
        assert sock.getsockname() == ("::", 0, 0, 0)
    with pytest.raises(OSError, match="not supported") as caught:
        memory_network.socket_factory(socket.AF_INET, socket.SOCK_SEQPACKET)
    assert caught.value.errno == errno.ESOCKTNOSUPPORT
    with pytest.raises(OSError, match="Address family not supported") as caught:
        memory_network.socket_factory(socket.AF_UNIX, socket.SOCK_STREAM)
    assert caught.value.errno == errno.EAFNOSUPPORT


def test_ephemeral_ports_are_distinct_and_in_linux_range(memory_network: MemoryNetwork) -> None:
    """Each bind to port 0 gets a different port from the ephemeral range."""
    sockets = [memory_network.socket_factory() for _ in range(3)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    assert len(set(ports)) == 3
    assert all(port in EPHEMERAL_PORTS for port in ports)
    for sock in sockets:
        sock.close()


def test_an_address_is_free_again_after_close(memory_network: MemoryNetwork) -> None:
    """Closing a socket releases its address for the next bind."""
    first = listening(memory_network)
    address = first.getsockname()
    first.close()
    with memory_network.socket_factory() as second:
        second.bind(address)
        assert second.getsockname() == address


def test_a_wildcard_bind_conflicts_with_every_host_on_its_port(
    memory_network: MemoryNetwork,
) -> None:
    """Binding 0.0.0.0:p while 127.0.0.1:p is held raises EADDRINUSE, as on Linux."""
    with listening(memory_network) as listener, memory_network.socket_factory() as wildcard:
        port = listener.getsockname()[1]
        with pytest.raises(OSError, match="Address already in use") as caught:
            wildcard.bind(("", port))
        assert caught.value.errno == errno.EADDRINUSE


def test_hosts_are_normalised_and_names_do_not_resolve(memory_network: MemoryNetwork) -> None:
    """'' binds the wildcard, 'localhost' is 127.0.0.1, and other names fail as DNS would."""
    with (
        memory_network.socket_factory() as wildcard,
        memory_network.socket_factory() as local,
        memory_network.socket_factory() as named,
    ):
        wildcard.bind(("", 0))
        assert wildcard.getsockname()[0] == "0.0.0.0"
        local.bind(("localhost", 0))
        assert local.getsockname()[0] == "127.0.0.1"
        with pytest.raises(socket.gaierror):
            named.bind(("example.invalid", 0))
        with pytest.raises(OverflowError):
            named.bind(("127.0.0.1", 70000))


def test_a_wildcard_listener_accepts_connections_to_loopback(memory_network: MemoryNetwork) -> None:
    """A server bound to '' is reachable at 127.0.0.1, as on a real host."""
    with listening(memory_network, host="") as listener, memory_network.socket_factory() as client:
        client.connect(("127.0.0.1", listener.getsockname()[1]))
        conn, _ = listener.accept()
        with conn:
            assert conn.getsockname() == client.getpeername()


# Ports held after a connection: TIME_WAIT on the network's clock ---------------------------------


def closed_by_server_first(network: MemoryNetwork, reuse: bool = False) -> tuple[str, int]:
    """Serve one connection whose server side closes first; return the listener's address."""
    with network.socket_factory() as listener:
        if reuse:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        host, port = listener.getsockname()
        client = network.socket_factory()
        client.connect((host, port))
        server_side, _ = listener.accept()
    server_side.close()
    client.close()
    return host, port


def bind_error(network: MemoryNetwork, address: tuple[str, int], reuse: bool = False) -> int:
    """The errno of binding a fresh socket to ``address`` (0: it bound)."""
    family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
    with network.socket_factory(family) as sock:
        if reuse:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as error:
            return error.errno or -1
    return 0


def test_a_connected_socket_holds_the_port_its_connect_took(memory_network: MemoryNetwork) -> None:
    """A live connection's ephemeral port is in use: binding it fails, as on Linux."""
    with listening(memory_network) as listener, memory_network.socket_factory() as client:
        client.connect(listener.getsockname())
        server_side, _ = listener.accept()
        with server_side:
            assert bind_error(memory_network, client.getsockname()) == errno.EADDRINUSE


def test_an_open_socket_whose_fin_went_first_holds_its_port_in_time_wait(
    memory_network: MemoryNetwork,
) -> None:
    """A client that shut its side first and then read the server's FIN is in TIME_WAIT though
    still open: its connect's port stays in use, as on Linux (EADDRINUSE there too)."""
    with listening(memory_network) as listener, memory_network.socket_factory() as client:
        client.connect(listener.getsockname())
        server_side, _ = listener.accept()
        client.shutdown(socket.SHUT_WR)
        with server_side:
            assert server_side.recv(1) == b""
        assert client.recv(1) == b""
        assert bind_error(memory_network, client.getsockname()) == errno.EADDRINUSE


def test_an_open_socket_that_closed_passively_lets_its_port_go(
    memory_network: MemoryNetwork,
) -> None:
    """After FINs both ways with the client's first, the server's open socket no longer holds
    the listener's port, as on Linux (the stress tier's differential run shows it there)."""
    with memory_network.socket_factory() as client:
        with listening(memory_network) as listener:
            address = listener.getsockname()
            client.connect(address)
            server_side, _ = listener.accept()
        with server_side:
            client.shutdown(socket.SHUT_WR)
            assert server_side.recv(1) == b""
            server_side.shutdown(socket.SHUT_WR)
            assert client.recv(1) == b""
            assert bind_error(memory_network, address) == 0


def test_time_wait_ends_after_its_60_seconds_on_the_virtual_clock() -> None:
    """A port held in TIME_WAIT is refused until the network's clock passes TIME_WAIT seconds."""
    clock = VirtualClock()
    network = MemoryNetwork(clock=clock)
    address = closed_by_server_first(network)
    clock.advance(TIME_WAIT - 1)
    assert bind_error(network, address) == errno.EADDRINUSE
    clock.advance(1)
    assert bind_error(network, address) == 0
    network.assert_all_closed()


def test_a_fin_reaching_a_closed_socket_starts_its_time_wait_afresh() -> None:
    """The first closer waits in FIN_WAIT2 for the peer's FIN; TIME_WAIT runs from that FIN."""
    clock = VirtualClock()
    network = MemoryNetwork(clock=clock)
    with network.socket_factory() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        address = listener.getsockname()
        client = network.socket_factory()
        client.connect(address)
        server_side, _ = listener.accept()
    server_side.close()
    clock.advance(TIME_WAIT / 2)
    client.close()  # its FIN reaches the server side, closed half a minute ago
    clock.advance(TIME_WAIT - 1)
    assert bind_error(network, address) == errno.EADDRINUSE
    clock.advance(1)
    assert bind_error(network, address) == 0


def test_a_reset_ends_time_wait_at_once(memory_network: MemoryNetwork) -> None:
    """Data sent to a socket that closed first answers with a reset, which frees its port."""
    with memory_network.socket_factory() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        address = listener.getsockname()
        client = memory_network.socket_factory()
        client.connect(address)
        server_side, _ = listener.accept()
    server_side.close()
    assert bind_error(memory_network, address) == errno.EADDRINUSE
    with client:
        client.send(b"late")
    assert bind_error(memory_network, address) == 0


def test_a_reuseaddr_server_restarts_on_its_port_after_an_active_close(
    memory_network: MemoryNetwork,
) -> None:
    """SO_REUSEADDR on the old and the new listener lets the port be bound again at once."""
    address = closed_by_server_first(memory_network, reuse=True)
    assert bind_error(memory_network, address) == errno.EADDRINUSE
    assert bind_error(memory_network, address, reuse=True) == 0


def test_socketpair_keeps_its_proto_and_frees_its_ports() -> None:
    """An AF_INET socketpair reports the proto it was given; its ports are free once it is
    closed and TIME_WAIT has passed (the first to close holds its port until then)."""
    clock = VirtualClock()
    network = MemoryNetwork(clock=clock)
    a, b = network.socketpair(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    addresses = [a.getsockname(), b.getsockname()]
    assert (a.proto, b.proto) == (socket.IPPROTO_TCP, socket.IPPROTO_TCP)
    a.close()
    b.close()
    assert bind_error(network, addresses[0]) == errno.EADDRINUSE  # a closed first
    assert bind_error(network, addresses[1]) == 0
    clock.advance(TIME_WAIT)
    assert [bind_error(network, address) for address in addresses] == [0, 0]


# Local addresses: loopback, and what the test declares -------------------------------------------


def test_declared_addresses_can_be_bound_and_others_cannot() -> None:
    """local_addresses=, add_address and add_host make addresses bindable; others give
    EADDRNOTAVAIL, as on a host without them."""
    network = MemoryNetwork(local_addresses=["10.0.0.5"])
    assert bind_error(network, ("10.0.0.6", 0)) == errno.EADDRNOTAVAIL
    network.add_address("10.0.0.6", "fd00::6")
    network.add_host("db.test", "10.0.0.7")
    assert network.local_addresses == {"10.0.0.5", "10.0.0.6", "fd00::6", "10.0.0.7"}
    for host in ("10.0.0.5", "10.0.0.6", "db.test", "127.9.9.9", "fd00::6", "::1"):
        assert bind_error(network, (host, 0)) == 0, host
    assert bind_error(network, ("fd00::7", 0)) == errno.EADDRNOTAVAIL
    network.assert_all_closed()


def test_an_ipv6_address_that_only_begins_as_a_mapped_one_is_not_ipv4() -> None:
    """``::ffff:abcd`` (no dotted IPv4 in it) is an IPv6 address this host does not have:
    EADDRNOTAVAIL, as on Linux, not taken for the IPv4 address ``abcd``."""
    network = MemoryNetwork()
    assert bind_error(network, ("::ffff:abcd", 0)) == errno.EADDRNOTAVAIL
    network.add_address("::ffff:abcd")
    assert bind_error(network, ("::ffff:abcd", 0)) == 0


@pytest.mark.parametrize("bad", ["db.test", "10.0.0.300", 5])
def test_add_address_refuses_what_is_not_an_ip_literal(bad: object) -> None:
    """add_address and local_addresses= name the value that is not an IP literal."""
    network = MemoryNetwork()
    with pytest.raises(ValueError, match=f"add_address: {bad!r} is not an IPv4 or IPv6"):
        network.add_address(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=f"local_addresses: {bad!r} is not an IPv4 or IPv6"):
        MemoryNetwork(local_addresses=[bad])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="local_addresses must be a sequence"):
        MemoryNetwork(local_addresses="10.0.0.5")


def test_an_ipv4_mapped_bind_shares_the_ipv4_port_space(memory_network: MemoryNetwork) -> None:
    """An IPv6 socket bound to ::ffff:127.0.0.1 holds 127.0.0.1's port, and an IPv4 client
    reaches it there, seen as a mapped address."""
    with (
        memory_network.socket_factory(socket.AF_INET6) as listener,
        memory_network.socket_factory() as client,
    ):
        listener.bind(("::ffff:127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        assert listener.getsockname() == ("::ffff:127.0.0.1", port, 0, 0)
        assert bind_error(memory_network, ("127.0.0.1", port)) == errno.EADDRINUSE
        client.connect(("127.0.0.1", port))
        conn, peer = listener.accept()
        with conn:
            assert peer == ("::ffff:127.0.0.1", client.getsockname()[1], 0, 0)


def test_a_socket_bound_to_the_wildcard_gets_a_real_address_on_connect(
    memory_network: MemoryNetwork,
) -> None:
    """After connect, a socket bound to 0.0.0.0 names the address it uses, as Linux's does."""
    with listening(memory_network) as listener, memory_network.socket_factory() as client:
        client.bind(("0.0.0.0", 0))
        port = client.getsockname()[1]
        client.connect(listener.getsockname())
        assert client.getsockname() == ("127.0.0.1", port)
        conn, peer = listener.accept()
        with conn:
            assert peer == ("127.0.0.1", port)


def test_listen_and_setsockopt_are_recorded(memory_network: MemoryNetwork) -> None:
    """A test can read back the backlog and the options the code under test set."""
    with memory_network.socket_factory() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(socket.SOMAXCONN)
        assert sock.options == {(socket.SOL_SOCKET, socket.SO_REUSEADDR): 1}
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR) == 1
        assert sock.backlog == socket.SOMAXCONN


# Connections -------------------------------------------------------------------------------------


def test_connect_pair_is_connected_both_ways(memory_network: MemoryNetwork) -> None:
    """connect_pair gives two sockets joined to each other, like socket.socketpair."""
    a, b = memory_network.socketpair(socket.AF_INET)
    with a, b:
        assert a.getpeername() == b.getsockname()
        a.sendall(b"to b")
        b.sendall(b"to a")
        assert b.recv(10) == b"to b"
        assert a.recv(10) == b"to a"


def test_closing_a_listener_resets_connections_not_yet_accepted(
    memory_network: MemoryNetwork,
) -> None:
    """A client whose connection was never accepted gets ECONNRESET once, then EOF."""
    listener = listening(memory_network)
    with memory_network.socket_factory() as client:
        client.connect(listener.getsockname())
        listener.close()
        with pytest.raises(ConnectionResetError):
            client.recv(10)
        assert client.recv(10) == b""


def test_connect_waits_while_the_backlog_is_full(memory_network: MemoryNetwork) -> None:
    """Past the backlog, connect waits for accept and times out if it never comes."""
    with (
        memory_network.socket_factory() as listener,
        memory_network.socket_factory() as first,
        memory_network.socket_factory() as second,
    ):
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)  # Linux queues backlog + 1 connections
        first.connect(listener.getsockname())
        second.settimeout(0.01)
        with pytest.raises(TimeoutError):
            second.connect(listener.getsockname())


# Leaks, names and stuck calls --------------------------------------------------------------------


def test_open_sockets_lists_what_a_test_forgot_by_name(memory_network: MemoryNetwork) -> None:
    """assert_all_closed names each open socket with its state and addresses."""
    listener = listening(memory_network)
    client = memory_network.socket_factory()
    client.connect(listener.getsockname())
    names = [sock.name for sock in memory_network.open_sockets()]
    assert names == ["memory-socket-1", "memory-socket-2", "memory-socket-3"]  # 3: accepted
    with pytest.raises(AssertionError) as caught:
        memory_network.assert_all_closed()
    message = str(caught.value)
    assert "3 memory socket(s) left open" in message
    assert "memory-socket-1 listening on 127.0.0.1:" in message
    assert f"memory-socket-2 connected 127.0.0.1:{client.getsockname()[1]} ->" in message
    memory_network.close_all()
    assert memory_network.open_sockets() == []
    assert repr(client) == "<MemorySocket memory-socket-2 closed>"


def test_a_call_blocked_with_no_timeout_fails_after_max_block(
    memory_network: MemoryNetwork,
) -> None:
    """recv with no timeout and no data raises BlockedTooLong after max_block, naming itself."""
    memory_network.max_block = 0.02
    a, b = memory_network.socketpair(socket.AF_INET)
    with a, b, pytest.raises(BlockedTooLong) as caught:
        a.recv(10)
    assert str(caught.value).startswith(f"recv on <MemorySocket {a.name} connected")
    assert "blocked for more than 0.02 s with no timeout: is the other side waiting too?" in str(
        caught.value
    )
    assert memory_network.stuck_calls == [caught.value]


def test_close_from_another_thread_wakes_a_blocked_recv(memory_network: MemoryNetwork) -> None:
    """A recv blocked in one thread raises EBADF when another thread closes the socket."""
    a, b = memory_network.socketpair(socket.AF_INET)
    started = threading.Event()

    def reader() -> None:
        started.set()
        with pytest.raises(OSError, match="Bad file descriptor") as caught:
            a.recv(10)
        assert caught.value.errno == errno.EBADF

    def closer() -> None:
        started.wait(DEADLINE)
        a.close()

    with b, serve_in_thread(reader), serve_in_thread(closer):
        pass  # both run at once; each is joined, and what it raised re-raised, at the end


# The send buffer ---------------------------------------------------------------------------------


def test_sendall_blocks_on_a_full_buffer_until_the_peer_reads() -> None:
    """With a send buffer, sendall waits for the reader; every byte arrives in order."""
    network = MemoryNetwork(max_block=2.0, buffer_size=8)
    a, b = network.socketpair(socket.AF_INET)
    data = bytes(range(100))
    received = bytearray()

    def reader() -> None:
        while chunk := b.recv(5):
            assert len(chunk) <= 5
            received.extend(chunk)

    def writer() -> None:
        a.sendall(data)
        a.shutdown(socket.SHUT_WR)

    with a, b, serve_in_thread(reader), serve_in_thread(writer):
        pass  # both run at once, joined at the end
    assert bytes(received) == data
    network.assert_all_closed()


def test_a_blocking_send_that_exactly_fills_the_buffer_returns_at_once() -> None:
    """A blocking send or sendall of just what the buffer holds returns without waiting for the
    reader: only bytes still to place wait for room."""
    network = MemoryNetwork(max_block=DEADLINE, buffer_size=4)
    a, b = network.socketpair(socket.AF_INET)
    with a, b:
        assert a.send(b"1234") == 4
        assert b.recv(4) == b"1234"
        a.sendall(b"5678")
        assert b.recv(4) == b"5678"


def test_sendall_to_a_peer_that_never_reads_times_out() -> None:
    """A full buffer and a peer that never reads make sendall raise TimeoutError."""
    network = MemoryNetwork(buffer_size=4)
    a, b = network.socketpair(socket.AF_INET)
    with a, b:
        a.settimeout(0.01)
        assert a.send(b"123456") == 4  # a short count: only what fits
        with pytest.raises(TimeoutError):
            a.sendall(b"more")
        a.settimeout(0)
        with pytest.raises(BlockingIOError):
            a.send(b"x")


def test_a_send_with_so_sndtimeo_returns_its_short_count_at_the_deadline() -> None:
    """With SO_SNDTIMEO, a blocking send that fills the buffer returns the short count when the
    time is up, as Linux's; then a send or a sendall that takes nothing raises EAGAIN."""
    network = MemoryNetwork(buffer_size=4)
    a, b = network.socketpair(socket.AF_INET)
    with a, b:
        a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, struct.pack("@ll", 0, 10_000))
        assert a.send(b"123456") == 4
        with pytest.raises(BlockingIOError) as caught:
            a.send(b"x")
        assert caught.value.errno == errno.EAGAIN
        assert b.recv(10) == b"1234"
        with pytest.raises(BlockingIOError) as caught:
            a.sendall(b"abcdef")
        assert caught.value.errno == errno.EAGAIN
        assert b.recv(10) == b"abcd"  # the part sendall took before it gave up


# Thread safety -----------------------------------------------------------------------------------


def test_a_reader_and_a_writer_thread_share_one_socket(memory_network: MemoryNetwork) -> None:
    """As in the server: one thread reads a socket while another writes it; nothing is lost."""
    server, client = memory_network.socketpair(socket.AF_INET)
    count = 200

    def server_reader() -> None:
        received = bytearray()
        while chunk := server.recv(64):
            received.extend(chunk)
        assert received == b"c" * count

    def server_writer() -> None:
        for _ in range(count):
            server.sendall(b"s")
        server.shutdown(socket.SHUT_WR)

    def client_side() -> None:
        for _ in range(count):
            client.sendall(b"c")
        client.shutdown(socket.SHUT_WR)
        received = bytearray()
        while chunk := client.recv(64):
            received.extend(chunk)
        assert received == b"s" * count

    with (
        server,
        client,
        serve_in_thread(server_reader),
        serve_in_thread(server_writer),
        serve_in_thread(client_side),
    ):
        pass  # all three run at once, joined at the end


def sends_until_refused(sock: MemorySocket, call: str, data: bytearray) -> OSError:
    """Send ``data`` with ``call`` until the socket refuses it; return the error."""
    for _ in range(3):  # the first send is taken; the peer's RST breaks a later one
        try:
            if call == "sendmsg":
                sock.sendmsg([data])
            else:
                getattr(sock, call)(data)
        except OSError as error:
            return error
    raise AssertionError(f"{call} was never refused")


@pytest.mark.parametrize("call", ["send", "sendall", "sendmsg"])
def test_a_send_that_raises_holds_no_view_of_the_buffer_while_its_error_lives(
    memory_network: MemoryNetwork, call: str
) -> None:
    """A real socket's send is a C call: the error it raises keeps no view of the caller's
    bytearray, which asyncio resizes while it still holds the error. The memory socket's
    frames in the traceback must not either."""
    client, server = memory_network.socketpair(socket.AF_INET)
    server.close()
    data = bytearray(b"x" * 10)
    error = sends_until_refused(client, call, data)
    try:
        data.clear()  # BufferError while a view of it is still exported
    finally:
        client.close()
    assert error.errno == errno.EPIPE
    assert data == bytearray()


def test_a_connection_holds_4_mib_in_flight_by_default(memory_network: MemoryNetwork) -> None:
    """By default one direction takes 4 MiB that its peer has not read (about what Linux's
    loopback buffers take, as the README says) before a send would block."""
    client, server_side = memory_network.socketpair(socket.AF_INET)
    with client, server_side:
        client.setblocking(False)
        taken = [client.send(bytes(1 << 20)) for _ in range(4)]
        with pytest.raises(BlockingIOError):
            client.send(b"x")
        assert sum(taken) == 4 << 20


@pytest.mark.parametrize(
    ("option", "floor"),
    # SOCK_MIN_RCVBUF and SOCK_MIN_SNDBUF of 64-bit Linux, which a loopback socket reads back
    [(socket.SO_RCVBUF, 2304), (socket.SO_SNDBUF, 4608)],
    ids=["SO_RCVBUF", "SO_SNDBUF"],
)
def test_a_buffer_size_below_linuxs_floor_reads_back_the_floor(
    memory_network: MemoryNetwork, option: int, floor: int
) -> None:
    """A buffer size whose double is below Linux's minimum reads back that minimum."""
    with memory_network.socket_factory() as sock:
        for asked in (0, 1, floor // 2 - 1):
            sock.setsockopt(socket.SOL_SOCKET, option, asked)
            assert sock.getsockopt(socket.SOL_SOCKET, option) == floor
        sock.setsockopt(socket.SOL_SOCKET, option, floor // 2 + 1)
        assert sock.getsockopt(socket.SOL_SOCKET, option) == floor + 2


@pytest.mark.skipif(not Path("/proc/sys/net/ipv4/tcp_rmem").exists(), reason="Linux's sysctls")
def test_a_fresh_socket_reads_the_hosts_tcp_rmem_and_tcp_wmem_defaults(
    memory_network: MemoryNetwork,
) -> None:
    """On Linux a fresh socket's SO_RCVBUF and SO_SNDBUF are the middle (default) figures of
    the host's tcp_rmem and tcp_wmem, as a real socket's are."""
    defaults = [
        int(Path(f"/proc/sys/net/ipv4/{name}").read_text().split()[1])
        for name in ("tcp_rmem", "tcp_wmem")
    ]
    with memory_network.socket_factory() as sock:
        assert [
            sock.getsockopt(socket.SOL_SOCKET, option)
            for option in (socket.SO_RCVBUF, socket.SO_SNDBUF)
        ] == defaults


def test_without_linux_sysctls_buffer_sizes_read_linuxs_stock_defaults(
    memory_network: MemoryNetwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where /proc/sys cannot be read (not Linux), a socket's buffer sizes are stock Linux's:
    tcp_rmem's default 131072 and tcp_wmem's 16384, fresh; a set size is doubled up to twice
    rmem_max/wmem_max's 212992."""
    monkeypatch.setattr(_linux, "_sysctl", lambda name, field, default: default)
    with memory_network.socket_factory() as sock:
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) == 131072
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) == 16384
        for option in (socket.SO_RCVBUF, socket.SO_SNDBUF):
            sock.setsockopt(socket.SOL_SOCKET, option, 10**9)
            assert sock.getsockopt(socket.SOL_SOCKET, option) == 2 * 212992


def test_a_send_refused_by_a_reset_lets_go_of_the_callers_buffer(
    memory_network: MemoryNetwork,
) -> None:
    """A bytearray whose send raised ConnectionResetError can be resized right after, as with
    a real socket: the raised error keeps no frame, and so no view of the buffer, alive (asyncio's
    send path resizes its buffer then). The collector is off, so no cycle is freed behind it."""
    client, server = memory_network.socketpair(socket.AF_INET)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    server.close()
    data = bytearray(b"reply")
    gc.disable()
    try:
        with pytest.raises(ConnectionResetError):
            client.send(data)
        data.clear()  # BufferError while a view of it is still exported
    finally:
        gc.enable()
        client.close()
    assert data == bytearray()


def test_option_defaults_without_proc_are_linux_s_stock_sysctls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where /proc/sys cannot be read, a fresh socket reads the defaults of a stock Linux: TTL
    64, keepalive after 7200 s every 75 s for 9 probes, 6 SYN retries, FIN timeout 60 s."""
    monkeypatch.setattr(_linux, "_sysctl", lambda name, field, default: default)
    expected = {
        (socket.IPPROTO_IP, socket.IP_TTL): 64,
        (socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS): 64,
        (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE): 7200,
        (socket.IPPROTO_TCP, socket.TCP_KEEPINTVL): 75,
        (socket.IPPROTO_TCP, socket.TCP_KEEPCNT): 9,
        (socket.IPPROTO_TCP, socket.TCP_SYNCNT): 6,
        (socket.IPPROTO_TCP, socket.TCP_LINGER2): 60,
        (socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT): 0,
    }
    with MemoryNetwork().socket_factory(socket.AF_INET6) as sock:
        assert {option: sock.getsockopt(*option) for option in expected} == expected


def _poll_bits(sock: MemorySocket) -> int:
    """``poll``'s bits for ``sock`` now: in, out, the two hang-ups and the error."""
    poller = select.poll()
    bits = select.POLLIN | select.POLLOUT | select.POLLRDHUP | select.POLLHUP | select.POLLERR
    poller.register(sock, bits)
    return dict(poller.poll(0)).get(sock.fileno(), 0)


def test_a_full_send_buffer_is_not_writable_after_shut_rd_and_writable_after_shut_rdwr() -> None:
    """With its send buffer full, a socket shut for reading shows POLLRDHUP and not POLLOUT
    (sends still wait, and it turns writable when the peer reads), and shut both ways POLLHUP
    and POLLOUT (sends fail at once), as on Linux."""
    network = MemoryNetwork(buffer_size=8)
    client, server = connected_pair(network)
    client.sendall(b"12345678")  # the buffer, full: the server has not read
    client.shutdown(socket.SHUT_RD)
    rdhup = select.POLLIN | select.POLLRDHUP
    assert _poll_bits(client) == rdhup
    assert server.recv(8) == b"12345678"
    assert _poll_bits(client) == rdhup | select.POLLOUT, "room again: writable"
    client.sendall(b"abcdefgh")
    assert _poll_bits(client) == rdhup, "full again"
    client.shutdown(socket.SHUT_RDWR)
    assert _poll_bits(client) == rdhup | select.POLLOUT | select.POLLHUP
    assert server.recv(8) == b"abcdefgh"
    network.close_all()


def test_a_reset_of_a_socket_with_a_full_send_buffer_shows_every_end_and_writable() -> None:
    """A reset that comes while the send buffer is full: POLLERR and POLLHUP, and POLLOUT (the
    bytes in flight are gone), as on Linux."""
    network = MemoryNetwork(buffer_size=8)
    client, server = connected_pair(network)
    client.sendall(b"12345678")
    assert _poll_bits(client) == 0
    server.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    server.close()
    ends = select.POLLIN | select.POLLRDHUP | select.POLLHUP
    assert _poll_bits(client) == ends | select.POLLOUT | select.POLLERR
    network.close_all()


def test_option_defaults_come_from_the_sysctls_where_proc_has_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A machine's sysctls decide a fresh socket's TTL and keepalive, as Linux's do: each file
    holds one number, which the socket reads back."""
    files = {"net/ipv4/ip_default_ttl": "100\n", "net/ipv4/tcp_keepalive_time": "600\n"}
    monkeypatch.setattr(
        _linux, "_sysctl", lambda name, field, default: int(files[name].split()[field])
    )
    with MemoryNetwork().socket_factory() as sock:
        assert sock.getsockopt(socket.IPPROTO_IP, socket.IP_TTL) == 100
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == 600


def test_a_memory_socketpair_reads_its_family_and_protocol_as_an_af_unix_pair_does() -> None:
    """SO_DOMAIN and SO_PROTOCOL of the default memory pair are AF_UNIX's: 1 and 0, as those
    of ``socket.socketpair()`` on Linux."""
    pair = MemoryNetwork().socketpair()
    for sock in pair:
        with sock:
            assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_DOMAIN) == socket.AF_UNIX
            assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_PROTOCOL) == 0
