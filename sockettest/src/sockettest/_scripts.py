"""Ready-made scripts for :class:`~sockettest.FakeServer`: the peers a client test meets most.

A *script* is any callable taking a :class:`~sockettest.ScriptedConnection`, run once per
connection in that connection's thread; writing your own is the point, and these four are the
ones nearly every client test needs: a server that hangs up at once, one that answers from a
table, one that sends fixed bytes, and one that says nothing. Each is bounded: it ends at EOF,
when its table says so, or when the server stops.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from sockettest._peers import Script, ScriptedConnection

__all__ = ["Reply", "accept_and_close", "answer_from_table", "send_canned", "stay_silent"]

Reply: TypeAlias = str | Sequence[str | None] | None
"""An :func:`answer_from_table` reply: a line, several lines, or ``None`` to hang up (also
after some lines: ``["BYE", None]``)."""


def accept_and_close(conn: ScriptedConnection) -> None:
    """Script: do nothing, so the connection is closed as soon as it is accepted.

    The blog's fake server: enough to show that a client connects and copes with EOF.
    """


def answer_from_table(
    table: Mapping[str, Reply],
    *,
    greeting: str | None = None,
    unknown: Reply = (),
) -> Script:
    """Make a script that answers each line it reads from ``table``, until EOF.

    Args:
        table: received line (exact, without its ending) -> reply (see :data:`Reply`).
        greeting: a first line to send before reading (``None``, the default: nothing).
        unknown: the reply to a line not in the table; by default nothing.

    Example::

        answer_from_table({"PING": "PONG", "QUIT": ["BYE", None]}, greeting="READY")
    """

    def answer(conn: ScriptedConnection) -> None:
        if greeting is not None:
            conn.send_line(greeting)
        for line in conn.lines():
            reply = table.get(line, unknown)
            replies = [reply] if reply is None or isinstance(reply, str) else list(reply)
            for one in replies:
                if one is None:
                    return
                conn.send_line(one)

    return answer


def send_canned(*chunks: bytes, pause: float = 0.0, hang_up: bool = True) -> Script:
    """Make a script that sends fixed bytes, then hangs up or waits for EOF.

    Args:
        *chunks: sent in order, each with one ``sendall``.
        pause: seconds between chunks, to make separate TCP segments likely (TCP promises
            nothing about how bytes are split; the client must cope either way). Real
            seconds (``time.sleep``), on a ``VirtualClock`` too: the clock does not move
            for them.
        hang_up: close after the last chunk; ``False``: read (and record) until EOF or stop.
    """

    def send(conn: ScriptedConnection) -> None:
        for number, chunk in enumerate(chunks):
            if number and pause:
                time.sleep(pause)
            conn.send_bytes(chunk)
        if not hang_up:
            conn.read_until_eof(math.inf)

    return send


def stay_silent(*, read: bool = True, for_seconds: float | None = None) -> Script:
    """Make a script that keeps the connection open and sends nothing.

    For testing a client's timeouts. Bounded either way: by ``for_seconds``, and by the
    server's stop, which wakes it.

    Args:
        read: read (and record) whatever arrives until EOF; ``False``: read nothing at all,
            so what the client sends piles up in the kernel's buffers.
        for_seconds: hang up after this long; ``None``: stay until EOF or the server stops.
            While it reads, on the socket's clock (a network's ``VirtualClock`` jumps there);
            with ``read=False`` it waits on no socket, so these are real seconds.
    """

    def silent(conn: ScriptedConnection) -> None:
        if not read:
            conn.wait_until_stopped(for_seconds)
            return
        monotonic = conn._io.monotonic  # the socket's clock, a VirtualClock's included
        deadline = monotonic() + (math.inf if for_seconds is None else for_seconds)
        while not conn.eof:
            remaining = deadline - monotonic()
            if remaining <= 0:
                return
            with contextlib.suppress(TimeoutError):
                conn.read_line(remaining)

    return silent
