"""One connection's socket, as the server uses it: a :class:`Reader` and a :class:`Writer`.

Each connection gets two threads. Its reader thread reads through a :class:`Reader`, under an
idle deadline, and feeds what it gets to the connection's sans-IO end. Its writer thread sends
the output with :meth:`Writer.write_loop`. The reader sends its own connection's replies itself,
at once (:meth:`Writer.send_inline`): a reply the kernel takes right away costs no hand-off
between threads (measured by ``make bench``: with every reply left to the writer thread, a
``PING`` round trip on loopback took about twice as long, and a whole game about three times).
Lines caused by another player (the opponent's move, a forfeit) are only queued, for the writer
to send, so that a player who does not read never blocks anybody else. Both take their bytes,
in order, from the one queue of unsent output, and only one of them sends at a time, so lines
to one connection are never reordered.

Backpressure, not a cut-off: when a connection's unsent output passes the server's allowance,
its reader stops reading until the output drains (:meth:`Writer.has_room`), and the client's own
``send`` eventually blocks. A client that reads nothing at all is cut off only once its output
has made no progress for the server's write timeout.

The socket stays blocking, with its timeouts in the kernel (``SO_RCVTIMEO`` for the idle timer,
``SO_SNDTIMEO`` for the write timeout; see :class:`game.sockets.KernelTimeouts`): each ``recv``
and ``send`` is then one system call, and the reader's inline send can be truly non-blocking
(``MSG_DONTWAIT``), so it never waits on a client that does not read.
"""

from __future__ import annotations

import logging
import socket
import threading

from game.sockets import (
    Clock,
    KernelTimeouts,
    SocketLike,
    quietly,
    reset_on_close,
    resolve_clock,
)

__all__ = ["Reader", "Writer"]

log = logging.getLogger(__name__)

_RECV_SIZE = 4096
_DONTWAIT = getattr(socket, "MSG_DONTWAIT", None)  # not on Windows: the writer sends it all
_SEND_SIZE = 16384  # the most one send() is given: what a blocked writer holds a copy of


class Writer:
    """One connection's unsent output, and the sending of it, shared by its reader and writer.

    Whoever sends (the reader, inline, or the writer thread) claims the send side under
    :attr:`lock`, sends from the front of :attr:`unsent` with one ``send``, and removes what the
    kernel took: one sender at a time, in order, and progress known to the byte.

    Args:
        sock: the connection's socket, blocking, with ``SO_SNDTIMEO`` set to ``write_timeout``.
        name: how the log names the connection.
        write_timeout: seconds a blocking send may take nothing before the client is cut off
            with a reset; ``None``: no limit.
        allowance: bytes of unsent output above which :meth:`has_room` waits.
        linger: seconds a closing connection waits for the peer's EOF before it is cut off.
    """

    def __init__(
        self,
        sock: SocketLike,
        name: str,
        *,
        write_timeout: float | None,
        allowance: int,
        linger: float,
    ) -> None:
        self.sock = sock
        self.name = name
        self.lock = threading.Lock()  # guards everything below
        self.changed = threading.Condition(self.lock)  # the writer's and the reader's waits
        self.unsent = bytearray()
        self.closing = False  # half-close once unsent is sent
        self.aborted = False
        self._sending = False
        self._waiting_for_room = False
        self._write_timeout = write_timeout
        self._allowance = allowance
        self._linger = linger
        self.reader_done = threading.Event()
        self.flushed = threading.Event()  # write_loop has finished: all sent, or aborted

    def queue(self, data: bytes, close: bool, wake: bool) -> None:
        """Add output (and the lobby's close), in order, waking the writer thread if ``wake``:
        not for the reader's own replies, which it sends itself. Call with :attr:`lock` held."""
        if self.aborted:
            return
        self.unsent += data
        if close:
            self.closing = wake = True
        if wake:
            self.changed.notify_all()

    def send_inline(self) -> None:
        """The reader sends its own connection's output, without waiting, unless a send is
        under way already (the writer thread's: it will send this too). What the kernel does not
        take at once is left for the writer thread."""
        with self.lock:
            if self._sending or not self.unsent or self.aborted:
                return
            if _DONTWAIT is None:
                self.changed.notify_all()
                return
            self._sending = True
            data = bytes(self.unsent[:_SEND_SIZE])
        self._send(data, _DONTWAIT)

    def has_room(self) -> bool:
        """Wait while the unsent output is over the allowance; False once aborted."""
        with self.lock:
            if len(self.unsent) > self._allowance and not self.aborted:
                self.changed.notify_all()  # the writer takes over what the reader could not send
                self._waiting_for_room = True
                while len(self.unsent) > self._allowance and not self.aborted:
                    self.changed.wait()
                self._waiting_for_room = False
            return not self.aborted

    def over_allowance(self) -> bool:
        """Whether the unsent output is over the allowance. For the server, between the lines it
        handles, under its own lock rather than :attr:`lock`: output is only ever added under
        the server's lock, and a send meanwhile only makes it smaller."""
        return len(self.unsent) > self._allowance

    def write_loop(self) -> None:
        """The writer thread: send whatever the reader leaves; on close, half-close so the peer
        reads all before EOF, then wait a little for its EOF."""
        while True:
            with self.lock:
                self.changed.wait_for(self._has_work)
                if self.aborted or not self.unsent:
                    break
                self._sending = True
                data = bytes(self.unsent[:_SEND_SIZE])
            self._send(data, 0)
        self.flushed.set()
        if self.aborted:
            return
        quietly(self.sock.shutdown, socket.SHUT_WR)
        if not self.reader_done.wait(self._linger):
            quietly(self.sock.shutdown, socket.SHUT_RDWR)

    def _has_work(self) -> bool:
        """Output no one is sending, a close to make, or an abort: call with :attr:`lock` held."""
        return self.aborted or (not self._sending and bool(self.unsent or self.closing))

    def _send(self, data: bytes, flags: int) -> None:
        """One ``send`` of ``data``, the front of the output; the caller claimed the send side.

        The writer thread's ``send`` blocks; the reader's, with ``MSG_DONTWAIT``, does not.
        Either way what the kernel took is removed. The kernel tracks the progress: a blocking
        send gives up only when it could queue nothing for ``SO_SNDTIMEO``, the write timeout,
        and then the client is cut off.
        """
        sent, failed, stuck = 0, False, False
        try:
            sent = self.sock.send(data, flags)
        except (BlockingIOError, TimeoutError):  # nothing taken: at once, or in time
            stuck = not flags and self._write_timeout is not None
        except OSError:
            failed = True
        finally:
            with self.lock:
                self._sending = False
                del self.unsent[:sent]
                if self.unsent or self.closing or self._waiting_for_room:
                    self.changed.notify_all()  # the writer's turn, or the reader's room
        if stuck:
            log.warning(
                "%s does not read what it is sent (no progress for %g s); cutting it off",
                self.name,
                self._write_timeout,
            )
            reset_on_close(self.sock)
        if failed or stuck:
            self.abort()

    def abort(self) -> None:
        """Stop both directions now: wakes a reader blocked in recv or waiting for room, and a
        writer thread in send or waiting for output."""
        with self.lock:
            self.aborted = self.closing = True
            self.changed.notify_all()
        quietly(self.sock.shutdown, socket.SHUT_RDWR)


class Reader:
    """Reads from a socket under an idle deadline that restarts on each complete line.

    The deadline lives in the kernel, as ``SO_RCVTIMEO``, set only when the time left changes:
    not at all while every read completes a line, since the timer then restarts at its whole
    length.
    """

    def __init__(self, sock: SocketLike, idle_timeout: float | None, clock: Clock | None) -> None:
        self._sock = sock
        self._timeouts = KernelTimeouts(sock)
        self._idle_timeout = idle_timeout
        self._clock = clock
        self._deadline: float | None = None
        self._fresh = True  # the timer restarted since the last read: the whole idle time is left
        self.restart_timer()

    def restart_timer(self) -> None:
        if self._idle_timeout is not None:
            self._deadline = resolve_clock(self._clock)() + self._idle_timeout
        self._fresh = True

    def idle_reason(self) -> str:
        if self._idle_timeout is None:  # only a socket that times out on its own gets here
            return "timed out waiting for a line"
        return f"idle for more than {self._idle_timeout:g} s"

    def read(self) -> bytes:
        """Block for the next bytes; ``b""`` at EOF.

        Raises:
            TimeoutError: the idle deadline passed.
            OSError: the connection failed (reset, shut down).
        """
        while True:
            self._timeouts.set(socket.SO_RCVTIMEO, self._timeout())
            try:
                data = self._sock.recv(_RECV_SIZE)
            except BlockingIOError:
                if self._deadline is None:
                    raise  # no timer of ours: a socket that will not block
                self._fresh = False  # SO_RCVTIMEO: the deadline, or as good as
                continue  # _timeout() raises once the deadline has passed
            self._fresh = False
            return data

    def _timeout(self) -> float | None:
        if self._deadline is None or self._idle_timeout is None:
            return None
        if self._fresh:
            return self._idle_timeout
        left = self._deadline - resolve_clock(self._clock)()
        if left <= 0:
            raise TimeoutError
        return left
