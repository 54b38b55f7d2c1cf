"""The exact ladder of issue 11: how far does ``cpsat-seq`` prove general instances?

    python benchmarks/bench_exact_ladder.py --label after [--seeds 3] [--time-limit 60]
    python benchmarks/bench_exact_ladder.py --label after --near-tie
    python benchmarks/bench_exact_ladder.py --label after --symmetry
    python benchmarks/bench_exact_ladder.py --label x --set cpsat_base.HINT_FAST=1 \
        --profiles rtx4090-hdd --first-size 2 --sizes 4 --seeds 2

Ladder: general instances (``instances.generators.general``) of sizes K x I in
80x25, 200x50, 400x100, 800x250, 1600x500 with the deadline scaled with the
users, T = 0.7 s x K / 80 (the paper's 0.7 s at K = 80: ten times the users get
ten times the time), on the cold-HDD profile ``rtx4090-hdd`` and the default
``rtx4090-fig1``; seeds 0..n-1; one CP-SAT worker (``--threads`` for more),
``--time-limit`` seconds per run (fast start, build and solves together). Per
(profile, size): the fraction of seeds proven optimal and the mean final gap
(bound - served) / served.

``--floor 1,4 --long 300``: where the time goes at 800 x 250 cold-HDD. Per seed,
a long ``cpsat-seq`` run (``--long`` seconds) finds the optimum z*; then the
optimistic model alone is solved with the floor served >= z* + 1 (the bound
side: time until INFEASIBLE) and served >= z* (the primal side: time until a
solution), each within ``--time-limit``. Rows go to ``floor.csv``.

``--near-tie``: paper-scale BLS instances (80 x 50, seeds 0..5) with the deadline
set to the finish of ``dp``'s optimum plus delta (+0.5 us, -0.3 us); status and
served of ``cpsat-seq`` against ``dp``.

Rows go to ``docs/results/exact-ladder/<label>[-near-tie].csv``; the summary is
printed as a markdown table. The script uses only ``solvers.registry``, so it
runs against any checkout (``PYTHONPATH=<checkout>``): the "before" rows were
made that way from the commit named in docs/formulations-cpsat.md.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import importlib
import statistics
import time
from pathlib import Path

from instances.generators import bls, general
from instances.schedule import evaluate
from solvers import registry
from solvers.report import table
from solvers.result import Options

SIZES = ((80, 25), (200, 50), (400, 100), (800, 250), (1600, 500))
PROFILES = ("rtx4090-hdd", "rtx4090-fig1")
OUT = Path(__file__).resolve().parent.parent / "docs" / "results" / "exact-ladder"
FIELDS = ("profile", "K", "I", "seed", "T", "status", "served", "bound", "gap", "s")


def ladder_instance(profile: str, users: int, models: int, seed: int):
    """Return the ladder's general instance: K x I with T = 0.7 s x K / 80."""
    return general.generate(
        num_users=users,
        num_models=models,
        deadline_s=round(0.7 * users / 80, 6),
        seed=seed,
        profile=profile,
    )


def ladder_row(
    profile: str, users: int, models: int, seed: int, limit: float, threads: int = 1
):
    """Run cpsat-seq on one ladder instance and return its CSV row."""
    instance = ladder_instance(profile, users, models, seed)
    deadline = instance.deadline_s
    options = Options(time_limit=limit, seed=0, threads=threads)
    start = time.perf_counter()
    try:
        result = registry.run("cpsat-seq", instance, options)
    except registry.Unsupported as refusal:
        row = (profile, users, models, seed, deadline, "refused", "", "", "", 0.0)
        print(*row, refusal, flush=True)
        return row
    wall = time.perf_counter() - start
    gap = "" if result.gap is None else f"{result.gap:.4f}"
    row = (
        profile,
        users,
        models,
        seed,
        deadline,
        result.status.value,
        result.served,
        result.bound,
        gap,
        f"{wall:.1f}",
    )
    print(*row, flush=True)
    return row


def summary(rows) -> str:
    """Return the markdown table: proven fraction and mean gap per rung."""
    out = []
    for profile in PROFILES:
        for users, models in SIZES:
            rung = [r for r in rows if r[0] == profile and r[1:3] == (users, models)]
            if not rung:
                continue
            if all(r[5] == "refused" for r in rung):
                out.append((profile, f"{users}x{models}", "refused", "", "", ""))
                continue
            proven = sum(r[5] == "optimal" for r in rung)
            gaps = [float(r[8]) for r in rung if r[8] != ""]
            gap = f"{100 * statistics.mean(gaps):.1f}%" if gaps else "-"
            served = statistics.mean(float(r[6]) for r in rung)
            wall = statistics.mean(float(r[9]) for r in rung)
            out.append(
                (
                    profile,
                    f"{users}x{models}",
                    f"{proven}/{len(rung)}",
                    gap,
                    f"{served:.1f}",
                    f"{wall:.1f}",
                )
            )
    headers = ("profile", "K x I", "proven", "mean gap", "mean served", "mean s")
    return table(headers, out, markdown=True)


def near_tie_rows(limit: float):
    """Run the near-tie BLS instances; return rows (seed, delta, ...)."""
    options = Options(time_limit=limit, seed=0, threads=1)
    rows = []
    for seed in range(6):
        base = bls.generate(seed=seed)
        finish = evaluate(base, registry.run("dp", base, options).schedule).makespan_s
        for delta in (0.5e-6, -0.3e-6):
            instance = dataclasses.replace(base, deadline_s=finish + delta)
            exact = registry.run("dp", instance, options).served
            start = time.perf_counter()
            result = registry.run("cpsat-seq", instance, options)
            wall = time.perf_counter() - start
            row = (seed, f"{delta * 1e6:+.1f}", exact, result.status.value)
            row += (result.served, result.bound, f"{wall:.1f}")
            print(*row, flush=True)
            rows.append(row)
    return rows


def floor_rows(seeds: list[int], long: float, limit: float):
    """Return, per seed, the optimum and the times of the two floored solves."""
    from formulations import cpsat_seq
    from formulations.cpsat_base import Rounding, make_solver

    rows = []
    for seed in seeds:
        instance = ladder_instance("rtx4090-hdd", 800, 250, seed)
        start = time.perf_counter()
        options = Options(time_limit=long, seed=0, threads=1)
        result = registry.run("cpsat-seq", instance, options)
        row: tuple = (seed, result.status.value, result.served, result.bound)
        row += (f"{time.perf_counter() - start:.1f}",)
        for floor in (result.served + 1, result.served):
            built = cpsat_seq.build(instance, options, Rounding(True))
            built.model.add(built.objective >= floor)
            solver = make_solver(options, limit, None, cpsat_seq.SOLVER_PARAMETERS)
            began = time.perf_counter()
            status = solver.status_name(solver.solve(built.model))
            row += (status, f"{time.perf_counter() - began:.1f}")
        print(*row, flush=True)
        rows.append(row)
    return rows


def symmetry_rows(seeds: int):
    """Return, per ladder instance, its requested models and distinct block sets.

    Models with equal block sets are interchangeable in every load, the case
    for symmetry breaking; a rung where the two counts agree has none.
    """
    rows = []
    for profile in PROFILES:
        for users, models in SIZES:
            for seed in range(seeds):
                instance = ladder_instance(profile, users, models, seed)
                active = instance.active_models()
                sets = {frozenset(instance.model_blocks[i]) for i in active}
                rows.append((profile, users, models, seed, len(active), len(sets)))
    return rows


def apply_levers(flags: list[str], parameters: list[str]) -> None:
    """Apply the `--set module.FLAG=INT` flags and `--param NAME=VALUE` parameters."""
    for item in flags:
        name, _, value = item.partition("=")
        module, _, flag = name.rpartition(".")
        target = importlib.import_module(f"formulations.{module}")
        getattr(target, flag)  # a typo fails here, not silently
        setattr(target, flag, int(value))
    extra = importlib.import_module("formulations.cpsat_base").CPSAT_PARAMETERS
    for item in parameters:
        name, _, value = item.partition("=")
        try:
            number = float(value)
        except ValueError:  # an enum value's name
            extra[name] = value
            continue
        extra[name] = int(number) if number.is_integer() else number


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", required=True, help="before or after")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument(
        "--threads", type=int, default=1, help="CP-SAT workers of the ladder rows"
    )
    parser.add_argument("--sizes", type=int, default=len(SIZES))
    parser.add_argument("--near-tie", action="store_true")
    parser.add_argument("--symmetry", action="store_true")
    parser.add_argument("--floor", default="", metavar="SEEDS")
    parser.add_argument("--long", type=float, default=300.0)
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="MODULE.NAME=0|1",
        help="switch a lever, e.g. cpsat_seq.KNAPSACK_CAP=0 (repeatable)",
    )
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an extra CP-SAT parameter, e.g. linearization_level=2 or "
        "search_branching=LP_SEARCH (repeatable)",
    )
    parser.add_argument("--profiles", default=",".join(PROFILES))
    parser.add_argument("--first-size", type=int, default=0)
    args = parser.parse_args()
    try:
        Options(threads=args.threads)
    except ValueError as error:
        parser.error(f"--{error}")  # "threads: must be in ..."
    apply_levers(args.set, args.param)
    OUT.mkdir(parents=True, exist_ok=True)
    if args.symmetry:
        rows = symmetry_rows(args.seeds)
        header = ("profile", "K", "I", "seed", "models", "distinct_block_sets")
        with open(OUT / "symmetry.csv", "w", newline="") as f:
            csv.writer(f).writerows([header, *rows])
        print(table(header, rows, markdown=True))
        return
    if args.floor:
        seeds = [int(x) for x in args.floor.split(",")]
        rows = floor_rows(seeds, args.long, args.time_limit)
        header = ("seed", "long_status", "served", "bound", "long_s")
        header += ("above_status", "above_s", "at_status", "at_s")
        with open(OUT / "floor.csv", "w", newline="") as f:
            csv.writer(f).writerows([header, *rows])
        print(table(header, rows, markdown=True))
        return
    if args.near_tie:
        rows = near_tie_rows(args.time_limit)
        header = ("seed", "delta_us", "dp", "status", "served", "bound", "s")
        with open(OUT / f"{args.label}-near-tie.csv", "w", newline="") as f:
            csv.writer(f).writerows([header, *rows])
        print(table(header, rows, markdown=True))
        return
    rows = []
    for profile in args.profiles.split(","):
        for users, models in SIZES[args.first_size : args.sizes]:
            for seed in range(args.seeds):
                row = ladder_row(
                    profile, users, models, seed, args.time_limit, args.threads
                )
                rows.append(row)
    with open(OUT / f"{args.label}.csv", "w", newline="") as f:
        csv.writer(f).writerows([FIELDS, *rows])
    print(summary(rows))


if __name__ == "__main__":
    main()
