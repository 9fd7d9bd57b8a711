"""The socket contract: one set of checks that a real socket passes, and so must a fake.

A fake socket is only worth its speed if it behaves like the real thing where your code can
tell. Each check here is a plain function that takes a socket factory (``factory(family, type)``,
the same hook :class:`~game.Server` and :class:`~game.Client` take), makes its own sockets on
``127.0.0.1``, and raises :class:`AssertionError` when the behaviour differs from a TCP socket on
Linux. Run the same checks on :class:`socket.socket` over loopback and on your fake: a fake that
passes them all is a *verified* fake. It is trio's ``check_two_way_stream`` idea, for the plain
blocking socket API::

    @pytest.mark.parametrize("check", CHECKS, ids=check_id)
    def test_contract(check):
        network = MemoryNetwork()
        check(network.socket_factory)
        network.assert_all_closed()

Rules of this module:

1. A check cleans up after itself, pass or fail: every socket it made is closed and every thread
   it started is joined within :data:`JOIN_DEADLINE` (a thread still alive fails the check).
2. A check never hangs: every socket it makes gets a timeout of :data:`TIMEOUT` seconds, so a
   fake that forgets to wake a call fails with a message instead of stalling the suite.
3. A check asserts only what Linux guarantees on loopback, never the timing or the exact way
   bytes are split, so it passes on a loaded machine and fails on a fake that is wrong.
4. No dependency beyond the standard library: not even pytest.
"""

from __future__ import annotations

import errno
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from functools import partial
from types import TracebackType
from typing import Any, Protocol

from game.sockets import SocketLike

__all__ = [
    "CHECKS",
    "HOST",
    "JOIN_DEADLINE",
    "TIMEOUT",
    "Check",
    "StreamSocket",
    "StreamSocketFactory",
    "check_id",
    "check_socket_contract",
    # the checks, in the order CHECKS runs them
    "check_bind_port_zero_assigns_a_port",
    "check_bind_address_in_use_fails",
    "check_connect_refused_where_nothing_listens",
    "check_accept_returns_connected_socket",
    "check_bytes_arrive_in_order",
    "check_recv_returns_at_most_bufsize",
    "check_big_send_arrives_complete",
    "check_blocked_recv_wakes_on_data",
    "check_eof_after_peer_close",
    "check_eof_after_peer_shut_wr_other_direction_works",
    "check_own_shut_rd_gives_eof",
    "check_send_after_shut_wr_raises_broken_pipe",
    "check_send_to_closed_peer_fails",
    "check_close_with_unread_data_resets_peer",
    "check_recv_timeout_raises_timeout_error",
    "check_accept_timeout_raises_timeout_error",
    "check_zero_timeout_never_blocks",
    "check_use_after_close_raises_ebadf",
    "check_unconnected_socket_raises_enotconn",
    "check_shutdown_wakes_blocked_recv",
    "check_shutdown_wakes_blocked_accept",
    "check_context_manager_closes",
]

HOST = "127.0.0.1"
"""Where every check binds and connects."""

TIMEOUT = 2.0
"""The timeout every socket a check makes gets: a broken fake fails within it, never hangs."""

SHORT = 0.02
"""The timeout of the checks that expect a timeout, and how long a check lets a thread block."""

JOIN_DEADLINE = 2.0
"""Seconds a check waits for each thread it started; a thread still alive fails the check."""


class StreamSocket(SocketLike, Protocol):
    """What the checks call: :class:`~game.sockets.SocketLike` plus ``send``, ``gettimeout``
    and ``getpeername``. :class:`socket.socket` and ``MemorySocket`` both are one."""

    def __enter__(self) -> Any: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
        /,
    ) -> Any: ...
    def accept(self) -> tuple[StreamSocket, Any]: ...
    def send(self, data: bytes, /) -> int: ...
    def gettimeout(self) -> float | None: ...
    def getpeername(self) -> Any: ...


class StreamSocketFactory(Protocol):
    """Makes a :class:`StreamSocket`, called as ``factory(family, socket.SOCK_STREAM)``."""

    def __call__(self, family: int, type: int, /) -> StreamSocket: ...


Check = Callable[[StreamSocketFactory], None]
"""A contract check: takes a factory; returns if its sockets behave, else raises AssertionError."""


class _Result:
    """What a function run in a helper thread returned or raised."""

    def __init__(self) -> None:
        self.value: object = None
        self.error: BaseException | None = None


class _Harness:
    """Makes a check's sockets and threads, and cleans up after it whatever happens."""

    def __init__(self, factory: StreamSocketFactory, name: str) -> None:
        self.factory = factory
        self.name = name
        self.sockets: list[StreamSocket] = []
        self.threads: list[threading.Thread] = []

    def socket(self) -> StreamSocket:
        sock = self.factory(socket.AF_INET, socket.SOCK_STREAM)
        self.sockets.append(sock)
        sock.settimeout(TIMEOUT)
        return sock

    def listener(self) -> tuple[StreamSocket, tuple[str, int]]:
        sock = self.socket()
        sock.bind((HOST, 0))
        sock.listen(8)
        host, port = sock.getsockname()[:2]
        return sock, (host, port)

    def pair(self) -> tuple[StreamSocket, StreamSocket]:
        """A connected (client, server) pair; the listener is closed at once."""
        listener, address = self.listener()
        client = self.socket()
        client.connect(address)
        server, _ = listener.accept()
        self.sockets.append(server)
        server.settimeout(TIMEOUT)
        listener.close()
        return client, server

    def thread(self, target: Callable[[], object], role: str) -> tuple[threading.Thread, _Result]:
        result = _Result()

        def run() -> None:
            try:
                result.value = target()
            except BaseException as error:  # reported by the check that reads the result
                result.error = error

        thread = threading.Thread(target=run, name=f"contract-{self.name}-{role}", daemon=True)
        self.threads.append(thread)
        thread.start()
        return thread, result

    def join(self, thread: threading.Thread) -> None:
        thread.join(JOIN_DEADLINE)
        if thread.is_alive():
            raise AssertionError(f"thread {thread.name} did not exit within {JOIN_DEADLINE} s")

    def cleanup(self) -> None:
        for sock in reversed(self.sockets):
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes a thread still blocked on it
            sock.close()
        for thread in self.threads:
            self.join(thread)


@contextmanager
def _harness(factory: StreamSocketFactory, name: str) -> Iterator[_Harness]:
    harness = _Harness(factory, name)
    try:
        yield harness
    finally:
        harness.cleanup()


def _expect(kind: type[BaseException], call: Callable[[], object], what: str) -> BaseException:
    """Call ``call``; fail unless it raises ``kind``. Returns the exception."""
    try:
        value = call()
    except kind as error:
        return error
    except Exception as error:
        raise AssertionError(f"{what}: expected {kind.__name__}, got {error!r}") from error
    raise AssertionError(f"{what}: expected {kind.__name__}, but it returned {value!r}")


def _expect_errno(code: int, call: Callable[[], object], what: str) -> None:
    error = _expect(OSError, call, what)
    assert isinstance(error, OSError)
    assert error.errno == code, f"{what}: expected errno {errno.errorcode[code]}, got {error!r}"


def _recv(sock: StreamSocket, bufsize: int, what: str) -> bytes:
    """``recv`` that turns a timeout into a failure that says what was awaited."""
    try:
        data = sock.recv(bufsize)
    except TimeoutError:
        raise AssertionError(f"{what}: recv timed out after {sock.gettimeout()} s") from None
    assert len(data) <= bufsize, f"{what}: recv({bufsize}) returned {len(data)} bytes"
    return data


def _recv_exactly(sock: StreamSocket, size: int, what: str, bufsize: int = 4096) -> bytes:
    chunks: list[bytes] = []
    received = 0
    while received < size:
        data = _recv(sock, min(bufsize, size - received), what)
        assert data, f"{what}: EOF after {received} of {size} bytes"
        chunks.append(data)
        received += len(data)
    return b"".join(chunks)


def _expect_eof(sock: StreamSocket, what: str) -> None:
    data = _recv(sock, 1024, what)
    assert data == b"", f"{what}: expected EOF (b''), got {data!r}"


def _wait_until_blocked() -> None:
    """Give a helper thread time to enter its blocking call. The check passes either way;
    this only makes it likely that it tests a *blocked* call being woken."""
    time.sleep(SHORT)


# The checks ------------------------------------------------------------------------------------


def check_bind_port_zero_assigns_a_port(factory: StreamSocketFactory) -> None:
    """``bind((host, 0))`` picks a real port, which ``getsockname()`` reports."""
    with _harness(factory, "bind_port_zero") as h:
        sock = h.socket()
        assert sock.getsockname()[1] == 0, "an unbound socket's port should be 0"
        sock.bind((HOST, 0))
        host, port = sock.getsockname()[:2]
        assert host == HOST, f"bound to {HOST}, getsockname() says {host!r}"
        assert 0 < port < 65536, f"bind to port 0 gave port {port!r}"


def check_bind_address_in_use_fails(factory: StreamSocketFactory) -> None:
    """Binding the address a listener holds raises ``EADDRINUSE``, even with SO_REUSEADDR."""
    with _harness(factory, "bind_in_use") as h:
        _, address = h.listener()
        second = h.socket()
        second.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        _expect_errno(errno.EADDRINUSE, lambda: second.bind(address), "bind to a used address")


def check_connect_refused_where_nothing_listens(factory: StreamSocketFactory) -> None:
    """``connect`` to a bound port with no listener raises ConnectionRefusedError."""
    with _harness(factory, "refused") as h:
        bound = h.socket()
        bound.bind((HOST, 0))  # holds the port so nothing else can listen there
        client = h.socket()
        _expect(
            ConnectionRefusedError,
            lambda: client.connect(bound.getsockname()),
            "connect where nothing listens",
        )


def check_accept_returns_connected_socket(factory: StreamSocketFactory) -> None:
    """``accept`` returns a connected socket and the client's address; both ends agree on the
    addresses; the accepted socket blocks (timeout ``None``) whatever the listener's timeout."""
    with _harness(factory, "accept") as h:
        listener, address = h.listener()
        client = h.socket()
        client.connect(address)
        server, peer = listener.accept()
        h.sockets.append(server)
        assert peer[:2] == client.getsockname()[:2], (
            f"accept() says the peer is {peer!r}, the client is {client.getsockname()!r}"
        )
        assert server.getpeername()[:2] == client.getsockname()[:2]
        assert client.getpeername()[:2] == address
        assert server.getsockname()[:2] == address
        assert server.gettimeout() is None, (
            f"an accepted socket should block, its timeout is {server.gettimeout()!r}"
        )
        server.settimeout(TIMEOUT)
        client.sendall(b"ping")
        assert _recv_exactly(server, 4, "accepted socket") == b"ping"


def check_bytes_arrive_in_order(factory: StreamSocketFactory) -> None:
    """Many small sends arrive complete and in order, in both directions."""
    with _harness(factory, "order") as h:
        client, server = h.pair()
        messages = [f"message {i}\n".encode() for i in range(50)]
        expected = b"".join(messages)
        for sender, receiver in ((client, server), (server, client)):
            for message in messages:
                sender.sendall(message)
            received = _recv_exactly(receiver, len(expected), "ordered bytes", bufsize=100)
            assert received == expected, "bytes arrived out of order or changed"


def check_recv_returns_at_most_bufsize(factory: StreamSocketFactory) -> None:
    """``recv(n)`` never returns more than ``n`` bytes, and what it leaves stays for the next."""
    with _harness(factory, "partial_reads") as h:
        client, server = h.pair()
        client.sendall(b"abcdefghij" * 10)
        assert _recv(server, 1, "recv(1)") == b"a"
        assert _recv(server, 3, "recv(3)") == b"bcd"
        rest = _recv_exactly(server, 96, "the rest", bufsize=7)
        assert rest == (b"abcdefghij" * 10)[4:]


def check_big_send_arrives_complete(factory: StreamSocketFactory) -> None:
    """A ``sendall`` far bigger than any ``recv`` arrives complete, across many reads."""
    data = bytes(range(256)) * 1024  # 256 KiB: may exceed the kernel's buffers, so a thread
    with _harness(factory, "big_send") as h:
        client, server = h.pair()
        thread, result = h.thread(lambda: client.sendall(data), "sender")
        received = _recv_exactly(server, len(data), "big send", bufsize=65536)
        h.join(thread)
        assert result.error is None, f"sendall failed: {result.error!r}"
        assert received == data, "a big send arrived changed"


def check_blocked_recv_wakes_on_data(factory: StreamSocketFactory) -> None:
    """A ``recv`` blocked in another thread returns the data as soon as it is sent."""
    with _harness(factory, "wake_on_data") as h:
        client, server = h.pair()
        thread, result = h.thread(lambda: server.recv(100), "reader")
        _wait_until_blocked()
        client.sendall(b"hello")
        h.join(thread)
        assert result.error is None, f"blocked recv failed: {result.error!r}"
        assert result.value == b"hello", f"blocked recv returned {result.value!r}"


def check_eof_after_peer_close(factory: StreamSocketFactory) -> None:
    """After the peer closes, ``recv`` returns what it sent, then ``b""``, and ``b""`` again."""
    with _harness(factory, "eof_after_close") as h:
        client, server = h.pair()
        client.sendall(b"last words")
        client.close()
        assert _recv_exactly(server, 10, "data before close") == b"last words"
        _expect_eof(server, "recv after the peer closed")
        _expect_eof(server, "a second recv after the peer closed")


def check_eof_after_peer_shut_wr_other_direction_works(factory: StreamSocketFactory) -> None:
    """Half-close: after the peer's ``shutdown(SHUT_WR)`` this side reads EOF, and can still
    send to the peer, which can still read."""
    with _harness(factory, "half_close") as h:
        client, server = h.pair()
        client.sendall(b"request")
        client.shutdown(socket.SHUT_WR)
        assert _recv_exactly(server, 7, "data before SHUT_WR") == b"request"
        _expect_eof(server, "recv after the peer's SHUT_WR")
        server.sendall(b"response")
        assert _recv_exactly(client, 8, "the other direction after SHUT_WR") == b"response"
        server.close()
        _expect_eof(client, "recv after the peer closed")


def check_own_shut_rd_gives_eof(factory: StreamSocketFactory) -> None:
    """After this socket's ``shutdown(SHUT_RD)``, ``recv`` with nothing pending returns ``b""``
    at once, and sending still works."""
    with _harness(factory, "shut_rd") as h:
        client, server = h.pair()
        server.shutdown(socket.SHUT_RD)
        _expect_eof(server, "recv after own SHUT_RD")
        server.sendall(b"still sending")
        assert _recv_exactly(client, 13, "send after own SHUT_RD") == b"still sending"


def check_send_after_shut_wr_raises_broken_pipe(factory: StreamSocketFactory) -> None:
    """After this socket's ``shutdown(SHUT_WR)``, ``send`` raises BrokenPipeError."""
    with _harness(factory, "send_after_shut_wr") as h:
        client, _ = h.pair()
        client.shutdown(socket.SHUT_WR)
        _expect(BrokenPipeError, lambda: client.send(b"x"), "send after own SHUT_WR")
        _expect(BrokenPipeError, lambda: client.sendall(b"x"), "sendall after own SHUT_WR")


def check_send_to_closed_peer_fails(factory: StreamSocketFactory) -> None:
    """Sending to a peer that closed fails with BrokenPipeError or ConnectionResetError within a
    few sends (Linux takes the first one, then learns of the close)."""
    with _harness(factory, "send_to_closed_peer") as h:
        client, server = h.pair()
        server.close()
        for _ in range(20):
            try:
                client.send(b"x")
            except (BrokenPipeError, ConnectionResetError):
                return
            time.sleep(SHORT / 4)
        raise AssertionError("send to a closed peer kept succeeding")


def check_close_with_unread_data_resets_peer(factory: StreamSocketFactory) -> None:
    """Closing with unread data resets the connection: the peer first reads what was sent to it,
    then gets ConnectionResetError, then EOF."""
    with _harness(factory, "close_unread") as h:
        client, server = h.pair()
        server.sendall(b"goodbye")
        client.sendall(b"never read")
        _ = _recv_exactly(server, 1, "a byte, so the rest has surely arrived")
        server.close()
        assert _recv_exactly(client, 7, "data sent before the reset") == b"goodbye"
        _expect(ConnectionResetError, lambda: client.recv(100), "recv after the peer's reset")
        _expect_eof(client, "recv after the reset was reported")


def check_recv_timeout_raises_timeout_error(factory: StreamSocketFactory) -> None:
    """With a timeout and no data, ``recv`` raises TimeoutError after about that long; the
    socket still works afterwards."""
    with _harness(factory, "recv_timeout") as h:
        client, server = h.pair()
        server.settimeout(SHORT)
        started = time.monotonic()
        _expect(TimeoutError, lambda: server.recv(100), "recv with a timeout and no data")
        waited = time.monotonic() - started
        assert waited >= SHORT * 0.5, f"timed out after {waited:.3f} s, not {SHORT} s"
        server.settimeout(TIMEOUT)
        client.sendall(b"late")
        assert _recv_exactly(server, 4, "recv after a timeout") == b"late"


def check_accept_timeout_raises_timeout_error(factory: StreamSocketFactory) -> None:
    """With a timeout and no connection, ``accept`` raises TimeoutError."""
    with _harness(factory, "accept_timeout") as h:
        listener, _ = h.listener()
        listener.settimeout(SHORT)
        _expect(TimeoutError, listener.accept, "accept with a timeout and no connection")


def check_zero_timeout_never_blocks(factory: StreamSocketFactory) -> None:
    """With timeout 0, ``recv`` and ``accept`` that would block raise BlockingIOError."""
    with _harness(factory, "zero_timeout") as h:
        client, server = h.pair()
        server.settimeout(0)
        _expect(BlockingIOError, lambda: server.recv(10), "recv with timeout 0 and no data")
        listener, _ = h.listener()
        listener.settimeout(0)
        _expect(BlockingIOError, listener.accept, "accept with timeout 0 and no connection")
        client.sendall(b"now")
        server.settimeout(TIMEOUT)
        assert _recv_exactly(server, 3, "recv once data is there") == b"now"


def check_use_after_close_raises_ebadf(factory: StreamSocketFactory) -> None:
    """After ``close``, every call raises OSError ``EBADF``; a second ``close`` is harmless."""
    with _harness(factory, "use_after_close") as h:
        client, _ = h.pair()
        client.close()
        client.close()
        calls: dict[str, Callable[[], object]] = {
            "recv": lambda: client.recv(1),
            "send": lambda: client.send(b"x"),
            "sendall": lambda: client.sendall(b"x"),
            "getsockname": client.getsockname,
            "settimeout": lambda: client.settimeout(1.0),
            "shutdown": lambda: client.shutdown(socket.SHUT_RDWR),
        }
        for name, call in calls.items():
            _expect_errno(errno.EBADF, call, f"{name} after close")


def check_unconnected_socket_raises_enotconn(factory: StreamSocketFactory) -> None:
    """On a socket never connected, ``shutdown``, ``recv`` and ``getpeername`` raise
    ``ENOTCONN``."""
    with _harness(factory, "not_connected") as h:
        # A fresh socket for each call: on Linux a failed shutdown still marks the socket shut.
        calls: dict[str, Callable[[StreamSocket], object]] = {
            "shutdown": lambda sock: sock.shutdown(socket.SHUT_RDWR),
            "recv": lambda sock: sock.recv(1),
            "getpeername": lambda sock: sock.getpeername(),
        }
        for name, call in calls.items():
            _expect_errno(
                errno.ENOTCONN, partial(call, h.socket()), f"{name} on an unconnected socket"
            )


def check_shutdown_wakes_blocked_recv(factory: StreamSocketFactory) -> None:
    """``shutdown(SHUT_RDWR)`` from another thread wakes a ``recv`` blocked with no timeout,
    which returns ``b""``: how the server stops its reader threads."""
    with _harness(factory, "shutdown_wakes_recv") as h:
        _, server = h.pair()
        server.settimeout(None)
        thread, result = h.thread(lambda: server.recv(100), "reader")
        _wait_until_blocked()
        server.shutdown(socket.SHUT_RDWR)
        h.join(thread)
        assert result.error is None, f"the woken recv raised {result.error!r}"
        assert result.value == b"", f"the woken recv returned {result.value!r}, not b''"


def check_shutdown_wakes_blocked_accept(factory: StreamSocketFactory) -> None:
    """``shutdown(SHUT_RDWR)`` from another thread wakes an ``accept`` blocked with no timeout,
    which raises OSError: how the server stops its accept loop."""
    with _harness(factory, "shutdown_wakes_accept") as h:
        listener, _ = h.listener()
        listener.settimeout(None)
        thread, result = h.thread(listener.accept, "acceptor")
        _wait_until_blocked()
        listener.shutdown(socket.SHUT_RDWR)
        h.join(thread)
        assert isinstance(result.error, OSError), (
            f"the woken accept should raise OSError; it gave {result.error or result.value!r}"
        )


def check_context_manager_closes(factory: StreamSocketFactory) -> None:
    """``with sock:`` closes the socket on exit: the peer sees EOF."""
    with _harness(factory, "context_manager") as h:
        client, server = h.pair()
        with client:
            client.sendall(b"bye")
        _expect_errno(errno.EBADF, client.getsockname, "getsockname after the with block")
        assert _recv_exactly(server, 3, "data sent in the with block") == b"bye"
        _expect_eof(server, "recv after the with block closed the peer")


CHECKS: tuple[Check, ...] = (
    check_bind_port_zero_assigns_a_port,
    check_bind_address_in_use_fails,
    check_connect_refused_where_nothing_listens,
    check_accept_returns_connected_socket,
    check_bytes_arrive_in_order,
    check_recv_returns_at_most_bufsize,
    check_big_send_arrives_complete,
    check_blocked_recv_wakes_on_data,
    check_eof_after_peer_close,
    check_eof_after_peer_shut_wr_other_direction_works,
    check_own_shut_rd_gives_eof,
    check_send_after_shut_wr_raises_broken_pipe,
    check_send_to_closed_peer_fails,
    check_close_with_unread_data_resets_peer,
    check_recv_timeout_raises_timeout_error,
    check_accept_timeout_raises_timeout_error,
    check_zero_timeout_never_blocks,
    check_use_after_close_raises_ebadf,
    check_unconnected_socket_raises_enotconn,
    check_shutdown_wakes_blocked_recv,
    check_shutdown_wakes_blocked_accept,
    check_context_manager_closes,
)
"""Every check of the contract, in a stable order."""


def check_id(check: Check) -> str:
    """A check's short name for test ids: ``check_eof_after_peer_close`` gives
    ``eof_after_peer_close``.

    Use it as ``pytest.mark.parametrize(..., ids=check_id)``.
    """
    name = getattr(check, "__name__", repr(check))
    return name.removeprefix("check_")


def check_socket_contract(
    factory: Callable[[], StreamSocketFactory], checks: tuple[Check, ...] = CHECKS
) -> None:
    """Run every check, each on a fresh factory, and stop at the first that fails.

    One call for a quick verdict on a fake; a test suite should rather parametrize over
    :data:`CHECKS` so that each check is its own test with its own id.

    Args:
        factory: called once per check to make a fresh socket factory (for an in-memory fake, a
            fresh network, so one check's leftovers cannot hide another's failure).
        checks: the checks to run.

    Raises:
        AssertionError: the first check that failed, named in the message.
    """
    for check in checks:
        try:
            check(factory())
        except AssertionError as error:
            raise AssertionError(f"socket contract, {check_id(check)}: {error}") from error
