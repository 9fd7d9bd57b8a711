"""Under a patch, ``socket.socket(fileno=...)`` of a memory socket's descriptor, or of a
duplicate of it (what ``socket.fromfd`` wraps), is a ``ValueError``, as the README says: that
descriptor mirrors the socket's readiness, and a socket around it would write into the mirror,
where the peer never reads. (That any other descriptor still makes the real socket is pinned
in the integration tier, where a real socket may be made.)"""

import os
import socket

import pytest

from sockettest import MemoryNetwork


def test_wrapping_a_memory_sockets_descriptor_is_a_value_error(
    patched_network: MemoryNetwork,
) -> None:
    """The descriptor itself, and a duplicate of it, are refused, naming what they are."""
    with socket.socket() as sock:
        descriptor = sock.fileno()
        with pytest.raises(ValueError, match="in-memory socket's readiness descriptor"):
            socket.socket(fileno=descriptor)
        duplicate = os.dup(descriptor)
        try:
            with pytest.raises(ValueError, match="readiness descriptor"):
                socket.socket(socket.AF_INET, socket.SOCK_STREAM, 0, duplicate)
        finally:
            os.close(duplicate)
        assert sock.fileno() == descriptor  # the memory socket is untouched
