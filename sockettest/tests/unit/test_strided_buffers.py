"""A buffer that is not contiguous is refused as CPython refuses it, with its words: the
contract's table pins the exception types, this the messages a reader sees."""

import re
import socket

import pytest

from sockettest import MemoryNetwork


@pytest.mark.parametrize("call", ["recv_into", "recvfrom_into"])
def test_a_strided_buffer_to_read_into_is_named_as_cpython_names_it(
    memory_network: MemoryNetwork, call: str
) -> None:
    """``recv_into`` of a strided view says which argument is wrong, not how a cast failed."""
    with memory_network.socket_factory(socket.AF_INET, socket.SOCK_STREAM) as sock:
        strided = memoryview(bytearray(8))[::2]
        expected = f"{call}() argument 1 must be read-write bytes-like object, not memoryview"
        with pytest.raises(TypeError, match=f"^{re.escape(expected)}$"):
            getattr(sock, call)(strided)


def test_a_strided_buffer_to_send_is_a_buffer_error(memory_network: MemoryNetwork) -> None:
    """``send`` of a strided view is CPython's ``BufferError``, message and all."""
    with (
        memory_network.socket_factory(socket.AF_INET, socket.SOCK_STREAM) as sock,
        pytest.raises(BufferError, match=r"^memoryview: underlying buffer is not C-contiguous$"),
    ):
        sock.send(memoryview(bytearray(8))[::2])
