"""The socket contract on the in-memory network: this is what makes MemorySocket a verified fake.

The same checks run on real loopback sockets in
tests/integration/testing/test_contract_loopback.py; ids say ``memory`` here and ``loopback``
there, so a failure names both the behaviour and the transport.
"""

import pytest

from sockettest import MemoryNetwork
from sockettest.contract import CHECKS, Check, check_id


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: f"memory-{check_id(check)}")
def test_contract(check: Check) -> None:
    """The in-memory sockets behave as the check says a TCP socket does, and leak nothing."""
    network = MemoryNetwork(max_block=2.0)
    try:
        check(network.socket_factory)
        network.assert_all_closed()
        assert network.stuck_calls == []
    finally:
        network.close_all()
