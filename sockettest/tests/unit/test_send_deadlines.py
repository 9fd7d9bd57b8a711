"""When a blocked send gives up: a socket timeout bounds a whole ``sendall``, as CPython's does
since 3.5, across every wait for room, however much a reader frees in between; and a send that
cannot succeed fails at once, without waiting for its timeout.

On a virtual clock with no autojump, so that only the test moves time.
"""

from __future__ import annotations

import socket
import threading

import pytest

from sockettest import MemoryNetwork, VirtualClock
from tests.deadlines import DEADLINE, SHORT
from tests.sockets import connected_pair


def test_a_sendall_timeout_bounds_the_whole_call_though_a_reader_made_room_midway() -> None:
    """sendall with settimeout(10) into a 4-byte pipe, read once at 6 s, times out at 10 s."""
    clock = VirtualClock()
    network = MemoryNetwork(clock=clock, buffer_size=4)
    client, server_side = connected_pair(network)
    errors: list[BaseException] = []

    def send_twelve() -> None:
        try:
            client.sendall(b"x" * 12)
        except BaseException as error:  # checked in the test's thread
            errors.append(error)

    client.settimeout(10)
    sender = threading.Thread(target=send_twelve, name="sendall-10-s", daemon=True)
    sender.start()
    try:
        network.wait_until_blocked(1, timeout=DEADLINE)  # 4 bytes taken, waiting for room
        clock.advance(6)
        assert server_side.recv(4) == b"xxxx"  # room: the sendall takes 4 more, then waits
        assert server_side.recv(4, socket.MSG_PEEK) == b"xxxx"  # no timeout: they have come
        clock.advance(4)  # 10 s since the sendall began
        sender.join(DEADLINE)
        assert not sender.is_alive(), "the sendall waited past its timeout (6 + 10 s?)"
    finally:
        client.close()  # wakes the sendall if the timeout did not
        server_side.close()
        sender.join(DEADLINE)
    assert not sender.is_alive()
    assert [type(error) for error in errors] == [TimeoutError]
    assert clock.monotonic() == 10
    network.assert_all_closed()


def test_a_send_on_a_listener_shut_down_fails_at_once_not_after_its_timeout() -> None:
    """send with settimeout(10) on a listener raises EPIPE at once once it is shut, as Linux's
    does: no wait, so an autojumping clock has no deadline to jump to (on a listener still
    listening the send waits out the timeout)."""
    clock = VirtualClock(autojump_threshold=SHORT)
    network = MemoryNetwork(clock=clock)
    with network.socket_factory() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(10)
        listener.shutdown(socket.SHUT_RD)
        with pytest.raises(BrokenPipeError):
            listener.send(b"x")
    assert clock.monotonic() == 0
    network.assert_all_closed()
