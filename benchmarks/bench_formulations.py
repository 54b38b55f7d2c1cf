"""Model size and solve time of the solver formulations versus K and I.

    python benchmarks/bench_formulations.py [--sizes 10x5 20x5 40x10 80x25]
        [--kinds bls general] [--methods milp cpsat cpsat-seq milp-seq]
        [--seeds 0] [--deadline 0.7] [--profile NAME] [--time-limit 30]
        [--threads 1] [--no-reuse] [--library NAME ...] [--csv out.csv]

One row per (kind, K, I, seed, method): the instance comes from
``instances.generators.{bls,general}.generate(num_users=K, num_models=I, ...)``
and is solved through ``solvers.registry.run`` with the given per-run time
limit (CP-SAT splits it between its two solves, see docs/formulations-cpsat.md).
Columns: status, served, bound, gap, the model's variables and constraints (as
the method reports them in ``Result.info``), build time and total wall time.
A method that refuses an instance gets status ``refused`` and the reason.
``--library NAME ...`` benchmarks ``instances/library/NAME.json`` instead of
generated instances (kind = the name, K x I from the file). The pseudo-method
``milp-seq-bare`` solves the ``milp-seq`` model alone with HiGHS (no fast
start, no "one user more" row) to show what the model proves by itself.
``--csv`` writes the same rows (plus the threads and limit) for the
runtime-scaling experiments; the table goes to stdout.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import instances
from formulations.common import End, final_status, integer_bound
from instances.generators import bls, general
from instances.io import load_instance
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


LIBRARY = Path(instances.__file__).parent / "library"


def bare_milp_seq(instance, options: Options) -> dict:
    """Solve the milp-seq model alone (proof rows, no start, no cut) with HiGHS."""
    import time

    from formulations import milp_seq
    from formulations.milp.adapters import solve_highs

    start = time.perf_counter()
    data = milp_seq.prepare(instance, options)
    m = milp_seq.build_model(instance, options, data)
    build_s = time.perf_counter() - start
    end, found, bound, _, _ = solve_highs(m, options)
    served = round(m.served_count()) if found else 0
    bound = integer_bound(bound)
    status = final_status(end, found, served, bound) if end is not End.LIMIT else None
    return {
        "method": "milp-seq-bare",
        "status": (status.value if status else "time_limit"),
        "served": served,
        "bound": bound,
        "gap": None if bound is None else bound - served,
        "variables": m.nvariables(),
        "constraints": m.nconstraints(),
        "build_s": build_s,
        "runtime_s": time.perf_counter() - start,
    }


def bench_one(method: str, instance, options: Options) -> dict:
    """Run ``method`` once and return its row (without the instance columns)."""
    if method == "milp-seq-bare":
        return bare_milp_seq(instance, options)
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


def cases(args):
    """Yield (kind, instance, seed): the library files, else generated instances."""
    for name in args.library:
        yield name, load_instance(LIBRARY / f"{name}.json"), None
    if args.library:
        return
    for kind in args.kinds:
        generate = bls.generate if kind == "bls" else general.generate
        for users, models in args.sizes:
            for seed in args.seeds:
                yield (
                    kind,
                    generate(
                        num_users=users,
                        num_models=models,
                        deadline_s=args.deadline,
                        seed=seed,
                        profile=args.profile,
                    ),
                    seed,
                )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", nargs="+", type=size, default=[*map(size, DEFAULT_SIZES)]
    )
    parser.add_argument("--kinds", nargs="+", choices=("bls", "general"),
                        default=["bls", "general"])  # fmt: skip
    parser.add_argument(
        "--methods", nargs="+", default=["milp", "cpsat", "cpsat-seq", "milp-seq"]
    )
    parser.add_argument("--library", nargs="+", default=[], metavar="NAME")
    parser.add_argument("--profile", default=None, help="generators' device profile")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--deadline", type=float, default=0.7, help="seconds")
    parser.add_argument("--time-limit", type=float, default=30.0, help="per run, s")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--bandwidth", type=Bandwidth.parse, default=Bandwidth())
    parser.add_argument("--no-reuse", action="store_true")
    parser.add_argument("--csv", help="also write the rows to this CSV file")
    args = parser.parse_args(argv)
    for method in args.methods:
        if method != "milp-seq-bare":
            registry.get(method)  # fail early on an unknown name

    options = Options(
        reuse_blocks=not args.no_reuse,
        bandwidth=args.bandwidth,
        time_limit=args.time_limit,
        threads=args.threads,
    )
    rows = []
    for kind, instance, seed in cases(args):
        for method in args.methods:
            row = {"kind": kind, "K": instance.num_users, "I": instance.num_models}
            row.update(seed=seed, **bench_one(method, instance, options))
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
            "profile",
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
                        "profile": args.profile,
                    }
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
