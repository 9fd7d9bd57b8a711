"""What importing ``sockettest`` and its pytest plugin adds to pytest's start-up.

Two measurements, side by side in one run:

1. ``python -X importtime``: the cumulative import time of ``sockettest`` and
   ``sockettest._plugin`` in a fresh interpreter that has already imported pytest (which any
   pytest run has), that is, exactly what the plugin adds. Median of several interpreters.
2. Wall time of ``pytest`` collecting one empty test file, with the plugin (as installed) and
   without it (``-p no:sockettest``), the two measured in turn; the median difference.

Target: under 50 ms. Run it from the repository root (``make bench`` runs it too)::

    python scripts/import_cost.py
    python scripts/import_cost.py --runs 21
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_MS = 50.0
PLUGIN_MODULES = ("sockettest", "sockettest._plugin")


def import_time_us() -> int:
    """Microseconds ``import sockettest._plugin`` takes after ``import pytest``, per importtime."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import pytest; import sockettest._plugin"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    total = 0
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = (part.strip() for part in line.split(":", 1)[1].split("|"))
        if name in PLUGIN_MODULES:  # top-level entries only: the names are not indented
            total += int(cumulative)
    return total


def pytest_wall_time(folder: Path, *options: str) -> float:
    """Seconds for pytest to start, collect one empty test file and stop."""
    started = time.perf_counter()
    subprocess.run(  # noqa: S603 (our own interpreter, our own arguments)
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *options, str(folder)],
        capture_output=True,
        check=True,
        timeout=120,
        cwd=folder,
    )
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11, help="interpreters and pytest runs each")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    report(args.runs)
    return 0


def report(runs: int) -> None:
    """Measure both figures, ``runs`` times each, and print them against the target."""
    imports = [import_time_us() for _ in range(runs)]
    imported_ms = statistics.median(imports) / 1000
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        (folder / "test_empty.py").write_text("def test_nothing():\n    pass\n")
        (folder / "pytest.ini").write_text("[pytest]\n")
        pytest_wall_time(folder)  # warm-up: the interpreter's caches
        differences = []
        for _ in range(runs):
            without = pytest_wall_time(folder, "-p", "no:sockettest")
            with_plugin = pytest_wall_time(folder)
            differences.append((with_plugin - without) * 1000)
    added_ms = statistics.median(differences)
    print(f"importing sockettest and its plugin after pytest (-X importtime, median of {runs}):")
    print(f"   {imported_ms:.1f} ms (target < {TARGET_MS:g} ms: {_verdict(imported_ms)})")
    print(f"   pytest start-up on an empty file, with the plugin minus without (median of {runs}):")
    print(f"   {added_ms:+.1f} ms (target < {TARGET_MS:g} ms: {_verdict(added_ms)})\n")


def _verdict(ms: float) -> str:
    return "met" if ms < TARGET_MS else f"MISSED by {ms - TARGET_MS:.1f} ms"


if __name__ == "__main__":
    raise SystemExit(main())
