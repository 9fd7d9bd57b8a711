"""Connected memory sockets, as many of the kit's tests need them."""

from sockettest import MemoryNetwork, MemorySocket


def connected(network: MemoryNetwork) -> tuple[MemorySocket, MemorySocket, MemorySocket]:
    """A listener on 127.0.0.1 and a connected (client, server) pair; the caller closes all."""
    listener = network.socket_factory()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    client = network.socket_factory()
    client.connect(listener.getsockname())
    server, _ = listener.accept()
    return listener, client, server


def connected_pair(network: MemoryNetwork) -> tuple[MemorySocket, MemorySocket]:
    """A client socket and the server side the listener accepted (the listener is closed)."""
    listener, client, server = connected(network)
    listener.close()
    return client, server
