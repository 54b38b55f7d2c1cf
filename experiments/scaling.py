"""Runtime scaling of every method vs K, I and T, with performance profiles and gaps.

A config lists *ladders*: one generator parameter (``num_users``, ``num_models``,
``deadline_s``) and its values, the methods to run on it, and optional
parameter overrides. The polynomial methods climb long ladders; the exact
searchers a short one with a time limit. Each point has ``instances`` random
instances (seeds ``seed`` .. ``seed + instances - 1``).

Reported (report.md, PNGs):

- per ladder, median runtime vs x on log-log axes, with the fitted empirical
  exponent (least squares on log median runtime vs log x);
- on the ladders marked ``exact = true`` (all methods run on the same
  instances): Dolan-More performance profiles and shifted geometric means of
  runtime (shift ``shift`` s; unsolved runs charged the time limit), and the
  optimality gap of each method against the best proven bound on the instance
  (the least ``bound`` any method proved; gap = (bound - served) / max(1, served)).

A run is *solved* when the method ended normally: status ``optimal`` for the
exact methods, ``feasible`` for heuristics. Anything else (time limit, no
solution, error, refusal) is a failure: time inf in the profiles, charged the
limit in the SGM.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import defaultdict
from pathlib import Path

import numpy as np

from experiments import plots, stats
from experiments.context import RunContext, resolve
from experiments.runner import Task, run_tasks
from solvers.registry import METHODS, names

SEARCHERS = frozenset(names(time_limit=True))  # methods that honour a time limit


def _solved(row: dict) -> bool:
    expected = "optimal" if METHODS[row["method"]].exact else "feasible"
    return row["status"] == expected


def make_tasks(config: dict, name: str) -> list[Task]:
    """Return one task per ladder x value x instance x method."""
    tasks = []
    for ladder in config["ladders"]:
        params0 = {**config.get("defaults", {}), **ladder.get("defaults", {})}
        generator = ladder.get("generator", config["generator"])
        for value in ladder["values"]:
            for r in range(int(config["instances"])):
                seed = int(config["seed"]) + r
                params = {**params0, ladder["x"]: value, "seed": seed}
                for method in ladder["methods"]:
                    limit = config.get("time_limit") if method in SEARCHERS else None
                    options = {"time_limit": limit, "seed": seed, "threads": 1}
                    digest = hashlib.sha1(
                        json.dumps(
                            [generator, params, method, options], sort_keys=True
                        ).encode()
                    ).hexdigest()[:10]
                    tasks.append(
                        Task(
                            key=f"{name}|{ladder['id']}|{ladder['x']}={value}|"
                            f"seed={seed}|{method}|{digest}",
                            generator=generator,
                            params=params,
                            method=method,
                            options=options,
                            tags={
                                "experiment": name,
                                "ladder": ladder["id"],
                                "x": ladder["x"],
                                "x_value": value,
                            },
                        )
                    )
    return tasks


def _medians(rows: list[dict], ladder: dict) -> dict[str, list[float]]:
    """Return {method: median runtime (s) at each x} (NaN where nothing ran)."""
    times = defaultdict(list)
    for row in rows:
        if row["ladder"] == ladder["id"] and row["runtime_s"] is not None:
            times[row["method"], row["x_value"]].append(row["runtime_s"])
    return {
        m: [
            float(np.median(times[m, x])) if times[m, x] else math.nan
            for x in ladder["values"]
        ]
        for m in ladder["methods"]
    }


def _ladder_section(rows, ladder, out: Path, name: str) -> tuple[list[str], str]:
    medians = _medians(rows, ladder)
    fits = {m: stats.fitted_exponent(ladder["values"], t) for m, t in medians.items()}
    file = f"{name}_{ladder['id']}.png"
    series = {
        m: (ladder["values"], t, [0.0] * len(t))
        for m, t in medians.items()
        if any(v == v for v in t)
    }
    plots.line_plot(
        out / file,
        series,
        f"runtime vs {ladder['x']} ({ladder['id']})",
        ladder["x"],
        "median runtime (s)",
        log=True,
        fits=fits,
    )
    methods = list(medians)
    lines = [
        f"## Ladder {ladder['id']}: runtime vs {ladder['x']}",
        "",
        "Median runtime in ms; last row: fitted exponent (slope of log median "
        "runtime on log x).",
        "",
        f"| {ladder['x']} | " + " | ".join(methods) + " |",
        "|---" * (len(methods) + 1) + "|",
    ]
    for n, x in enumerate(ladder["values"]):
        cells = [f"{1000 * medians[m][n]:.3g}" for m in methods]
        lines.append(f"| {x} | " + " | ".join(cells) + " |")
    lines.append("| exponent | " + " | ".join(f"{fits[m]:.2f}" for m in methods) + " |")
    failures = defaultdict(int)
    for row in rows:
        if row["ladder"] == ladder["id"] and not _solved(row):
            failures[row["method"], row["status"]] += 1
    if failures:
        shown = ", ".join(f"{m} {s}: {c}" for (m, s), c in sorted(failures.items()))
        lines += ["", f"Unsolved runs: {shown}."]
    return lines, file


def _exact_section(rows, config, out: Path, name: str) -> tuple[list[str], list[str]]:
    """Profiles, SGM and gaps over the instances of the exact ladders."""
    ids = {ladder["id"] for ladder in config["ladders"] if ladder.get("exact")}
    rows = [row for row in rows if row["ladder"] in ids]
    if not rows:
        return [], []
    limit, shift = float(config["time_limit"]), float(config.get("shift", 10.0))
    # table[instance][method] = row; an instance is (ladder, x value, seed).
    table: dict[tuple, dict[str, dict]] = defaultdict(dict)
    for row in rows:
        table[row["ladder"], row["x_value"], row["seed"]][row["method"]] = row
    instances = sorted(table)
    methods = list(dict.fromkeys(row["method"] for row in rows))
    times = {
        m: [
            table[p][m]["runtime_s"]
            if m in table[p] and _solved(table[p][m])
            else math.inf
            for p in instances
        ]
        for m in methods
    }
    taus, rho = stats.performance_profile(times)
    profile = f"{name}_profile.png"
    plots.profile_plot(out / profile, taus, rho, "performance profile (exact ladders)")
    best = {}
    for p in instances:
        bounds = [row["bound"] for row in table[p].values() if row["bound"] is not None]
        if bounds:
            best[p] = min(bounds)
    lines = [
        "## Exact ladders: performance profile, SGM and optimality gaps",
        "",
        f"{len(instances)} instances (ladders {', '.join(sorted(ids))}). Solved = "
        "status optimal (exact methods) or feasible (heuristics). Shifted geometric "
        f"mean of runtime with shift {shift:g} s, unsolved runs charged the time "
        f"limit {limit:g} s. Gap to the best proven bound (least bound of any method "
        f"on the instance; {len(best)} instances have one) = (bound - served) / "
        "max(1, served).",
        "",
        "| method | solved | SGM runtime (s) | mean gap | max gap | gap 0 on |",
        "|---|---|---|---|---|---|",
    ]
    for m in methods:
        solved = sum(math.isfinite(t) for t in times[m])
        sgm = stats.shifted_geometric_mean(times[m], shift=shift, limit=limit)
        served = {p: table[p][m]["served"] for p in best if m in table[p]}
        gaps = [(best[p] - n) / max(1, n) for p, n in served.items() if n is not None]
        gap = "- | - | -"
        if gaps:
            zero = sum(g == 0 for g in gaps)
            gap = f"{np.mean(gaps):.4f} | {max(gaps):.4f} | {zero}/{len(gaps)}"
        lines.append(f"| {m} | {solved}/{len(instances)} | {sgm:.4g} | {gap} |")
    return lines, [profile]


def run(config: dict, out: Path, ctx: RunContext) -> None:
    """Run the scaling experiment: tasks, then plots and report.md in ``out``."""
    config = resolve(config, ctx)
    config.setdefault("instances", 1)
    rows = run_tasks(make_tasks(config, ctx.name), out / "results.csv", ctx)
    seed, n = int(config["seed"]), int(config["instances"])
    lines = [
        f"# {config.get('title', 'Runtime scaling')}",
        "",
        f"- Generator {config['generator']}, defaults "
        f"`{json.dumps(config.get('defaults', {}))}`; {n} instance(s) per point "
        f"(seeds {seed}..{seed + n - 1}); time limit {config.get('time_limit')} s "
        "for searching methods; one solver thread per run.",
        f"- Machine: {ctx.machine()}; {'quick run' if ctx.quick else 'full config'}; "
        f"{len(rows)} rows.",
    ]
    files = []
    for ladder in config["ladders"]:
        section, file = _ladder_section(rows, ladder, out, ctx.name)
        lines += ["", *section]
        files.append(file)
    section, more = _exact_section(rows, config, out, ctx.name)
    lines += ["", *section] if section else []
    files += more
    lines += ["", "## Files", "", "- results.csv", *[f"- {f}" for f in files], ""]
    (out / "report.md").write_text("\n".join(lines))
