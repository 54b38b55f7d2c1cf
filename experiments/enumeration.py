"""Fig. 9 study: does reuse change the optimum, and the paper's runtime claims.

Section VII-E compares PartialLoading Spec (dp-paper) and Gen (greedy) with an
"exhaustive search" at K = 20, I = 5, T = 200 ms and states runtimes (Spec
5.6 ms, Gen 12.5 ms in the general case) and speed-ups (3,681x, 3,749x,
2,478x). The paper does not describe its exhaustive search beyond searching
"all feasible model loading orders" (section V). We run two:

* **enumeration**, the search as the paper describes it: every loading order
  (every sequence of distinct requested models) and, for each order, every
  vector of counts n_i in 1..K_i (model i serves its n_i users of least upload
  time, Theorem 2.1); a candidate is feasible when the loads along the order
  plus sum_i c_i(n_i) meet T (continuous time, the evaluator's model; c_i from
  :func:`solvers.costs.cost_table`). Candidates evaluated:
  ``sum over ordered subsets S of prod_{i in S} K_i``
  = ``sum_j j! e_j(K_1, ..., K_I)`` (e_j the elementary symmetric polynomials).
  ``vectorised`` scores all count vectors of an order at once with NumPy;
  otherwise one candidate at a time in Python (the plain loop). A time budget
  stops a run; its time is then extrapolated linearly in candidates:
  ``t_full = t_elapsed * total / evaluated``.
* **exhaustive** (``solvers/exhaustive.py``): Held-Karp over subsets with a count
  knapsack, the same optimum far faster.

The best candidate is rebuilt as a schedule and judged by the one evaluator.

Per seed of the Fig. 9 setting the study records, for the BLS and the general
generator: served with and without reuse (exhaustive), the models the optimum
uses, the served counts of dp-paper and greedy, and the solve times (wall and
CPU) of dp-paper, greedy, exhaustive and enumeration. Outputs: ``seeds.csv`` (one
row per generator x seed), ``summary.csv`` (one row per generator x quantity)
and ``report.md``.
"""

from __future__ import annotations

import itertools
import math
import statistics
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from experiments import schema
from experiments.context import RunContext, resolve
from experiments.records import claim_directory, write_rows
from instances.schedule import Schedule, evaluate
from instances.timing import OPTIMAL, meets
from solvers import dp_paper, exhaustive, greedy
from solvers.costs import cost_table, model_batches
from solvers.result import Options

if TYPE_CHECKING:
    from pathlib import Path

    from instances.model import Instance
    from instances.timing import Bandwidth


@dataclass(frozen=True)
class Enumeration:
    """The result of one enumeration run.

    ``order`` and ``counts`` are the best candidate (model indices, users each);
    ``complete`` is False when the time budget stopped the run (``served`` is
    then the best among the ``evaluated`` candidates only).
    """

    served: int
    order: tuple[int, ...]
    counts: tuple[int, ...]
    evaluated: int
    total: int
    elapsed_s: float
    complete: bool

    @property
    def extrapolated_s(self) -> float:
        """Return the time of the full run: measured, or scaled by candidates."""
        if self.complete or self.evaluated == 0:
            return self.elapsed_s
        return self.elapsed_s * self.total / self.evaluated


def candidates(sizes: list[int]) -> int:
    """Return sum over ordered subsets S of prod_{i in S} K_i (K_i = ``sizes``)."""
    e = [1] + [0] * len(sizes)  # elementary symmetric polynomials e_0..e_I
    for k in sizes:
        for j in range(len(sizes), 0, -1):
            e[j] += e[j - 1] * k
    return sum(math.factorial(j) * e[j] for j in range(1, len(sizes) + 1))


def enumerate_schedules(
    instance: Instance,
    reuse_blocks: bool = True,
    bandwidth: Bandwidth = OPTIMAL,
    budget_s: float | None = None,
    vectorised: bool = True,
) -> Enumeration:
    """Search every loading order and every count vector (module docstring)."""
    start = time.perf_counter()
    active = [int(i) for i in instance.active_models()]
    costs = [cost_table(instance, i, bandwidth) for i in active]
    moved = instance.new_bytes(reuse_blocks)
    rows = [0, *np.add(active, 1)]  # the empty GPU, then after each model
    load = instance.loading.seconds_per_byte * moved[np.ix_(rows, active)]  # V linear
    total = candidates([len(c) - 1 for c in costs])
    best: tuple[int, tuple[int, ...], tuple[int, ...]] = (0, (), ())
    evaluated = 0
    for size in range(1, len(active) + 1):
        for order in itertools.permutations(range(len(active)), size):
            loads = load[0, order[0]] + sum(
                load[a + 1, b] for a, b in itertools.pairwise(order)
            )
            score = _score_grid if vectorised else _score_loop
            served, counts, n = score([costs[t] for t in order], loads, instance)
            evaluated += n
            if served > best[0]:
                best = (served, order, counts)
            if budget_s is not None and time.perf_counter() - start > budget_s:
                return _result(best, active, evaluated, total, start, False)
    return _result(best, active, evaluated, total, start, True)


def _result(best, active, evaluated, total, start, complete) -> Enumeration:
    served, order, counts = best
    return Enumeration(
        served,
        tuple(active[t] for t in order),
        counts,
        evaluated,
        total,
        time.perf_counter() - start,
        complete,
    )


def _score_grid(
    costs: list[np.ndarray], loads: float, instance: Instance
) -> tuple[int, tuple[int, ...], int]:
    """Return (most served, its counts, candidates) over all count vectors at once."""
    times = np.asarray(loads)
    served = np.zeros(())
    for c in costs:  # counts 1..K_i of each model of the order, one axis each
        times = np.add.outer(times, c[1:])
        served = np.add.outer(served, np.arange(1, len(c)))
    value = np.where(meets(times, instance.deadline_s), served, -1)
    flat = int(np.argmax(value))
    if value.flat[flat] < 0:
        return 0, (), value.size
    index = np.unravel_index(flat, value.shape)
    return int(value.flat[flat]), tuple(int(i) + 1 for i in index), value.size


def _score_loop(
    costs: list[np.ndarray], loads: float, instance: Instance
) -> tuple[int, tuple[int, ...], int]:
    """Return the same as :func:`_score_grid`, one candidate at a time."""
    best: tuple[int, tuple[int, ...]] = (0, ())
    n = 0
    tables = [c.tolist() for c in costs]
    for counts in itertools.product(*(range(1, len(c)) for c in tables)):
        n += 1
        spent = loads + sum(c[k] for c, k in zip(tables, counts, strict=True))
        if meets(spent, instance.deadline_s) and sum(counts) > best[0]:
            best = (sum(counts), counts)
    return best[0], best[1], n


def schedule_of(
    instance: Instance, result: Enumeration, reuse_blocks: bool
) -> Schedule:
    """Return the enumeration's best candidate as a schedule (for the evaluator)."""
    batches = [
        (model, users)
        for model, count in zip(result.order, result.counts, strict=True)
        for users in model_batches(instance, model, count, OPTIMAL)
    ]
    return Schedule.from_indices(instance, batches, reuse_blocks, OPTIMAL)


# -- the study ---------------------------------------------------------------------


def _timed(
    module: Any, instance: Instance, options: Options
) -> tuple[Any, float, float]:
    """Return (outcome, wall s, CPU s) of ``module.solve`` (no evaluation)."""
    wall, cpu = time.perf_counter(), time.process_time()
    outcome = module.solve(instance, options)
    return outcome, time.perf_counter() - wall, time.process_time() - cpu


def measure_seed(generator: str, params: dict, seed: int, config: dict) -> dict:
    """Return the study's row for one seed of one generator."""
    import importlib

    module = importlib.import_module(f"instances.generators.{generator}")
    instance = module.generate(**{**params, "seed": seed})
    row: dict[str, Any] = {"generator": generator, "seed": seed}
    reuse, plain = Options(), Options(reuse_blocks=False)
    methods = {"greedy": greedy, "exhaustive": exhaustive}
    if generator == "bls":
        methods = {"dp-paper": dp_paper, **methods}
    for name, solver in methods.items():
        outcome, wall, cpu = _timed(solver, instance, reuse)
        row[f"{name}_served"] = evaluate(instance, outcome.schedule).served
        row[f"{name}_wall_s"], row[f"{name}_cpu_s"] = wall, cpu
        if name == "exhaustive":
            row["models_used"] = len({b.model for b in outcome.schedule.batches})
    no_reuse = exhaustive.solve(instance, plain)
    row["no_reuse_served"] = evaluate(instance, no_reuse.schedule).served
    row["reuse_changes_optimum"] = row["exhaustive_served"] != row["no_reuse_served"]
    budget = float(config["time_budget"])
    cpu = time.process_time()
    found = enumerate_schedules(instance, budget_s=budget)
    row["enum_cpu_s"] = (time.process_time() - cpu) * found.total / found.evaluated
    row["enum_served"] = evaluate(instance, schedule_of(instance, found, True)).served
    row["enum_wall_s"] = found.extrapolated_s
    row["enum_candidates"], row["enum_complete"] = found.total, found.complete
    if seed - int(config["seed"]) < int(config["loop_seeds"]):
        cpu = time.process_time()
        loop = enumerate_schedules(instance, budget_s=budget, vectorised=False)
        row["loop_cpu_s"] = (time.process_time() - cpu) * loop.total / loop.evaluated
        row["loop_wall_s"], row["loop_complete"] = loop.extrapolated_s, loop.complete
        row["loop_evaluated"] = loop.evaluated
    return row


# The paper's runtime claims (section VII-E): panel, generator, the figure's
# variant id, our method, stated runtime (ms) and speed-up over exhaustive search.
CLAIMS = (
    ("a", "bls", "spec", "dp-paper", 5.6, 3681.0),
    ("a", "bls", "gen", "greedy", None, 3749.0),
    ("b", "general", "gen", "greedy", 12.5, 2478.0),
)
PANELS = {"bls": "a", "general": "b"}


def _median(rows: list[dict], column: str) -> float:
    values = [float(r[column]) for r in rows if r.get(column) is not None]
    return statistics.median(values) if values else math.nan


def _fraction(rows: list[dict], column: str) -> float:
    return statistics.fmean(bool(r[column]) for r in rows) if rows else math.nan


def runtime_summary(rows: list[dict]) -> list[dict]:
    """Return one row per runtime claim: medians and speed-ups (ratios of medians).

    Times are CPU times of the solve (single-threaded, so the run time on an
    idle core; the machine is shared); ``wall_`` columns are the wall-clock
    times. ``speedup_vs_enumeration``: the plain loop (one candidate at a time,
    the search as the paper describes it) over the method, medians over the
    seeds the loop ran on (paired); ``speedup_vs_vectorised``: the NumPy
    enumeration; ``speedup_vs_heldkarp``: our ``exhaustive``; the last two over
    all seeds.
    """
    out = []
    for panel, generator, variant, method, ms, speedup in CLAIMS:
        group = [r for r in rows if r["generator"] == generator]
        if not group:
            continue
        looped = [r for r in group if r.get("loop_wall_s") is not None]
        row: dict[str, Any] = {
            "panel": panel, "generator": generator, "method": variant,
            "solver": method, "n": len(group), "n_enumeration": len(looped),
        }  # fmt: skip
        for kind, prefix in (("cpu", ""), ("wall", "wall_")):
            own = _median(group, f"{method}_{kind}_s")
            paired = _median(looped, f"{method}_{kind}_s")
            loop = _median(looped, f"loop_{kind}_s")
            row[f"{prefix}median_runtime_s"] = own
            row[f"{prefix}median_enumeration_s"] = loop
            row[f"{prefix}speedup_vs_enumeration"] = loop / paired
            row[f"{prefix}speedup_vs_vectorised"] = (
                _median(group, f"enum_{kind}_s") / own
            )
            row[f"{prefix}speedup_vs_heldkarp"] = (
                _median(group, f"exhaustive_{kind}_s") / own
            )
        row["paper_runtime_ms"], row["paper_speedup"] = ms, speedup
        out.append(row)
    return out


def reuse_summary(rows: list[dict]) -> list[dict]:
    """Return one row per generator: how reuse changes the optimum, served ratios."""
    out = []
    for generator in dict.fromkeys(r["generator"] for r in rows):
        group = [r for r in rows if r["generator"] == generator]
        users = group[0]["num_users"]
        row: dict[str, Any] = {
            "panel": PANELS[generator], "generator": generator, "n": len(group),
            "reuse_changes_optimum": _fraction(group, "reuse_changes_optimum"),
            "changed": sum(bool(r["reuse_changes_optimum"]) for r in group),
            "multi_model": _fraction(group, "multi_model"),
            "models_used_mean": statistics.fmean(r["models_used"] for r in group),
            "enumeration_agrees": _fraction(group, "enum_agrees"),
        }  # fmt: skip
        for name in ("exhaustive", "no_reuse", "dp-paper", "greedy"):
            column = f"{name}_served"
            values = [float(r[column]) for r in group if r.get(column) is not None]
            ratio = statistics.fmean(values) / users if values else None
            row[f"served_ratio_{name}"] = ratio
        out.append(row)
    return out


def run(config: dict, out: Path, ctx: RunContext) -> None:
    """Run the study: every seed of every generator, then the CSVs and report.md."""
    schema.validate("enumeration", config, ctx.name)
    config = resolve(config, ctx)
    claim_directory(out, ctx.name, config)
    rows = []
    seed, n = int(config["seed"]), int(config["instances"])
    for generator in config["generators"]:
        params = {**config.get("defaults", {})}
        for s in range(seed, seed + n):
            row = measure_seed(generator, params, s, config)
            row["num_users"] = params.get("num_users", 80)
            row["multi_model"] = row["models_used"] > 1
            row["enum_agrees"] = row["enum_served"] == row["exhaustive_served"]
            rows.append(row)
    columns = list(dict.fromkeys(k for r in rows for k in r))
    write_rows(out / "seeds.csv", columns, rows)
    tables = {"summary.csv": runtime_summary(rows), "reuse.csv": reuse_summary(rows)}
    for name, table in tables.items():
        write_rows(out / name, list(table[0]) if table else [], table)
    (out / "report.md").write_text(report(config, ctx, tables))


def report(config: dict, ctx: RunContext, tables: dict[str, list[dict]]) -> str:
    """Return report.md: the setting, then both summary tables."""
    seed, n = int(config["seed"]), int(config["instances"])
    lines = [
        f"# {config.get('title', 'Fig. 9 study')}",
        "",
        f"- Generators {', '.join(config['generators'])}, defaults "
        f"`{config.get('defaults', {})}`; seeds {seed}..{seed + n - 1}; the plain "
        f"loop on the first {config['loop_seeds']} seeds; time budget "
        f"{config['time_budget']} s per enumeration (then extrapolated).",
        f"- Machine: {ctx.machine()} (shared: compare orders of magnitude); "
        f"{'quick run' if ctx.quick else 'full config'}.",
    ]
    for name, table in tables.items():
        if not table:
            continue
        lines += ["", f"## {name}", "", "| " + " | ".join(table[0]) + " |"]
        lines.append("|" + "---|" * len(table[0]))
        for r in table:
            cells = [f"{v:.4g}" if isinstance(v, float) else str(v) for v in r.values()]
            lines.append("| " + " | ".join(cells) + " |")
    if config.get("notes"):
        lines += ["", "## Notes", "", config["notes"].strip()]
    return "\n".join([*lines, ""])
