"""Leak guards: a test that leaves a thread running or a socket open fails, by name.

A ``ResourceWarning`` for an unclosed socket only fires when the garbage collector gets to the
socket, which may be during another test, or never. So the kit tracks what it hands out
explicitly, and checks at the end of each test that used it. The guard is opt-in: the plugin's
fixtures use it; tests that use none of them are not affected.

A thread on its way out (a server handler finishing its close) is not a leak: the guard joins
new threads within a grace period before it counts them, and only then asks its sources which
sockets are still open, so that sockets those threads close in the meantime do not count.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

from sockettest._deadlines import DEFAULT_TIMEOUT

__all__ = ["LeakError", "LeakGuard"]


class LeakError(AssertionError):
    """A test left threads running or sockets open; the message names each one."""


class LeakGuard:
    """Remembers the threads alive when it starts; :meth:`check` fails on any new one still
    alive after a grace period, and on any socket its sources still report open.

    Args:
        grace: seconds to wait, in all, for threads that are already on their way out (a
            server's handler finishing its close) before they count as leaked.
    """

    def __init__(self, grace: float = DEFAULT_TIMEOUT) -> None:
        self.grace = grace
        self._threads_before = set(threading.enumerate())
        self._socket_sources: list[Callable[[], Iterable[str]]] = []
        self._cleanups: list[Callable[[], None]] = []

    def watch_sockets(
        self,
        open_socket_names: Callable[[], Iterable[str]],
        close_all: Callable[[], None] | None = None,
    ) -> None:
        """Add a source of sockets to check: a callable naming those still open, and
        optionally one that closes them, run after the check so one leak cannot spill into
        the next test."""
        self._socket_sources.append(open_socket_names)
        if close_all is not None:
            self._cleanups.append(close_all)

    def leaked_threads(self) -> list[threading.Thread]:
        """Threads started since the guard began that do not finish within the grace period."""
        deadline = time.monotonic() + self.grace
        leaked = []
        for thread in threading.enumerate():
            if thread in self._threads_before or thread is threading.current_thread():
                continue
            thread.join(max(deadline - time.monotonic(), 0))
            if thread.is_alive():
                leaked.append(thread)
        return leaked

    def open_socket_names(self) -> list[str]:
        """Names of the watched sockets that are still open."""
        return [name for source in self._socket_sources for name in source()]

    def check(self) -> None:
        """Raise :class:`LeakError` naming every leaked thread and open socket."""
        problems = [f"thread {t.name!r} is still running" for t in self.leaked_threads()]
        problems += [f"socket {name} was not closed" for name in self.open_socket_names()]
        for close_all in self._cleanups:
            close_all()
        if problems:
            raise LeakError("the test leaked: " + "; ".join(problems))
