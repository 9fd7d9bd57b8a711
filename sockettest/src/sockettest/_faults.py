"""Fault injection for in-memory sockets: what goes wrong, and when.

A real network splits your bytes wherever it likes, accepts only part of a ``send``, resets a
connection in the middle of a line, goes quiet, or ends the stream early. On loopback none of
that happens on demand, so code that mishandles it passes every test. A :class:`Faults` makes it
happen, deterministically, on a :class:`~sockettest.MemorySocket`:

    network = MemoryNetwork(accept_faults=Faults(recv_chunks=(1,)))  # the server reads 1 byte
    sock.faults = Faults(send_limit=3)  # this socket's send() takes at most 3 bytes a call

Rules of this module:

1. A :class:`Faults` is a frozen value (hashable, comparable, with a short ``repr`` that names only
   the faults it sets), so Hypothesis can generate, shrink and print it
   (:func:`sockettest.strategies.faults`).
2. Byte positions count the bytes *this* socket has received or sent since its faults were set;
   call numbers count its ``recv`` calls from 1.
3. Faults happen only on the socket that carries them. Its peer sees what follows from
   how the code under test reacts (typically a close, so EOF), as it would on a real network
   where only one host's view of the connection breaks.
4. Every fault that fires is written to the injector's :attr:`FaultInjector.fired` list (and the
   network's ``fault_log``), so a test can check that the fault it planned really happened.
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from dataclasses import dataclass, field, fields

__all__ = ["FaultInjector", "Faults"]


@dataclass(frozen=True, repr=False)
class Faults:
    """What goes wrong on one socket, and when. Every field defaults to "nothing goes wrong".

    Args:
        recv_chunks: each ``recv`` returns at most the next of these sizes, cycling:
            ``(1,)`` delivers one byte per call, ``(1, 3)`` one byte, then three, then one...
            Catches code that assumes one ``recv`` is one message.
        send_limit: each ``send`` accepts at most this many bytes and returns the short count.
            Catches ``send`` used where ``sendall`` is needed. At least 1: a ``send`` that
            returns 0 forever would make any ``sendall`` loop spin.
        reset_after_recv: once this many bytes have been received, the next ``recv`` raises
            :class:`ConnectionResetError`; bytes beyond are never delivered.
        reset_after_send: ``send`` accepts bytes up to this total, then raises
            :class:`ConnectionResetError`; bytes beyond never reach the peer.
        timeout_on_recv: this ``recv`` call (counting from 1) raises :class:`TimeoutError` at
            once, whatever the socket's timeout and whether or not data is waiting. It fires once.
        eof_after: once this many bytes have been received, ``recv`` returns ``b""`` (end of
            stream) from then on, as if the peer had closed early.

    After a reset the socket behaves as Linux's does after an RST: ``recv`` returns ``b""``,
    ``send`` raises :class:`BrokenPipeError`.

    Raises:
        ValueError: a size or position out of range (see each field).
        TypeError: ``recv_chunks`` is not a sequence of ints.
    """

    recv_chunks: tuple[int, ...] = ()
    send_limit: int | None = None
    reset_after_recv: int | None = None
    reset_after_send: int | None = None
    timeout_on_recv: int | None = None
    eof_after: int | None = None

    def __post_init__(self) -> None:
        try:
            chunks = tuple(self.recv_chunks)
        except TypeError:
            raise TypeError(
                f"recv_chunks must be a sequence of sizes, not {self.recv_chunks!r}"
            ) from None
        if not all(isinstance(c, int) and not isinstance(c, bool) for c in chunks):
            raise TypeError(f"recv_chunks must be ints, not {self.recv_chunks!r}")
        if any(c < 1 for c in chunks):
            raise ValueError(f"recv_chunks sizes must each be at least 1, not {chunks!r}")
        object.__setattr__(self, "recv_chunks", chunks)  # a list becomes a hashable tuple
        _check_int("send_limit", self.send_limit, 1)
        _check_int("reset_after_recv", self.reset_after_recv, 0)
        _check_int("reset_after_send", self.reset_after_send, 0)
        _check_int("timeout_on_recv", self.timeout_on_recv, 1)
        _check_int("eof_after", self.eof_after, 0)

    def __repr__(self) -> str:
        """Only the faults that are set: ``Faults(recv_chunks=(1, 3), send_limit=1)``."""
        shown = [
            f"{f.name}={getattr(self, f.name)!r}"
            for f in fields(self)
            if getattr(self, f.name) != f.default
        ]
        return f"Faults({', '.join(shown)})"

    @property
    def is_empty(self) -> bool:
        """True when no fault is set: the socket behaves normally."""
        return self == Faults()


def _check_int(name: str, value: int | None, least: int) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int or None, not {value!r}")
    if value < least:
        raise ValueError(f"{name} must be at least {least}, not {value!r}")


@dataclass
class FaultInjector:
    """A :class:`Faults` applied to one socket: counts its bytes and calls.

    The socket calls these hooks with its lock held; you only need this class to write your own
    faulty socket. :class:`~sockettest.MemorySocket` creates one when you set its
    ``faults``.

    Args:
        faults: what goes wrong on the socket, and when.
        name: the socket's name, used in the messages of the faults that fire.
        on_fire: called with a description of each fault as it fires (the network's log).
    """

    faults: Faults
    name: str = "socket"
    on_fire: Callable[[str], None] | None = None
    received: int = 0
    """Bytes ``recv`` has returned since the faults were set."""
    sent: int = 0
    """Bytes ``send`` has accepted since the faults were set."""
    recv_calls: int = 0
    """``recv`` calls since the faults were set."""
    fired: list[str] = field(default_factory=list)
    """A description of every fault that fired, in order."""
    _chunk_index: int = 0
    _eof_logged: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.faults, Faults):
            raise TypeError(f"faults must be a Faults, not {self.faults!r}")

    def before_recv(self) -> bool:
        """Count a ``recv`` call and apply the faults due now.

        Returns:
            True when an early EOF is due (``recv`` must return ``b""`` without reading).

        Raises:
            TimeoutError: this is the call ``timeout_on_recv`` names.
            ConnectionResetError: ``reset_after_recv`` bytes have been received.
        """
        self.recv_calls += 1
        faults = self.faults
        if faults.timeout_on_recv == self.recv_calls:
            self._fire(f"timeout on recv call #{self.recv_calls}")
            raise TimeoutError(f"timed out (fault: recv call #{self.recv_calls} of {self.name})")
        if faults.reset_after_recv is not None and self.received >= faults.reset_after_recv:
            self._fire(f"connection reset after {self.received} bytes received")
            raise ConnectionResetError(
                errno.ECONNRESET,
                f"Connection reset by peer (fault: after {self.received} bytes received)",
            )
        if faults.eof_after is not None and self.received >= faults.eof_after:
            if not self._eof_logged:
                self._eof_logged = True
                self._fire(f"early EOF after {self.received} bytes received")
            return True
        return False

    def recv_limit(self, bufsize: int) -> int:
        """The most bytes this ``recv`` may return: ``bufsize`` cut by the chunk size due and by
        the next reset or EOF position."""
        limit = bufsize
        faults = self.faults
        if faults.recv_chunks:
            limit = min(limit, faults.recv_chunks[self._chunk_index % len(faults.recv_chunks)])
        for position in (faults.reset_after_recv, faults.eof_after):
            if position is not None:
                limit = min(limit, position - self.received)
        return max(limit, 1)

    def after_recv(self, count: int) -> None:
        """Record that ``recv`` returned ``count`` (> 0) bytes."""
        self.received += count
        if self.faults.recv_chunks:
            self._chunk_index += 1

    def before_send(self) -> None:
        """Apply the faults due before a ``send``.

        Raises:
            ConnectionResetError: ``reset_after_send`` bytes have been sent.
        """
        position = self.faults.reset_after_send
        if position is not None and self.sent >= position:
            self._fire(f"connection reset after {self.sent} bytes sent")
            raise ConnectionResetError(
                errno.ECONNRESET,
                f"Connection reset by peer (fault: after {self.sent} bytes sent)",
            )

    def send_limit(self, size: int) -> int:
        """The most bytes this ``send`` may accept out of ``size`` (at least 1 if ``size`` > 0)."""
        limit = size
        faults = self.faults
        if faults.send_limit is not None and faults.send_limit < limit:
            limit = faults.send_limit
            self._fire(f"short send: {limit} of {size} bytes")
        if faults.reset_after_send is not None:
            limit = min(limit, faults.reset_after_send - self.sent)
        return max(limit, 1)

    def after_send(self, count: int) -> None:
        """Record that ``send`` accepted ``count`` bytes."""
        self.sent += count

    def _fire(self, what: str) -> None:
        self.fired.append(what)
        if self.on_fire is not None:
            self.on_fire(f"{self.name}: {what}")
