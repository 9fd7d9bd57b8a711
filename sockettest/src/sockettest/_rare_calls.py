"""The calls of :class:`~sockettest.MemorySocket` that real code makes less often: ``recvfrom``,
``recvmsg`` and their ``_into`` forms, ``sendto``, ``sendmsg``, ``sendfile``, the inheritable
flag, and ``dup`` and ``detach``, which say they are not modelled.

Each is a thin shell over the socket's own ``_receive`` and ``_send`` (so faults, timeouts and
readiness act on them as on ``recv`` and ``send``), with the arguments taken as CPython takes
them. :class:`_RareCalls` is a mixin of :class:`MemorySocket` (see ``_socket_parts.py``).
"""

from __future__ import annotations

import os
import socket
from typing import TYPE_CHECKING, Any

from sockettest._arguments import bytes_like, c_int, c_ssize, writable_buffer
from sockettest._deadlines import NotModelled
from sockettest._linux import MSG_PEEK, SNDTIMEO, payload
from sockettest._simulation.scheduler import THREADS, network_call
from sockettest._socket_parts import _SocketParts

if TYPE_CHECKING:
    from sockettest._memory_socket import MemorySocket

__all__ = ["_RareCalls"]

_REAL_SENDFILE: Any = socket.socket._sendfile_use_send  # type: ignore[attr-defined]
_REAL_CHECK_SENDFILE: Any = socket.socket._check_sendfile_params  # type: ignore[attr-defined]


class _RareCalls(_SocketParts):
    """``recvfrom``, ``recvmsg``, ``sendto``, ``sendmsg``, ``sendfile`` and their kin."""

    _inheritable = False  # as every socket Python makes (PEP 446); set_inheritable sets it

    def recvfrom(self, bufsize: int, flags: int = 0, /) -> tuple[bytes, None]:
        """:meth:`recv`, and the sender's address, which Linux does not give for a connected
        TCP socket: ``(data, None)``. ``recvfrom(0)`` is not ``recv(0)``: it asks the kernel,
        which waits for something to read and takes none of it."""
        if THREADS:
            network_call("recvfrom", self)
        with self._lock:
            self._enter("recvfrom", (bufsize, flags) if flags else (bufsize,), True)
            bufsize, flags = c_ssize(bufsize), c_int(flags)
            if bufsize < 0:
                raise ValueError("negative buffersize in recvfrom")
            return self._receive_some(bufsize, flags), None

    def recvfrom_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> tuple[int, None]:
        """:meth:`recv_into`, and the sender's address: ``(count, None)``, as :meth:`recvfrom`."""
        if THREADS:
            network_call("recvfrom_into", self)
        with self._lock:
            self._enter("recvfrom_into", (nbytes, flags) if flags else (nbytes,), True)
            view = writable_buffer(buffer, "recvfrom_into")
            nbytes, flags = c_ssize(nbytes), c_int(flags)
            if nbytes < 0:
                raise ValueError("negative buffersize in recvfrom_into")
            if nbytes > len(view):
                raise ValueError("nbytes is greater than the length of the buffer")
            data = self._receive_some(nbytes or len(view), flags)
        view[: len(data)] = data
        return len(data), None

    def recvmsg(
        self, bufsize: int, ancbufsize: int = 0, flags: int = 0, /
    ) -> tuple[bytes, list[tuple[int, int, bytes]], int, None]:
        """:meth:`recv` as a message: ``(data, [], 0, None)``; TCP carries no ancillary data
        here (and Linux's TCP only timestamps), no message flags, and no sender's address."""
        if THREADS:
            network_call("recvmsg", self)
        with self._lock:
            self._enter("recvmsg", (bufsize, ancbufsize, flags), True)
            bufsize, ancbufsize, flags = c_ssize(bufsize), c_ssize(ancbufsize), c_int(flags)
            if bufsize < 0:
                raise ValueError("negative buffer size in recvmsg()")
            _check_ancillary_size(ancbufsize)
            return self._receive_some(bufsize, flags), [], 0, None

    def recvmsg_into(
        self, buffers: Any, ancbufsize: int = 0, flags: int = 0, /
    ) -> tuple[int, list[tuple[int, int, bytes]], int, None]:
        """:meth:`recvmsg` into ``buffers`` (each filled in turn): ``(count, [], 0, None)``."""
        if THREADS:
            network_call("recvmsg_into", self)
        with self._lock:
            self._enter("recvmsg_into", (ancbufsize, flags), True)
            ancbufsize, flags = c_ssize(ancbufsize), c_int(flags)  # first, as CPython parses
            views = [
                writable_buffer(buffer, "recvmsg_into")
                for buffer in _iterable(buffers, "recvmsg_into() argument 1")
            ]
            _check_ancillary_size(ancbufsize)
            data = self._receive_some(sum(len(view) for view in views), flags)
        taken = 0
        for view in views:
            part = data[taken : taken + len(view)]
            view[: len(part)] = part
            taken += len(part)
        return len(data), [], 0, None

    def sendto(self, data: Any, flags_or_address: Any, address: Any = None, /) -> int:
        """:meth:`send`; ``sendto(data, address)`` or ``sendto(data, flags, address)``. The
        address is checked and resolved, then ignored, as Linux ignores it on a connected TCP
        socket; on one not connected it is ``EPIPE``, as :meth:`send`."""
        flags, target = (0, flags_or_address) if address is None else (flags_or_address, address)
        if THREADS:
            network_call("sendto", self)
        with self._lock:
            self._enter("sendto", (*payload(data, 0), flags, target), True)
            view, flags = bytes_like(data), c_int(flags)
            self._parse(target, "sendto")
            return self._send(view, flags, self._deadline(SNDTIMEO), "sendto")

    def sendmsg(
        self, buffers: Any, ancdata: Any = (), flags: int = 0, address: Any = None, /
    ) -> int:
        """:meth:`send` of the ``buffers`` joined; ``address`` as :meth:`sendto`'s.

        Raises:
            NotModelled: ``ancdata`` is not empty (the network carries bytes only).
        """
        if THREADS:
            network_call("sendmsg", self)
        chunks = list(_iterable(buffers, "sendmsg() argument 1"))
        items = list(_iterable(ancdata, "sendmsg() argument 2"))
        with self._lock:
            self._enter("sendmsg", (tuple(payload(c, 0)[0] for c in chunks), flags), True)
            data = b"".join(bytes(bytes_like(chunk)) for chunk in chunks)
            for item in items:
                _ancillary_item(item)
            flags = c_int(flags)
            if address is not None:
                self._parse(address, "sendmsg")
            if items:
                raise NotModelled(
                    "sendmsg with ancillary data: the in-memory network carries bytes only"
                )
            with memoryview(data) as view:  # released on the way out, as send's
                return self._send(view, flags, self._deadline(SNDTIMEO), "sendmsg")

    def sendfile(self, file: Any, offset: int = 0, count: int | None = None) -> int:
        """Send ``file`` (binary, from ``offset``, ``count`` bytes or to its end) with
        :meth:`send`, exactly as CPython does where ``os.sendfile`` cannot be used (it is
        CPython's own code); return the bytes sent, and leave the file after them.

        Raises:
            ValueError: a text file, a ``count`` below 1, or a non-blocking socket.
            TypeError: a ``count`` that is not an int.
            OSError: the errors of :meth:`send` (``EBADF`` after close, once the file is read;
                for a regular file, a ValueError first, as CPython's ``os.sendfile`` path).
        """
        with self._lock:
            self._enter("sendfile", (file, offset, count), True)
            _REAL_CHECK_SENDFILE(self, file, offset, count)
            closed = self._closed
        size = _regular_file_size(file)
        # What CPython's os.sendfile path (taken for a regular file) does before it sends.
        if size == 0:
            return 0
        if size is not None and closed:
            raise ValueError("Invalid file descriptor: -1")
        sent: int = _REAL_SENDFILE(self, file, offset, count)
        return sent

    def _check_sendfile_params(self, file: Any, offset: int, count: int | None) -> None:
        """CPython's own checks for :meth:`sendfile`, which its code calls on ``self``."""
        _REAL_CHECK_SENDFILE(self, file, offset, count)

    def get_inheritable(self) -> bool:
        """Whether a child process would inherit the descriptor: False unless set.

        Raises:
            OSError: ``EBADF`` after close.
        """
        with self._lock:
            self._enter("get_inheritable", ())
            return self._inheritable

    def set_inheritable(self, inheritable: bool) -> None:
        """Store the flag :meth:`get_inheritable` reads (no process ever inherits a memory
        socket).

        Raises:
            OSError: ``EBADF`` after close.
            TypeError: not an integer (a bool is one).
        """
        with self._lock:
            self._enter("set_inheritable", (inheritable,), True)
            flag = bool(c_int(inheritable))
            self._check_open()
            self._inheritable = flag

    def dup(self) -> MemorySocket:
        """Not modelled: two sockets sharing one connection.

        Raises:
            NotModelled: always, on an open socket (``EBADF`` after close, as on Linux).
        """
        with self._lock:
            self._enter("dup", ())
        raise NotModelled(f"dup() of {self!r}: the fake has no shared descriptors")

    def detach(self) -> int:
        """Not modelled: a connection that outlives its socket object, as a bare descriptor.

        Returns:
            ``-1`` on a closed socket, as on Linux.

        Raises:
            NotModelled: always, on an open socket.
        """
        with self._lock:
            self._enter("detach", (), True)
            if self._closed:
                return -1
        raise NotModelled(f"detach() of {self!r}: a memory socket has no descriptor to hand out")

    def _receive_some(self, bufsize: int, flags: int) -> bytes:
        """:meth:`_receive`, but a zero-length read still asks the kernel, as ``recvfrom`` and
        ``recvmsg`` do (``recv(0)`` is CPython's shortcut): Linux's waits, as a read does,
        until there is something to read, and takes none of it."""
        if bufsize:
            return self._receive(bufsize, flags)
        self._receive(1, flags | MSG_PEEK)
        return b""


def _iterable(value: Any, what: str) -> Any:
    """``iter(value)``, with CPython's message for what is not iterable."""
    try:
        return iter(value)
    except TypeError:
        raise TypeError(f"{what} must be an iterable") from None


def _ancillary_item(item: Any) -> None:
    """Check one ``sendmsg`` ancillary item as CPython does: ``(level, type, data)``."""
    try:
        level, kind, data = item
    except (TypeError, ValueError):
        raise TypeError(
            "[sendmsg() ancillary data items]() argument must be 3-item sequence"
        ) from None
    c_int(level)
    c_int(kind)
    bytes_like(data)


def _regular_file_size(file: Any) -> int | None:
    """The size of ``file`` if it is a regular file with a descriptor, as CPython's
    ``sendfile`` tells one; ``None`` for what it sends with ``send`` (``BytesIO``, pipes)."""
    try:
        return os.fstat(file.fileno()).st_size
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both
        return None


_SOCKLEN_MAX = (1 << 31) - 1


def _check_ancillary_size(ancbufsize: int) -> None:
    """CPython refuses an ancillary buffer that a ``socklen_t`` (an ``int``) cannot hold."""
    if not 0 <= ancbufsize <= _SOCKLEN_MAX:
        raise ValueError("invalid ancillary data buffer length")
