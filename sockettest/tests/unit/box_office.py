"""Notebook 10's box office: a ``socketserver`` whose handler checks a seat, answers, then
records it, so two fans can both book seat 12A; and the handler fixed (check and record under
one lock, then answer). As the notebook has them, so that the kit's tests search the very
program the course shows.
"""

import socket
import socketserver
import threading
from typing import cast

from sockettest import MemoryNetwork


class BoxOffice(socketserver.ThreadingTCPServer):
    def __init__(
        self, address: tuple[str, int], handler: type[socketserver.StreamRequestHandler]
    ) -> None:
        super().__init__(address, handler)
        self.sold: dict[str, str] = {}  # seat -> who booked it
        self.lock = threading.Lock()


class Booking(socketserver.StreamRequestHandler):
    server: BoxOffice

    def handle(self) -> None:
        for line in self.rfile:
            who, seat = line.decode().split()
            if seat not in self.server.sold:  # check ...
                self.wfile.write(f"BOOKED {seat}\n".encode())  # ... a socket call ...
                self.server.sold[seat] = who  # ... then act
            else:
                self.wfile.write(f"SOLD {seat}\n".encode())


class FixedBooking(Booking):
    def handle(self) -> None:
        for line in self.rfile:
            who, seat = line.decode().split()
            with self.server.lock:
                free = seat not in self.server.sold
                if free:
                    self.server.sold[seat] = who
            self.wfile.write(f"{'BOOKED' if free else 'SOLD'} {seat}\n".encode())


def two_fans_one_seat(handler: type[Booking] = Booking) -> None:
    """Two fans ask for seat 12A at once; exactly one may get it."""
    with MemoryNetwork().patch():
        box_office = BoxOffice(("127.0.0.1", 0), handler)
        serving = threading.Thread(
            target=box_office.serve_forever, kwargs={"poll_interval": 0.01}, name="server"
        )
        serving.start()
        replies: dict[str, str] = {}

        def fan(name: str) -> None:
            address = cast("tuple[str, int]", box_office.server_address)  # an IPv4 server's
            with socket.create_connection(address, timeout=5) as sock:
                sock.sendall(f"{name} 12A\n".encode())
                replies[name] = sock.makefile().readline().strip()

        fans = [threading.Thread(target=fan, args=(name,), name=name) for name in ("ann", "ben")]
        for thread in fans:
            thread.start()
        for thread in fans:
            thread.join(5)
        box_office.shutdown()
        box_office.server_close()
        serving.join(5)
    booked = sorted(name for name, reply in replies.items() if reply == "BOOKED 12A")
    assert len(booked) == 1, f"seat 12A was booked by {booked}"


def two_fans_one_seat_fixed() -> None:
    """The same, with the fixed handler."""
    two_fans_one_seat(FixedBooking)
