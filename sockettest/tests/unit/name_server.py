"""A small threaded name server with a planted check-then-act race, and the same server fixed.

Each client connects and sends one line, ``NAME <name>``. The server answers ``OK`` and records
the name if it is free, ``TAKEN`` if it is not. The racy version checks, *then sends* ``OK``,
then records: the send is a socket call, where another handler may run and find the name still
free, so two clients both get ``OK``. The fixed version checks and records under one lock, and
sends after. Both run on a :class:`~sockettest.MemoryNetwork`, reached by an injected socket
factory or by ``network.patch()``; the scenarios build everything inside the function that
:func:`sockettest.simulate` runs, as they must.
"""

import socket
import threading
from collections.abc import Callable
from typing import Any

from sockettest import MemoryNetwork

ADDRESS = ("127.0.0.1", 7070)


def read_line(sock: Any) -> str:
    """One line, without its newline; what arrived before EOF if there is no newline."""
    data = b""
    while not data.endswith(b"\n"):
        chunk = sock.recv(64)
        if not chunk:
            break
        data += chunk
    return data.decode().strip()


class NameServer:
    """Serves ``connections`` clients on ``listener``, one handler thread each.

    Args:
        listener: a listening socket.
        fixed: check and record under one lock (no race); else check, send, then record.
    """

    def __init__(self, listener: Any, *, fixed: bool) -> None:
        self.listener = listener
        self.fixed = fixed
        self.names: set[str] = set()
        self._lock = threading.Lock()

    def serve(self, connections: int) -> None:
        handlers = []
        with self.listener:
            for number in range(connections):
                conn, _ = self.listener.accept()
                handler = threading.Thread(
                    target=self._handle, args=(conn,), name=f"handler-{number}"
                )
                handler.start()
                handlers.append(handler)
        for handler in handlers:
            handler.join()

    def _handle(self, conn: Any) -> None:
        with conn:
            name = read_line(conn).removeprefix("NAME ")
            if self.fixed:
                with self._lock:
                    free = name not in self.names
                    if free:
                        self.names.add(name)
                conn.sendall(b"OK\n" if free else b"TAKEN\n")
            elif name not in self.names:  # the planted race: check ...
                conn.sendall(b"OK\n")  # ... a socket call, where another handler may run ...
                self.names.add(name)  # ... then act
            else:
                conn.sendall(b"TAKEN\n")


def two_claims(*, fixed: bool, patched: bool = False) -> Callable[[], list[str]]:
    """A scenario: a name server and two clients that both claim ``alice``; it asserts that
    exactly one gets ``OK``, and returns the replies in sorted order."""

    def scenario() -> list[str]:
        network = MemoryNetwork()
        replies: list[str] = []

        def claim(connect: Callable[[], Any]) -> None:
            with connect() as sock:
                sock.sendall(b"NAME alice\n")
                replies.append(read_line(sock))

        if patched:
            with network.patch():
                listener = socket.create_server(ADDRESS)
                server = NameServer(listener, fixed=fixed)
                _run(server, claim, lambda: socket.create_connection(ADDRESS))
        else:
            memory_listener = network.socket_factory(socket.AF_INET, socket.SOCK_STREAM)
            memory_listener.bind(ADDRESS)
            memory_listener.listen()

            def connect() -> Any:
                sock = network.socket_factory(socket.AF_INET, socket.SOCK_STREAM)
                sock.connect(ADDRESS)
                return sock

            _run(NameServer(memory_listener, fixed=fixed), claim, connect)
        network.assert_all_closed()
        assert sorted(replies) == ["OK", "TAKEN"], f"both claims of one name got {replies}"
        return sorted(replies)

    scenario.__name__ = f"two_claims_{'fixed' if fixed else 'racy'}{'_patched' if patched else ''}"
    return scenario


def _run(
    server: NameServer,
    claim: Callable[[Callable[[], Any]], None],
    connect: Callable[[], Any],
) -> None:
    serving = threading.Thread(target=server.serve, args=(2,), name="server")
    clients = [
        threading.Thread(target=claim, args=(connect,), name=f"client-{n}") for n in range(2)
    ]
    serving.start()
    for client in clients:
        client.start()
    for thread in (*clients, serving):
        thread.join()
