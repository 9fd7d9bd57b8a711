"""The server's socket lifecycle, checked through an injected, autospecced mock factory.

No real socket is opened here: the factory hands the server a ``create_autospec`` of
:class:`socket.socket`, so a misspelled socket method fails the test. (Most socket methods are
written in C with no signature autospec can read, so it does not check their arguments: the
assertions on each call's arguments do. ``sockettest.mock_sockets`` restates the
signatures and checks both.)
"""

import errno
import socket
import threading
import time
from unittest.mock import Mock, call

import pytest
from pytest_mock import MockerFixture
from pytest_socket import SocketBlockedError

from game import ListenFailed, Server, ServerClosed
from sockettest import run_in_thread
from tests.deadline import DEADLINE
from tests.stacks import waiting_in


def listener_factory(mocker: MockerFixture) -> tuple[Mock, Mock, Mock]:
    """An autospecced socket class (the factory), its instance, and one parent recording both."""
    factory = mocker.create_autospec(socket.socket)
    listener = factory.return_value
    listener.getsockname.return_value = ("127.0.0.1", 7777)
    parent = mocker.Mock()
    parent.attach_mock(factory, "socket_factory")
    return factory, listener, parent


def stop_on_accept(server: Server, listener: Mock) -> None:
    """Make ``accept`` behave as a real one does when the server is shut down meanwhile."""

    def accept() -> None:
        server.shutdown()
        raise OSError(errno.EINVAL, "Invalid argument")

    listener.accept.side_effect = accept


def accepted_socket(mocker: MockerFixture) -> Mock:
    """An autospecced connection whose ``send`` the kernel takes whole, as it does on an idle
    connection: what the server sends is then what ``send`` was called with, in order."""
    conn = mocker.create_autospec(socket.socket, instance=True)
    conn.send.side_effect = lambda data, flags=0: len(data)
    return conn


def sent_to(conn: Mock) -> bytes:
    """Every byte the server handed ``conn``'s ``send``, in order."""
    return b"".join(c.args[0] for c in conn.send.call_args_list)


def names(parent: Mock) -> list[str]:
    """The method names in ``parent``'s calls, in order: ``socket_factory().bind`` -> ``bind``."""
    return [name.rsplit(".", 1)[-1] for name, _, _ in parent.mock_calls]


def test_server_makes_sets_binds_listens_then_accepts_in_that_order(
    mocker: MockerFixture,
) -> None:
    """factory -> setsockopt -> bind -> listen -> accept, with the configured address."""
    factory, listener, parent = listener_factory(mocker)
    server = Server("127.0.0.1", 7777, socket_factory=factory)
    stop_on_accept(server, listener)

    server.start_listening()

    assert parent.mock_calls[:5] == [
        call.socket_factory(socket.AF_INET, socket.SOCK_STREAM),
        call.socket_factory().setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1),
        call.socket_factory().bind(("127.0.0.1", 7777)),
        call.socket_factory().listen(socket.SOMAXCONN),
        call.socket_factory().getsockname(),
    ]
    assert names(parent)[5] == "accept"


@pytest.mark.parametrize(
    ("host", "family"),
    [("::1", socket.AF_INET6), ("127.0.0.1", socket.AF_INET), ("", socket.AF_INET)],
)
def test_server_picks_the_family_from_the_host_without_dns(
    mocker: MockerFixture, host: str, family: socket.AddressFamily
) -> None:
    """An IPv6 literal gets an IPv6 socket; '' (every interface) stays possible when asked for."""
    factory, listener, _ = listener_factory(mocker)
    server = Server(host, 0, socket_factory=factory)
    stop_on_accept(server, listener)
    server.start_listening()
    factory.assert_called_once_with(family, socket.SOCK_STREAM)
    listener.bind.assert_called_once_with((host, 0))


def test_bind_failure_closes_the_socket_and_names_the_address(mocker: MockerFixture) -> None:
    """The error is the package's, says which address, and leaves no socket open."""
    factory, listener, _ = listener_factory(mocker)
    listener.bind.side_effect = OSError(errno.EADDRINUSE, "Address already in use")
    server = Server("127.0.0.1", 7777, socket_factory=factory)

    with pytest.raises(ListenFailed, match=r"127\.0\.0\.1:7777: Address already in use"):
        server.start_listening()

    listener.close.assert_called_once_with()
    listener.listen.assert_not_called()
    with pytest.raises(ListenFailed):  # and a waiting test hears of it at once
        server.wait_until_listening(timeout=0)


def test_shutdown_closes_the_listener(mocker: MockerFixture) -> None:
    """shutdown() wakes accept (shutdown, then close) and the listener ends up closed."""
    factory, listener, _ = listener_factory(mocker)
    server = Server(port=0, socket_factory=factory)
    stop_on_accept(server, listener)
    server.start_listening()
    listener.shutdown.assert_called_with(socket.SHUT_RDWR)
    listener.close.assert_called_with()


def test_shutdown_before_start_means_start_returns_at_once(mocker: MockerFixture) -> None:
    """No socket is even made; waiting for the address says why there is none."""
    factory, _, _ = listener_factory(mocker)
    server = Server(port=0, socket_factory=factory)
    run_in_thread(
        server.shutdown, timeout=DEADLINE
    )()  # nothing to join: returns at once, or fails, never hangs
    run_in_thread(server.shutdown, timeout=DEADLINE)()  # idempotent
    server.start_listening()
    factory.assert_not_called()
    with pytest.raises(ServerClosed, match=r"was shut down before it listened$"):
        server.wait_until_listening(timeout=0)


def test_wait_until_listening_times_out_instead_of_hanging() -> None:
    """A server that never started gives TimeoutError after the given time."""
    with pytest.raises(TimeoutError, match=r"not listening after 0\.01 s"):
        Server(port=0).wait_until_listening(timeout=0.01)


def test_wait_until_listening_with_timeout_0_only_looks(mocker: MockerFixture) -> None:
    """``timeout=0`` asks whether the server listens now: it waits no time at all before the
    TimeoutError (the readiness signal is asked with 0, not some small bound)."""
    server = Server(port=0)
    ready_wait = mocker.spy(server._ready, "wait")
    with pytest.raises(TimeoutError, match=r"not listening after 0 s"):
        server.wait_until_listening(timeout=0)
    ready_wait.assert_called_once_with(0.0)


def test_accepted_connections_are_served_in_their_own_thread(mocker: MockerFixture) -> None:
    """Each accepted socket goes to handle_client in a new thread, joined before returning."""
    factory, listener, _ = listener_factory(mocker)
    conn = accepted_socket(mocker)
    reading = threading.Event()

    def recv(size: int) -> bytes:
        reading.set()  # the banner is queued before the first read
        return b""  # and the client hangs up at once

    conn.recv.side_effect = recv
    server = Server(port=0, socket_factory=factory)
    accepts = iter([(conn, ("127.0.0.1", 50000))])

    def accept() -> tuple[Mock, tuple[str, int]]:
        for accepted in accepts:
            return accepted
        assert reading.wait(DEADLINE), "the connection was never served"
        server.shutdown()
        raise OSError(errno.EINVAL, "Invalid argument")

    listener.accept.side_effect = accept
    server.start_listening()

    assert sent_to(conn) == b"GAME tictactoe 1\n"
    conn.close.assert_called_once_with()
    assert not [t for t in threading.enumerate() if t.name.startswith("game-client")]


def test_handle_client_answers_lines_and_closes_at_eof(mocker: MockerFixture) -> None:
    """Banner first, then one reply a line, in order; the socket is closed after EOF."""
    conn = accepted_socket(mocker)
    conn.recv.side_effect = [b"PING one\nPI", b"NG two\n", b""]
    Server(port=0).handle_client(conn)
    sent = sent_to(conn)
    assert sent == b"GAME tictactoe 1\nPONG one\nPONG two\n"
    conn.close.assert_called_once_with()


def test_a_line_over_the_limit_gets_an_error_and_a_close_without_bye(
    mocker: MockerFixture,
) -> None:
    """512 bytes without a newline: ERROR, then the connection is shut, with no BYE."""
    conn = accepted_socket(mocker)
    conn.recv.side_effect = [b"x" * 600, b""]
    Server(port=0).handle_client(conn)
    sent = sent_to(conn)
    assert sent == b"GAME tictactoe 1\nERROR line longer than 512 bytes\n"
    conn.shutdown.assert_any_call(socket.SHUT_WR)
    conn.close.assert_called_once_with()


def test_the_default_factory_is_looked_up_when_the_server_starts() -> None:
    """With factory None, the server calls socket.socket as it is *then*: pytest-socket's guard
    sees it, so this unit test cannot open a real socket even by accident."""
    server = Server(port=0)
    with pytest.warns(UserWarning, match="socket"), pytest.raises(SocketBlockedError):
        server.start_listening()


def test_shutdown_from_a_handler_thread_does_not_join_itself(mocker: MockerFixture) -> None:
    """A handler may call shutdown(): it returns without deadlock, and start_listening then
    joins that handler and returns."""
    factory, listener, _ = listener_factory(mocker)
    conn = accepted_socket(mocker)
    server = Server(port=0, socket_factory=factory)
    stopped = threading.Event()

    def recv(size: int) -> bytes:
        server.shutdown()  # in the handler's own thread
        stopped.set()
        return b""

    conn.recv.side_effect = recv
    accepts = iter([(conn, ("127.0.0.1", 50000))])

    def accept() -> tuple[Mock, tuple[str, int]]:
        for accepted in accepts:
            return accepted
        assert stopped.wait(DEADLINE), "the handler never called shutdown()"
        raise OSError(errno.EBADF, "Bad file descriptor")  # what a closed listener raises

    listener.accept.side_effect = accept
    server.start_listening()

    assert stopped.is_set()
    conn.close.assert_called_once_with()
    assert not [t for t in threading.enumerate() if t.name.startswith("game-client")]


def test_a_send_that_fails_ends_that_connection(mocker: MockerFixture) -> None:
    """A reset or broken pipe while sending is the end of that connection: both directions
    are shut, the handler returns, the socket is closed (never a writer retrying forever)."""
    conn = accepted_socket(mocker)
    conn.send.side_effect = BrokenPipeError(errno.EPIPE, "Broken pipe")
    conn.recv.side_effect = [b"PING a\n", b""]
    handler = threading.Thread(target=Server(port=0).handle_client, args=(conn,))
    handler.start()
    handler.join(DEADLINE)
    assert not handler.is_alive(), "the handler kept going after its sends failed"
    conn.shutdown.assert_any_call(socket.SHUT_RDWR)
    conn.close.assert_called_once_with()


def test_a_factory_with_no_socket_to_give_is_a_listen_failure_that_says_why(
    mocker: MockerFixture,
) -> None:
    """The factory's own reason is the message, even for an OSError with no errno."""
    factory = mocker.create_autospec(socket.socket, side_effect=OSError("no sockets left"))
    with pytest.raises(ListenFailed, match=r"cannot listen on 127\.0\.0\.1:7777: no sockets left"):
        Server("127.0.0.1", 7777, socket_factory=factory).start_listening()


@pytest.mark.parametrize(
    "error",
    [
        OSError(errno.EMFILE, "Too many open files"),
        OSError(errno.ENOBUFS, "No buffer space available"),
        ConnectionAbortedError(errno.ECONNABORTED, "Software caused connection abort"),
    ],
    ids=["EMFILE", "ENOBUFS", "ECONNABORTED"],
)
def test_an_accept_that_fails_for_one_connection_or_a_passing_shortage_is_survived(
    mocker: MockerFixture, caplog: pytest.LogCaptureFixture, error: OSError
) -> None:
    """Out of descriptors, or a connection reset before it was accepted: the server logs it,
    lets a tenth of a second pass (or less, if shutdown() comes), and goes on accepting; only
    shutdown() ends the loop."""
    factory, listener, _ = listener_factory(mocker)
    server = Server(port=0, socket_factory=factory)
    # The pause is asked for, not waited out: a wait that times out returns False.
    pause = mocker.patch.object(server._stopping, "wait", autospec=True, return_value=False)
    failures = iter([error])

    def accept() -> None:
        for failure in failures:
            raise failure
        server.shutdown()
        raise OSError(errno.EINVAL, "Invalid argument")

    listener.accept.side_effect = accept
    server.start_listening()  # returns, rather than raising the first error
    assert listener.accept.call_count == 2
    assert "accept failed, going on" in caplog.text
    pause.assert_called_once_with(0.1)


def test_an_accept_that_fails_for_the_listener_itself_ends_the_server(
    mocker: MockerFixture,
) -> None:
    """Any other accept error is the listener's own: start_listening raises it."""
    factory, listener, _ = listener_factory(mocker)
    listener.accept.side_effect = OSError(errno.EBADF, "Bad file descriptor")
    with pytest.raises(OSError, match="Bad file descriptor"):
        Server(port=0, socket_factory=factory).start_listening()


def test_an_accept_that_fails_for_the_listener_with_a_client_connected_cuts_it_off(
    mocker: MockerFixture,
) -> None:
    """A fatal accept error while a client is being served: start_listening raises that error
    (not one from its own clean-up), once it has cut the client off, closed its socket and
    joined its threads."""
    factory, listener, _ = listener_factory(mocker)
    conn = accepted_socket(mocker)
    reading, cut = threading.Event(), threading.Event()

    def recv(size: int) -> bytes:
        reading.set()
        cut.wait(DEADLINE)  # a connected client, silent until the server cuts it off
        return b""

    conn.recv.side_effect = recv
    conn.shutdown.side_effect = lambda how: cut.set()
    accepts = iter([(conn, ("127.0.0.1", 50000))])

    def accept() -> tuple[Mock, tuple[str, int]]:
        for accepted in accepts:
            return accepted
        assert reading.wait(DEADLINE), "the connection was never served"
        raise OSError(errno.EBADF, "Bad file descriptor")

    listener.accept.side_effect = accept
    with pytest.raises(OSError, match="Bad file descriptor") as raised:
        Server(port=0, socket_factory=factory).start_listening()

    assert type(raised.value) is OSError
    assert cut.is_set(), "the connection was not cut off"
    conn.shutdown.assert_any_call(socket.SHUT_RDWR)
    conn.close.assert_called_once_with()
    assert not [t for t in threading.enumerate() if t.name.startswith("game-client")]


def test_a_socket_that_times_out_by_itself_gets_an_error_line_that_says_so(
    mocker: MockerFixture,
) -> None:
    """With no idle limit of the server's own, a recv that times out anyway (a socket with a
    timeout of its own) ends the connection with an ERROR line saying so, and a close."""
    conn = accepted_socket(mocker)
    conn.recv.side_effect = TimeoutError("timed out")
    handler = threading.Thread(target=Server(port=0, idle_timeout=None).handle_client, args=(conn,))
    handler.start()
    handler.join(DEADLINE)
    assert not handler.is_alive(), "the handler kept going after its recv timed out"
    assert sent_to(conn) == b"GAME tictactoe 1\nERROR timed out waiting for a line\n"
    conn.close.assert_called_once_with()


def test_shutdown_from_another_thread_returns_only_once_the_server_has_stopped(
    mocker: MockerFixture,
) -> None:
    """shutdown() called outside the server's threads waits for start_listening to finish: it
    is still waiting while accept has not returned, and returns once the server stopped."""
    factory, listener, _ = listener_factory(mocker)
    accepting, release, returned = threading.Event(), threading.Event(), threading.Event()

    def accept() -> tuple[Mock, tuple[str, int]]:
        accepting.set()
        release.wait(DEADLINE)  # the accept thread is held here, shutdown or not
        raise OSError(errno.EINVAL, "Invalid argument")  # what a shut-down listener raises

    listener.accept.side_effect = accept
    server = Server(port=0, socket_factory=factory)
    serve = run_in_thread(server.start_listening, timeout=DEADLINE, name="test-serve")
    assert accepting.wait(DEADLINE), "the server never accepted"
    stopper: list[int] = []

    def stop() -> None:
        stopper.append(threading.get_ident())
        server.shutdown()
        returned.set()

    stopped = run_in_thread(stop, timeout=DEADLINE, name="test-stop")
    try:
        deadline = time.monotonic() + DEADLINE
        while not (returned.is_set() or (stopper and waiting_in(stopper[0], "shutdown"))):
            assert time.monotonic() < deadline, "shutdown neither returned nor waited"
            time.sleep(0.001)  # sleep-ok: polls the stopping thread's frames
        waited = not returned.is_set()
    finally:
        release.set()
        stopped()
        serve()
    assert waited, "shutdown returned while the server was still accepting"
    listener.close.assert_called_with()


def test_a_second_start_listening_is_refused_and_the_first_serves_on(
    mocker: MockerFixture,
) -> None:
    """A Server runs once: start_listening called again raises RuntimeError at once, and the
    first call goes on serving on its address until shutdown()."""
    factory, listener, _ = listener_factory(mocker)
    accepting, released = threading.Event(), threading.Event()

    def accept() -> tuple[Mock, tuple[str, int]]:
        accepting.set()
        released.wait(DEADLINE)
        raise OSError(errno.EINVAL, "Invalid argument")  # what a shut-down listener raises

    listener.accept.side_effect = accept
    listener.shutdown.side_effect = lambda how: released.set()
    server = Server(port=0, socket_factory=factory)
    serve = run_in_thread(server.start_listening, timeout=DEADLINE, name="test-serve")
    try:
        assert accepting.wait(DEADLINE), "the first start_listening never accepted"
        with pytest.raises(RuntimeError, match=r"already called; a Server runs once"):
            server.start_listening()
        assert server.wait_until_listening(timeout=0) == ("127.0.0.1", 7777)
        assert not released.is_set()
    finally:
        server.shutdown()
        serve()
    factory.assert_called_once()
