"""The socket contract on the in-memory network: this is what makes MemorySocket a verified fake.

The same checks run on real loopback sockets in
tests/integration/testing/test_contract_loopback.py; ids say ``memory`` here and ``loopback``
there, so a failure names both the behaviour and the transport.
"""

import pytest

from sockettest import MemoryNetwork, contract
from sockettest.contract import CHECKS, WRONG_CALLS, Check, check_id


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


def test_every_check_of_the_contract_is_in_checks_and_exported() -> None:
    """Each ``check_*`` function of the contract runs in CHECKS and is in ``__all__``."""
    helpers = {"check_id", "check_socket_contract"}
    defined = {
        name
        for name, value in vars(contract).items()
        if name.startswith("check_") and callable(value) and name not in helpers
    }
    assert defined == {check.__name__ for check in CHECKS}
    assert defined <= set(contract.__all__)


def test_a_wrong_call_names_itself_with_its_constants_and_placeholders() -> None:
    """A row of the wrong-call table reads as the call: socket constants and the listener's
    address by name, so a failure says which call answered unlike Linux."""
    rows = {(row.on, row.call) for row in WRONG_CALLS}
    assert ("fresh", "setsockopt(SOL_SOCKET, SO_LINGER, b'ab')") in rows
    assert ("fresh", "connect_ex((b'127.0.0.1', port))") in rows
    assert ("connected", "recv(4.0)") in rows
