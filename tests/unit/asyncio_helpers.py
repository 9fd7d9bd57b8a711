"""What the asyncio shell's unit tests share: a network on virtual time, a loop on its clock,
raw clients, and a way to learn that the server's connection ran a method."""

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Coroutine
from typing import Any, TypeVar, cast

import pytest

import game.asyncio_shell
from sockettest import Address, MemoryNetwork, SocketFactory, VirtualClock

__all__ = ["long_pings", "on_virtual_time", "raw_client", "run_on_its_clock", "tell_when_run"]

T = TypeVar("T")


def on_virtual_time(buffer_size: int) -> MemoryNetwork:
    """A network with ``buffer_size`` whose clock jumps to the loop's next timer once the loop
    waits with nothing ready: a write timeout or a shutdown's notice passes in milliseconds,
    not in real time. One loop drives both ends, so a jump happens only when nothing can move."""
    return MemoryNetwork(buffer_size=buffer_size, clock=VirtualClock(autojump_threshold=0.01))


def run_on_its_clock(network: MemoryNetwork, main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` on a loop whose time is ``network``'s clock."""
    with asyncio.Runner(loop_factory=network.new_event_loop) as runner:
        return runner.run(main)


def long_pings(count: int) -> list[bytes]:
    """``count`` PING lines of 500 bytes each, numbered: their PONGs come to about
    ``count / 2`` KB, enough to fill a small network's buffers and pass the allowance."""
    return [b"PING %04d%s\n" % (i, b"x" * 490) for i in range(count)]


@contextlib.asynccontextmanager
async def raw_client(factory: SocketFactory, address: Address) -> AsyncIterator[socket.socket]:
    """A non-blocking socket from ``factory``, connected to ``address`` through the running
    loop, for a test that speaks raw bytes (and reads, or does not, as it chooses)."""
    with cast(socket.socket, factory(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, address)
        yield sock


def tell_when_run(monkeypatch: pytest.MonkeyPatch, method: str) -> asyncio.Event:
    """An event set once the server's connection has run ``method`` (``pause_writing``,
    ``eof_received``): the moment a test waits for, with no sleep and no poll."""
    ran = asyncio.Event()
    original = getattr(game.asyncio_shell._ServedConnection, method)

    def run_and_tell(served: game.asyncio_shell._ServedConnection) -> Any:
        result = original(served)
        ran.set()
        return result

    monkeypatch.setattr(game.asyncio_shell._ServedConnection, method, run_and_tell)
    return ran
