"""A UDP or raw socket, which Linux makes, is not modelled: the factory says so with
``NotModelled`` rather than an ``OSError`` that code under test would take for the kernel's
answer (a client that falls back to TCP when UDP fails would take the fallback unseen)."""

import socket

import pytest

from sockettest import MemoryNetwork, NotModelled


@pytest.mark.parametrize("kind", [socket.SOCK_DGRAM, socket.SOCK_RAW])
@pytest.mark.parametrize("family", [socket.AF_INET, socket.AF_INET6])
def test_a_udp_or_raw_socket_says_it_is_not_modelled(
    memory_network: MemoryNetwork, family: int, kind: int
) -> None:
    """The factory raises NotModelled, not an OSError, naming the socket type."""
    with pytest.raises(NotModelled, match=f"{socket.SocketKind(kind).name}.* carries TCP"):
        memory_network.socket_factory(family, kind)


def test_a_udp_socket_under_the_patch_says_it_is_not_modelled(
    patched_network: MemoryNetwork,
) -> None:
    """``socket.socket(AF_INET, SOCK_DGRAM)`` under a patch raises NotModelled too."""
    with pytest.raises(NotModelled, match="SOCK_DGRAM"):
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
