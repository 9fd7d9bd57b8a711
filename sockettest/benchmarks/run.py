"""``make explore-bench``: each bug of the benchmark, found by each way of running it.

For each program: the attempts to the first failure, and the seconds they took, with
``RandomWalk``, with ``PCT`` (sized to the program's runs, and with its default ``steps``),
with ``sockettest.strategies.preemptions()`` inside ``@given``, each capped at ``--schedules``;
and how many of ``--real-runs`` plain runs on real threads fail. Then whether each fix passes
every seed tried (``--fix-seeds`` per policy, and as many plain runs). It prints a table, writes
it to ``benchmarks/results.json`` and into the docs' page (``docs/explore_bench.md``), and draws
it as ``docs/explore_bench.svg``: attempts to the first failure per bug and way, log scale.

Run from the kit's folder: ``python -m benchmarks.run [--schedules 1000] [--real-runs 1000]``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from dataclasses import asdict
from pathlib import Path
from types import ModuleType
from typing import Any

from benchmarks import PROGRAMS, harness
from sockettest import PCT, RandomWalk

HERE = Path(__file__).parent
DOCS = HERE.parent / "docs"
WAYS = ("RandomWalk", "PCT", "PCT default", "Hypothesis")
"""The simulated ways, in the table's order; real threads come after them."""
BEGIN, END = "<!-- explore-bench:begin -->", "<!-- explore-bench:end -->"


def measure(program: ModuleType, args: argparse.Namespace) -> dict[str, Any]:
    """One row: every way of running ``program``'s bug, and its fix."""
    name = program.__name__.split(".")[-1]
    steps = harness.steps_of(program.fixed)
    sized = PCT(steps=steps)
    searches = {
        "RandomWalk": harness.seeded(program.racy, RandomWalk(), args.schedules),
        "PCT": harness.seeded(program.racy, sized, args.schedules),
        "PCT default": harness.seeded(program.racy, PCT(), args.schedules),
        "Hypothesis": harness.hypothesis(program.racy, args.schedules),
    }
    real = harness.real_threads(program.racy, args.real_runs, args.cap)
    fix = {
        "RandomWalk": harness.seeded(program.fixed, RandomWalk(), args.fix_seeds),
        "PCT": harness.seeded(program.fixed, sized, args.fix_seeds),
        "Hypothesis": harness.hypothesis(program.fixed, args.fix_seeds),
        "real threads": harness.real_threads(program.fixed, args.fix_seeds, args.cap),
    }
    found = [search.first for search in searches.values() if search.first is not None]
    best = min(found) if found else None
    # Attempts per failure on real threads; with none failing, at least all of them.
    per_failure = args.real_runs / real.failures if real.failures else float(args.real_runs)
    return {
        "bug": name,
        "summary": (program.__doc__ or "").split("\n")[0],
        "steps": steps,
        "searches": {way: asdict(search) for way, search in searches.items()},
        "real": asdict(real),
        "real_attempts_per_failure": per_failure,
        "real_is_lower_bound": real.failures == 0,
        "best": best,
        "ratio": per_failure / best if best else None,
        "fix": {way: asdict(search) for way, search in fix.items()},
        "fix_holds": all(search.failures == 0 for search in fix.values()),
    }


def cell(search: dict[str, Any], budget: int) -> str:
    if search["first"] is None:
        return f"not in {budget} ({search['seconds']:.2f} s)"
    return f"{search['first']} ({search['seconds']:.2f} s)"


def table(rows: list[dict[str, Any]], args: argparse.Namespace) -> str:
    """The results as a Markdown table, with the targets' lines under it."""
    head = ["bug", "steps", *WAYS, f"real threads: fail of {args.real_runs}", "fix holds"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        real = row["real"]
        fixed = "yes" if row["fix_holds"] else "NO"
        lines.append(
            "| "
            + " | ".join(
                [
                    row["bug"],
                    str(row["steps"]),
                    *(cell(row["searches"][way], args.schedules) for way in WAYS),
                    f"{real['failures']} ({real['seconds']:.2f} s)",
                    fixed,
                ]
            )
            + " |"
        )
    return "\n".join(lines) + "\n\n" + "\n".join(f"- {line}" for line in verdicts(rows, args))


def verdicts(rows: list[dict[str, Any]], args: argparse.Namespace) -> list[str]:
    """The issue's three targets, each measured against this run."""
    missed = [row["bug"] for row in rows if row["best"] is None]
    ratios = [row["ratio"] for row in rows if row["ratio"] is not None]
    bound = "at least " if any(row["real_is_lower_bound"] for row in rows) else ""
    mean = sum(ratios) / len(ratios) if ratios else 0.0
    geometric = math.exp(sum(map(math.log, ratios)) / len(ratios)) if ratios else 0.0
    broken = [row["bug"] for row in rows if not row["fix_holds"]]
    return [
        "every bug found within {} schedules by at least one policy: {}".format(
            args.schedules, "yes" if not missed else f"NO ({', '.join(missed)} not found)"
        ),
        f"attempts on real threads per failure, over the best policy's attempts to the first "
        f"failure: {bound}{mean:.0f} times on average (geometric mean {bound}{geometric:.0f}; "
        f"target 100; a bug no real run showed counts as {args.real_runs} runs)",
        "every fix passed every seed tried ({} per policy, {} plain runs): {}".format(
            args.fix_seeds,
            args.fix_seeds,
            "yes" if not broken else f"NO ({', '.join(broken)})",
        ),
    ]


COLOURS = {
    "RandomWalk": "#4477aa",
    "PCT": "#228833",
    "PCT default": "#88cc99",
    "Hypothesis": "#ccbb44",
    "real threads": "#ee6677",
}


def svg(rows: list[dict[str, Any]], args: argparse.Namespace) -> str:
    """Attempts to the first failure, a group of bars a bug, on a log scale; drawn by hand (the
    kit's development dependencies have no plotting library). A bar that reaches the top with a
    cross found nothing within its budget."""
    top = max(args.schedules, args.real_runs)
    decades = max(1, math.ceil(math.log10(top)))
    left, right, upper, lower, height = 60, 20, 40, 110, 300
    bar, gap = 9, 16
    group = bar * len(COLOURS) + gap
    width = max(left + right + group * len(rows), left + 150 * len(COLOURS) + 60)
    floor = -0.3  # the axis starts at 10 ** floor, so that a bar of 1 shows

    def y(value: float) -> float:
        return upper + height - height * (math.log10(max(value, 1)) - floor) / (decades - floor)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{upper + height + lower}"'
        ' font-family="sans-serif" font-size="11">',
        f'<text x="{left}" y="16" font-size="13">Attempts to the first failure (log scale; '
        f"a cross: none in {args.schedules} schedules or {args.real_runs} real runs)</text>",
    ]
    for decade in range(decades + 1):
        level = y(10**decade)
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{level:.1f}" y2="{level:.1f}" '
            'stroke="#ddd"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{level + 4:.1f}" text-anchor="end">{10**decade:,}</text>'
        )
    for index, row in enumerate(rows):
        x = left + gap / 2 + index * group
        values: list[tuple[str, float | None]] = [
            (way, row["searches"][way]["first"]) for way in WAYS
        ]
        real = row["real_attempts_per_failure"] if not row["real_is_lower_bound"] else None
        values.append(("real threads", real))
        for offset, (way, value) in enumerate(values):
            bar_x = x + offset * bar
            shown = float(value) if value is not None else float(top)
            parts.append(
                f'<rect x="{bar_x:.1f}" y="{y(shown):.1f}" width="{bar - 1}" '
                f'height="{upper + height - y(shown):.1f}" fill="{COLOURS[way]}"'
                f' opacity="{1 if value is not None else 0.35}"><title>{row["bug"]}, {way}: '
                f"{'none found' if value is None else f'{value:g}'}</title></rect>"
            )
            if value is None:
                parts.append(
                    f'<text x="{bar_x + bar / 2:.1f}" y="{y(shown) - 3:.1f}" '
                    'text-anchor="middle">&#215;</text>'
                )
        label_x, label_y = x + group / 2 - gap / 2, upper + height + 10
        parts.append(
            f'<text x="{label_x:.1f}" y="{label_y}" text-anchor="end" '
            f'transform="rotate(-40 {label_x:.1f} {label_y})">{row["bug"]}</text>'
        )
    for index, (way, colour) in enumerate(COLOURS.items()):
        key_x = left + index * 150
        key_y = upper + height + lower - 14
        label = "real threads (runs per failure)" if way == "real threads" else way
        parts.append(
            f'<rect x="{key_x}" y="{key_y - 9}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{key_x + 14}" y="{key_y}">{label}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def write_page(text: str) -> None:
    """Put the table into the docs' page, between its markers."""
    page = DOCS / "explore_bench.md"
    before, rest = page.read_text().split(BEGIN)
    after = rest.split(END)[1]
    page.write_text(f"{before}{BEGIN}\n{text}\n{END}{after}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--schedules", type=int, default=1000, help="cap of each policy")
    parser.add_argument("--real-runs", type=int, default=1000, help="plain runs of each bug")
    parser.add_argument("--fix-seeds", type=int, default=200, help="seeds of each fix a policy")
    parser.add_argument("--cap", type=float, default=5.0, help="real seconds a plain run may take")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    rows = []
    for program in PROGRAMS:
        rows.append(measure(program, args))
        print(f"measured {rows[-1]['bug']}", file=sys.stderr, flush=True)
    text = table(rows, args)
    machine = (
        f"Python {platform.python_version()}, {os.cpu_count()} cores, "
        f"{time.perf_counter() - began:.0f} s in all"
    )
    print(text + "\n\n" + machine)
    if not args.no_write:
        (HERE / "results.json").write_text(
            json.dumps({"options": vars(args), "machine": machine, "bugs": rows}, indent=1) + "\n"
        )
        (DOCS / "explore_bench.svg").write_text(svg(rows, args))
        write_page(f"{text}\n\nMeasured with `make explore-bench`: {machine}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
