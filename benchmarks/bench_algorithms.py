"""Time the algorithmic methods on the shipped instances and on a scaling ladder.

Usage::

    python benchmarks/bench_algorithms.py [--runs 11] [--csv FILE] [--max-users 10000]
                                          [--methods dp,greedy,...] [--budget 20]

Every run goes through :func:`solvers.registry.run` (supports check, evaluation);
the solver time is ``Result.runtime_s`` and the table shows its median (and
minimum) over ``--runs`` runs, fewer when the runs of one cell exceed
``--budget`` seconds. Cases:

* the shipped paper-scale instances ``bls-default`` and ``general-default``
  (every polynomial method that accepts them) and ``fig9-bls`` /
  ``fig9-general`` (plus ``exhaustive``);
* a ladder of BLS instances from K = 80 users, I = 50 models up to K = 10,000,
  I = 1,000 (``instances.generators.bls``; greedy and gemel also on the general
  generator), for the polynomial methods.

A method that refuses an instance is listed with its reason. This is a script,
not a test: the numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import instances
from instances.io import load_instance
from solvers import registry
from solvers.result import Options

if TYPE_CHECKING:
    from instances.model import Instance

POLYNOMIAL = ("dp-paper", "dp", "greedy", "independent", "gemel")
LIBRARY = {
    "bls-default": POLYNOMIAL,
    "general-default": POLYNOMIAL,
    "fig9-bls": (*POLYNOMIAL, "exhaustive"),
    "fig9-general": (*POLYNOMIAL, "exhaustive"),
}
# (users K, models I) of the scaling ladder.
LADDER = ((80, 50), (300, 100), (1000, 200), (3000, 500), (10000, 1000))
COLUMNS = (
    "case",
    "method",
    "users",
    "models",
    "served",
    "median_s",
    "min_s",
    "runs",
    "note",
)


def time_method(name: str, instance: Instance, runs: int, budget_s: float) -> dict:
    """Return one table row: median and minimum runtime of ``name`` on ``instance``."""
    row = {"method": name, "users": instance.num_users, "models": instance.num_models}
    reason = registry.supports(name, instance)
    if reason is not None:
        return row | {"runs": 0, "note": f"refused: {reason}"}
    times, served, start = [], None, time.perf_counter()
    for _ in range(runs):
        result = registry.run(name, instance, Options())
        times.append(result.runtime_s)
        served = result.served
        if time.perf_counter() - start > budget_s:
            break
    return row | {
        "served": served,
        "median_s": statistics.median(times),
        "min_s": min(times),
        "runs": len(times),
    }


def ladder_instances(max_users: int):
    """Yield (case name, instance, methods) of the scaling ladder."""
    from instances.generators import bls, general

    for users, models in LADDER:
        if users > max_users:
            break
        yield (
            f"bls-K{users}-I{models}",
            bls.generate(num_users=users, num_models=models, seed=0),
            POLYNOMIAL,
        )
        yield (
            f"general-K{users}-I{models}",
            general.generate(num_users=users, num_models=models, seed=0),
            ("greedy", "gemel"),
        )


def cases(max_users: int):
    """Yield (case name, instance, methods): the library, then the ladder."""
    library = Path(instances.__file__).parent / "library"
    for name, methods in LIBRARY.items():
        path = library / f"{name}.json"
        if path.exists():
            yield name, load_instance(path), methods
        else:
            print(f"# {path} is missing; skipped", file=sys.stderr)
    yield from ladder_instances(max_users)


def fmt(value) -> str:
    if isinstance(value, float):
        return f"{value * 1e3:.3f} ms" if value < 1 else f"{value:.3f} s"
    return "" if value is None else str(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=11, help="runs per cell (median)")
    parser.add_argument("--csv", help="also write the table to this CSV file")
    parser.add_argument("--max-users", type=int, default=10000, help="ladder limit")
    parser.add_argument("--methods", help="comma-separated subset of methods")
    parser.add_argument(
        "--budget", type=float, default=20.0, help="seconds per cell before stopping"
    )
    args = parser.parse_args(argv)
    keep = set(args.methods.split(",")) if args.methods else None

    rows = []
    widths = (22, 12, 7, 7, 7, 12, 12, 5, 0)
    print("".join(c.ljust(w) for c, w in zip(COLUMNS, widths, strict=True)))
    for case, instance, methods in cases(args.max_users):
        for name in methods:
            if keep is not None and name not in keep:
                continue
            row = {"case": case} | time_method(name, instance, args.runs, args.budget)
            rows.append(row)
            cells = (fmt(row.get(c)) for c in COLUMNS)
            line = "".join(v.ljust(w) for v, w in zip(cells, widths, strict=True))
            print(line[:160])
            sys.stdout.flush()
    if args.csv:
        with open(args.csv, "w", newline="") as handle:
            writer = csv.DictWriter(handle, COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
