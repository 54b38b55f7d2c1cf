"""The paper's Figs. 6-9: served user ratio (and runtime) of methods vs B, K, T, theta.

One module serves the four figures; ``ctx.name`` picks the config
(``experiments/configs/fig6.toml`` ...). A config lists *variants* (a method
with its reuse and bandwidth options), *panels* (an x parameter of the
generator and its values) and the paper's stated gains to compare with ours.

A realization r is the generator seed ``seed + r``: new user positions, fading
and requests. The model library is drawn once from ``library_seed`` (the
paper fine-tunes its models once), unless the config leaves ``library_seed``
out, in which case every seed redraws the library too. All variants and all x
values of a panel use the same seeds (paired comparisons).

Outputs in the run directory: ``results.csv`` (long format, one row per
realization x point x variant; see :mod:`experiments.runner`), one PNG per
panel, and ``report.md``.
"""

from __future__ import annotations

import math
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from experiments import grid, schema, stats
from experiments.batch import run_bundled
from experiments.context import RunContext, resolve
from experiments.records import claim_directory
from solvers.registry import names

if TYPE_CHECKING:
    from pathlib import Path

    from experiments.runner import Task

# Methods that search and honour a time limit.
SEARCHERS = frozenset(names(time_limit=True))
# Statuses whose served count is a valid schedule (time_limit: the incumbent).
SCORED = frozenset({"optimal", "feasible", "time_limit"})


@dataclass(frozen=True)
class Variant:
    """A method with its options, as one line of a plot."""

    id: str
    label: str
    method: str
    reuse_blocks: bool = True
    bandwidth: str = "optimal"
    time_limit: float | None = None
    realizations: int | None = None  # cap for slow methods (the first N seeds)


@dataclass(frozen=True)
class Panel:
    """One plot: served ratio vs one generator parameter."""

    id: str
    x: str
    values: tuple
    xlabel: str
    xscale: float
    generator: str
    params: dict[str, Any]
    variants: tuple[str, ...]
    title: str


def variants_of(config: dict) -> dict[str, Variant]:
    """Return the config's variants by id."""
    variants = {}
    for entry in config["methods"]:
        entry = dict(entry)
        if "time_limit" not in entry and entry["method"] in SEARCHERS:
            entry["time_limit"] = config.get("time_limit")
        variants[entry["id"]] = Variant(**entry)
    return variants


def panels_of(config: dict) -> list[Panel]:
    """Return the config's panels, generator params merged with the defaults."""
    panels, methods = [], config["methods"]
    for entry in config["panels"]:
        params = {**config.get("defaults", {}), **entry.get("defaults", {})}
        panels.append(
            Panel(
                id=entry["id"],
                x=entry["x"],
                values=tuple(entry["values"]),
                xlabel=entry.get("xlabel", entry["x"]),
                xscale=float(entry.get("xscale", 1.0)),
                generator=entry.get("generator", config["generator"]),
                params=params,
                variants=tuple(entry.get("methods", [m["id"] for m in methods])),
                title=entry.get("title", f"{config.get('title', '')} ({entry['id']})"),
            )
        )
    return panels


def make_tasks(config: dict, name: str) -> list[Task]:
    """Return every task of the (resolved) config: panel x value x seed x variant."""
    variants = variants_of(config)
    tasks = []
    for panel in panels_of(config):
        group = grid.Group(
            "panel", panel.id, panel.generator, panel.params, panel.x, panel.values
        )
        lines = [_line(variants[vid]) for vid in panel.variants]
        seed, realizations = int(config["seed"]), int(config["realizations"])
        tasks += grid.tasks(name, group, lines, seed, realizations)
    return tasks


def _line(v: Variant) -> grid.Line:
    options = {
        "reuse_blocks": v.reuse_blocks,
        "bandwidth": v.bandwidth,
        "time_limit": v.time_limit,
    }
    return grid.Line(v.id, v.method, options, v.realizations, {"variant": v.id})


@dataclass
class Cell:
    """The summary of one variant at one x point of one panel.

    ``ratios`` and ``times`` map each scored seed to its served ratio and
    runtime, so that comparisons can pair seeds.
    """

    mean: float
    ci: float
    n: int
    runtime_mean_s: float
    statuses: Counter
    ratios: dict[int, float]
    times: dict[int, float]


EMPTY = Cell(math.nan, math.nan, 0, math.nan, Counter(), {}, {})


def summarize(rows: list[dict]) -> dict[tuple, Cell]:
    """Return {(panel, variant, x_value): Cell} over the scored rows."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for row in rows:
        groups[row["panel"], row["variant"], row["x_value"]].append(row)
    cells = {}
    for key, group in groups.items():
        scored = [row for row in group if row["status"] in SCORED]
        mean, ci = stats.mean_ci([row["served_ratio"] for row in scored])
        times = [row["runtime_s"] for row in scored]
        cells[key] = Cell(
            mean=mean,
            ci=ci,
            n=len(scored),
            runtime_mean_s=float(np.mean(times)) if times else math.nan,
            statuses=Counter(row["status"] for row in group),
            ratios={row["seed"]: row["served_ratio"] for row in scored},
            times={row["seed"]: row["runtime_s"] for row in scored},
        )
    return cells


def nanmean(values: list[float]) -> float:
    values = [v for v in values if v == v]
    return float(np.mean(values)) if values else math.nan


def compare(comparison: dict, panel: Panel, cells: dict[tuple, Cell]) -> float:
    """Return our value of a stated comparison, on the seeds both sides scored.

    ``gain``: mean over x of mean ratio(a) / mean ratio(b) - 1; ``speedup``:
    mean over x of mean runtime(b) / mean runtime(a); ``runtime_ms``: mean
    runtime of a in ms, averaged over x.
    """
    kind = comparison.get("kind", "gain")
    per_x = []
    for x in panel.values:
        a = cells.get((panel.id, comparison["a"], x), EMPTY)
        if kind == "runtime_ms":
            per_x.append((list(a.times.values()), [1.0]))
            continue
        b = cells.get((panel.id, comparison["b"], x), EMPTY)
        field = "ratios" if kind == "gain" else "times"
        seeds = sorted(set(getattr(a, field)) & set(getattr(b, field)))
        per_x.append(
            (
                [getattr(a, field)[s] for s in seeds],
                [getattr(b, field)[s] for s in seeds],
            )
        )
    means = [
        (float(np.mean(a)) if a else math.nan, float(np.mean(b)) if b else math.nan)
        for a, b in per_x
    ]
    if kind == "gain":
        return stats.improvement([a for a, _ in means], [b for _, b in means])
    if kind == "speedup":
        return nanmean([b / a for a, b in means if a > 0])
    if kind == "runtime_ms":
        return 1000 * nanmean([a for a, _ in means])
    raise ValueError(f'comparisons: unknown kind "{kind}"')


def run(config: dict, out: Path, ctx: RunContext) -> None:
    """Run the figure ``ctx.name``: tasks, then plots and report.md in ``out``."""
    from experiments.figures_report import plot, report

    start = time.perf_counter()
    schema.validate("figure", config, ctx.name)
    config = resolve(config, ctx)
    claim_directory(out, ctx.name, config)
    tasks = make_tasks(config, ctx.name)
    rows = run_bundled(tasks, out / "results.csv", ctx)
    cells = summarize(rows)
    variants = variants_of(config)
    files = []
    for panel in panels_of(config):
        files += plot(panel, variants, cells, out, ctx.name)
    text = report(config, ctx, rows, cells, files, time.perf_counter() - start)
    (out / "report.md").write_text(text)
