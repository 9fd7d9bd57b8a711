"""What the sockets of one in-memory network share: the interface between a
:class:`~sockettest.MemorySocket` and its :class:`~sockettest.MemoryNetwork`.

A socket reaches its network through the network's :class:`Kernel` (and the network's public
attributes) and nothing else; the kernel sees a socket through its :class:`Binding`, and the
network through its public API and ``socket_pair`` and ``close_for_good`` of
``_memory_socket.py``. So neither touches the other's private fields, and this module is the
list of what passes between them:

- the one lock of the network, and how its calls wait (:mod:`sockettest._waiting`), a
  ``select`` on its sockets alone included (:mod:`sockettest._selecting`);
- the bind table: which sockets hold which port, as Linux's, TIME_WAIT included;
- the listeners, by port, and which one a ``connect`` reaches;
- the local addresses, the poison switches for every socket, the names of new sockets, and
  which faults the next connection gets.

Every method is called with the lock held, but :meth:`Kernel.select` and
:meth:`Kernel.wake_selects`, which take it.
"""

from __future__ import annotations

import errno
import itertools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from sockettest._addresses import bind_errno, overlaps, unmapped
from sockettest._faults import Faults
from sockettest._linux import REUSEADDR, V6ONLY, os_error
from sockettest._poison import POISONABLE, Poisons
from sockettest._waiting import (
    READING,
    Channels,
    NetworkLock,
    Signal,
    VirtualTime,
    waiting_for,
)

if TYPE_CHECKING:
    from sockettest._clock import VirtualClock
    from sockettest._memory_socket import MemorySocket
    from sockettest._network import MemoryNetwork

__all__ = ["Binding", "Kernel"]

_T = TypeVar("_T")

_POISONABLE = POISONABLE | {"socket"}
"""What the network's poisons may name: every socket method, and making a socket."""


class Binding:
    """A socket as the bind table sees it: its address, its options, and whether it holds its
    port now (``holds_port``, ``listens``: the socket answers, from its state)."""

    __slots__ = ("held_until", "holds_port", "listens", "local", "options", "owns_address", "sock")

    def __init__(
        self,
        sock: MemorySocket,
        options: dict[tuple[int, int], Any],
        holds_port: Callable[[float], bool],
        listens: Callable[[], bool],
    ) -> None:
        self.sock = sock
        self.options = options  # the socket's own dict: SO_REUSEADDR, IPV6_V6ONLY
        self.holds_port = holds_port
        self.listens = listens  # listening now: not shut down, not closed
        self.local: tuple[str, int] | None = None
        self.owns_address = False  # counted among the holders of its port
        self.held_until: float | None = None  # in TIME_WAIT (or FIN_WAIT2) until then

    def overlaps(self, host: str, v6only: bool) -> bool:
        """Whether this socket's address and ``host`` (with ``v6only``) share addresses."""
        assert self.local is not None
        return overlaps(host, v6only, self.local[0], bool(self.options.get(V6ONLY)))


class Kernel:
    """The state the sockets of one network share, for them alone (tests use the network)."""

    def __init__(
        self,
        network: MemoryNetwork,
        clock: VirtualClock | None,
        ports: range,
        time_wait: float,
    ) -> None:
        self.network = network
        self.lock = NetworkLock()  # real even in a simulation: it has scheduler hooks instead
        self.waiting = waiting_for(network, self.lock, clock)
        self.any_closed = Signal(self.lock, "a socket to close")
        # woken by any readiness change
        self.selecting = Channels(self.lock, "select", reading="a select to see a change")
        self.poisons = Poisons(_POISONABLE)
        self.local_addresses: set[str] = set()  # declared: add_address, add_host
        self.time_wait_seconds = time_wait
        self._ports = ports
        self._next_port = itertools.cycle(ports)
        self._owners: dict[int, dict[Binding, None]] = {}  # port -> sockets holding it
        self._listeners: dict[int, list[Binding]] = {}  # port -> sockets that listened
        self._names = itertools.count(1)
        self._connections = 0

    def register(self, sock: MemorySocket) -> str:
        """Count a new socket among the network's; its name."""
        self.network.sockets.append(sock)
        return f"memory-socket-{next(self._names)}"

    def connection_faults(self) -> tuple[Faults | None, Faults | None]:
        """The faults of the next connection: its accepted side's, its connecting
        side's (see :data:`~sockettest.FaultPlan`)."""
        index, self._connections = self._connections, self._connections + 1
        return _pick(self.network.accept_faults, index), _pick(self.network.connect_faults, index)

    def select(self, poll: Callable[[], _T], timeout: float | None) -> _T | None:
        """A ``select`` on this network's sockets alone, on its virtual clock: what ``poll()``
        (the real select, not blocking) finds once it finds something or ``timeout`` passes on
        the clock; ``None`` on a network on real time (the caller waits for real)."""
        waiting = self.waiting
        if not isinstance(waiting, VirtualTime):
            return None
        with self.lock:
            return waiting.select(self.selecting, poll, timeout, self.network)

    def wake_selects(self) -> None:
        """Wake the waits of :meth:`select` to poll again (a descriptor they watch besides the
        network's sockets, an event loop's self-pipe, was written to). Takes the lock."""
        with self.lock:
            if self.selecting.asleep[READING]:
                self.waiting.wake(self.selecting, READING)

    # The bind table ----------------------------------------------------------------------------

    def holders(self, port: int) -> list[Binding]:
        """The sockets that hold ``port`` (see ``MemorySocket._holds_port``): bound, listening,
        connected, or in TIME_WAIT; the others are dropped for good."""
        holders = self._owners.get(port)
        if not holders:
            return []
        now = self.waiting.now()
        for binding in [b for b in holders if not b.holds_port(now)]:
            del holders[binding]  # none holds it again once it has let go
        return list(holders)

    def check_local(self, host: str, family: int, v6only: bool) -> None:
        """Raise what Linux's ``bind`` raises for an address this host does not have."""
        code = bind_errno(host, family, v6only, self.local_addresses)
        if code is not None:
            raise os_error(code)

    def allocate(self, host: str, port: int, owner: Binding) -> tuple[str, int]:
        """Bind ``owner`` to ``(host, port)``, picking an ephemeral port for 0 (one nothing
        holds, TIME_WAIT included); raise ``EADDRINUSE`` where Linux would (see
        :meth:`conflicts`)."""
        if port == 0:
            for _ in self._ports:
                port = next(self._next_port)
                if not self.holders(port):
                    break
            else:
                raise os_error(errno.EADDRNOTAVAIL)
        elif self.conflicts(owner, host, port, listening=False):
            raise os_error(errno.EADDRINUSE)
        self.hold(owner, port)
        return host, port

    def conflicts(self, sock: Binding, host: str, port: int, *, listening: bool) -> bool:
        """Whether ``sock`` may not take ``(host, port)``, as Linux decides: to bind, it
        collides with a holder of an overlapping address unless both have ``SO_REUSEADDR`` and
        the holder is not listening; to listen, it collides with a listener there."""
        v6only = bool(sock.options.get(V6ONLY))
        reuse = not listening and bool(sock.options.get(REUSEADDR))
        for other in self.holders(port):
            if other is sock or other.local is None or not other.overlaps(host, v6only):
                continue
            if listening:
                if other.listens():
                    return True
            elif not (reuse and other.options.get(REUSEADDR) and not other.listens()):
                return True
        return False

    def hold(self, owner: Binding, port: int) -> None:
        """Count ``owner`` among the holders of ``port`` (it is released by :meth:`release`)."""
        self._owners.setdefault(port, {})[owner] = None
        owner.owns_address = True

    def time_wait(self, sock: Binding) -> None:
        """``sock``, the active closer, holds its address for :data:`~sockettest.TIME_WAIT`
        seconds from now, open or closed (see ``MemorySocket._holds_port``)."""
        sock.held_until = self.waiting.now() + self.time_wait_seconds

    def release(self, owner: Binding) -> None:
        """``owner`` no longer holds its port (closed and not in TIME_WAIT, or its wait ended)."""
        owner.held_until = None
        if owner.local is None:
            return
        port = owner.local[1]
        holders = self._owners.get(port)
        if holders is not None and owner in holders:
            del holders[owner]
            if not holders:
                del self._owners[port]

    # Listeners ---------------------------------------------------------------------------------

    def add_listener(self, sock: Binding) -> None:
        """``sock`` listens on its port: connects to that port look at it first."""
        assert sock.local is not None
        listeners = self._listeners.setdefault(sock.local[1], [])
        listeners[:] = [b for b in listeners if not b.sock.closed]
        if sock not in listeners:
            listeners.append(sock)

    def listener_for(self, host: str, port: int) -> MemorySocket | None:
        """The listener a connect to ``(host, port)`` reaches: one bound to that address, else
        to its family's wildcard (IPv4 also reaches a dual-stack ``::``; IPv4-mapped is IPv4)."""
        plain = unmapped(host)
        wildcard = None
        for binding in self._listeners.get(port, ()):
            if not binding.listens() or binding.local is None:
                continue
            if unmapped(binding.local[0]) == plain:
                return binding.sock
            if wildcard is None and binding.overlaps(plain, False):
                wildcard = binding.sock
        return wildcard


def _pick(plan: Faults | Sequence[Faults | None] | None, index: int) -> Faults | None:
    if plan is None or isinstance(plan, Faults):
        return plan
    return plan[index] if index < len(plan) else None
