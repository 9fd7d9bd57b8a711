"""``explore(..., processes=2)`` against a serial explore: the same seeds, side by side.

A CPU-bound exploration (every seed runs to the end: a fix that passes them all), timed
serially and in worker processes, alternately, in one run; it prints each time, the best of
each, the speed-up, the CPU seconds and how many cores they amount to, and the load average:
on a shared machine the other processes' load is part of the figure (two workers that get one
core between them cannot be twice as fast). Both must give the same answer.

Run from the kit's folder: ``python -m benchmarks.explore_processes [--seeds 400]
[--processes 2] [--repeat 2]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import time

from benchmarks.common import ADDRESS, TIMEOUT, join, read_line, start
from sockettest import MemoryNetwork, explore

CLIENTS = 3
LINES = 20


def echo_clients() -> None:
    """Three clients, each sending twenty lines to a server thread of its own that echoes them."""

    def serve(conn: socket.socket) -> None:
        with conn:
            for _ in range(LINES):
                conn.sendall(read_line(conn).encode() + b"\n")

    def client(number: int) -> None:
        with socket.create_connection(ADDRESS, timeout=TIMEOUT) as sock:
            for line in range(LINES):
                sock.sendall(b"%d.%d\n" % (number, line))
                assert read_line(sock) == f"{number}.{line}"

    with MemoryNetwork().patch(), socket.create_server(ADDRESS) as listener:
        listener.settimeout(TIMEOUT)
        clients = [start(client, number) for number in range(CLIENTS)]
        servers = [start(serve, listener.accept()[0]) for _ in clients]
        join(*clients, *servers)


def timed(seeds: range, processes: int) -> tuple[float, float, int | None]:
    """Wall seconds, CPU seconds (this process's and its workers') and the answer."""
    cpu = _cpu()
    began = time.perf_counter()
    answer = explore(echo_clients, seeds=seeds, processes=processes)
    return time.perf_counter() - began, _cpu() - cpu, answer


def _cpu() -> float:
    mine, workers = (
        resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return mine.ru_utime + mine.ru_stime + workers.ru_utime + workers.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=400)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    seeds = range(args.seeds)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"explore of {args.seeds} seeds: {cores} cores, load {os.getloadavg()[0]:.1f} (1 min)")
    serial: list[float] = []
    parallel: list[float] = []
    for _ in range(args.repeat):
        seconds, cpu, answer = timed(seeds, 1)
        serial.append(seconds)
        other_seconds, other_cpu, other = timed(seeds, args.processes)
        parallel.append(other_seconds)
        assert answer == other, f"serial found {answer}, processes={args.processes} {other}"
        print(
            f"  serial {seconds:6.2f} s ({args.seeds / seconds:4.0f} seeds/s, CPU {cpu:5.2f} s: "
            f"{cpu / seconds:.2f} cores)   processes={args.processes} {other_seconds:6.2f} s "
            f"({args.seeds / other_seconds:4.0f} seeds/s, CPU {other_cpu:5.2f} s: "
            f"{other_cpu / other_seconds:.2f} cores)"
        )
    best = min(serial) / min(parallel)
    print(
        f"best: serial {min(serial):.2f} s, processes={args.processes} {min(parallel):.2f} s: "
        f"{best:.2f}x (target 1.6x on two cores); load {os.getloadavg()[0]:.1f} after"
    )


if __name__ == "__main__":
    main()
