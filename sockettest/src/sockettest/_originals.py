"""The true versions of what the kit patches, captured once, when the kit is imported.

The kit replaces parts of the standard library while it runs: the patch hook the :mod:`socket`
module's functions, a simulation the :mod:`threading`, :mod:`time` and :mod:`select` functions
its threads call. Code of the kit that must reach the real thing whatever is patched (the
scheduler's own locks, the clock's lock, the real resolver, the patch's restore) takes it from
here. ``sockettest/__init__.py`` imports this module first, so nothing of the kit can have
patched anything yet; pytest-socket's guard may already be installed, and then the socket
functions are the true ones it kept. (``ThreadPoolExecutor.__init__`` is the one original kept
where it is replaced, in ``_simulation/replacements.py``: importing :mod:`concurrent.futures`
loads :mod:`logging`, which would double the cost of ``import sockettest``.)
"""

from __future__ import annotations

import _thread
import select
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = [
    "PATCHED_NAMES",
    "SOCKET",
    "Lock",
    "Patches",
    "RLock",
    "allocate_lock",
    "get_ident",
    "is_a_guard",
    "select_select",
    "sleep",
    "thread_is_alive",
    "thread_join",
    "thread_start",
]

PATCHED_NAMES = (
    "socket",
    "socketpair",
    "getaddrinfo",
    "gethostbyname",
    "gethostbyname_ex",
    "gethostbyaddr",
    "getfqdn",
    "getnameinfo",
)
"""The :mod:`socket` module attributes a patch replaces, in the order it replaces them."""


def is_a_guard(value: object) -> bool:
    """Whether ``value`` is one of pytest-socket's guards, installed over a socket function."""
    module = getattr(value, "__module__", "") or ""
    return module.startswith("pytest_socket") and "uarded" in getattr(value, "__name__", "")


def _true_value(name: str) -> Any:
    """``socket.<name>`` as the standard library defines it, even if pytest-socket's guard is
    installed right now (the plugin may first import the kit during a guarded test)."""
    value = getattr(socket, name)
    if is_a_guard(value):  # so pytest-socket is loaded, and kept the true value
        value = getattr(sys.modules.get("pytest_socket"), f"_true_{name}", value)
    return value


SOCKET: dict[str, Any] = {name: _true_value(name) for name in PATCHED_NAMES}
"""The :mod:`socket` functions as the standard library defines them: what the patch hook puts
back after a test, and the real resolver the host table asks about numbers."""

get_ident = _thread.get_ident
allocate_lock = _thread.allocate_lock  # a simulation never patches _thread: its parking locks
Lock = threading.Lock  # real even when made in a simulation: the clock's and network's
RLock = threading.RLock
sleep = time.sleep
select_select = select.select
thread_start = threading.Thread.start
thread_join = threading.Thread.join
thread_is_alive = threading.Thread.is_alive


class Patches:
    """Module attributes replaced while any of several blocks runs: blocks may overlap
    (patches and simulations, in any threads, ending in any order). The first block to begin
    puts ours in place, and then calls ``switch(True)``; the last to end calls ``switch(False)``
    and puts each original back, in reverse order, where ours is still there.
    """

    def __init__(
        self,
        patches: list[tuple[Any, str, Any]],
        switch: Callable[[bool], object] = lambda on: None,
    ) -> None:
        self._patches = patches  # (owner, name, ours)
        self._switch = switch
        self._lock = allocate_lock()
        self._originals: list[tuple[Any, str, Any, Any]] = []  # (owner, name, original, ours)
        self._users = 0

    @contextmanager
    def installed(self) -> Iterator[None]:
        with self._lock:
            if self._users == 0:
                for owner, name, ours in self._patches:
                    self._originals.append((owner, name, vars(owner)[name], ours))
                    setattr(owner, name, ours)
                self._switch(True)
            self._users += 1
        try:
            yield
        finally:
            with self._lock:
                self._users -= 1
                if self._users == 0:
                    self._switch(False)
                    for owner, name, original, ours in reversed(self._originals):
                        if vars(owner).get(name) is ours:
                            setattr(owner, name, original)
                    self._originals.clear()
