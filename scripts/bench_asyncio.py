"""The asyncio shell's figures for ``bench.py``, side by side with what each is measured against.

1. The ``PING``/``PONG`` round trip through :class:`game.AsyncClient` and
   :class:`game.AsyncServer` against a bare asyncio streams echo (``asyncio.start_server`` and
   ``open_connection``, one line echoed with ``readline``), each with client and server on one
   event loop in this process, interleaved run by run. Target: at most 1.3x the bare echo at
   the median.
2. Complete games per second with 100 concurrent matches on each shell, each in a process of
   its own, run by run in turn: the threaded :class:`game.Server` with :class:`game.Client`
   bots in threads, and :class:`game.AsyncServer` with :class:`game.AsyncClient` bots as tasks
   of one loop (in both, bots and server in one process).

All traffic goes to 127.0.0.1; every wait has a deadline.
"""

from __future__ import annotations

import asyncio
import functools
import statistics
from pathlib import Path

from _timing import DEADLINE, last_figure, medians_interleaved, percentile

from game import AsyncClient, AsyncServer

__all__ = ["RTT_TARGET", "report"]

LINE = b"PING t\n"
RTT_TARGET = 1.3
MATCHES = 100
ROOT = Path(__file__).resolve().parent.parent


async def _echo_round_trips(count: int) -> list[float]:
    """Seconds for each of ``count`` line round trips to a bare asyncio streams echo."""

    echoed = asyncio.Event()  # the handler has ended: nothing left for the loop to cancel

    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while line := await reader.readline():
            writer.write(line)
            await writer.drain()
        writer.close()
        echoed.set()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    async with server:
        reader, writer = await asyncio.open_connection(*server.sockets[0].getsockname()[:2])
        samples = []
        loop = asyncio.get_running_loop()
        for _ in range(count):
            started = loop.time()
            writer.write(LINE)
            await writer.drain()
            async with asyncio.timeout(DEADLINE):
                await reader.readline()
            samples.append(loop.time() - started)
        writer.close()
        await writer.wait_closed()
        async with asyncio.timeout(DEADLINE):
            await echoed.wait()
    return samples


async def _game_round_trips(count: int) -> list[float]:
    """Seconds for each of ``count`` ``AsyncClient.ping`` calls to an ``AsyncServer``."""
    async with AsyncServer("127.0.0.1", 0, idle_timeout=DEADLINE) as server:
        assert server.address is not None
        async with AsyncClient(*server.address, timeout=DEADLINE) as client:
            await client.hello("bench")
            return [await client.ping("t") for _ in range(count)]


def round_trips(runs: int, count: int) -> dict[str, tuple[float, float]]:
    """The median over ``runs`` of each round trip's median and p99, interleaved."""
    warm = max(count // 10, 10)
    kinds = {
        "asyncio game: AsyncClient -> AsyncServer": _game_round_trips,
        "bare asyncio streams echo": _echo_round_trips,
    }
    medians: dict[str, list[float]] = {name: [] for name in kinds}
    p99s: dict[str, list[float]] = {name: [] for name in kinds}
    for _ in range(runs):
        for name, measure in kinds.items():
            samples = asyncio.run(measure(count + warm))[warm:]
            medians[name].append(statistics.median(samples))
            p99s[name].append(percentile(samples, 0.99))
    return {
        name: (statistics.median(medians[name]), statistics.median(p99s[name])) for name in kinds
    }


_THREADS = """
from _timing import DEADLINE, play_games
from game import Server
server = Server("127.0.0.1", 0, idle_timeout=DEADLINE)
with server.running(DEADLINE) as address:
    started = time.perf_counter()
    games = play_games(address, {matches}, {rounds})
    print(games / (time.perf_counter() - started))
"""

_ASYNCIO = """
import asyncio
from _timing import DEADLINE
from game import AsyncClient, AsyncServer

async def main():
    async with AsyncServer("127.0.0.1", 0, idle_timeout=DEADLINE) as server:
        async def bot(name):
            for round_ in range({rounds}):
                async with AsyncClient(*server.address, timeout=DEADLINE) as client:
                    await client.play(f"{{name}}r{{round_}}", wait=DEADLINE)

        started = time.perf_counter()
        async with asyncio.timeout(DEADLINE * {rounds}):
            await asyncio.gather(*(bot(f"b{{index}}") for index in range(2 * {matches})))
        return {matches} * {rounds} / (time.perf_counter() - started)

print(asyncio.run(main()))
"""


def games_per_second(shell: str, matches: int, rounds: int) -> float:
    """Complete games per second on ``shell`` (``threads`` or ``asyncio``), ``matches``
    concurrent matches, each bot playing ``rounds`` games, in a process of its own."""
    body = (_THREADS if shell == "threads" else _ASYNCIO).format(matches=matches, rounds=rounds)
    code = f"import sys, time\nsys.path[:0] = [{str(ROOT)!r}, {str(ROOT / 'scripts')!r}]\n{body}"
    return last_figure(code, ROOT)


def report(runs: int, count: int, rounds: int) -> None:
    """Print both figures; ``runs`` runs of each, ``count`` round trips a run, ``rounds`` games
    per bot."""
    print(f"1b. the asyncio shell (median of {runs} runs)")
    trips = round_trips(runs, count)
    print(f"   round trip, PING t / PONG t ({count} per run){'median':>16}{'p99':>13}")
    for name, (median, p99) in trips.items():
        print(f"   {name:44}{median * 1e6:9.1f} us  {p99 * 1e6:9.1f} us")
    ratio = (
        trips["asyncio game: AsyncClient -> AsyncServer"][0] / trips["bare asyncio streams echo"][0]
    )
    verdict = "met" if ratio <= RTT_TARGET else "MISSED"
    print(f"   target: within {RTT_TARGET:g}x of the bare asyncio echo: {ratio:.2f}x, {verdict}")
    rates = medians_interleaved(
        runs,
        {
            shell: functools.partial(games_per_second, shell, MATCHES, rounds)
            for shell in ("threads", "asyncio")
        },
    )
    print(f"   games per second, {MATCHES} concurrent matches, {MATCHES * rounds} games a run:")
    print(f"   {'threads (Server, Client)':44}{rates['threads']:9.1f}")
    print(f"   {'asyncio (AsyncServer, AsyncClient)':44}{rates['asyncio']:9.1f}")
    print(f"   asyncio / threads: {rates['asyncio'] / rates['threads']:.2f}x\n")
