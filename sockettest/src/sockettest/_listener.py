"""A memory socket as a listener: ``listen``, its backlog, and ``accept``.
:class:`_ListenerCalls` is a mixin of :class:`~sockettest.MemorySocket` (with
:class:`~sockettest._connection._ConnectionCalls`, the other role a socket takes): its state is
made by ``_init_listener``, and what it takes from the other parts is declared in
``_socket_parts.py``.

A connect is made at once (the handshake needs no ``accept``): its server side waits in the
listener's queue, first in, first out, and ``connect`` waits for room while the queue is longer
than the backlog, as a real SYN is retried.
"""

from __future__ import annotations

import errno
import socket
from collections import deque
from typing import TYPE_CHECKING, cast

from sockettest._arguments import (
    c_int,
)
from sockettest._linux import (
    ANY,
    RCVTIMEO,
    os_error,
)
from sockettest._simulation.scheduler import THREADS, network_call
from sockettest._socket_parts import _SocketParts
from sockettest._types import Address

if TYPE_CHECKING:
    from sockettest._memory_socket import MemorySocket

__all__ = ["_ListenerCalls"]


class _ListenerCalls(_SocketParts):
    """``listen`` and ``accept``, and the listener's state underneath them."""

    def _init_listener(self) -> None:
        self.backlog: int | None = None
        self._listening = False
        self._listen_shut = False
        self._queue: deque[MemorySocket] = deque()

    def listen(self, backlog: int = 128, /) -> None:
        """Start listening; connections beyond ``backlog`` waiting for accept make connect wait.

        An unbound socket is first bound to a free port, as on Linux.

        Raises:
            OSError: ``EINVAL`` on a connected socket, ``EADDRINUSE`` if another socket
                listens on the address (``SO_REUSEADDR`` lets two bind it, not both listen),
                ``EBADF`` after close.
        """
        with self._lock:
            self._enter("listen", (backlog,), True)
            backlog = c_int(backlog)
            self._check_open()
            if self._peer is not None:
                raise os_error(errno.EINVAL)
            binding = self._binding
            if binding.local is None:
                binding.local = self._kernel.allocate(ANY[self._family], 0, binding)
            elif self._kernel.conflicts(binding, *binding.local, listening=True):
                raise os_error(errno.EADDRINUSE)
            self.backlog = max(backlog, 0)
            self._listening = True
            self._kernel.add_listener(binding)
            self._listen_shut = False
            self._notify()

    def accept(self) -> tuple[MemorySocket, Address]:
        """Wait for a connection; return its socket and the peer's address.

        The new socket's timeout is :func:`socket.getdefaulttimeout` (``None``: blocking),
        whatever the listener's, as CPython's ``accept`` gives.

        Raises:
            TimeoutError: none arrived within the timeout.
            BlockingIOError: none waiting and the socket is non-blocking.
            BlockedTooLong: no timeout and none arrived within the network's ``max_block``.
            OSError: ``EINVAL`` if not listening or once shut down (also waking a blocked
                accept), ``EBADF`` after close (also waking a blocked accept).
        """
        if THREADS:
            network_call("accept", self)
        with self._lock:
            self._enter("accept", ())
            if not self._listening:
                if self._timeout and self._peer is not None:  # CPython polls first

                    def readable() -> bool:
                        return self._closed or self._readiness()[0]

                    if not readable():  # the wait only sleeps: its caller looks first
                        self._block("accept", readable, self._deadline())
                    self._check_open()
                raise os_error(errno.EINVAL)
            if not self._accept_ready():
                self._block("accept", self._accept_ready, self._deadline(RCVTIMEO))
            self._check_open()
            if self._listen_shut:
                raise os_error(errno.EINVAL)
            conn = self._queue.popleft()
            conn._timeout = socket.getdefaulttimeout()
            conn.accepted_by = cast("MemorySocket", self)
            self._net.accepted += 1
            self._notify(reading=False)  # room for a waiting connect; readiness
            assert conn._remote is not None
            return conn, conn._address(conn._remote)

    def _listens(self) -> bool:
        """Listening now: not shut down, not closed (what a connect reaches)."""
        return self._listening and not self._listen_shut and not self._closed

    def _accept_ready(self) -> bool:
        """Whether an ``accept`` would not wait (nor a listener's readiness)."""
        return self._closed or self._listen_shut or bool(self._queue)

    def _shut_listener(self, reading: bool) -> None:
        """``shutdown`` on a listener: reading shut (``SHUT_RD``, ``SHUT_RDWR``) stops it
        listening, resets the connections waiting for ``accept``, and wakes a blocked one."""
        if reading:
            self._listen_shut = True
            self._reset_queue()
        self._notify()

    def _reset_queue(self) -> None:
        """Reset every connection waiting for ``accept``: its client gets ECONNRESET."""
        while self._queue:
            pending = self._queue.popleft()
            peer = pending._peer
            if peer is not None and not peer._closed:
                peer._receive_reset()
            pending._closed = True
            self._kernel.release(pending._binding)
            if pending._incoming is not None:
                pending._incoming.close_reader()
