"""Contract checks whose every row a mutation showed needed: a deliberately broken fake that
only that row catches (the pattern of test_contract_catches_broken_fakes.py)."""

import socket

import pytest

from sockettest import MemoryNetwork, MemorySocket
from sockettest.contract import check_urgent_read_without_urgent_data_answers_einval


class NonBlockingOOBPeeksSocket(MemorySocket):
    """Checks for urgent data only on its blocking path: a non-blocking ``recv`` with
    ``MSG_OOB`` hands over the ordinary bytes waiting (leaving them there) instead of EINVAL;
    with none waiting it answers EINVAL, as it should."""

    def recv(self, bufsize: int, flags: int = 0, /) -> bytes:
        if flags & socket.MSG_OOB and self.gettimeout() == 0:
            try:
                return super().recv(bufsize, socket.MSG_PEEK)
            except BlockingIOError:
                pass
        return super().recv(bufsize, flags)


def test_an_urgent_read_that_peeks_when_non_blocking_fails_the_contract() -> None:
    """A non-blocking recv(8, MSG_OOB) that returns the bytes waiting fails the urgent-read
    check, which reads with timeout 0 while bytes wait."""
    network = MemoryNetwork(socket_class=NonBlockingOOBPeeksSocket, max_block=2.0)
    with pytest.raises(AssertionError, match=r"recv with MSG_OOB \(SO_OOBINLINE 0, timeout 0"):
        check_urgent_read_without_urgent_data_answers_einval(network.socket_factory)
    network.assert_all_closed()
