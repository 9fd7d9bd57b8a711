"""``python -m game serve`` in a process of its own, put under load and stopped by a signal.

Shared by the integration tier's signal tests and ``scripts/signal_stop.py``, which runs them
by the hundred. The load is a connect/close flood (threads that connect and close at once, in a
loop) and, optionally, players who play whole games in a loop. Everything goes to 127.0.0.1 on
the port the server picked (``--port 0``, read from its banner); every wait has a deadline, and
the flood is bounded in connections and in time.
"""

from __future__ import annotations

import contextlib
import functools
import re
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from game import Client, GameError
from game.protocol import ServerMessage, Start
from tests.deadline import DEADLINE

__all__ = ["Load", "Stop", "serve_process", "stop_under_load"]

"""Seconds any one wait may take: the banner, the load's start, a stop that never comes."""

FLOOD_LIMIT = 100_000
"""The most connections one flooding thread makes, whatever happens."""

BANNER = re.compile(r"serving tic-tac-toe on (\S+):(\d+);")


@dataclass
class Load:
    """Flooding threads and players aimed at one server; :meth:`stop` ends and joins them."""

    address: tuple[str, int]
    flooders: int
    players: int
    connections: int = 0  # made by the flood so far
    playing: int = 0  # players whose first game has started
    _done: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for index in range(self.players):
            self._spawn(functools.partial(self._play, f"p{index}"), f"player-{index}")
        for index in range(self.flooders):
            self._spawn(self._flood, f"flooder-{index}")

    def wait_until_busy(self, connections: int) -> None:
        """Wait until every player has started a game and the flood has made ``connections``.

        Raises:
            TimeoutError: not within :data:`DEADLINE`.
        """
        deadline = time.monotonic() + DEADLINE
        while self.playing < self.players or self.connections < connections:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"the load did not start in {DEADLINE:g} s: {self.playing}/{self.players} "
                    f"players playing, {self.connections} connections made"
                )
            self._done.wait(0.005)  # sleep-ok: polls counters that the load's threads bump

    def stop(self) -> None:
        """End the load and join its threads.

        Raises:
            AssertionError: a thread still alive after :data:`DEADLINE`.
        """
        self._done.set()
        for thread in self._threads:
            thread.join(DEADLINE)
            assert not thread.is_alive(), f"{thread.name} did not stop in {DEADLINE:g} s"

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _flood(self) -> None:
        deadline = time.monotonic() + 3 * DEADLINE
        for _ in range(FLOOD_LIMIT):
            if self._done.is_set() or time.monotonic() > deadline:
                return
            try:
                socket.create_connection(self.address, timeout=DEADLINE).close()
            except OSError:
                return  # the server has stopped listening: the flood is over
            with self._lock:
                self.connections += 1

    def _play(self, name: str) -> None:
        started = False

        def count_the_first_start(message: ServerMessage) -> None:
            nonlocal started
            if isinstance(message, Start) and not started:
                started = True
                with self._lock:
                    self.playing += 1

        while not self._done.is_set():
            try:
                with Client(*self.address, timeout=DEADLINE) as client:
                    client.play(name, wait=DEADLINE, on_message=count_the_first_start)
            except (GameError, OSError):
                return  # the server has stopped: so has this player


@contextlib.contextmanager
def serve_process() -> Iterator[tuple[subprocess.Popen[str], tuple[str, int], Path]]:
    """``python -m game serve --port 0``; yields the process, the address its banner names,
    and the file its stderr goes to (a file, not a pipe: a log nobody reads cannot fill it
    and block the server). The process is killed on exit if it is still running."""
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "stderr"
        with log.open("w") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-m", "game", "serve", "--port", "0", "--idle-timeout", "0"],
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
            )
        assert process.stdout is not None
        try:
            with selectors.DefaultSelector() as selector:
                selector.register(process.stdout, selectors.EVENT_READ)
                if not selector.select(DEADLINE):
                    raise TimeoutError(
                        f"the server printed nothing in {DEADLINE:g} s; {log.read_text()}"
                    )
            banner = process.stdout.readline()
            found = BANNER.match(banner)
            assert found is not None, f"not the serve banner: {banner!r}; {log.read_text()}"
            yield process, (found.group(1), int(found.group(2))), log
        finally:
            if process.poll() is None:
                process.kill()
            process.wait(DEADLINE)
            process.stdout.close()


@dataclass(frozen=True)
class Stop:
    """How one server process ended after its signal."""

    seconds: float | None  # from the signal to the exit; None: still running at the deadline
    returncode: int
    stdout: list[str]  # the lines after the banner
    stderr: str

    @property
    def clean(self) -> bool:
        """Exited 0, having said it was stopping and that it stopped cleanly, no traceback."""
        return (
            self.returncode == 0
            and self.stdout == ["stopping...", "server stopped cleanly"]
            and "Traceback" not in self.stderr
        )


def stop_under_load(signum: signal.Signals, flooders: int, players: int) -> Stop:
    """Start a server, load it, send it ``signum``, and time the exit (killed at
    :data:`DEADLINE`, then ``seconds`` is None)."""
    with serve_process() as (process, address, log):
        load = Load(address, flooders, players)
        load.start()
        try:
            load.wait_until_busy(connections=50 if flooders else 0)
            started = time.perf_counter()
            process.send_signal(signum)
            seconds: float | None
            try:
                process.wait(DEADLINE)
                seconds = time.perf_counter() - started
            except subprocess.TimeoutExpired:
                seconds = None
                process.kill()
                process.wait(DEADLINE)
        finally:
            load.stop()
        assert process.stdout is not None
        stdout = process.stdout.read().splitlines()
        return Stop(seconds, process.returncode, stdout, log.read_text())
