"""``recvmsg``'s ancillary buffer size may be as large as a C int, as CPython allows: only
past it is it a ValueError (the contract's table pins that side; this side is pinned on the
fake alone, since a real socket would allocate the 2 GiB it is asked for)."""

import socket

from sockettest import MemoryNetwork


def test_the_largest_ancillary_size_is_taken(memory_network: MemoryNetwork) -> None:
    """``recvmsg(1, 2**31 - 1)`` reads as ``recvmsg(1)`` does."""
    client, server = memory_network.socketpair(socket.AF_INET)
    with client, server:
        server.sendall(b"xy")
        assert client.recvmsg(1, 2**31 - 1) == (b"x", [], 0, None)
        assert client.recvmsg_into([bytearray(1)], 2**31 - 1) == (1, [], 0, None)
