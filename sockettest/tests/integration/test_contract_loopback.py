"""The socket contract on real sockets over 127.0.0.1: the reference the fakes are checked against.

If a check fails here, the check is wrong (it asserts something Linux does not guarantee), not
the kernel. The same checks run on the in-memory network in
tests/unit/test_contract_memory.py.
"""

import socket

import pytest

from sockettest import Socket
from sockettest.contract import CHECKS, Check, check_id


def loopback_socket(family: int, type: int) -> Socket:
    """``socket.socket`` looked up at call time, so pytest-socket's guard still sees it."""
    return socket.socket(family, type)


# Connecting to 0.0.0.0 reaches this host, and so does ::ffff:127.0.0.1 from an IPv6 socket, as
# two checks pin: allowed beside the loopback range.
@pytest.mark.allow_hosts(["127.0.0.1", "::1", "0.0.0.0", "::ffff:127.0.0.1"])
@pytest.mark.parametrize("check", CHECKS, ids=lambda check: f"loopback-{check_id(check)}")
def test_contract(check: Check) -> None:
    """Real loopback sockets behave as the check says a TCP socket does."""
    check(loopback_socket)
