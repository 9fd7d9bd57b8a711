"""What the memory socket's argument checks copy from CPython, shown on real sockets: the unit
tier's tests/unit/test_arguments.py asserts the same of the memory socket."""

import errno
import socket
import sys

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


def test_an_ipv6_int_option_given_as_bytes_is_read_as_a_signed_int_on_a_real_socket() -> None:
    """Linux reads an IPv6 int option's bytes as a signed C int: the bytes of -1 set what the
    int -1 sets (the default hop limit), as the memory socket's unit test has it."""
    minus_one = (-1).to_bytes(4, sys.byteorder, signed=True)
    level, option = socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS
    with socket.socket(socket.AF_INET6) as as_int:
        as_int.setsockopt(level, option, -1)
        expected = as_int.getsockopt(level, option)
    with socket.socket(socket.AF_INET6) as as_bytes:
        as_bytes.setsockopt(level, option, minus_one)
        assert as_bytes.getsockopt(level, option) == expected
