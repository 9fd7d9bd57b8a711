"""How many connections the asyncio shell accepts in one turn of its event loop.

``loop.create_server(backlog=N)`` does two things: it listens with a queue of ``N``, and it
accepts up to ``N`` connections each time the listener is readable, one task each, all before
the loop turns again. With ``N = SOMAXCONN`` (4096) a connect/close storm made each turn
thousands of connections long: every other client's lines, its timers and a stop signal
waited seconds; and out of descriptors, asyncio logged a traceback (and scheduled a retry) for
every accept of the batch. One connection a turn, with the kernel's queue kept at
``SOMAXCONN``, keeps the loop turning and refuses nobody.
"""

import asyncio
import os
import socket
from collections.abc import Iterator

import pytest
from pytest_mock import MockerFixture

from game import AsyncServer
from game.asyncio_shell import ACCEPTS_PER_TURN
from sockettest import MemoryNetwork


@pytest.fixture
def readiness_fd() -> Iterator[int]:
    """A descriptor the loop can watch and that never becomes readable: a pipe's read end,
    standing in for the mock listener's ``fileno()``."""
    read, write = os.pipe()
    yield read
    os.close(read)
    os.close(write)


def test_the_loop_accepts_one_connection_a_turn_and_the_kernel_queues_somaxconn(
    mocker: MockerFixture, readiness_fd: int
) -> None:
    """The loop is given an accept batch of one (its own ``listen`` call), then the listener
    listens with ``SOMAXCONN`` again, so that the kernel still queues a storm's connections."""
    factory = mocker.create_autospec(socket.socket)
    listener = factory.return_value
    listener.getsockname.return_value = ("127.0.0.1", 7777)
    listener.type = socket.SOCK_STREAM
    listener.fileno.return_value = readiness_fd

    async def scenario() -> None:
        async with AsyncServer("127.0.0.1", 7777, socket_factory=factory):
            pass

    with MemoryNetwork().patch():  # for the loop's self-pipe only
        asyncio.run(scenario())
    backlogs = [args[0] for args in (c.args for c in listener.listen.call_args_list)]
    assert backlogs == [socket.SOMAXCONN, ACCEPTS_PER_TURN, socket.SOMAXCONN]
    assert ACCEPTS_PER_TURN == 1
