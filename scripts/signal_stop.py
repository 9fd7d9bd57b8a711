"""How promptly ``python -m game serve`` stops on SIGTERM or SIGINT, under load.

Each run starts a server process on 127.0.0.1, port 0 (read from its banner), puts it under
load, sends it one signal and times its exit from then. Four cases, ``--runs`` times each,
interleaved run by run so that the machine's load hits them all alike: SIGTERM and SIGINT,
during a connect/close flood (``--flooders`` threads, each connecting and closing at once, in a
loop), without and with ``--players`` clients playing whole games in a loop. A run counts when
the process exits 0 within ``--budget`` seconds, having printed ``stopping...`` and ``server
stopped cleanly``; one still running after 10 s is killed and counted as hung.

Run it from the repository root::

    python scripts/signal_stop.py               # 50 runs of each case: about 3 minutes
    python scripts/signal_stop.py --runs 5      # a smoke test

It prints, per case, how many runs stopped cleanly within the budget, how many stopped at all,
and the median and worst time; it exits 1 if any run missed. The load is the one the
integration tier's signal tests use (``tests/serve_under_load.py``): loopback only, port 0,
every wait with a deadline, the flood bounded in connections and in time.
"""

from __future__ import annotations

import argparse
import signal
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository: its tests/

from tests.serve_under_load import Stop, stop_under_load


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=50, help="runs of each case (default 50)")
    parser.add_argument("--flooders", type=int, default=4, help="flooding threads (default 4)")
    parser.add_argument("--players", type=int, default=200, help="players (default 200)")
    parser.add_argument("--budget", type=float, default=1.0, help="seconds (default 1)")
    args = parser.parse_args()

    cases = [
        (signum, players)
        for players in sorted({0, args.players})
        for signum in (signal.SIGTERM, signal.SIGINT)
    ]
    stops: dict[tuple[signal.Signals, int], list[Stop]] = {case: [] for case in cases}
    for run in range(args.runs):
        for signum, players in cases:
            stop = stop_under_load(signum, args.flooders, players)
            stops[signum, players].append(stop)
            if not stop.clean or stop.seconds is None or stop.seconds > args.budget:
                took = "hung" if stop.seconds is None else f"{stop.seconds:.3f} s"
                print(
                    f"run {run}, {signum.name}, {players} players: {took}, "
                    f"exit {stop.returncode}, printed {stop.stdout}"
                )
    print(
        f"python -m game serve, {args.flooders} threads flooding connect/close on loopback, "
        f"{args.runs} runs of each case, budget {args.budget:g} s"
    )
    missed = 0
    for (signum, players), found in stops.items():
        times = [s.seconds for s in found if s.seconds is not None]
        within = sum(s.clean and s.seconds is not None and s.seconds <= args.budget for s in found)
        missed += len(found) - within
        worst = f"{max(times):.3f} s" if len(times) == len(found) else "never (hung)"
        median = f"{statistics.median(times):.3f} s" if times else "-"
        print(
            f"  {signum.name:7} {players:3} players: {within}/{len(found)} stopped cleanly "
            f"within {args.budget:g} s, {len(times)}/{len(found)} stopped at all; "
            f"median {median}, worst {worst}"
        )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
