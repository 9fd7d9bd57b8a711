"""Under a patch, ``socket.socket(fileno=...)`` of a descriptor that is no memory socket's is
the real socket, as without the patch (a memory socket's own is refused: see the unit tier's
``test_wrapping_a_memory_descriptor``)."""

import os
import socket

from sockettest import MemoryNetwork


def test_another_descriptor_still_makes_the_real_socket(patched_network: MemoryNetwork) -> None:
    """A real AF_UNIX pair's descriptor is wrapped, and what is sent on it arrives."""
    left, right = socket.socketpair()  # a real AF_UNIX pair, patch or not
    with left, right, socket.socket(fileno=os.dup(left.fileno())) as wrapped:
        assert wrapped.family == socket.AF_UNIX
        wrapped.sendall(b"x")
        right.settimeout(5)
        assert right.recv(1) == b"x"
