"""An in-memory TCP network: listeners by address, connections as pairs of pipes, names, a clock.

Hand ``network.socket_factory`` to code that takes a socket factory, or run code that calls
``socket.socket()`` itself inside ``with network.patch():``. Either way it runs where
pytest-socket forbids real sockets::

    network = MemoryNetwork()
    with network.patch():
        server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        ...
    network.assert_all_closed()

Why a fake and not a mock: a mock checks the calls your code makes; this checks what your code
*does* with what a socket does back: partial reads, EOF, half-close, timeouts, resets, full
buffers. It is a *verified* fake: :mod:`sockettest.contract` runs the same checks on it and on
real loopback sockets, so where it differs from the kernel a check says so. The sockets
themselves are :class:`~sockettest.MemorySocket` (``_memory_socket.py``); what they share (the
lock, the bind table, the listeners, the way calls wait) is the network's kernel
(``_kernel.py``), their one way into the network. This module holds the network's public face.

Rules of this module:

1. One network, one lock; two ways to wait per socket. Every socket of a network shares the
   network's lock (a real ``RLock``), so there is no lock order to get wrong, and a reader and a
   writer thread on one socket (as servers have) are safe. A socket's calls wait to read or to
   write, each apart, and a change of state wakes only the calls it concerns: a real thread
   sleeps on an ``eventfd`` rung once the lock is let go, as a real socket's reader is woken by
   the kernel, a simulated one on a condition of the lock (``_waiting.py``).
2. Nothing waits forever. A blocking call honours the socket's timeout (``TimeoutError``); with
   no timeout it gives up after the network's :attr:`~MemoryNetwork.max_block` real seconds and
   raises :class:`~sockettest.BlockedTooLong`, which names the call and the socket.
3. Time is the network's clock: :func:`time.monotonic`, or a :class:`~sockettest.VirtualClock`;
   in a simulated thread (:func:`sockettest.simulate`), the simulation's virtual time.
4. Sockets are tracked from creation to close: :meth:`MemoryNetwork.open_sockets` lists the ones
   a test forgot, by name, and every socket records the calls made on it.
"""

from __future__ import annotations

import socket
from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeAlias

from sockettest._addresses import normal_ip, unmapped
from sockettest._clock import VirtualClock
from sockettest._deadlines import DEFAULT_TIMEOUT, BlockedTooLong
from sockettest._faults import Faults
from sockettest._kernel import Kernel
from sockettest._memory_socket import MemorySocket, close_for_good, socket_pair
from sockettest._patch import NetworkPatch, patch_socket_module
from sockettest._poison import Outcome
from sockettest._validation import check_seconds

if TYPE_CHECKING:
    import asyncio

    from sockettest._names import HostTable

__all__ = ["DEFAULT_BUFFER_SIZE", "EPHEMERAL_PORTS", "TIME_WAIT", "FaultPlan", "MemoryNetwork"]


DEFAULT_BUFFER_SIZE = 4 * 1024 * 1024
"""Bytes one direction of a connection holds in flight (sent, not yet read) before ``send``
blocks: about what Linux's buffers take on loopback with default settings (3.7-3.9 MiB)."""

EPHEMERAL_PORTS = range(32768, 61000)
"""Ports handed out for ``bind((host, 0))`` and for connecting sockets (Linux's range)."""

TIME_WAIT = 60.0
"""Seconds the side that closed a connection first keeps holding its address (Linux's
``TCP_TIMEWAIT_LEN``; ``tcp_fin_timeout``, as long by default, bounds the FIN_WAIT2 before it),
measured on the network's clock: a :class:`~sockettest.VirtualClock` can ``advance`` past it."""

FaultPlan: TypeAlias = Faults | Sequence[Faults | None] | None
"""Which connections get which faults: one :class:`Faults` for every connection, or a
sequence whose i-th entry goes to the i-th connection (``None``: no faults; past the end: none)."""


class MemoryNetwork:
    """A network of in-memory TCP sockets: listeners by ``(host, port)``, connections as pipes.

    The network is one host, as loopback is. Its local addresses, the ones a socket can
    ``bind``, are the loopback ones (127.0.0.0/8 and ``::1``), the wildcards, and those a test
    declares: ``local_addresses=``, :meth:`add_address`, or :meth:`add_host`; binding any other
    raises ``EADDRNOTAVAIL``, as on Linux. Names resolve through the network's host table:
    ``localhost`` means ``127.0.0.1`` (or ``::1`` for IPv6), and :meth:`add_host` registers
    more; nothing is ever looked up for real.

    Ports are held as Linux holds them: by every socket bound to them, accepted ones included,
    and, after a connection is over, by the side that closed first, for :data:`TIME_WAIT`
    seconds on the network's clock. Binding a held address raises ``EADDRINUSE`` unless both
    sockets have ``SO_REUSEADDR`` and the holder is not listening (a server that sets it before
    ``bind`` restarts on its port at once; one that does not, fails for a minute).

    Args:
        clock: measure every timeout on this :class:`~sockettest.VirtualClock` instead of
            :func:`time.monotonic`; with its ``autojump_threshold`` set, a 300 s timeout fires
            in milliseconds.
        max_block: real seconds a blocking call with no timeout waits before it raises
            :class:`~sockettest.BlockedTooLong`; ``None`` lets it wait forever, as a real
            socket would. It bounds a server's ``accept`` too: raise it (or pass ``None``)
            for a test that keeps a server idle that long. On a virtual clock it also bounds
            a call with a timeout that nothing advances the clock to.
        buffer_size: bytes one direction holds in flight before ``send`` blocks (see
            :data:`DEFAULT_BUFFER_SIZE`). Set it small (e.g. 64) to see ``sendall`` block and
            time out against a peer that does not read, or writability come and go.
        accept_faults: the faults of the server side of each new connection (the sockets
            ``accept`` returns), in connection order; see :data:`FaultPlan`.
        connect_faults: the faults of each socket that connects, in connection order.
        socket_class: the class of every socket the network makes, accepted ones included; a
            :class:`MemorySocket` subclass. This is how a deliberately broken fake is built.
        local_addresses: IP literals this host has besides the loopback ones, as
            :meth:`add_address` declares them.

    Raises:
        TypeError: an argument of the wrong kind (a clock that is not a ``VirtualClock``, a
            fault plan that is not one, a ``socket_class`` that is not a ``MemorySocket``
            subclass), named in the message.
        ValueError: ``max_block`` or ``buffer_size`` out of range.
    """

    def __init__(
        self,
        *,
        clock: VirtualClock | None = None,
        max_block: float | None = DEFAULT_TIMEOUT,
        buffer_size: int = DEFAULT_BUFFER_SIZE,
        accept_faults: FaultPlan = None,
        connect_faults: FaultPlan = None,
        socket_class: type[MemorySocket] | None = None,
        local_addresses: Sequence[str] = (),
    ) -> None:
        if clock is not None and not isinstance(clock, VirtualClock):
            raise TypeError(
                f"clock must be a VirtualClock or None, not {clock!r}: the network reads real "
                "time by itself; hand a function of time to the code under test instead"
            )
        if max_block is not None:
            check_seconds("max_block", max_block, finite=False)
        if max_block is not None and not max_block > 0:
            raise ValueError(f"max_block must be positive seconds or None, not {max_block!r}")
        if isinstance(buffer_size, bool) or not isinstance(buffer_size, int) or buffer_size < 1:
            raise ValueError(f"buffer_size must be an int of at least 1, not {buffer_size!r}")
        _check_fault_plan("accept_faults", accept_faults)
        _check_fault_plan("connect_faults", connect_faults)
        if socket_class is not None and not (
            isinstance(socket_class, type) and issubclass(socket_class, MemorySocket)
        ):
            raise TypeError(f"socket_class must be a MemorySocket subclass, not {socket_class!r}")
        self.clock = clock
        self.max_block = max_block
        self.buffer_size = buffer_size
        self.accept_faults = accept_faults
        self.connect_faults = connect_faults
        self.socket_class: type[MemorySocket] = socket_class or MemorySocket
        self._hosts: HostTable | None = None
        self.fault_log: list[str] = []
        """Every fault that fired on this network, as ``"<socket name>: <what>"``, in order."""
        self.stuck_calls: list[BlockedTooLong] = []
        """Every :class:`~sockettest.BlockedTooLong` raised on this network."""
        self.sockets: list[MemorySocket] = []
        """Every socket made on this network, accepted ones included, oldest first."""
        self.accepted = 0
        """How many connections ``accept`` has returned on this network."""
        if isinstance(local_addresses, str):
            raise TypeError(
                f"local_addresses must be a sequence of IP literals, not {local_addresses!r}"
            )
        declared = _normal_addresses("local_addresses", local_addresses)
        self.kernel = Kernel(self, clock, EPHEMERAL_PORTS, TIME_WAIT)
        """What this network's sockets share (its lock, ports, listeners, TIME_WAIT, waiting):
        their one way into the network, the interface ``_kernel.py`` writes down. A test has
        no need of it; the network's own methods say what a test may ask."""
        self.kernel.local_addresses.update(declared)
        self._lock = self.kernel.lock

    def __repr__(self) -> str:
        return f"<MemoryNetwork {len(self.open_sockets())} open sockets>"

    @property
    def hosts(self) -> HostTable:
        """The names this network resolves; :meth:`add_host` adds to it. Made on first use."""
        with self._lock:
            if self._hosts is None:
                # Imported on first use: most tests resolve no name, and the table is the
                # kit's largest module.
                from sockettest._names import HostTable  # noqa: PLC0415

                self._hosts = HostTable()
            return self._hosts

    # Making sockets -------------------------------------------------------------------------

    def socket_factory(
        self, family: int = -1, type: int = -1, proto: int = -1, fileno: int | None = None
    ) -> MemorySocket:
        """Make a new, unbound socket, as :class:`socket.socket` does: the factory to hand to
        code under test (``factory(family, SOCK_STREAM)``), and what :meth:`patch` installs.

        ``family`` ``-1`` means ``AF_INET``, ``type`` ``-1`` means ``SOCK_STREAM``;
        ``SOCK_NONBLOCK`` in ``type`` makes the socket non-blocking, as on Linux.

        Raises:
            OSError: ``EINVAL`` for a type Linux does not have, ``EAFNOSUPPORT`` for a family
                other than ``AF_INET``/``AF_INET6``, ``ESOCKTNOSUPPORT`` for a type that
                Linux's TCP/IP does not have either (``SOCK_SEQPACKET``). Whatever
                :meth:`poison` set for ``"socket"``.
            NotModelled: ``SOCK_DGRAM`` or ``SOCK_RAW``, which Linux makes: the network
                carries TCP only.
            ValueError: ``fileno`` given: an in-memory socket wraps no descriptor.
        """
        if fileno is not None:
            raise ValueError("an in-memory socket cannot wrap a file descriptor (fileno=...)")
        if self.kernel.poisons:
            with self._lock:
                self.kernel.poisons.take("socket")
        return self.socket_class(self, family, type, proto)

    def socketpair(
        self, family: int | None = None, type: int = socket.SOCK_STREAM, proto: int = 0
    ) -> tuple[MemorySocket, MemorySocket]:
        """Two sockets already connected to each other, as :func:`socket.socketpair` gives.

        The family defaults to ``AF_UNIX`` as on Linux (their names are ``""``); ``AF_INET``
        and ``AF_INET6`` pairs get loopback addresses. No listener is involved and no fault
        plan applies: set each socket's ``faults``.
        """
        return socket_pair(self, family, type, proto)

    # Names -------------------------------------------------------------------------------------

    def add_host(self, name: str, *addresses: str) -> None:
        """Make ``name`` resolve to ``addresses`` (IP literals), for ``getaddrinfo``,
        ``gethostbyname``, ``gethostbyaddr`` and ``bind``/``connect`` by name.

        The addresses become local too (as :meth:`add_address`): a host named by the test is
        one the test runs, so a server may bind ``("db.test", 5432)`` and a client reach it by
        that name.

        Raises:
            ValueError: a bad IP literal, or no address.
        """
        self.hosts.add_host(name, *addresses)
        self.add_address(*addresses)

    def add_address(self, *addresses: str) -> None:
        """Give this host more local addresses (IP literals): sockets may then ``bind`` them,
        as a machine binds the addresses of its interfaces. Loopback needs no declaring.

        Raises:
            ValueError: ``addresses`` holds something that is not an IP literal.
        """
        normal = _normal_addresses("add_address", addresses)
        with self._lock:
            self.kernel.local_addresses.update(normal)

    @property
    def local_addresses(self) -> frozenset[str]:
        """The addresses declared local (:meth:`add_address`, :meth:`add_host`), loopback aside."""
        with self._lock:
            return frozenset(self.kernel.local_addresses)

    # The patch hook ----------------------------------------------------------------------------

    def patch(self) -> NetworkPatch:
        """A context manager that makes the :mod:`socket` module use this network in its block.

        ``socket.socket`` (any signature), ``socketpair``, ``getaddrinfo``, ``gethostbyname``,
        ``gethostbyname_ex``, ``gethostbyaddr``, ``getfqdn`` and ``getnameinfo`` are replaced;
        the standard library's ``create_connection`` and ``create_server`` call those, so they
        make in-memory sockets too, and so do ``socketserver``, ``http.server`` and
        ``http.client``. On exit everything is restored, in an order that works with
        pytest-socket's guard (see :mod:`sockettest._patch`). Blocks may overlap in any
        order: the newest open one is in force, and the last to end restores the module. One
        patch may be entered again after its block ends, not inside it (make another).
        ``AF_UNIX`` is not the network's: ``socket.socket(AF_UNIX)`` is as without the patch,
        and ``socketpair()`` gives a real ``AF_UNIX`` pair (``socketpair(AF_INET)`` this
        network's), so asyncio and ``multiprocessing`` keep working.

        Patch where the name is looked up: code that did ``from socket import socket`` at
        import time holds the real class, and no patch reaches it.
        """
        return patch_socket_module(self)

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        """A new asyncio event loop whose ``time()`` is this network's clock.

        The standard selector loop: the network's sockets work in it as they do in any loop
        (under :meth:`patch`, ``asyncio.start_server`` and ``open_connection`` make them). On
        a :class:`~sockettest.VirtualClock`, its timers (``call_later``, ``asyncio.sleep``,
        ``wait_for``, ``asyncio.timeout``) run on the clock, and with ``autojump_threshold``
        set the clock jumps to the loop's next timer once the loop and every thread using the
        network wait, so a 300 s ``wait_for`` fires in milliseconds; ``clock.advance()`` works
        too. A loop factory: ``asyncio.Runner(loop_factory=network.new_event_loop)`` (3.11+),
        ``asyncio.run(main(), loop_factory=network.new_event_loop)`` (3.12+). See
        :mod:`sockettest._event_loop` for what wakes its waits.
        """
        from sockettest._event_loop import NetworkEventLoop  # noqa: PLC0415 (asyncio is slow to import)

        return NetworkEventLoop(self)

    # Poison switches ---------------------------------------------------------------------------

    def poison(self, method: str, error: Outcome, *, times: int | None = None) -> None:
        """Make ``method`` raise ``error`` on every socket of the network, now and later.

        Args:
            method: a socket method (``"bind"``, ``"connect"``, ``"recv"`` ...), or
                ``"socket"`` for the factory call itself (e.g. ``OSError(errno.EMFILE, ...)``).
            error: the exception (instance or class) to raise.
            times: how many calls, across the network, raise before it works again;
                ``None``: every call.

        A poisoned call is still recorded in the socket's :attr:`~MemorySocket.calls` (it was
        attempted) and has no other effect.

        Raises:
            ValueError: ``method`` is not one this fake has (a typo would otherwise make the
                test pass without testing anything).
        """
        with self._lock:
            self.kernel.poisons.add(method, error, times)

    def cure(self, method: str) -> None:
        """Remove the network's poison from ``method``, if any."""
        with self._lock:
            self.kernel.poisons.pop(method, None)

    # Leaks -------------------------------------------------------------------------------------

    def open_sockets(self) -> list[MemorySocket]:
        """Every socket made on this network and not yet closed, oldest first."""
        with self._lock:
            return [s for s in self.sockets if not s.closed]

    def assert_all_closed(self, grace: float = 0.0) -> None:
        """Fail, naming each one, if a socket on this network is still open.

        Args:
            grace: real seconds to wait for sockets that threads are still closing (a server
                handler on its way out); 0: check at once.

        Raises:
            AssertionError: lists every open socket's ``repr`` (name, state, addresses).
            TypeError, ValueError: ``grace`` is not a finite number of seconds.
        """
        check_seconds("grace", grace)
        with self._lock:
            closed = lambda: all(s.closed for s in self.sockets)  # noqa: E731
            self.kernel.any_closed.wait_for(closed, grace)
        leaked = self.open_sockets()
        if leaked:
            listed = "\n  ".join(repr(s) for s in leaked)
            raise AssertionError(f"{len(leaked)} memory socket(s) left open:\n  {listed}")

    def wait_until_blocked(self, calls: int = 1, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Wait until at least ``calls`` socket calls of this network are blocked, waiting.

        The thread-world cousin of trio's ``wait_all_tasks_blocked``: call it before
        ``clock.advance(...)`` so that the call whose timeout you mean to pass has computed
        its deadline, or before waking a call from another thread to be sure it was asleep.

        Raises:
            BlockedTooLong: fewer were blocked after ``timeout`` real seconds.
            TypeError, ValueError: ``calls`` is not a positive int, or ``timeout`` not seconds.
        """
        if isinstance(calls, bool) or not isinstance(calls, int):
            raise TypeError(f"calls must be a number of calls, not {calls!r}")
        if calls < 1:
            raise ValueError(f"calls must be at least 1, not {calls!r}")
        check_seconds("timeout", timeout)
        with self._lock:
            waiting = self.kernel.waiting
            if not waiting.any_blocked.wait_for(lambda: waiting.blocked >= calls, timeout):
                raise BlockedTooLong(
                    f"{waiting.blocked} of {calls} socket calls were blocked after {timeout:g} s"
                )

    def close_all(self) -> None:
        """Close every open socket (for a fixture's teardown, after it has checked for leaks)."""
        for sock in self.open_sockets():
            close_for_good(sock)


def _normal_addresses(argument: str, addresses: Sequence[str]) -> list[str]:
    """``addresses`` in the network's normal form (IPv4-mapped ones as IPv4), or a ValueError
    that names ``argument`` and the value that is not an IP literal."""
    normal = []
    for address in addresses:
        ip = normal_ip(address) if isinstance(address, str) else None
        if ip is None:
            raise ValueError(f"{argument}: {address!r} is not an IPv4 or IPv6 literal")
        normal.append(unmapped(ip))
    return normal


def _check_fault_plan(name: str, plan: object) -> None:
    """A :data:`FaultPlan`, or a clear error naming the argument."""
    if plan is None or isinstance(plan, Faults):
        return
    sequence = isinstance(plan, Sequence) and not isinstance(plan, str | bytes)
    if sequence and all(item is None or isinstance(item, Faults) for item in plan):  # type: ignore[attr-defined]
        return
    raise TypeError(
        f"{name} must be Faults, a sequence of Faults or None (one a connection), or None; "
        f"not {plan!r}"
    )
