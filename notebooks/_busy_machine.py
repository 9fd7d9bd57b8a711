"""Notebook 1's stage machinery: the blog's race, lost or won on purpose, every time.

The blog's test sleeps a ten-millionth of a second and hopes that its server thread reaches
``listen()`` before the test reaches ``connect()``. Whether it does depends on the thread
scheduler, so the outcome changes from machine to machine and from run to run: a poor lesson,
because the failure may not happen while the reader watches. A :class:`RaceStage` picks the
outcome instead. It hands the blog's code a *real* socket class (a subclass of
:class:`socket.socket`, installed in place of it for one test) that waits, at exactly one
point, for the other thread: with ``client_first=True`` the server's ``listen()`` waits until
the client's ``connect()`` has returned or raised (a busy machine); with ``client_first=False``
the client's ``connect()`` waits until the server listens (the author's machine). Not a line of
the blog's code changes.

It lives here, beside the notebooks, because it is the notebook's stage, not its lesson: the
lesson is the blog's server, its test, and how they fail.
"""

from __future__ import annotations

import socket
import threading
from typing import Any

__all__ = ["RaceStage"]


class RaceStage:
    """Decides whether the server's ``listen()`` or the client's ``connect()`` happens first.

    Args:
        client_first: ``True``: the client connects before the server listens (the race is
            lost); ``False``: the server listens before the client connects (the race is won).
        deadline: seconds that bound each wait for the other thread, so that a stage never
            hangs a test, whatever the code under it does.
    """

    def __init__(self, *, client_first: bool, deadline: float = 5.0) -> None:
        self.client_first = client_first
        self.deadline = deadline
        self.server_done = threading.Event()  # the server listens, or failed to bind
        self.client_done = threading.Event()  # the client's connect() returned or raised
        self.made: list[socket.socket] = []
        self.listening: list[socket.socket] = []

    def socket_class(self) -> type[socket.socket]:
        """A real socket class that waits for the other side at the one point that matters."""
        stage = self

        class StagedSocket(socket.socket):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                stage.made.append(self)

            def bind(self, address: Any, /) -> None:
                try:
                    super().bind(address)
                except OSError:
                    stage.server_done.set()  # nobody will listen: let the client go on
                    raise

            def listen(self, *backlog: int) -> None:
                if stage.client_first:
                    stage.client_done.wait(stage.deadline)
                super().listen(*backlog)
                stage.listening.append(self)
                stage.server_done.set()

            def connect(self, address: Any, /) -> None:
                if not stage.client_first:
                    stage.server_done.wait(stage.deadline)
                try:
                    super().connect(address)
                finally:
                    stage.client_done.set()

        return StagedSocket

    def close_leftovers(self) -> None:
        """Close the sockets a failed test left open, but not a listener a thread still uses.

        pytest would rightly report each one as a ``ResourceWarning`` at the end of the
        session; that is not the lesson of the cell that failed.
        """
        self.server_done.wait(self.deadline)
        for sock in self.made:
            if sock not in self.listening:
                sock.close()
