"""An asyncio name server with a planted check-then-act race across an ``await``, the same
server fixed, and blocking clients in threads: scenarios for :func:`sockettest.simulate`.

Each client connects and sends one line, ``NAME <name>``; the server answers ``OK`` and records
the name if it is free, ``TAKEN`` if it is not. The racy handler checks, awaits (a lookup: it
yields to the loop), then records: another handler may run in between and find the name still
free, so two clients both get ``OK``. The fixed one checks and records under an
``asyncio.Lock``. The clients are plain blocking sockets, in the loop's default executor
(``asyncio.to_thread``). Everything is made inside the scenario, as ``simulate`` asks.
"""

import asyncio
import socket
from collections.abc import Callable

from sockettest import MemoryNetwork
from tests.unit.name_server import read_line


def claim(port: int, name: str) -> str:
    """A blocking client: claim ``name`` and return the server's answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(f"NAME {name}\n".encode())
        return read_line(sock)


class AsyncNameServer:
    """The server's handler and its record of names.

    Args:
        fixed: check and record under an ``asyncio.Lock``; else check, await, then record.
    """

    def __init__(self, *, fixed: bool) -> None:
        self.fixed = fixed
        self.names: set[str] = set()
        self._lock = asyncio.Lock()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        name = (await reader.readline()).decode().removeprefix("NAME ").strip()
        if self.fixed:
            async with self._lock:
                reply = await self._claim(name)
        else:
            reply = await self._claim(name)
        writer.write(f"{reply}\n".encode())
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    async def _claim(self, name: str) -> str:
        if name in self.names:
            return "TAKEN"
        await asyncio.sleep(0)  # a lookup before recording: the loop runs other tasks here
        self.names.add(name)
        return "OK"


def two_claims_async(*, fixed: bool) -> Callable[[], list[str]]:
    """Two blocking clients in threads claim one name on an asyncio server, on a memory network
    patched in; the scenario asserts that exactly one of them gets it."""

    def scenario() -> list[str]:
        network = MemoryNetwork()
        with network.patch():
            return asyncio.run(_two_claims(fixed))

    scenario.__qualname__ = scenario.__name__ = f"two_claims_async_{'fixed' if fixed else 'racy'}"
    return scenario


async def _two_claims(fixed: bool) -> list[str]:
    server = AsyncNameServer(fixed=fixed)
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    async with listener:
        port = listener.sockets[0].getsockname()[1]
        replies = list(
            await asyncio.gather(
                asyncio.to_thread(claim, port, "alice"), asyncio.to_thread(claim, port, "alice")
            )
        )
    assert sorted(replies) == ["OK", "TAKEN"], f"both clients got {replies}"
    return replies


two_claims_async_racy = two_claims_async(fixed=False)
two_claims_async_fixed = two_claims_async(fixed=True)
