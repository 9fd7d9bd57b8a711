"""The server's two shells behind one blocking surface, so that one test runs against both.

:class:`AsyncServerInThread` runs a :class:`game.AsyncServer` on its own event loop in a thread
and offers what tests use of :class:`game.Server`: the same constructor, ``running()``,
``shutdown()`` and ``address``. Tests only: the product's asyncio users await the server
themselves. ``SHELLS`` names both classes for ``pytest.mark.parametrize`` and fixtures.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Iterator
from typing import Any, Protocol

from game import AsyncServer, Server
from tests.deadline import DEADLINE

__all__ = ["SHELLS", "AsyncServerInThread", "ServerShell", "wait_until_connections_end"]


class ServerShell(Protocol):
    """What the tests use of a server, on either shell."""

    @property
    def address(self) -> tuple[str, int] | None: ...
    def running(self, timeout: float = ...) -> contextlib.AbstractContextManager[tuple[str, int]]:
        """Serve for the block, yield the bound address; shut down and joined after."""
        ...

    def shutdown(self) -> None: ...


class AsyncServerInThread:
    """A :class:`game.AsyncServer` on an event loop of its own thread, driven like a
    :class:`game.Server`; every option is passed on to it."""

    def __init__(self, host: str = "127.0.0.1", port: int = 7777, **options: Any) -> None:
        self.server = AsyncServer(host, port, **options)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()
        self._stopping = False  # asked once: after that the loop may be gone

    def __repr__(self) -> str:
        return f"<AsyncServerInThread {self.server!r}>"

    @property
    def address(self) -> tuple[str, int] | None:
        return self.server.address

    @contextlib.contextmanager
    def running(self, timeout: float = 5.0) -> Iterator[tuple[str, int]]:
        """Serve in a thread for the block; yield the bound address (or raise what ``start``
        raised: ``ListenFailed``). Shut down and joined on exit; a thread still alive after
        ``timeout`` seconds is an error rather than a hang."""
        ready: concurrent.futures.Future[tuple[str, int]] = concurrent.futures.Future()

        async def serve() -> None:
            self._loop = asyncio.get_running_loop()
            try:
                ready.set_result(await self.server.start())
            except BaseException as error:
                ready.set_exception(error)
                return
            await self.server.serve_forever()

        thread = threading.Thread(target=asyncio.run, args=(serve(),), name="game-asyncio")
        thread.start()
        try:
            address = ready.result(timeout)
        except concurrent.futures.TimeoutError:
            self.shutdown()
            raise
        except BaseException:  # start failed and serve() returned: its loop is ending, not ours
            with self._lock:
                self._stopping = True
            raise
        finally:
            if not ready.done() or ready.exception() is not None:
                self._join(thread, timeout)
        try:
            yield address
        finally:
            self.shutdown()
            self._join(thread, timeout)

    def _join(self, thread: threading.Thread, timeout: float) -> None:
        thread.join(timeout)
        if thread.is_alive():
            raise RuntimeError(f"{self!r}: server thread did not exit within {timeout} s")

    def shutdown(self) -> None:
        """Shut the server down from any thread, and wait until it is. Again: no-op."""
        with self._lock:
            first, self._stopping = not self._stopping, True
        if first:
            self._run(self.server.shutdown())

    def wait_until_connections_end(self) -> None:
        """Wait until every connection the server has accepted is closed."""

        async def all_lost() -> None:
            lost = [connection.lost for connection in self.server._open]
            if lost:
                await asyncio.wait(lost)

        self._run(all_lost())

    def _run(self, coroutine: Any) -> None:
        loop = self._loop
        try:
            future = asyncio.run_coroutine_threadsafe(coroutine, loop)  # type: ignore[arg-type]
        except (RuntimeError, AttributeError):  # no loop yet, or closed: nothing to do
            coroutine.close()
            return
        with contextlib.suppress(concurrent.futures.CancelledError):  # the loop ended first
            future.result(DEADLINE)


SHELLS = {"threads": Server, "asyncio": AsyncServerInThread}
"""Each shell's server class, by name."""


def wait_until_connections_end(server: ServerShell, timeout: float) -> None:
    """Wait until every connection ``server`` accepted is closed: the threaded server's
    connection threads joined, or the asyncio server's transports lost."""
    if isinstance(server, AsyncServerInThread):
        server.wait_until_connections_end()
        return
    for thread in [t for t in threading.enumerate() if t.name.startswith("game-client")]:
        thread.join(timeout)
        assert not thread.is_alive(), f"{thread.name} still running after {timeout} s"
