"""The threaded server out of descriptors: accept fails for as long as the shortage lasts, and
the log says so once a minute, not ten times a second, and says when it is over."""

from __future__ import annotations

import errno
import logging

import pytest
from pytest_mock import MockerFixture

from game import Client, Server
from game.protocol import Welcome
from game.server import ACCEPT_FAILURE_LOG_INTERVAL
from sockettest import MemoryNetwork, VirtualClock
from tests.deadline import DEADLINE

PAUSE = 0.1
"""Seconds the accept loop lets pass after each failure."""


def test_a_long_shortage_of_descriptors_is_logged_once_a_minute_and_its_end_once(
    memory_network: MemoryNetwork, mocker: MockerFixture, caplog: pytest.LogCaptureFixture
) -> None:
    """Accept failing with EMFILE for 100 s: one warning at the first failure, one more each
    minute it lasts, and one line once a connection is accepted again; the client is served."""
    failures = 1000
    clock = VirtualClock()  # the server's own: its pauses move it, the network's stays real
    memory_network.poison("accept", OSError(errno.EMFILE, "Too many open files"), times=failures)
    server = Server(port=0, socket_factory=memory_network.socket_factory, clock=clock.monotonic)

    def pause(seconds: float) -> bool:
        clock.advance(seconds)
        return False  # not stopping

    pauses = mocker.patch.object(server._stopping, "wait", autospec=True, side_effect=pause)
    caplog.set_level(logging.INFO, logger="game.server")
    with server.running(DEADLINE) as address:
        with Client(*address, socket_factory=memory_network.socket_factory) as client:
            assert client.hello("alice") == Welcome("alice")
        assert pauses.call_count == failures
        assert all(call.args == (PAUSE,) for call in pauses.call_args_list)
    assert ACCEPT_FAILURE_LOG_INTERVAL == 60.0  # a minute, as the docstring promises
    first, a_minute_later = (r.getMessage() for r in caplog.records if r.levelno > logging.INFO)
    assert first == "accept failed, going on: [Errno 24] Too many open files"
    assert a_minute_later.startswith("accept still failing, ")
    assert a_minute_later.endswith(" times in 60 s: [Errno 24] Too many open files")
    recovered = [r.getMessage() for r in caplog.records if "accepting again" in r.getMessage()]
    assert recovered == [f"accepting again after {failures} failed accepts in 100 s"]


@pytest.mark.parametrize(
    ("failures", "after"),
    [(1, []), (2, ["accepting again after 2 failed accepts in 0 s"])],
    ids=["one", "two"],
)
def test_a_failed_accept_is_one_warning_and_a_run_of_them_has_an_end(
    memory_network: MemoryNetwork,
    mocker: MockerFixture,
    caplog: pytest.LogCaptureFixture,
    failures: int,
    after: list[str],
) -> None:
    """One connection reset before it was accepted is one warning, and the next accept says
    nothing; from two failures in a row on, the accept that works says the run is over."""
    aborted = ConnectionAbortedError(errno.ECONNABORTED, "aborted")
    memory_network.poison("accept", aborted, times=failures)
    clock = VirtualClock()  # the server's own, standing still: the run takes 0 s, loaded or not
    server = Server(port=0, socket_factory=memory_network.socket_factory, clock=clock.monotonic)
    mocker.patch.object(server._stopping, "wait", autospec=True, return_value=False)
    caplog.set_level(logging.INFO, logger="game.server")
    with (
        server.running(DEADLINE) as address,
        Client(*address, socket_factory=memory_network.socket_factory) as client,
    ):
        assert client.hello("alice") == Welcome("alice")
    assert [r.getMessage() for r in caplog.records if r.levelno > logging.INFO] == [
        "accept failed, going on: [Errno 103] aborted"
    ]
    assert [r.getMessage() for r in caplog.records if "accepting again" in r.getMessage()] == after
