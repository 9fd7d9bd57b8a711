"""Attacks on the server from outside, on the memory network, against both shells: what one
client does never costs another client its data, and each gets what docs/PROTOCOL.md says."""

from __future__ import annotations

import pytest

from game.testing import BANNER
from sockettest import MemoryNetwork, Socket
from tests.deadline import DEADLINE
from tests.shells import SHELLS


@pytest.fixture(params=list(SHELLS))
def shell(request: pytest.FixtureRequest) -> str:
    """The name of the server shell under attack: each test runs on both."""
    return str(request.param)


def connect(network: MemoryNetwork, address: tuple[str, int]) -> Socket:
    sock = network.socket_factory()
    sock.settimeout(DEADLINE)
    sock.connect(address)
    return sock


def read_until_eof(sock: Socket) -> bytes:
    """Everything ``sock`` receives up to the end of the stream; a reset raises."""
    received = b""
    while chunk := sock.recv(4096):
        received += chunk
    return received


def test_a_client_turned_away_as_the_server_is_full_reads_the_error_then_eof(
    shell: str, patched_network: MemoryNetwork
) -> None:
    """A connection beyond max_clients that says HELLO at once still reads ERROR server full,
    then the end of the stream, not a reset: the server ends its sending side before it
    closes, as after BYE."""
    server = SHELLS[shell](port=0, socket_factory=patched_network.socket_factory, max_clients=1)
    with server.running(DEADLINE) as address, connect(patched_network, address) as first:
        assert first.recv(100) == f"{BANNER}\n".encode()
        with connect(patched_network, address) as extra:
            extra.sendall(b"HELLO bob\n")  # before reading: a newcomer's client does
            assert read_until_eof(extra) == b"ERROR server full\n"
    patched_network.assert_all_closed(grace=DEADLINE)
