"""asyncio event loops on the network's clock: :meth:`MemoryNetwork.new_event_loop`.

An event loop reads time with its ``time()`` and waits in its selector's ``select(timeout)``.
The loop made here is the standard selector loop, with two changes:

- ``time()`` is the network's clock: ``time.monotonic()``, or the
  :class:`~sockettest.VirtualClock`'s ``monotonic()``; so ``call_later``, ``asyncio.sleep``,
  ``wait_for`` and ``asyncio.timeout()`` run on it.
- on a virtual clock, its selector's wait is a blocked call of the network
  (``_waiting.VirtualTime.select``), the one a ``select`` on the network's sockets makes under
  the patch: the autojump counts it as blocked, with the loop's next timer as its deadline, so
  the clock jumps there once the loop and every thread using the network wait, by the same rule
  as for threads; a readiness change of the network's sockets wakes it, and so does
  ``call_soon_threadsafe`` (``to_thread``, ``run_in_executor``), which writes to the loop's
  self-pipe and then wakes the wait; ``clock.advance()`` wakes it when it passes the timer.

What it does not wake for: a real descriptor other than its self-pipe (a subprocess's pipe, a
real socket) becoming ready, which it sees at its next wake-up, at the latest after the autojump
threshold (or ``max_block``); run such code on a network on real time. A wait with no timer and
nothing to wake it raises :class:`~sockettest.BlockedTooLong` after ``max_block`` real seconds,
as a blocked call does. On a network on real time the loop is the standard one, with its
sockets working in it as they do. Its self-pipe is a real ``AF_UNIX`` pair made past
pytest-socket's guard, as the patch's ``socketpair()`` is, so the loop works, patch or not,
where real sockets are disabled.
"""

from __future__ import annotations

import asyncio
import selectors
import socket
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sockettest._patch import in_force, local_socketpair
from sockettest._readiness import kernel_of
from sockettest._simulation.scheduler import current

if TYPE_CHECKING:
    from sockettest._network import MemoryNetwork

__all__ = ["NetworkEventLoop", "patched_event_loop"]


class _ClockedSelector(selectors.BaseSelector):
    """A selector whose ``select`` waits on the network's virtual clock (see the module)."""

    def __init__(self, network: MemoryNetwork) -> None:
        self._network = network
        self._inner = selectors.DefaultSelector()

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._inner.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self._inner.unregister(fileobj)

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._inner.modify(fileobj, events, data)

    def get_map(self) -> Mapping[Any, selectors.SelectorKey]:
        return self._inner.get_map()

    def close(self) -> None:
        self._inner.close()

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        inner = self._inner
        if current() is not None:
            return inner.select(timeout)  # a simulation's replacements wait in its scheduler
        if timeout is not None and timeout <= 0:
            return inner.select(timeout)  # a poll: nothing to wait for, on any clock
        waited = self._network.kernel.select(lambda: inner.select(0), timeout)
        return inner.select(timeout) if waited is None else waited

    def wake(self) -> None:
        """Wake a wait in :meth:`select` (the loop's self-pipe was written to)."""
        self._network.kernel.wake_selects()


class NetworkEventLoop(asyncio.SelectorEventLoop):
    """The standard selector event loop, on ``network``'s clock (see the module)."""

    def __init__(self, network: MemoryNetwork) -> None:
        self._network_clock = network.clock
        self._clocked_selector = _ClockedSelector(network)
        super().__init__(self._clocked_selector)

    def time(self) -> float:
        """The network's clock: what timers are scheduled on and fire by."""
        clock = self._network_clock
        return super().time() if clock is None else clock.monotonic()

    def _make_self_pipe(self) -> None:
        # As asyncio's own, but the pair is made past pytest-socket's guard (a real AF_UNIX
        # pair, as under the patch), so that the loop works where real sockets are disabled.
        self._ssock, self._csock = local_socketpair(socket.AF_UNIX)
        self._ssock.setblocking(False)
        self._csock.setblocking(False)
        self._internal_fds += 1  # type: ignore[attr-defined]
        self._add_reader(self._ssock.fileno(), self._read_from_self)  # type: ignore[attr-defined]

    def _write_to_self(self) -> None:
        super()._write_to_self()  # type: ignore[misc]
        self._clocked_selector.wake()

    async def _sock_sendfile_native(
        self, sock: socket.socket, file: Any, offset: int, count: int | None
    ) -> int:
        # asyncio's own calls os.sendfile on sock.fileno(), which for a memory socket is its
        # readiness descriptor: the bytes would vanish there. Saying it is not available makes
        # sock_sendfile send them with sock_sendall (its fallback), or say so (fallback=False).
        if kernel_of(sock.fileno()) is not None:
            raise asyncio.SendfileNotAvailableError(
                "os.sendfile cannot reach an in-memory socket's peer"
            )
        return await super()._sock_sendfile_native(  # type: ignore[misc,no-any-return]
            sock, file, offset, count
        )


def patched_event_loop() -> asyncio.AbstractEventLoop:
    """A new event loop on the network the :mod:`socket` module is patched with now
    (:meth:`MemoryNetwork.new_event_loop`), or asyncio's own if no patch is in force.

    A loop factory for a test runner that makes the loop after the test's fixtures, as
    pytest-asyncio's ``pytest_asyncio_loop_factories`` hook (1.4+) does: with the
    ``patched_network_on_virtual_clock`` fixture, the test's loop is on the virtual clock; an
    asyncio test with no patch gets the loop it would get without the hook.

    Example (a ``conftest.py``)::

        import sockettest

        def pytest_asyncio_loop_factories(config, item):
            return {"memory": sockettest.patched_event_loop}
    """
    network = in_force()
    return asyncio.new_event_loop() if network is None else network.new_event_loop()
