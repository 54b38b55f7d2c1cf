"""Complexity study: machine-independent operation counts of dp-paper and greedy.

Theorem 4 bounds Algorithm 2 (dp-paper) by O(M I^2 K) and Theorem 5 bounds
Algorithm 3 (greedy) by O(K). Wall time on a shared machine cannot test such
claims; operation counts can. Both methods return counters in
``Result.info["ops"]`` (see the docstrings of :mod:`solvers.dp_paper` and
:mod:`solvers.greedy`). This study runs them on ladders of the ``scaling`` kind
(one of K, I, T varied at a time) and fits, for every counter, the least-squares
slope of log(median count) on log(x) (:func:`experiments.stats.fitted_exponent`).

The paper's premises are checked, not assumed: every point records how many of
its I models are requested (``requested``), and the report states whether every
point had all models requested.

Outputs in ``out``: ``results.csv`` (one row per run, the runner's format),
``ops.csv`` (one row per run: the counters as columns), ``exponents.csv`` (one
row per ladder x method x counter: fitted exponent over all points, the slope
between the last two points, and the exponent the paper's bound implies) and
``report.md``.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from experiments import scaling, schema, stats
from experiments.context import RunContext, resolve
from experiments.records import claim_directory, write_rows
from experiments.runner import BASE_COLUMNS, Task, build_instance, run_one, run_tasks

if TYPE_CHECKING:
    from pathlib import Path

# Counters of each method (Result.info["ops"]), in report order.
COUNTERS = {
    "dp-paper": (
        "total", "cost_entries", "q_entries", "gamma_terms", "gamma_terms_printed",
        "f_terms", "backtrack_terms",
    ),
    "greedy": ("argmax_evaluations", "iterations", "line6_terms", "scheduled"),
}  # fmt: skip

# Exponent of x in the paper's bound, per method and ladder parameter:
# Theorem 4 O(M I^2 K) (no T), Theorem 5 O(K) (neither I nor T).
BOUND_EXPONENTS = {
    ("dp-paper", "num_users"): 1,
    ("dp-paper", "num_models"): 2,
    ("dp-paper", "deadline_s"): 0,
    ("greedy", "num_users"): 1,
    ("greedy", "num_models"): 0,
    ("greedy", "deadline_s"): 0,
}

OPS_COLUMNS = (
    "ladder", "x", "x_value", "seed", "method", "status", "num_users", "num_models",
    "requested", "slots", "served", "runtime_s",
)  # fmt: skip


def measure(task: Task) -> dict[str, Any]:
    """Run one task (:func:`experiments.runner.run_one`) and add ``requested``.

    ``requested`` is the number of the instance's models that some user requests
    (the premise "every model requested" holds when it equals ``num_models``).
    """
    row = run_one(task)
    row["requested"] = len(build_instance(task).active_models())
    return row


def ops_rows(rows: list[dict]) -> list[dict]:
    """Return one flat row per run: the columns of ``OPS_COLUMNS`` and the counters."""
    out = []
    for row in rows:
        info = json.loads(row["info"]) if row.get("info") else {}
        flat = {name: row.get(name) for name in OPS_COLUMNS}
        flat["slots"] = info.get("slots")
        flat.update(info.get("ops", {}))
        out.append(flat)
    return out


def exponents(flat: list[dict], config: dict) -> list[dict]:
    """Return the fitted exponents of every counter on every ladder.

    Per ladder, method and counter: the slope of log(median over seeds) on
    log(x) over all points (``exponent``), the slope between the last two points
    (``exponent_last``, the asymptotic trend), the median counts at the first and
    last points, and ``bound`` (the exponent the paper's bound implies).
    """
    counts: dict[tuple, list[float]] = defaultdict(list)
    for row in flat:
        if row["status"] != "feasible":
            continue
        for counter in COUNTERS.get(row["method"], ()):
            key = (row["ladder"], row["method"], counter, row["x_value"])
            counts[key].append(float(row[counter]))
    out = []
    for ladder in config["ladders"]:
        values = [float(v) for v in ladder["values"]]
        for method in ladder["methods"]:
            for counter in COUNTERS.get(method, ()):
                line = (ladder["id"], method, counter)
                ys = [
                    statistics.median(counts.get((*line, v)) or [0])
                    for v in ladder["values"]
                ]
                out.append(
                    {
                        "ladder": ladder["id"],
                        "x": ladder["x"],
                        "method": method,
                        "counter": counter,
                        "points": len(values),
                        "x_first": values[0],
                        "x_last": values[-1],
                        "count_first": ys[0],
                        "count_last": ys[-1],
                        "exponent": round(stats.fitted_exponent(values, ys), 3),
                        "exponent_last": round(
                            stats.fitted_exponent(values[-2:], ys[-2:]), 3
                        ),
                        "bound": BOUND_EXPONENTS.get((method, ladder["x"])),
                    }
                )
    return out


def _premises(flat: list[dict]) -> str:
    """Return one sentence on the premise "every model requested" over all rows."""
    short = [r for r in flat if r["requested"] != r["num_models"]]
    if not short:
        return f"every model requested at every point ({len(flat)} runs)"
    worst = min(short, key=lambda r: r["requested"] / r["num_models"])
    return (
        f"{len(short)} of {len(flat)} runs had a model nobody requests "
        f"(worst: {worst['requested']} of {worst['num_models']})"
    )


def run(config: dict, out: Path, ctx: RunContext) -> None:
    """Run the study: tasks, then ``ops.csv``, ``exponents.csv`` and ``report.md``."""
    schema.validate("scaling", config, ctx.name)
    config = resolve(config, ctx)
    config.setdefault("instances", 1)
    claim_directory(out, ctx.name, config)
    tasks = scaling.make_tasks(config, ctx.name)
    params = dict.fromkeys(f"param_{k}" for t in tasks for k in t.params)
    columns = [*BASE_COLUMNS, *params, "ladder", "x", "x_value", "requested"]
    rows = run_tasks(tasks, out / "results.csv", ctx, columns=columns, execute=measure)
    flat = ops_rows(rows)
    names = [*OPS_COLUMNS, *dict.fromkeys(c for m in COUNTERS.values() for c in m)]
    write_rows(out / "ops.csv", names, flat)
    fits = exponents(flat, config)
    write_rows(out / "exponents.csv", list(fits[0]) if fits else [], fits)
    (out / "report.md").write_text(report(config, ctx, flat, fits))


def report(config: dict, ctx: RunContext, flat: list[dict], fits: list[dict]) -> str:
    """Return report.md: setup, premises, and the exponent table."""
    seed, n = int(config["seed"]), int(config["instances"])
    lines = [
        f"# {config.get('title', 'Complexity study')}",
        "",
        f"- Generator {config['generator']}, defaults "
        f"`{json.dumps(config.get('defaults', {}))}`; {n} seed(s) per point "
        f"({seed}..{seed + n - 1}); {'quick run' if ctx.quick else 'full config'}.",
        f"- Premise: {_premises(flat)}.",
        "- Exponent: least-squares slope of log(median count) on log(x); "
        "`last`: slope between the last two points; `bound`: the exponent of x "
        "in Theorem 4 (dp-paper, O(M I^2 K)) or Theorem 5 (greedy, O(K)).",
        "",
        "| ladder | method | counter | x range | count range | exponent | last "
        "| bound |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for f in fits:
        lines.append(
            f"| {f['ladder']} ({f['x']}) | {f['method']} | {f['counter']} | "
            f"{f['x_first']:g}..{f['x_last']:g} | "
            f"{f['count_first']:.4g}..{f['count_last']:.4g} | {f['exponent']} | "
            f"{f['exponent_last']} | {f['bound']} |"
        )
    lines += ["", "Files: results.csv, ops.csv, exponents.csv.", ""]
    return "\n".join(lines)
