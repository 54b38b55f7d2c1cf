"""Model size and solve time of the solver formulations versus K and I.

    python benchmarks/bench_formulations.py [--sizes 10x5 20x5 40x10 80x25]
        [--kinds bls general] [--methods milp cpsat cpsat-seq] [--seeds 0]
        [--deadline 0.7] [--time-limit 30] [--threads 1] [--no-reuse]
        [--csv out.csv]

One row per (kind, K, I, seed, method): the instance comes from
``instances.generators.{bls,general}.generate(num_users=K, num_models=I, ...)``
and is solved through ``solvers.registry.run`` with the given per-run time
limit (CP-SAT splits it between its two solves, see docs/formulations-cpsat.md).
Columns: status, served, bound, gap, the model's variables and constraints (as
the method reports them in ``Result.info``), build time and total wall time.
A method that refuses an instance gets status ``refused`` and the reason.
``--csv`` writes the same rows (plus the threads and limit) for the
runtime-scaling experiments; the table goes to stdout.
"""

from __future__ import annotations

import argparse
import csv
import sys

from instances.generators import bls, general
from instances.timing import Bandwidth
from solvers import registry
from solvers.report import table
from solvers.result import Options

DEFAULT_SIZES = ("10x5", "20x5", "40x10", "80x10", "80x25", "80x50")
COLUMNS = (
    "kind", "K", "I", "seed", "method", "status", "served", "bound", "gap",
    "variables", "constraints", "build_s", "runtime_s",
)  # fmt: skip


def size(text: str) -> tuple[int, int]:
    """Parse ``"KxI"`` (users x models)."""
    users, _, models = text.partition("x")
    if not (users.isdigit() and models.isdigit()):
        raise argparse.ArgumentTypeError(f'expected "KxI" such as 80x25, got "{text}"')
    return int(users), int(models)


def bench_one(method: str, instance, options: Options) -> dict:
    """Run ``method`` once and return its row (without the instance columns)."""
    reason = registry.supports(method, instance, options)
    if reason is not None:
        return {"method": method, "status": "refused", "note": reason}
    result = registry.run(method, instance, options)
    return {
        "method": method,
        "status": result.status.value,
        "served": result.served,
        "bound": result.bound,
        "gap": result.gap,
        "variables": result.info.get("variables"),
        "constraints": result.info.get("constraints"),
        "build_s": result.build_time_s,
        "runtime_s": result.runtime_s,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", nargs="+", type=size, default=[*map(size, DEFAULT_SIZES)]
    )
    parser.add_argument("--kinds", nargs="+", choices=("bls", "general"),
                        default=["bls", "general"])  # fmt: skip
    parser.add_argument("--methods", nargs="+", default=["milp", "cpsat", "cpsat-seq"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--deadline", type=float, default=0.7, help="seconds")
    parser.add_argument("--time-limit", type=float, default=30.0, help="per run, s")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--bandwidth", type=Bandwidth.parse, default=Bandwidth())
    parser.add_argument("--no-reuse", action="store_true")
    parser.add_argument("--csv", help="also write the rows to this CSV file")
    args = parser.parse_args(argv)
    for method in args.methods:
        registry.get(method)  # fail early on an unknown name

    options = Options(
        reuse_blocks=not args.no_reuse,
        bandwidth=args.bandwidth,
        time_limit=args.time_limit,
        threads=args.threads,
    )
    rows = []
    for kind in args.kinds:
        generate = bls.generate if kind == "bls" else general.generate
        for users, models in args.sizes:
            for seed in args.seeds:
                instance = generate(
                    num_users=users,
                    num_models=models,
                    deadline_s=args.deadline,
                    seed=seed,
                )
                for method in args.methods:
                    row = {"kind": kind, "K": users, "I": models, "seed": seed}
                    row.update(bench_one(method, instance, options))
                    rows.append(row)
                    cells = [row.get(c) for c in COLUMNS]
                    print(table(COLUMNS, [cells]).splitlines()[-1], file=sys.stderr)

    print(table(COLUMNS, [[row.get(c) for c in COLUMNS] for row in rows]))
    if args.csv:
        fields = [
            *COLUMNS,
            "threads",
            "time_limit",
            "reuse_blocks",
            "bandwidth",
            "note",
        ]
        with open(args.csv, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=fields)
            writer.writeheader()
            for row in rows:
                writer.writerow(
                    {
                        **row,
                        "threads": args.threads,
                        "time_limit": args.time_limit,
                        "reuse_blocks": not args.no_reuse,
                        "bandwidth": str(args.bandwidth),
                    }
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
