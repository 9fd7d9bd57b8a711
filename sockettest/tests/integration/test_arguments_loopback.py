"""What the memory socket's argument checks copy from CPython, shown on real sockets: the unit
tier's tests/unit/test_arguments.py asserts the same of the memory socket."""

import errno
import socket

import pytest


def test_an_unsigned_argument_is_taken_modulo_2_to_the_32_on_a_real_socket() -> None:
    """CPython takes an IPv6 flowinfo and setsockopt's optlen modulo 2**32: a flowinfo of
    2**32 + 1 binds, -1 is past 0-1048575, and an optlen of 2**32 + 4 finds no buffer."""
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
        sock.bind(("::1", 0, 2**32 + 1))
        assert sock.getsockname()[1] != 0
        with pytest.raises(OSError, match="Bad address") as raised:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, None, 2**32 + 4)
        assert raised.value.errno == errno.EFAULT
    with (
        socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock,
        pytest.raises(OverflowError, match=r"bind\(\): flowinfo must be 0-1048575"),
    ):
        sock.bind(("::1", 0, -1))
