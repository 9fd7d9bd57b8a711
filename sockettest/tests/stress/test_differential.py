"""Differential fuzzing of the in-memory sockets against Linux's over loopback.

A Hypothesis state machine holds two worlds, each a connected (client, server) pair: world A on
a fresh :class:`~sockettest.MemoryNetwork`, world B real sockets on 127.0.0.1. Every rule applies
one operation to the same end in both worlds and compares what came back: the value, or the
exception's type and errno. After every step both worlds must report the same ``select``
readiness for each end.

Loopback is asynchronous where memory is instant: a byte sent, a FIN or an RST reaches the peer
a moment later. So after every operation that puts something on the wire, world B is *settled*
before anything is compared: the harness polls both loopback sockets (TCP state from
``TCP_INFO``, bytes queued in and unacknowledged out, from ``FIONREAD``/``TIOCOUTQ``) until
nothing is in flight and nothing has changed for a few polls, bounded to one second. Reads are
compared by content: when one world's ``recv`` returns fewer bytes, it is topped up (bounded)
before the bytes are compared, since the kernel may split a stream differently.

No call can hang: every socket has a timeout of :data:`TIMEOUT` seconds, and when a rule sets
no timeout (``None``), ``recv`` runs only when ``select`` shows it will not block.

It is a fuzzer, so it runs with the stress tier: 40 random runs at the small scale (in
``make test``), 300 with ``make stress``. The divergences the fuzzer found are pinned at the
bottom of the file, each by a deterministic
test run on both transports. The machine steers clear of a divergence not yet fixed in the fake
(a guard in the rule, with a comment naming the test), so that it goes on finding others; once
the fake is fixed the guard goes, and the machine checks the fix too.
"""

from __future__ import annotations

import errno
import fcntl
import functools
import io
import select
import socket
import struct
import termios
import time
from collections.abc import Callable, Iterator
from typing import Literal, TypeAlias, TypedDict, Unpack

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    MultipleResults,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from sockettest import MemoryNetwork, Socket
from sockettest.contract import WRONG_CALLS, WrongCall
from tests.stress.scale import scaled

End: TypeAlias = Literal["client", "server"]
Outcome: TypeAlias = tuple[object, ...]
"""``("ok", value)`` or ``("raise", exception type name, errno)``."""
Fingerprint: TypeAlias = dict[End, tuple[int, int, int]]
"""For each open loopback socket: (TCP state, bytes readable, bytes sent and not acknowledged)."""

ENDS: tuple[End, End] = ("client", "server")
HOST = "127.0.0.1"
TIMEOUT = 0.2
"""Every socket's timeout, in both worlds, unless a rule changes it."""
SETTLE_LIMIT = 1.0
"""Seconds the harness waits at most for the loopback world to settle after a step."""
CHANGE_WAIT = 0.05
"""Seconds the harness waits for a FIN or RST to change the peer's state after close/shutdown."""
POLL = 0.0005
STABLE_POLLS = 3
TOP_UP_LIMIT = 1.0
"""Seconds the harness spends at most topping up the shorter of two reads."""
SEND_CAP = 48 * 1024
"""Bytes an end sends in one example at most: well under loopback's window, so no send blocks."""
LINGER_RESET = struct.pack("ii", 1, 0)
TCP_ESTABLISHED, TCP_FIN_WAIT1, TCP_FIN_WAIT2, TCP_CLOSE, TCP_CLOSE_WAIT = 1, 4, 5, 7, 8
"""TCP states, from include/net/tcp_states.h."""
IN_FLIGHT_STATES = {"02", "03", "04", "09", "0B"}
"""States (hex, as ``/proc/net/tcp`` shows them) that wait for a packet already sent: SYN_SENT,
SYN_RECV, FIN_WAIT1, LAST_ACK, CLOSING. A socket closed by its owner stays in the table in
them, where no descriptor can see it."""
TRANSPORTS = ["memory", "loopback"]


def outcome(call: Callable[[], object]) -> Outcome:
    """What ``call()`` did, in a form both worlds can be compared by."""
    try:
        value = call()
    except OSError as error:
        return ("raise", type(error).__name__, error.errno)
    except ValueError as error:
        return ("raise", type(error).__name__, None)
    return ("ok", value)


def readiness(sock: Socket) -> Outcome:
    """``select.select([sock], [sock], [], 0)`` as (readable, writable), or what it raised."""

    def probe() -> tuple[bool, bool]:
        readable, writable, _ = select.select([sock], [sock], [], 0)
        return bool(readable), bool(writable)

    return outcome(probe)


def readable_within(sock: Socket, timeout: float) -> bool:
    """Whether ``select`` reports ``sock`` readable within ``timeout`` seconds."""
    readable, _, _ = select.select([sock], [], [], timeout)
    return bool(readable)


def pattern(start: int, size: int) -> bytes:
    """``size`` bytes that differ from the bytes around them in the stream."""
    return bytes((start + i) % 251 for i in range(size))


class World:
    """A connected (client, server) pair on one transport; the listener is already closed."""

    def __init__(self, transport: str) -> None:
        self.transport = transport
        self.network = MemoryNetwork() if transport == "memory" else None
        self.sockets: dict[End, Socket] = {}
        self.open: set[End] = set()
        listener = self.socket()
        try:
            listener.bind((HOST, 0))
            listener.listen(8)
            listen_port: int = listener.getsockname()[1]
            client = self.socket()
            self.sockets["client"] = client
            client.connect((HOST, listen_port))
            server, _ = listener.accept()
            self.sockets["server"] = server
            server.settimeout(TIMEOUT)
        finally:
            listener.close()
        self.open = set(ENDS)
        self.ports: dict[int, str] = {
            listen_port: "listener port",
            client.getsockname()[1]: "client port",
        }

    def socket(self) -> Socket:
        """A fresh socket of this world, with the harness's timeout."""
        sock: Socket
        if self.network is None:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        else:
            sock = self.network.socket_factory(socket.AF_INET, socket.SOCK_STREAM)
        sock.settimeout(TIMEOUT)
        return sock

    def address(self, address: object) -> object:
        """An address with its port replaced by the port's role, which both worlds share."""
        if isinstance(address, tuple) and len(address) == 2:
            host, port = address
            return host, self.ports.get(port, f"port {port}")
        return address

    def address_of(self, query: Callable[[], object]) -> object:
        """``query()`` (``getpeername``, ``getsockname``), its port replaced by its role."""
        return self.address(query())

    def close_all(self) -> None:
        """Close every socket of the world."""
        for sock in self.sockets.values():
            sock.close()
        self.open.clear()

    # Settling the loopback world -------------------------------------------------------------

    def fingerprint(self) -> Fingerprint:
        """Each open loopback socket's TCP state and queues; empty for a memory world."""
        if self.network is not None:
            return {}
        prints: Fingerprint = {}
        for end in sorted(self.open):
            sock = self.sockets[end]
            assert isinstance(sock, socket.socket)
            info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)
            fd = sock.fileno()
            inq = struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0" * 4))[0]
            outq = struct.unpack("i", fcntl.ioctl(fd, termios.TIOCOUTQ, b"\0" * 4))[0]
            prints[end] = (info[0], inq, outq)
        return prints

    def in_flight(self) -> bool:
        """Whether a socket of this connection that no descriptor sees (one closed, still
        finishing) waits for a packet it sent: a FIN not yet acknowledged, say. Until it is
        acknowledged, the peer may not have it, and the socket may still hold its port."""
        client_port = next(port for port, role in self.ports.items() if role == "client port")
        server_port = next(port for port, role in self.ports.items() if role == "listener port")
        ours = {f"0100007F:{client_port:04X}", f"0100007F:{server_port:04X}"}
        with open("/proc/net/tcp", encoding="ascii") as table:
            next(table)
            for line in table:
                local, remote, state = line.split()[1:4]
                if {local, remote} == ours and state in IN_FLIGHT_STATES:
                    return True
        return False

    def close_resets_peer(self, end: End, before: Fingerprint, lingers: bool) -> bool:
        """Whether closing ``end`` now (its state in ``before``; ``lingers``: ``SO_LINGER``
        (1, 0) is set by the call) sends a reset that its open peer must see, as Linux's
        ``tcp_close`` does for unread data or a zero linger. A reset leaves no socket behind
        to watch in flight, so the harness waits for the peer to change instead."""
        peer: End = "server" if end == "client" else "client"
        if self.network is not None or end not in before or peer not in before:
            return False
        state, unread, _ = before[end]
        if TCP_CLOSE in (state, before[peer][0]):
            return False
        sock = self.sockets[end]
        assert isinstance(sock, socket.socket)
        option = sock.getsockopt(socket.SOL_SOCKET, socket.SO_LINGER, 8)
        lingers = lingers or option == LINGER_RESET
        resetting = {TCP_ESTABLISHED, TCP_CLOSE_WAIT, TCP_FIN_WAIT1, TCP_FIN_WAIT2}
        return unread > 0 or (lingers and state in resetting)

    def settle(self, before: Fingerprint, watch: End | None = None, expect: bool = False) -> None:
        """Wait until the loopback world is quiet: nothing unacknowledged in flight (or the
        connection is gone), also from a socket already closed, nothing changing for a few
        polls, and, if ``watch`` is given, that end changed since ``before`` (a FIN or RST
        reached it) or, unless ``expect`` says a change must come, :data:`CHANGE_WAIT`
        passed. A no-op for a memory world, where delivery is instant."""
        if self.network is not None:
            return
        start = time.monotonic()
        last: Fingerprint | None = None
        stable = 0
        while time.monotonic() - start < SETTLE_LIMIT:
            now = self.fingerprint()
            stable = stable + 1 if now == last else 0
            last = now
            quiet = all(outq == 0 or state == TCP_CLOSE for state, _, outq in now.values())
            changed = (
                watch is None
                or watch not in now
                or now[watch] != before.get(watch)
                or (not expect and time.monotonic() - start >= CHANGE_WAIT)
            )
            if stable >= STABLE_POLLS and quiet and changed and not self.in_flight():
                return
            time.sleep(POLL)  # sleep-ok: polling the kernel's TCP state, which has no event


ends = st.sampled_from(ENDS)
WRONG_ON_A_CONNECTION = [row for row in WRONG_CALLS if row.on == "connected" and row.raises]
"""The contract's wrong calls on a connected socket that fail (so they change nothing)."""
small_data = st.binary(max_size=64)
recv_sizes = st.one_of(st.sampled_from([0, 1, 2, 4096]), st.integers(1, 10000))
timeouts = st.sampled_from([0.0, 0.01, TIMEOUT, None])
shut_hows = st.sampled_from([socket.SHUT_RD, socket.SHUT_WR, socket.SHUT_RDWR])
# Whether a read that would block until its timeout is made anyway: rarely, as it costs time.
wait_anyway = st.integers(0, 4).map(lambda n: n == 0)
RECV_FLAGS = {
    0: "",
    socket.MSG_PEEK: ", MSG_PEEK",
    socket.MSG_DONTWAIT: ", MSG_DONTWAIT",
    socket.MSG_PEEK | socket.MSG_DONTWAIT: ", MSG_PEEK | MSG_DONTWAIT",
    socket.MSG_WAITALL: ", MSG_WAITALL",
}
OPTIONS: dict[tuple[int, int], str] = {
    (socket.SOL_SOCKET, socket.SO_ERROR): "SO_ERROR",
    (socket.SOL_SOCKET, socket.SO_TYPE): "SO_TYPE",
    (socket.SOL_SOCKET, socket.SO_LINGER): "SO_LINGER",
    (socket.SOL_SOCKET, socket.SO_ACCEPTCONN): "SO_ACCEPTCONN",
    (socket.SOL_SOCKET, socket.SO_KEEPALIVE): "SO_KEEPALIVE",
    (socket.IPPROTO_TCP, socket.TCP_NODELAY): "TCP_NODELAY",
}
CLOSED_CALLS: dict[str, Callable[[Socket], object]] = {
    "send(b'x')": lambda s: s.send(b"x"),
    "sendall(b'x')": lambda s: s.sendall(b"x"),
    "recv(0)": lambda s: s.recv(0),
    "recv(1)": lambda s: s.recv(1),
    "recv_into(bytearray(1))": lambda s: s.recv_into(bytearray(1)),
    "shutdown(SHUT_RDWR)": lambda s: s.shutdown(socket.SHUT_RDWR),
    "getpeername()": lambda s: s.getpeername(),
    "getsockname()": lambda s: s.getsockname(),
    "settimeout(1.0)": lambda s: s.settimeout(1.0),
    "setblocking(False)": lambda s: s.setblocking(False),
    "gettimeout()": lambda s: s.gettimeout(),
    "getsockopt(SO_ERROR)": lambda s: s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR),
    "close()": lambda s: s.close(),
}
"""Calls made on a closed socket."""


class OnTheWire(TypedDict, total=False):
    """What a call puts on the wire, for :meth:`DifferentialMachine.apply` (each ``False`` if
    not given)."""

    settle: bool
    """Wait for the loopback world to settle after the call."""
    watch_peer: bool
    """While settling, wait for the peer's state to change too (a FIN or RST on its way)."""
    closes: bool
    """The call closes the socket."""
    lingers: bool
    """The call sets ``SO_LINGER`` (1, 0) first: a close resets."""


class DifferentialMachine(RuleBasedStateMachine):
    """The same operations on a memory pair and a loopback pair; every outcome compared."""

    open_ends = Bundle("open_ends")
    closed_ends = Bundle("closed_ends")

    def __init__(self) -> None:
        super().__init__()
        self.memory = World("memory")
        try:
            self.loopback = World("loopback")
        except BaseException:
            self.memory.close_all()
            raise
        self.worlds = (self.memory, self.loopback)
        self.timeouts: dict[End, float | None] = dict.fromkeys(ENDS, TIMEOUT)
        self.sent: dict[End, int] = dict.fromkeys(ENDS, 0)
        self.fin: dict[End, bool] = dict.fromkeys(ENDS, False)
        """Whether the end has sent its FIN (``SHUT_WR``, ``SHUT_RDWR`` or ``close``)."""
        self.history: list[str] = []
        self.stream_position = 0

    def teardown(self) -> None:
        """Close every socket in both worlds."""
        for world in self.worlds:
            world.close_all()

    # Helpers ---------------------------------------------------------------------------------

    @staticmethod
    def peer(end: End) -> End:
        return "server" if end == "client" else "client"

    def apply(
        self, end: End, what: str, call: Callable[[Socket], object], **wire: Unpack[OnTheWire]
    ) -> tuple[Outcome, Outcome]:
        """Run ``call`` on ``end`` in both worlds (``wire``: what it puts on the wire, which
        the loopback world is settled for) and return the two outcomes, memory's first."""
        settle, closes = wire.get("settle", False), wire.get("closes", False)
        watch_peer, lingers = wire.get("watch_peer", False), wire.get("lingers", False)
        self.history.append(f"{end}.{what}")
        results: list[Outcome] = []
        for world in self.worlds:
            wait = settle and end in world.open  # nothing to wait for after a closed socket's call
            before = world.fingerprint() if wait else {}
            expect = closes and wait and world.close_resets_peer(end, before, lingers)
            results.append(outcome(functools.partial(call, world.sockets[end])))
            if closes:
                world.open.discard(end)
            if wait:
                world.settle(before, self.peer(end) if watch_peer else None, expect)
        return results[0], results[1]

    def compare(self, end: End, what: str, memory: Outcome, loopback: Outcome) -> None:
        assert memory == loopback, (
            f"{end}.{what} diverged: memory {memory}, loopback {loopback}\n"
            f"  after: {'; '.join(self.history[:-1]) or 'nothing'}"
        )

    def same(
        self, end: End, what: str, call: Callable[[Socket], object], **wire: Unpack[OnTheWire]
    ) -> None:
        """:meth:`apply`, then :meth:`compare` the two outcomes."""
        self.compare(end, what, *self.apply(end, what, call, **wire))

    def may_read(self, end: End, size: int, wait: bool) -> bool:
        """Whether a read on ``end`` can be made without hanging, and is worth its time."""
        timeout = self.timeouts[end]
        if size == 0 or timeout == 0 or end not in self.memory.open:
            return True
        ready = [readiness(world.sockets[end]) for world in self.worlds]
        assert ready[0] == ready[1], f"readiness of {end} diverged before a read: {ready}"
        if ready[0] in (("ok", (True, True)), ("ok", (True, False))):
            return True  # readable: data, EOF or an error is there
        return timeout is not None and wait

    def top_up(
        self, end: End, memory: Outcome, loopback: Outcome, peek: bool
    ) -> tuple[Outcome, Outcome]:
        """If both reads returned bytes, but one fewer, read more on that world (bounded) so
        that the bytes compared do not depend on how the kernel split the stream."""
        if memory[0] != "ok" or loopback[0] != "ok":
            return memory, loopback
        data = {"memory": memory[1], "loopback": loopback[1]}
        assert isinstance(data["memory"], bytes)
        assert isinstance(data["loopback"], bytes)
        want = max(len(data["memory"]), len(data["loopback"]))
        for world in self.worlds:
            got = data[world.transport]
            assert isinstance(got, bytes)
            sock = world.sockets[end]
            start = time.monotonic()
            while len(got) < want and time.monotonic() - start < TOP_UP_LIMIT:
                if not readable_within(sock, 0.05):
                    continue
                try:
                    if peek:
                        peeked = sock.recv(want, socket.MSG_PEEK)
                        if len(peeked) <= len(got):
                            break  # nothing more has arrived
                        got = peeked
                        continue
                    more = sock.recv(want - len(got))
                except OSError:
                    break
                if not more:
                    break
                got += more
            data[world.transport] = got
        return ("ok", data["memory"]), ("ok", data["loopback"])

    def available(self, end: End) -> int:
        """Bytes waiting to be read by ``end`` on loopback (settled); 0 if closed."""
        state = self.loopback.fingerprint().get(end)
        return 0 if state is None else state[1]

    # Rules: the connection -------------------------------------------------------------------

    @initialize(target=open_ends)
    def connected(self) -> MultipleResults[End]:
        """Both ends of the connection start open."""
        return multiple(*ENDS)

    # Rules: sending --------------------------------------------------------------------------

    def next_bytes(self, size: int) -> bytes:
        data = pattern(self.stream_position, size)
        self.stream_position += size
        return data

    @precondition(lambda self: max(self.sent.values()) < SEND_CAP)
    @rule(end=open_ends, data=small_data)
    def send_small(self, end: End, data: bytes) -> None:
        """``send`` a few bytes."""
        self.sent[end] += len(data)
        self.same(end, f"send({len(data)} bytes)", lambda s: s.send(data), settle=True)

    @precondition(lambda self: max(self.sent.values()) < SEND_CAP - 8192)
    @rule(end=open_ends, size=st.integers(1000, 8000))
    def send_medium(self, end: End, size: int) -> None:
        """``send`` a few kilobytes."""
        data = self.next_bytes(size)
        self.sent[end] += size
        self.same(end, f"send({size} bytes)", lambda s: s.send(data), settle=True)

    @precondition(lambda self: max(self.sent.values()) < SEND_CAP - 8192)
    @rule(end=open_ends, size=st.integers(0, 8000))
    def sendall(self, end: End, size: int) -> None:
        """``sendall`` up to a few kilobytes."""
        data = self.next_bytes(size)
        self.sent[end] += size
        self.same(end, f"sendall({size} bytes)", lambda s: s.sendall(data), settle=True)

    # Rules: receiving ------------------------------------------------------------------------

    @rule(end=open_ends, size=recv_sizes, flags=st.sampled_from(list(RECV_FLAGS)), wait=wait_anyway)
    def recv(self, end: End, size: int, flags: int, wait: bool) -> None:
        """``recv(n, flags)``, flags from :data:`RECV_FLAGS`; the bytes compared after topping
        up."""
        if flags & socket.MSG_WAITALL and self.timeouts[end] is None and size > self.available(end):
            return  # it would block for good on loopback
        if flags & socket.MSG_DONTWAIT:
            if self.timeouts[end] is not None and not self.may_read(end, size, wait):
                return  # CPython waits the timeout first: rarely worth the time
        elif not self.may_read(end, size, wait):
            return
        what = f"recv({size}{RECV_FLAGS[flags]})"
        memory, loopback = self.apply(end, what, lambda s: s.recv(size, flags))
        memory, loopback = self.top_up(end, memory, loopback, peek=bool(flags & socket.MSG_PEEK))
        self.compare(end, what, memory, loopback)

    @rule(end=open_ends, size=recv_sizes, wait=wait_anyway)
    def recv_into(self, end: End, size: int, wait: bool) -> None:
        """``recv_into`` a buffer of ``size`` bytes; the bytes compared after topping up."""
        if not self.may_read(end, size, wait):
            return

        def read_into(sock: Socket) -> bytes:
            buffer = bytearray(size)
            count = sock.recv_into(buffer)
            return bytes(buffer[:count])

        what = f"recv_into(bytearray({size}))"
        memory, loopback = self.apply(end, what, read_into)
        memory, loopback = self.top_up(end, memory, loopback, peek=False)
        self.compare(end, what, memory, loopback)

    # Rules: shutting down and closing ----------------------------------------------------------

    @rule(end=open_ends, how=shut_hows)
    def shutdown(self, end: End, how: int) -> None:
        """``shutdown`` one or both directions."""
        names = {socket.SHUT_RD: "RD", socket.SHUT_WR: "WR", socket.SHUT_RDWR: "RDWR"}
        what = f"shutdown(SHUT_{names[how]})"
        memory, loopback = self.apply(
            end, what, lambda s: s.shutdown(how), settle=True, watch_peer=how != socket.SHUT_RD
        )
        self.compare(end, what, memory, loopback)
        if memory[0] == "ok" and how != socket.SHUT_RD:
            self.fin[end] = True

    @rule(target=closed_ends, end=consumes(open_ends))
    def close(self, end: End) -> End:
        """``close``."""
        self.same(end, "close()", lambda s: s.close(), settle=True, watch_peer=True, closes=True)
        self.fin[end] = True
        return end

    @rule(target=closed_ends, end=consumes(open_ends))
    def linger_close(self, end: End) -> End:
        """Set ``SO_LINGER`` (1, 0), then ``close``: a reset."""

        def reset(sock: Socket) -> None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RESET)
            sock.close()

        self.same(
            end, "linger_close()", reset, settle=True, watch_peer=True, closes=True, lingers=True
        )
        return end

    @rule(end=open_ends)
    def set_linger(self, end: End) -> None:
        """Set ``SO_LINGER`` (1, 0) alone: a later ``close`` resets."""
        self.same(
            end,
            "setsockopt(SO_LINGER, (1, 0))",
            lambda s: s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RESET),
        )

    # Rules: the listener's port ----------------------------------------------------------------

    @rule(reuse=st.booleans())
    def bind_listener_port(self, reuse: bool) -> None:
        """Bind a fresh socket (``SO_REUSEADDR`` or not) to the closed listener's port: who
        still holds it, an accepted socket or its TIME_WAIT. (Only the listener's port: a port
        ``connect`` picked on loopback may be shared with an earlier example's TIME_WAIT.)"""
        what = f"bind_listener_port(reuse={reuse})"
        self.history.append(what)
        results: list[Outcome] = []
        for world in self.worlds:
            [port] = [port for port, role in world.ports.items() if role == "listener port"]
            sock = world.socket()
            try:
                if reuse:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                results.append(outcome(functools.partial(sock.bind, (HOST, port))))
            finally:
                sock.close()
        self.compare("server", what, results[0], results[1])

    # Rules: timeouts -------------------------------------------------------------------------

    @rule(end=open_ends, timeout=timeouts)
    def settimeout(self, end: End, timeout: float | None) -> None:
        """``settimeout(0 | small | TIMEOUT | None)``."""
        what = f"settimeout({timeout})"
        memory, loopback = self.apply(end, what, lambda s: s.settimeout(timeout))
        self.compare(end, what, memory, loopback)
        self.timeouts[end] = timeout

    @rule(end=open_ends, flag=st.booleans())
    def setblocking(self, end: End, flag: bool) -> None:
        """``setblocking(True | False)``."""
        memory, loopback = self.apply(end, f"setblocking({flag})", lambda s: s.setblocking(flag))
        self.compare(end, f"setblocking({flag})", memory, loopback)
        self.timeouts[end] = None if flag else 0.0

    @rule(end=ends)
    def gettimeout(self, end: End) -> None:
        """``gettimeout()``, on an open or a closed socket."""
        self.same(end, "gettimeout()", lambda s: s.gettimeout())

    # Rules: queries --------------------------------------------------------------------------

    def address_query(self, end: End, method: Literal["getpeername", "getsockname"]) -> None:
        """Compare ``getpeername()`` or ``getsockname()``, each port replaced by its role."""
        self.history.append(f"{end}.{method}()")
        results: list[Outcome] = []
        for world in self.worlds:
            sock = world.sockets[end]
            query = sock.getpeername if method == "getpeername" else sock.getsockname
            results.append(outcome(functools.partial(world.address_of, query)))
        self.compare(end, f"{method}()", results[0], results[1])

    @rule(end=open_ends)
    def getpeername(self, end: End) -> None:
        """``getpeername()``, with the port replaced by its role."""
        self.address_query(end, "getpeername")

    @rule(end=open_ends)
    def getsockname(self, end: End) -> None:
        """``getsockname()``, with the port replaced by its role."""
        self.address_query(end, "getsockname")

    @rule(end=open_ends, option=st.sampled_from(list(OPTIONS)))
    def getsockopt(self, end: End, option: tuple[int, int]) -> None:
        """``getsockopt`` of an option from :data:`OPTIONS`."""
        self.same(end, f"getsockopt({OPTIONS[option]})", lambda s: s.getsockopt(*option))

    @rule(end=ends)
    def fileno_closed(self, end: End) -> None:
        """``fileno() == -1``: whether the socket is closed, on an open or a closed socket."""
        self.same(end, "fileno() == -1", lambda s: s.fileno() == -1)

    @rule(end=closed_ends, call=st.sampled_from(list(CLOSED_CALLS)))
    def after_close(self, end: End, call: str) -> None:
        """A call on a closed socket."""
        self.same(end, call, CLOSED_CALLS[call])

    @rule(end=ends, row=st.sampled_from(WRONG_ON_A_CONNECTION))
    def wrong_call(self, end: End, row: WrongCall) -> None:
        """A wrong call of the contract's table, in whatever state the end is now."""

        def call(sock: Socket) -> object:
            try:
                return row.make(sock, (HOST, 1))
            except (TypeError, OverflowError, BufferError, io.UnsupportedOperation) as error:
                return ("raised", type(error).__name__)  # outcome() compares only OS errors

        self.same(end, row.call, call)

    # After every step ------------------------------------------------------------------------

    @invariant()
    def same_readiness(self) -> None:
        """Both worlds report the same ``select`` readiness for each end."""
        for end in ENDS:
            memory, loopback = (readiness(world.sockets[end]) for world in self.worlds)
            self.compare(end, "select readiness", memory, loopback)


# The tier's 60 s guard against a hang is a margin of two over a full run on a quiet machine
# (about 30 s), and a loaded one ran past it; every step has its own bound, so the guard grows
# with the number of examples.
@pytest.mark.timeout(scaled(60, 600))
def test_differential_memory_against_loopback() -> None:
    """Random operations give the same outcomes on a memory pair as on a loopback pair."""
    run_state_machine_as_test(
        DifferentialMachine,
        settings=settings(
            max_examples=scaled(40, 300), stateful_step_count=25, deadline=None, database=None
        ),
    )


# Divergences found by the fuzzer ---------------------------------------------------------------


@pytest.fixture(params=TRANSPORTS)
def pair(request: pytest.FixtureRequest) -> Iterator[tuple[Socket, Socket]]:
    """A connected (client, server) pair in memory or on loopback, closed afterwards."""
    world = World(request.param)
    yield world.sockets["client"], world.sockets["server"]
    world.close_all()


def eventually_raises(call: Callable[[], object], code: int, what: str) -> None:
    """Fail unless ``call`` raises OSError ``code`` within a second (for a FIN or RST to land)."""
    start = time.monotonic()
    while True:
        result = outcome(call)
        if result[0] == "raise":
            assert result[2] == code, f"{what} raised {result}, not errno {code}"
            return
        if time.monotonic() - start > SETTLE_LIMIT:
            raise AssertionError(f"{what} still returns {result[1]!r}, not errno {code}")
        time.sleep(POLL)  # sleep-ok: a FIN or RST lands when the kernel says; no event for it


def test_getpeername_after_fin_both_ways(pair: tuple[Socket, Socket]) -> None:
    """After FINs both ways (each end shut its write side), ``getpeername`` raises ENOTCONN."""
    # Linux: the first to shut goes FIN_WAIT2 -> TIME_WAIT, the other LAST_ACK -> CLOSE; both
    # sockets are in TCP_CLOSE, not connected (the fake used to go on answering).
    client, server = pair
    client.shutdown(socket.SHUT_WR)
    assert server.recv(10) == b""
    server.shutdown(socket.SHUT_WR)
    assert client.recv(10) == b""
    eventually_raises(client.getpeername, errno.ENOTCONN, "the client's getpeername")
    eventually_raises(server.getpeername, errno.ENOTCONN, "the server's getpeername")


def test_shutdown_after_fin_both_ways(pair: tuple[Socket, Socket]) -> None:
    """After FINs both ways, ``shutdown`` raises ENOTCONN."""
    client, server = pair
    client.shutdown(socket.SHUT_WR)
    assert server.recv(10) == b""
    server.shutdown(socket.SHUT_WR)
    assert client.recv(10) == b""
    for sock, name in ((client, "client"), (server, "server")):
        shut = functools.partial(sock.shutdown, socket.SHUT_RD)
        eventually_raises(shut, errno.ENOTCONN, f"the {name}'s shutdown(SHUT_RD)")


def test_shutdown_after_reset(pair: tuple[Socket, Socket]) -> None:
    """After a reset, ``shutdown`` in any direction raises ENOTCONN."""
    client, server = pair
    server.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RESET)
    server.close()
    eventually_raises(client.getpeername, errno.ENOTCONN, "getpeername after the reset")
    for how in (socket.SHUT_RD, socket.SHUT_WR, socket.SHUT_RDWR):
        shut = functools.partial(client.shutdown, how)
        eventually_raises(shut, errno.ENOTCONN, f"shutdown({how})")


def test_timeout_set_on_closed_socket_sticks(pair: tuple[Socket, Socket]) -> None:
    """On a closed socket ``settimeout``/``setblocking`` raise EBADF but store the timeout."""
    # CPython sets sock_timeout before its ioctl(FIONBIO) on fd -1 fails; the fake does the same.
    client, _ = pair
    client.close()
    assert outcome(lambda: client.settimeout(5.0)) == ("raise", "OSError", errno.EBADF)
    assert client.gettimeout() == 5.0
    assert outcome(lambda: client.setblocking(False)) == ("raise", "OSError", errno.EBADF)
    assert client.gettimeout() == 0.0


def test_so_error_reports_reset(pair: tuple[Socket, Socket]) -> None:
    """After a reset, ``SO_ERROR`` reads ECONNRESET once, which the next ``recv`` no longer gets."""
    # Memory's SO_ERROR holds only a failed non-blocking connect's error: it reads 0 here.
    client, server = pair
    server.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RESET)
    server.close()
    eventually_raises(client.getpeername, errno.ENOTCONN, "getpeername after the reset")
    assert client.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == errno.ECONNRESET
    assert client.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0
    assert client.recv(10) == b""


def test_recv_dontwait_with_a_timeout_waits_for_it(
    pair: tuple[Socket, Socket],
) -> None:
    """``recv(n, MSG_DONTWAIT)`` with a timeout and no data raises TimeoutError, not EAGAIN."""
    # CPython polls for readability for the timeout before it calls recv(2) with the flag.
    client, _ = pair
    client.settimeout(0.05)
    assert outcome(lambda: client.recv(1, socket.MSG_DONTWAIT)) == ("raise", "TimeoutError", None)


@pytest.mark.parametrize("timeout", [0.2, 0.0], ids=["timeout", "non-blocking"])
def test_recv_waitall_with_a_timeout_returns_what_is_there(
    pair: tuple[Socket, Socket], timeout: float
) -> None:
    """``recv(n, MSG_WAITALL)`` with a timeout (or none) returns the fewer bytes already there."""
    # With any timeout CPython's descriptor is O_NONBLOCK, so the kernel returns what it has;
    # memory waits for n bytes and raises TimeoutError (or BlockingIOError).
    client, server = pair
    client.sendall(b"hello")
    assert readable_within(server, 1.0), "the bytes never arrived"
    server.settimeout(timeout)
    assert outcome(lambda: server.recv(100, socket.MSG_WAITALL)) == ("ok", b"hello")


def test_reset_of_a_connection_already_reset(pair: tuple[Socket, Socket]) -> None:
    """A reset is reported once: closing the other end later does not reset the socket again."""
    # The server aborts (data reached it after its SHUT_RDWR) and reports ECONNRESET; the
    # client's close with unread data then has no connection left to reset on Linux, while
    # memory resets the server a second time.
    client, server = pair
    server.sendall(b"never read")
    server.shutdown(socket.SHUT_RDWR)
    assert readable_within(client, 1.0), "the server's FIN never arrived"
    client.send(b"x")  # accepted; the server answers it with a reset
    eventually_raises(client.getpeername, errno.ENOTCONN, "getpeername after the reset")
    assert outcome(lambda: server.send(b"x")) == ("raise", "ConnectionResetError", errno.ECONNRESET)
    client.close()
    time.sleep(CHANGE_WAIT)  # sleep-ok: time for a second reset to arrive, if one were sent
    assert outcome(lambda: server.send(b"x")) == ("raise", "BrokenPipeError", errno.EPIPE)


def test_so_error_reads_epipe_after_a_reset_that_follows_eof(
    pair: tuple[Socket, Socket],
) -> None:
    """A reset after the peer's FIN leaves EPIPE in ``SO_ERROR`` (read once), not 0."""
    # Linux's tcp_reset() in CLOSE_WAIT sets sk_err to EPIPE; recv still reads EOF.
    client, server = pair
    server.close()
    assert client.recv(10) == b""
    client.send(b"x")  # accepted; the closed server answers it with a reset
    eventually_raises(client.getpeername, errno.ENOTCONN, "getpeername after the reset")
    assert client.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == errno.EPIPE
    assert client.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0
    assert client.recv(10) == b""


@pytest.fixture(params=TRANSPORTS)
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    """A connected pair in memory or on loopback, with its ports; closed afterwards."""
    world = World(request.param)
    yield world
    world.close_all()


def bind_listener_port(world: World) -> Outcome:
    """Bind a fresh socket of ``world`` to its closed listener's port, and close it."""
    [port] = [port for port, role in world.ports.items() if role == "listener port"]
    with world.socket() as sock:
        return outcome(functools.partial(sock.bind, (HOST, port)))


def listener_port_freed(world: World) -> bool:
    """Whether the listener's port can be bound within a second (a last ACK may be in flight)."""
    start = time.monotonic()
    while bind_listener_port(world) != ("ok", None):
        if time.monotonic() - start > SETTLE_LIMIT:
            return False
        time.sleep(POLL)  # sleep-ok: the peer's ACK lands when the kernel says; no event for it
    return True


def fins_both_ways(client: Socket, server: Socket) -> None:
    """The server shuts its write side first, then the client: the server's side is the active
    closer, and waits in TIME_WAIT from the client's FIN on."""
    server.shutdown(socket.SHUT_WR)
    assert client.recv(10) == b""
    client.shutdown(socket.SHUT_WR)
    assert server.recv(10) == b""


def test_an_abort_after_fins_both_ways_leaves_time_wait(world: World) -> None:
    """After FINs both ways, a close that would reset (``SO_LINGER`` 0 on either side) sends no
    RST: the connection is over, and the server's TIME_WAIT still holds the listener's port."""
    # Found by the fuzzer once the listener's port was in its rules: memory let the reset end
    # the TIME_WAIT, as a reset does before the connection is over.
    client, server = world.sockets["client"], world.sockets["server"]
    fins_both_ways(client, server)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RESET)
    server.close()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RESET)
    client.close()
    time.sleep(CHANGE_WAIT)  # sleep-ok: time for a reset to arrive, if one were sent
    assert bind_listener_port(world) == ("raise", "OSError", errno.EADDRINUSE)


def test_the_passive_side_lets_its_port_go_while_still_open(world: World) -> None:
    """After FINs both ways with the client's first, the server's open socket no longer holds
    the listener's port (its connection is over, and it closed passively)."""
    client, server = world.sockets["client"], world.sockets["server"]
    client.shutdown(socket.SHUT_WR)
    assert server.recv(10) == b""
    server.shutdown(socket.SHUT_WR)
    assert client.recv(10) == b""
    assert listener_port_freed(world), "the server's open socket still holds the port"


def test_a_reset_lets_the_port_go_while_the_socket_is_open(world: World) -> None:
    """A server socket reset by its peer no longer holds the listener's port, though open."""
    client, server = world.sockets["client"], world.sockets["server"]
    assert bind_listener_port(world) == ("raise", "OSError", errno.EADDRINUSE)
    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RESET)
    client.close()
    eventually_raises(server.getpeername, errno.ENOTCONN, "getpeername after the reset")
    assert listener_port_freed(world), "the reset server socket still holds the port"
