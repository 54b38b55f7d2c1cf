"""Time the full Fig. 6 sweep (21 points x 5 methods) at the paper's 1,000 realizations.

    python benchmarks/bench_fig6.py [--realizations 1000] [--workers 2]
        [--per-task] [--out DIR]

Runs ``experiments/configs/fig6.toml`` (the default profile) through
``experiments.figures.run`` into a fresh directory (a temporary one unless
``--out``), exactly as ``partialloading experiment fig6`` does, and prints the
wall time, the CPU time of this process, the sum of the methods' own runtimes
(``runtime_s``), the machine's load average (it is shared), and the time per
realization. With fewer realizations than 1,000 it also prints the linear
extrapolation to 1,000: wall(1000) = wall(R) x 1000 / R (the sweep is R
identical rounds of 21 x 5 tasks; start-up is a few seconds). ``--per-task``
runs the same tasks one task per instance (the runner before bundling) for a
before/after comparison. Target (issue 9): the full sweep under 3 minutes on the
2-core machine; on a shared machine read the CPU columns too.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

from experiments import figures, runner
from experiments.cli import load_config
from experiments.context import RunContext

TARGET_S = 180.0
PAPER_REALIZATIONS = 1000


def _per_task(tasks, csv_path, ctx):
    """The runner before bundling: one task (and one instance build) per method."""
    return runner.run_tasks(tasks, csv_path, ctx)


def cpu_seconds() -> float:
    """Return this process's user + system CPU seconds (the workers are not ours)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def sweep(realizations: int, workers: int, out: Path, per_task: bool) -> dict:
    """Run the sweep into ``out`` and return its timings."""
    ctx = RunContext(
        name="fig6", workers=workers, realizations=realizations, progress=False
    )
    config = load_config("fig6")
    cpu0, load0 = cpu_seconds(), os.getloadavg()[0]
    start = time.perf_counter()
    if per_task:
        with mock.patch.object(figures, "run_bundled", _per_task):
            figures.run(config, out, ctx)
    else:
        figures.run(config, out, ctx)
    wall = time.perf_counter() - start
    rows = runner.read_rows(out / "results.csv")
    return {
        "rows": len(rows),
        "wall": wall,
        "cpu_main": cpu_seconds() - cpu0,
        "methods": sum(row["runtime_s"] or 0.0 for row in rows),
        "load": (load0, os.getloadavg()[0]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--realizations", type=int, default=PAPER_REALIZATIONS)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--per-task", action="store_true")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp) / "fig6"
        if (out / "results.csv").exists():
            sys.exit(
                f"out: {out} already holds results (a resumed run is no benchmark)"
            )
        t = sweep(args.realizations, args.workers, out, args.per_task)
    scale = PAPER_REALIZATIONS / args.realizations
    mode = "one task per method" if args.per_task else "instance cached per worker"
    print(
        f"fig6 sweep, {args.realizations} realizations, {args.workers} workers, {mode}"
    )
    print(f"rows            {t['rows']}")
    print(f"wall            {t['wall']:.1f} s")
    print(f"cpu main        {t['cpu_main']:.1f} s")
    print(f"methods         {t['methods']:.1f} s (sum of the rows' runtime_s)")
    print(f"load average    {t['load'][0]:.1f} at start, {t['load'][1]:.1f} at end")
    print(f"per realization {t['wall'] / args.realizations * 1e3:.0f} ms wall")
    if scale != 1:
        print(f"extrapolated to {PAPER_REALIZATIONS}: {t['wall'] * scale:.0f} s wall")
    verdict = "met" if t["wall"] * scale < TARGET_S else "not met"
    print(f"target < {TARGET_S:.0f} s for {PAPER_REALIZATIONS}: {verdict}")


if __name__ == "__main__":
    main()
