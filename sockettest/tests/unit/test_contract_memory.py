"""The socket contract on the in-memory network: this is what makes MemorySocket a verified fake.

The same checks run on real loopback sockets in
tests/integration/testing/test_contract_loopback.py; ids say ``memory`` here and ``loopback``
there, so a failure names both the behaviour and the transport.
"""

import struct

import pytest

from sockettest import MemoryNetwork, MemorySocket, contract
from sockettest.contract import CHECKS, WRONG_CALLS, Check, check_id
from sockettest.contract._timeouts import _timeval


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


def test_a_wrong_call_names_itself_with_its_constants_and_placeholders() -> None:
    """A row of the wrong-call table reads as the call: socket constants and the listener's
    address by name, so a failure says which call answered unlike Linux."""
    rows = {(row.on, row.call) for row in WRONG_CALLS}
    assert ("fresh", "setsockopt(SOL_SOCKET, SO_LINGER, b'ab')") in rows
    assert ("fresh", "connect_ex((b'127.0.0.1', port))") in rows
    assert ("connected", "recv(4.0)") in rows


class LenientSocket(MemorySocket):
    """A hand-written fake's usual leniency: ``listen`` and ``shutdown`` take any argument
    ``int()`` takes, so ``listen("1")`` works and ``shutdown(1.0)`` shuts the write side."""

    def listen(self, backlog: int = 128, /) -> None:
        super().listen(int(backlog))

    def shutdown(self, how: int, /) -> None:
        super().shutdown(int(how))


def test_a_fake_that_takes_wrong_arguments_fails_the_wrong_call_check_naming_each_call() -> None:
    """The wrong-call check fails a lenient fake, and lists every call it got wrong by name."""
    network = MemoryNetwork(socket_class=LenientSocket, max_block=2.0)
    with pytest.raises(AssertionError) as raised:
        contract.check_wrong_calls_answer_as_linux(network.socket_factory)
    message = str(raised.value)
    assert "fresh: listen('1'): expected TypeError, but it returned None" in message
    assert "connected: shutdown(1.0): expected TypeError, but it returned None" in message
    head, *listed = message.splitlines()
    assert head == f"{len(listed)} of {len(WRONG_CALLS)} wrong calls differ:"
    assert all(call.split(": ")[1].startswith(("listen(", "shutdown(")) for call in listed)
    network.assert_all_closed()


def test_a_kernel_timeout_just_under_a_second_rounds_up_to_the_next_second() -> None:
    """The checks' ``struct timeval`` rounds seconds as a whole: 2.9999999 s is (3, 0), never
    a ``tv_usec`` of 1,000,000, which Linux refuses with ``EDOM``."""
    assert _timeval(2.9999999) == struct.pack("@ll", 3, 0)
    assert _timeval(0.02) == struct.pack("@ll", 0, 20_000)
