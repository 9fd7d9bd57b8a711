"""Real readiness for in-memory sockets: a file descriptor kept in step with the socket.

``select``, ``poll``, ``epoll`` and ``selectors`` ask the kernel about file descriptors, so an
in-memory socket that is to work with them needs a real one whose readiness is the socket's. A
pipe cannot do it (its read end is never writable) and neither can an eventfd (it cannot be
neither readable nor writable). An ``AF_UNIX`` stream pair can show all four states:

- *readable*: the far end has written a byte that the near end has not read;
- *not writable*: the near end has filled its (smallest possible) send buffer towards the far
  end, and the far end has not read it.

And the end of a connection, for ``poll``: the near end shut for reading is ``POLLRDHUP``, shut
both ways ``POLLHUP``, and with the far end closed on an unread byte, ``POLLERR`` (ECONNRESET)
until its ``SO_ERROR`` is read: the bits Linux sets for a TCP socket's FIN, both FINs, a reset.

The near end's descriptor is what :meth:`MemorySocket.fileno` returns. The pair is made with
``_socket.socketpair()``, the C function under :func:`socket.socketpair`: a deliberate bypass
of pytest-socket's guard, which replaces :class:`socket.socket` but not the C module, so that
``select`` works in a test where real network sockets are disabled. It is an ``AF_UNIX`` pair
inside this process: nothing leaves it. It is made lazily, on a socket's first ``fileno()``,
so the many tests that never select pay nothing.

Each descriptor is recorded with the network its socket belongs to (:func:`kernel_of`), so that
a ``select`` on memory sockets alone can wait on the network's clock (``_selecting.py``).

Platforms: Linux, where the project's tests pin it. On macOS ``AF_UNIX`` pairs and ``select``
behave the same way in the POSIX calls used here, but that is not tested by this project. On
Windows ``_socket.socketpair`` does not exist (the stdlib emulates it with real TCP sockets,
which pytest-socket blocks), so ``fileno()`` raises :class:`OSError` there.
"""

from __future__ import annotations

import _socket
import contextlib
import errno
import os
import socket
import weakref
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sockettest._kernel import Kernel

__all__ = ["ReadinessMirror", "is_readiness_descriptor", "kernel_of"]

_OWNERS: dict[int, weakref.ref[Kernel]] = {}
"""The open readiness descriptors, and the network (its kernel) of each one's socket."""


def kernel_of(fd: int) -> Kernel | None:
    """The kernel of the network whose memory socket ``fd`` is the descriptor of, if it is one."""
    owner = _OWNERS.get(fd)
    return None if owner is None else owner()


def is_readiness_descriptor(fd: object) -> bool:
    """Whether ``fd`` is a memory socket's readiness descriptor, or a duplicate of one (as
    :func:`socket.fromfd` makes): a socket wrapped around it would write into the mirror."""
    try:
        wanted = os.fstat(fd)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError, OSError):
        return False  # not a descriptor: the real socket.socket says what is wrong with it
    for mine in list(_OWNERS):
        with contextlib.suppress(OSError):
            found = os.fstat(mine)
            if (found.st_dev, found.st_ino) == (wanted.st_dev, wanted.st_ino):
                return True
    return False


_FILL = b"\0" * 4096


class ReadinessMirror:
    """An ``AF_UNIX`` pair whose near end is readable and writable exactly when told to be.

    Args:
        kernel: the network of the socket it mirrors, which :func:`kernel_of` answers for it.

    Raises:
        OSError: ``ENOTSUP`` on a platform without ``_socket.socketpair`` (Windows).
    """

    __slots__ = ("_far", "_near", "ends", "readable", "writable")

    def __init__(self, kernel: Kernel) -> None:
        make_pair = getattr(_socket, "socketpair", None)
        if make_pair is None:
            raise OSError(
                errno.ENOTSUP,
                "fileno() of an in-memory socket needs AF_UNIX socket pairs, which this "
                "platform lacks: select and selectors are not supported on it",
            )
        self._near, self._far = make_pair(socket.AF_UNIX, socket.SOCK_STREAM)
        for end in (self._near, self._far):
            end.setblocking(False)
        self._near.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1)  # the kernel's minimum
        self.readable = False
        self.writable = True
        self.ends = 0
        _OWNERS[self.fileno()] = weakref.ref(kernel)

    def fileno(self) -> int:
        """The descriptor to hand to ``select``: the near end."""
        return int(self._near.fileno())

    def show(self, readable: bool, writable: bool, ends: int) -> None:
        """Make the near end readable and writable as given (a no-op when it already is), and
        show how far the connection has ended, for ``poll``: ``ends`` 1, its read side
        (POLLRDHUP), 2 both sides (POLLHUP), 3 both with an error to report (POLLERR). An end
        is a shutdown of the pair, undone never, as a connection's; an error, once reported."""
        if ends > self.ends or ends == 2 == self.ends - 1:
            if ends == 3:  # the far end closed with a byte unread: ECONNRESET on the near end
                with contextlib.suppress(OSError):
                    self._near.send(b"e")
                self._far.close()
                self.writable = True  # what the near end had sent went with it
            elif self.ends == 3:
                self._near.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)  # reported: no POLLERR
            self._near.shutdown(socket.SHUT_RD if ends == 1 else socket.SHUT_RDWR)
            self.ends, self.readable = ends, True  # an ended read side reads EOF: readable
        if readable != self.readable:
            if readable:
                self._far.send(b"r")
            else:
                _drain(self._near)
            self.readable = readable
        if writable != self.writable:
            if writable:
                _drain(self._far)
            else:
                with contextlib.suppress(BlockingIOError):
                    while True:
                        self._near.send(_FILL)
            self.writable = writable

    def close(self) -> None:
        """Close both ends; a selector that still has the descriptor then sees it go."""
        _OWNERS.pop(self.fileno(), None)
        self._near.close()
        self._far.close()


def _drain(end: _socket.socket) -> None:
    with contextlib.suppress(BlockingIOError):
        while end.recv(65536):
            pass
