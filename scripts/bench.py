"""Benchmarks of the game server, measured side by side in one run on one machine.

What it measures (every figure a median over several runs, all in this one run):

1. Round trip: ``PING``/``PONG`` through :class:`game.Client` and :class:`game.Server`, against a
   bare blocking-socket echo server and :class:`socketserver.ThreadingTCPServer` echoing the same
   line; median and p99 of each, and the ratios to the bare echo, on all cores and pinned to one.
   Targets: the game within 1.3x of the bare echo at the median on all cores, 1.5x pinned. Also
   the same round trip through the in-memory network.
1b. The asyncio shell (``bench_asyncio.py``): the ``PING`` round trip through
   :class:`game.AsyncClient` and :class:`game.AsyncServer` against a bare asyncio streams echo
   (target: at most 1.3x), and games per second with 100 concurrent matches on each shell.
2. Throughput: complete games per second with 1, 10 and 100 concurrent matches, for this code and
   for a baseline commit (``--baseline``, by default the last one before the server's write path
   changed), each served from its own ``git worktree`` in a subprocess, run by run in turn.
   Target: 100 matches no slower than the baseline.
3. Memory: the resident set (``VmRSS``) of a separate ``python -m game serve`` process, idle,
   with 200 connected clients, and with 100 clients that flood ``PING`` and never read (each
   until its own send blocks), and per connection (Linux only: read from ``/proc``); and how
   much one such client sends before its send blocks (the bound docs/PROTOCOL.md states).
4. One whole game, from server start to shutdown, over loopback, through the in-memory network
   and through the sans-IO pair, and one test's fixed cost (server start, connect, one request
   and reply, shutdown) on each network: the ratios (the figures of ``time_game.py``).
5. The unit tier's wall time against pytest's own start-up with the same plugins on an empty
   test file. Target: at most 2x.
6. What importing ``sockettest`` and its plugin adds to pytest's start-up (the figures of
   ``import_cost.py``). Target: under 50 ms.

Run it from the repository root (``make bench``)::

    python scripts/bench.py            # about a minute on 2 cores
    python scripts/bench.py --quick    # fewer runs, for a smoke test

All traffic goes to 127.0.0.1; every wait has a deadline.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import platform
import re
import selectors
import signal
import socket
import socketserver
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import bench_asyncio
import import_cost
from _timing import DEADLINE, last_figure, medians_interleaved, percentile
from time_game import STRATEGIES, measure, measure_fixed_cost, report, report_fixed_cost

from game import Client, Server, SocketFactory
from sockettest import MemoryNetwork

ROOT = Path(__file__).resolve().parent.parent
LINE = b"PING t\n"
RTT_TARGETS = {"all cores": 1.3, "pinned": 1.5}
BASELINE = "56bb1b0"
"""The last commit before the core owned the connection and the server replied inline."""
NON_READERS = 100
STALL = 0.2
"""Seconds a flooding client's socket may stay unwritable before the server counts as no
longer reading it."""
FLOOD = b"PING " + b"x" * 500 + b"\n"
UNIT_TARGET = 2.0
MEMORY_CLIENTS = 200


@dataclass(frozen=True)
class Plan:
    """How many runs and samples each measurement takes."""

    runs: int  # medians are taken over this many runs
    round_trips: int  # per run, per server
    rounds: dict[int, int]  # games each bot plays, by concurrent matches
    game_runs: int  # whole games timed each way
    unit_runs: int


FULL = Plan(runs=5, round_trips=1000, rounds={1: 8, 10: 4, 100: 2}, game_runs=15, unit_runs=3)
QUICK = Plan(runs=2, round_trips=200, rounds={1: 2, 10: 1, 100: 1}, game_runs=3, unit_runs=1)


# Echo servers ---------------------------------------------------------------------------------


class BareEchoServer:
    """A blocking-socket echo server: one thread accepts, one thread per connection echoes."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.address: tuple[str, int] = self._listener.getsockname()[:2]
        self._conns: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._accepter = threading.Thread(target=self._accept, name="bare-echo-accept")

    def __enter__(self) -> BareEchoServer:
        self._accepter.start()
        return self

    def __exit__(self, *_: object) -> None:
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self._accepter.join(DEADLINE)
        for conn in self._conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(DEADLINE)
        for conn in self._conns:
            conn.close()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self._conns.append(conn)
            thread = threading.Thread(target=self._echo, args=(conn,), name="bare-echo")
            self._threads.append(thread)
            thread.start()

    @staticmethod
    def _echo(conn: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := conn.recv(4096):
                conn.sendall(data)


class _EchoHandler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        for line in self.rfile:
            self.wfile.write(line)


@contextlib.contextmanager
def threading_tcp_echo() -> Iterator[tuple[str, int]]:
    """The standard library's ThreadingTCPServer, echoing each line, serving in a thread."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _EchoHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="socketserver-echo")
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield str(host), int(port)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(DEADLINE)


# Round trips ----------------------------------------------------------------------------------


def raw_round_trips(address: tuple[str, int], count: int, skip_banner: bool = False) -> list[float]:
    """Seconds for each of ``count`` send-a-line, read-a-line exchanges on a plain socket."""
    with socket.create_connection(address, timeout=DEADLINE) as sock:
        if skip_banner:
            _read_line(sock)
        samples = []
        for _ in range(count):
            started = time.perf_counter()
            sock.sendall(LINE)
            _read_line(sock)
            samples.append(time.perf_counter() - started)
        return samples


def _read_line(sock: socket.socket) -> bytes:
    received = b""
    while not received.endswith(b"\n"):
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        received += chunk
    return received


def client_round_trips(
    address: tuple[str, int], count: int, socket_factory: SocketFactory | None = None
) -> list[float]:
    """Seconds for each of ``count`` ``Client.ping`` calls (``PING t`` -> ``PONG t``)."""
    with Client(*address, socket_factory=socket_factory, timeout=DEADLINE) as client:
        client.hello("bench")
        return [client.ping("t") for _ in range(count)]


@dataclass
class Distribution:
    """Per-run medians and p99s of one kind of round trip."""

    medians: list[float]
    p99s: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.medians)

    @property
    def p99(self) -> float:
        return statistics.median(self.p99s)


def round_trips(plan: Plan) -> dict[str, Distribution]:
    """Every kind of round trip, interleaved run by run so that drift hits them all alike."""
    warm = max(plan.round_trips // 10, 10)
    network = MemoryNetwork(max_block=DEADLINE)
    game = Server("127.0.0.1", 0, idle_timeout=DEADLINE)
    in_memory = Server("127.0.0.1", 0, socket_factory=network.socket_factory, idle_timeout=None)
    kinds: dict[str, Callable[[], list[float]]] = {}
    results: dict[str, Distribution] = {}
    with (
        game.running(DEADLINE) as game_address,
        in_memory.running(DEADLINE) as memory_address,
        BareEchoServer() as bare,
        threading_tcp_echo() as stdlib_address,
    ):
        n = plan.round_trips + warm
        kinds = {
            "game: Client -> Server": lambda: client_round_trips(game_address, n),
            "game: raw socket -> Server": lambda: raw_round_trips(game_address, n, True),
            "bare blocking-socket echo": lambda: raw_round_trips(bare.address, n),
            "socketserver.ThreadingTCPServer echo": lambda: raw_round_trips(stdlib_address, n),
            "game, in-memory network": lambda: client_round_trips(
                memory_address, n, network.socket_factory
            ),
        }
        for name in kinds:
            results[name] = Distribution([], [])
        for _ in range(plan.runs):
            for name, measure in kinds.items():
                samples = measure()[warm:]
                results[name].medians.append(statistics.median(samples))
                results[name].p99s.append(percentile(samples, 0.99))
    return results


# Throughput -----------------------------------------------------------------------------------


_THROUGHPUT = """
import sys, time
sys.path[:0] = [{root!r}, {root!r} + "/scripts"]
from _timing import DEADLINE, play_games
from game import Server
server = Server("127.0.0.1", 0, idle_timeout=DEADLINE)
with server.running(DEADLINE) as address:
    started = time.perf_counter()
    games = play_games(address, {matches}, {rounds})
    print(games / (time.perf_counter() - started))
"""


def games_per_second(root: Path, matches: int, rounds: int) -> float:
    """Complete games per second with ``matches`` concurrent matches, each bot playing
    ``rounds`` games in a row, on a fresh server: the code checked out at ``root``, in a
    process of its own."""
    return last_figure(_THROUGHPUT.format(root=str(root), matches=matches, rounds=rounds), root)


@contextlib.contextmanager
def worktree(revision: str) -> Iterator[Path]:
    """A ``git worktree`` of ``revision`` in a temporary folder, removed afterwards."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "baseline"
        git = ["git", "-C", str(ROOT)]
        subprocess.run(  # noqa: S603 - git, fixed arguments
            [*git, "worktree", "add", "--detach", str(path), revision],
            check=True,
            capture_output=True,
            timeout=60,
        )
        try:
            yield path
        finally:
            subprocess.run(  # noqa: S603 - git, fixed arguments
                [*git, "worktree", "remove", "--force", str(path)],
                check=False,
                capture_output=True,
                timeout=60,
            )


# Memory ---------------------------------------------------------------------------------------


def resident_kib(pid: int) -> int:
    """The process's resident set in KiB (``VmRSS`` in ``/proc/<pid>/status``)."""
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"no VmRSS in /proc/{pid}/status")
    return int(match.group(1))


@contextlib.contextmanager
def server_process(*options: str) -> Iterator[tuple[int, tuple[str, int]]]:
    """``python -m game serve --port 0`` in a subprocess; yields its pid and address."""
    command = [sys.executable, "-m", "game", "serve", "--port", "0", "--idle-timeout", "0"]
    command += options
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module, fixed arguments
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        assert process.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            if not selector.select(DEADLINE):
                raise RuntimeError(f"the server printed nothing in {DEADLINE:g} s")
        first = process.stdout.readline()
        found = re.search(r"serving tic-tac-toe on (\S+):(\d+);", first)
        if found is None:
            raise RuntimeError(f"unexpected first line from the server: {first!r}")
        yield process.pid, (found.group(1), int(found.group(2)))
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(DEADLINE)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(DEADLINE)
        if process.stdout is not None:
            process.stdout.close()


def server_memory() -> tuple[int, int]:
    """The server process's RSS in KiB, idle and with ``MEMORY_CLIENTS`` connected clients
    (each said HELLO and got WELCOME, so each has its reader and writer threads)."""
    with server_process() as (pid, address), contextlib.ExitStack() as clients:
        idle = resident_kib(pid)
        for index in range(MEMORY_CLIENTS):
            sock = clients.enter_context(socket.create_connection(address, DEADLINE))
            sock.sendall(f"HELLO m{index}\n".encode())
            received = b""
            while b"WELCOME" not in received:
                chunk = sock.recv(4096)
                if not chunk:
                    raise ConnectionError("the server closed a connection")
                received += chunk
        return idle, resident_kib(pid)


def non_reader_bound() -> float:
    """MiB a client that floods ``PING`` lines and never reads gets the server to take before
    its own send blocks (docs/PROTOCOL.md states this bound)."""
    server = Server("127.0.0.1", 0, write_timeout=None)
    with server.running(DEADLINE) as address, socket.create_connection(address, DEADLINE) as sock:
        sock.settimeout(2.0)
        flood, taken = FLOOD * 64, 0
        with contextlib.suppress(TimeoutError):
            while True:  # whole lines: a send may take part of one
                taken += sock.send(flood[taken % len(FLOOD) :])
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    return taken / 2**20


def non_reader_memory() -> tuple[int, int]:
    """The server process's RSS in KiB, idle and with ``NON_READERS`` clients that each flood
    ``PING`` lines, reading nothing, until their own send blocks: the server then holds, for
    each, at most its allowance of unsent replies."""
    with server_process("--write-timeout", "0") as (pid, address), contextlib.ExitStack() as stack:
        idle = resident_kib(pid)
        for _ in range(NON_READERS):
            sock = stack.enter_context(socket.create_connection(address, DEADLINE))
            sock.setblocking(False)
            flood, sent = FLOOD * 64, 0
            with selectors.DefaultSelector() as selector:
                selector.register(sock, selectors.EVENT_WRITE)
                while selector.select(STALL):  # writable again within STALL: still read
                    with contextlib.suppress(BlockingIOError):
                        while True:  # whole lines: a send may take part of one
                            sent += sock.send(flood[sent % len(FLOOD) :])
            # Closing with unread data resets the connection: no FIN handshake to wait out.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        return idle, resident_kib(pid)


# Unit tier against pytest start-up ------------------------------------------------------------


def wall_time(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        command,
        check=False,  # exit 5 (no tests) is the empty file's normal outcome
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=300,
    )
    return time.perf_counter() - started


def unit_against_startup(runs: int) -> tuple[float, float]:
    """Median wall seconds of ``pytest tests/unit`` and of pytest on an empty test file with
    the same configuration, plugins and top-level conftest, alternated run by run."""
    pytest = [sys.executable, "-m", "pytest", "-q"]
    with tempfile.TemporaryDirectory() as folder:
        empty = Path(folder) / "test_empty.py"
        empty.write_text('"""No tests: pytest start-up alone."""\n')
        startup = [*pytest, "-c", "pyproject.toml", "--rootdir", ".", "-p", "tests.conftest"]
        unit, bare = [], []
        for _ in range(runs):
            unit.append(wall_time([*pytest, "tests/unit"]))
            bare.append(wall_time([*startup, str(empty)]))
    return statistics.median(unit), statistics.median(bare)


# The report -----------------------------------------------------------------------------------


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:9.1f} us"


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:9.2f} ms"


@contextlib.contextmanager
def one_core() -> Iterator[str]:
    """Pin this process's threads to one core for the block, where the system allows it.

    Threads inherit the affinity of the thread that starts them, so servers started inside
    the block run on that core too. Yields a description of what was done.
    """
    if not hasattr(os, "sched_getaffinity"):
        yield "all cores (this system cannot pin threads)"
        return
    allowed = os.sched_getaffinity(0)
    core = min(allowed)
    os.sched_setaffinity(0, {core})
    try:
        yield f"pinned to core {core}"
    finally:
        os.sched_setaffinity(0, allowed)


def report_round_trips(plan: Plan) -> None:
    print(f"1. round trip, PING t / PONG t ({plan.round_trips} per run)")
    print("   On all cores a reply that crosses threads pays the wake-up of another core, which")
    print("   on a virtual machine can cost tens of microseconds; pinned to one core it does not.")
    placements: list[contextlib.AbstractContextManager[str]] = [
        contextlib.nullcontext("all cores"),
        one_core(),
    ]
    for placement, target in zip(placements, RTT_TARGETS.values(), strict=True):
        with placement as where:
            trips = round_trips(plan)
        print(f"   {where + ':':38}{'median':>12}{'p99':>13}{'median / bare':>16}")
        bare = trips["bare blocking-socket echo"].median
        for name, dist in trips.items():
            print(f"   {name:38}{_us(dist.median)}  {_us(dist.p99)}{dist.median / bare:14.2f}x")
        game = trips["game: Client -> Server"].median
        ratio = game / bare
        verdict = "met" if ratio <= target else "MISSED"
        print(f"   target: game within {target:g}x of the bare echo: {ratio:.2f}x, {verdict}")
        in_memory = trips["game, in-memory network"].median / game
        print(f"   in-memory network / loopback, same round trip: {in_memory:.2f}x\n")


def report_throughput(plan: Plan, baseline: str) -> None:
    print(f"2. throughput: complete games per second, this code and {baseline}, in turn")
    print(f"   {'concurrent matches':<20}{'games/s':>10}{baseline:>12}{'ratio':>8}{'games':>8}")
    with worktree(baseline) as old:
        for matches, rounds in plan.rounds.items():
            rates = medians_interleaved(
                plan.runs,
                {
                    "new": functools.partial(games_per_second, ROOT, matches, rounds),
                    "old": functools.partial(games_per_second, old, matches, rounds),
                },
            )
            ratio = rates["new"] / rates["old"]
            print(
                f"   {matches:<20}{rates['new']:10.1f}{rates['old']:12.1f}{ratio:7.2f}x"
                f"{matches * rounds:8}"
            )
    verdict = "met" if ratio >= 1.0 else "MISSED"
    print(f"   target: 100 matches no slower than {baseline}: {ratio:.2f}x, {verdict}\n")


def report_memory(plan: Plan) -> None:
    print(f"3. memory: a separate `python -m game serve` process, {MEMORY_CLIENTS} clients")
    if not Path("/proc/self/status").exists():
        print("   skipped: no /proc on this system\n")
        return
    samples = [server_memory() for _ in range(plan.runs)]
    idle = statistics.median(s[0] for s in samples) / 1024
    loaded = statistics.median(s[1] for s in samples) / 1024
    print(f"   idle {idle:.1f} MiB; with {MEMORY_CLIENTS} clients {loaded:.1f} MiB")
    print(f"   per connection {(loaded - idle) * 1024 / MEMORY_CLIENTS:.1f} KiB")
    idle_kib, loaded_kib = non_reader_memory()  # one run: it takes 100 stalls
    idle, loaded = idle_kib / 1024, loaded_kib / 1024
    print(f"   idle {idle:.1f} MiB; with {NON_READERS} clients flooding, never reading, ", end="")
    print(f"{loaded:.1f} MiB")
    per = (loaded - idle) * 1024 / NON_READERS
    print(f"   per connection {per:.1f} KiB (the server's allowance is 64 KiB)")
    print(
        f"   a client that never reads blocks in its own send after {non_reader_bound():.1f} MiB\n"
    )


def report_games(plan: Plan) -> None:
    print(f"4. one whole game, server start to shutdown (median of {plan.game_runs})")
    for title, choose in STRATEGIES.items():
        print(f"   {title}:")
        for line in report(measure(plan.game_runs, choose)):
            print(f"   {line}")
    runs = 5 * plan.game_runs
    print(
        f"   one test's fixed cost: server start, connect, PING/PONG, shutdown (median of {runs})"
    )
    for line in report_fixed_cost(measure_fixed_cost(runs)):
        print(f"   {line}")
    print()


def report_unit_tier(plan: Plan) -> None:
    print(f"5. unit tier against pytest start-up (median of {plan.unit_runs})")
    unit, startup = unit_against_startup(plan.unit_runs)
    ratio = unit / startup
    verdict = "met" if ratio <= UNIT_TARGET else "MISSED"
    print(f"   pytest tests/unit {unit:.2f} s; empty test file {startup:.2f} s")
    print(f"   ratio {ratio:.2f}x (target <= {UNIT_TARGET:g}x: {verdict})\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs: a smoke test")
    parser.add_argument(
        "--baseline", default=BASELINE, help=f"the commit to compare throughput with ({BASELINE})"
    )
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    began = time.perf_counter()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    print(
        f"machine: {os.cpu_count()} cores ({usable} usable), {platform.machine()}, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )
    print(f"every figure: the median over {plan.runs} runs, unless said otherwise\n")
    report_round_trips(plan)
    bench_asyncio.report(plan.runs, plan.round_trips, plan.rounds[100])
    report_throughput(plan, args.baseline)
    report_memory(plan)
    report_games(plan)
    report_unit_tier(plan)
    print("6. ", end="")
    import_cost.report(plan.unit_runs * 3)
    print(f"bench took {time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
