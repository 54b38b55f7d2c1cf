"""Measure ``search`` against the proven optimum, greedy and gemel (issue 11 §1).

    python benchmarks/bench_general.py [--seeds 50] [--iterations N] [--time-limit S]
                                       [--cache out/bench_general_optima.csv] [--large]
                                       [--ladder SEEDS [--ladder-times 5,20]
                                        [--ladder-size 800x250] [--granular]]

Classes (paper scale, one instance per seed): general-default
(``instances.generators.general`` with the generator's default profile),
general-hdd (profile rtx4090-hdd) and general-ssd (rtx4090-ssd, a middle regime
where about 70% can be served), all K = 80, I = 25; bls-default
(``instances.generators.bls``, K = 80, I = 50). ``search-nodp`` is search without
dp among its starting solutions (BLS only; elsewhere dp does not apply). The
optimum is ``cpsat-seq`` (general) or ``dp`` (BLS), run through
``solvers.registry.run`` and cached in a CSV keyed by class and seed, so that
re-runs while tuning cost no solver time;
only proven optima are used (a non-optimal row is reported and skipped).

The table has one row per method and class: mean served, mean and worst gap
(opt - served) / opt in percent, the share of seeds at the optimum, seeds below
greedy, mean and worst ``runtime_s`` in ms (wall clock; on a shared machine it
varies with the load) and mean and worst process (CPU) time of the call in ms.
``--large`` adds a K = 100,000, I = 10,000 general instance: the time of
search's first schedule and its improvement trace. ``--ladder 10`` runs search
on a cold-HDD rung of ``bench_exact_ladder.py`` (``--ladder-size``, default
800x250; seeds 0..n-1) at ``--ladder-times`` seconds each, against the optima
proven there (every ``optimal`` row in ``docs/results/exact-ladder/*.csv``);
``--granular`` with the granular inserts of before 2026-12-03.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import time
from pathlib import Path

from instances.generators import bls, general, profile
from instances.schedule import evaluate
from solvers import registry, search
from solvers.report import table
from solvers.result import Options, Status

CLASSES = {
    f"general-default({profile.DEFAULT})": lambda seed: general.generate(seed=seed),
    "general-hdd": lambda seed: general.generate(seed=seed, profile="rtx4090-hdd"),
    "general-ssd": lambda seed: general.generate(seed=seed, profile="rtx4090-ssd"),
    f"bls-default({profile.DEFAULT})": lambda seed: bls.generate(seed=seed),
}
EXACT = {name: "dp" if name.startswith("bls") else "cpsat-seq" for name in CLASSES}
METHODS = ("greedy", "gemel", "search", "search-nodp")


def run(method: str, instance, options: Options) -> tuple[int, float, float]:
    """Return (served, runtime_s, cpu_s); ``search-nodp``: search without dp start.

    cpu_s is the process time of the whole call (solve and evaluation), which
    the other processes of a shared machine disturb far less than wall time.
    """
    cpu = time.process_time()
    if method != "search-nodp":
        result = registry.run(method, instance, options)
        return result.served, result.runtime_s, time.process_time() - cpu
    start = time.perf_counter()
    outcome = search.solve(instance, options, use_dp=False)
    runtime = time.perf_counter() - start
    evaluation = evaluate(instance, outcome.schedule)
    assert evaluation.feasible, "search-nodp returned an infeasible schedule"
    return evaluation.served, runtime, time.process_time() - cpu


def optima(path: str, seeds: int) -> dict[tuple[str, int], int]:
    """Return the proven optimum per (class, seed); solve and cache what is missing."""
    known: dict[tuple[str, int], int] = {}
    if os.path.exists(path):
        with open(path, newline="") as handle:
            for row in csv.DictReader(handle):
                if row["status"] == "optimal":
                    known[row["class"], int(row["seed"])] = int(row["served"])
    missing = [(c, s) for c in CLASSES for s in range(seeds) if (c, s) not in known]
    if missing:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        fresh = not os.path.exists(path)
        with open(path, "a", newline="") as handle:
            writer = csv.writer(handle)
            if fresh:
                writer.writerow(["class", "seed", "method", "status", "served", "s"])
            for name, seed in missing:
                result = registry.run(EXACT[name], CLASSES[name](seed), Options())
                writer.writerow(
                    [
                        name,
                        seed,
                        EXACT[name],
                        result.status.value,
                        result.served,
                        f"{result.runtime_s:.3f}",
                    ]
                )
                handle.flush()
                if result.status is Status.OPTIMAL:
                    known[name, seed] = result.served
                else:
                    print(f"skipped {name} seed {seed}: {EXACT[name]} not optimal")
    return known


def compare(seeds: int, known: dict, options: Options) -> list[tuple]:
    """Return the table rows: each method on each class."""
    rows = []
    for name, make in CLASSES.items():
        got: dict[str, list[tuple[int, int, float, float]]] = {m: [] for m in METHODS}
        for seed in range(seeds):
            if (name, seed) not in known:
                continue
            instance = make(seed)
            for method in METHODS:
                if method == "search-nodp" and not name.startswith("bls"):
                    continue  # the same as search: dp applies only to BLS
                got[method].append((known[name, seed], *run(method, instance, options)))
        base = [r[1] for r in got["greedy"]]
        for method, runs in got.items():
            if not runs:
                continue
            gaps = [100 * (opt - s) / max(opt, 1) for opt, s, _, _ in runs]
            times = [1000 * t for _, _, t, _ in runs]
            cpus = [1000 * c for _, _, _, c in runs]
            rows.append(
                (
                    method,
                    name,
                    len(runs),
                    statistics.mean(r[1] for r in runs),
                    statistics.mean(gaps),
                    max(gaps),
                    100 * sum(g == 0 for g in gaps) / len(gaps),
                    sum(r[1] < b for r, b in zip(runs, base, strict=True)),
                    statistics.mean(times),
                    max(times),
                    statistics.mean(cpus),
                    max(cpus),
                )
            )
    return rows


def large(options: Options) -> None:
    """Run search on K = 100,000, I = 10,000 and print its first times and trace."""
    start = time.perf_counter()
    instance = general.generate(num_users=100_000, num_models=10_000, seed=0)
    print(f"large instance generated in {time.perf_counter() - start:.1f} s")
    result = registry.run("search", instance, options)
    trace = result.info["trace"]
    print(
        f"search: first schedule at {trace[0][0]:.3f} s serving {trace[0][1]}; "
        f"final {result.served} after {result.runtime_s:.2f} s, "
        f"{result.info['iterations']} iterations; trace (s, served) {trace}"
    )


LADDER = Path(__file__).resolve().parent.parent / "docs" / "results" / "exact-ladder"


def ladder(
    seeds: int, size: tuple[int, int], limits: list[float], seed: int, granular: bool
) -> None:
    """Print search's served users on a cold-HDD ladder rung against its proven optima.

    ``size`` is (K, I); ``granular`` runs search with granular inserts (the rule
    before 2026-12-03, ``search.solve``), to compare the two on one machine.
    """
    from bench_exact_ladder import ladder_instance  # the same instances

    users, models = size
    rung = ("rtx4090-hdd", str(users), str(models), "optimal")
    proven: dict[int, int] = {}
    for path in LADDER.glob("*.csv"):
        with open(path, newline="") as handle:
            for row in csv.DictReader(handle):
                if tuple(row.get(k) for k in ("profile", "K", "I", "status")) == rung:
                    proven[int(row["seed"])] = int(row["served"])
    rows = []
    for instance_seed in range(seeds):
        instance = ladder_instance("rtx4090-hdd", users, models, instance_seed)
        served = []
        for limit in limits:
            options = Options(time_limit=limit, seed=seed)
            outcome = search.solve(instance, options, granular_inserts=granular)
            evaluation = evaluate(instance, outcome.schedule)
            assert evaluation.feasible, "search returned an infeasible schedule"
            served.append(evaluation.served)
        rows.append((instance_seed, proven.get(instance_seed, ""), *served))
        print(*rows[-1], flush=True)
    headers = ("seed", "optimum", *(f"search {limit:g} s" for limit in limits))
    print(table(headers, rows, markdown=True))


def _size(text: str) -> tuple[int, int]:
    """Parse --ladder-size "KxI" (positive integers) for argparse."""
    users, _, models = text.partition("x")
    if not (users.isdigit() and models.isdigit() and int(users) and int(models)):
        raise argparse.ArgumentTypeError(f"expected KxI, e.g. 800x250, got {text!r}")
    return int(users), int(models)


def _times(text: str) -> list[float]:
    """Parse --ladder-times "5,20" (positive finite seconds) for argparse."""
    try:
        limits = [float(x) for x in text.split(",")]
    except ValueError:
        limits = []
    if not limits or not all(0 < x < 1e6 for x in limits):
        raise argparse.ArgumentTypeError(f"expected seconds like 5,20, got {text!r}")
    return limits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument("--iterations", type=int, default=None)
    parser.add_argument("--time-limit", type=float, default=None)
    parser.add_argument("--seed", type=int, default=0, help="search's random seed")
    parser.add_argument("--cache", default="out/bench_general_optima.csv")
    parser.add_argument("--large", action="store_true")
    parser.add_argument("--large-time", type=float, default=10.0)
    parser.add_argument("--ladder", type=int, default=0, metavar="SEEDS")
    parser.add_argument("--ladder-times", type=_times, default="5,20")
    parser.add_argument("--ladder-size", type=_size, default="800x250", metavar="KxI")
    parser.add_argument(
        "--granular", action="store_true", help="--ladder with granular inserts"
    )
    args = parser.parse_args()
    options = Options(
        time_limit=args.time_limit, iterations=args.iterations, seed=args.seed
    )
    if args.ladder:
        ladder(
            args.ladder, args.ladder_size, args.ladder_times, args.seed, args.granular
        )
    if args.seeds:  # 0: only --ladder and --large
        paper_scale(args.seeds, args.cache, options)
    if args.large:
        large(Options(time_limit=args.large_time, seed=args.seed))


def paper_scale(seeds: int, cache: str, options: Options) -> None:
    """Print the table of every method on every paper-scale class."""
    known = optima(cache, seeds)
    headers = (
        "method",
        "class",
        "n",
        "served",
        "gap %",
        "worst %",
        "at opt %",
        "< greedy",
        "wall ms",
        "max wall",
        "cpu ms",
        "max cpu",
    )
    print(table(headers, compare(seeds, known, options), markdown=True))


if __name__ == "__main__":
    main()
