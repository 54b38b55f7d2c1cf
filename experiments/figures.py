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

import json
import math
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from experiments import grid, plots, schema, stats
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
        return _nanmean([b / a for a, b in means if a > 0])
    if kind == "runtime_ms":
        return 1000 * _nanmean([a for a, _ in means])
    raise ValueError(f'comparisons: unknown kind "{kind}"')


def _nanmean(values: list[float]) -> float:
    values = [v for v in values if v == v]
    return float(np.mean(values)) if values else math.nan


def _shown(kind: str, value: float) -> str:
    if value != value:  # NaN
        return "n/a"
    if kind == "gain":
        return f"{100 * value:+.1f}%"
    if kind == "speedup":
        return f"{value:,.0f}x"
    return f"{value:.2f} ms"


def _x_shown(panel: Panel, value: Any) -> str:
    return f"{value * panel.xscale:g}"


def plot(
    panel: Panel, variants: dict[str, Variant], cells: dict, out: Path, name: str
) -> list[str]:
    """Write the panel's PNGs; return their file names."""
    ids = [vid for vid in panel.variants if (panel.id, vid, panel.values[0]) in cells]
    if len(panel.values) > 1:
        series = {
            variants[vid].label: (
                [v * panel.xscale for v in panel.values],
                [cells[panel.id, vid, v].mean for v in panel.values],
                [cells[panel.id, vid, v].ci for v in panel.values],
            )
            for vid in ids
        }
        file = f"{name}_{panel.id}.png"
        plots.line_plot(
            out / file, series, panel.title, panel.xlabel, "served user ratio"
        )
        return [file]
    x = panel.values[0]
    labels = [variants[vid].label for vid in ids]
    got = [cells[panel.id, vid, x] for vid in ids]
    served, runtime = f"{name}_{panel.id}_served.png", f"{name}_{panel.id}_runtime.png"
    plots.bar_plot(
        out / served,
        labels,
        [c.mean for c in got],
        [c.ci for c in got],
        panel.title,
        "served user ratio",
    )
    plots.bar_plot(
        out / runtime,
        labels,
        [1000 * c.runtime_mean_s for c in got],
        [0.0] * len(got),
        panel.title,
        "mean runtime (ms)",
        log=True,
    )
    return [served, runtime]


def _setup(config: dict, ctx: RunContext, rows: list[dict], wall_s: float) -> list[str]:
    panels = panels_of(config)
    seed, n = int(config["seed"]), int(config["realizations"])
    defaults = config.get("defaults", {})
    library = (
        f"library drawn once from library_seed = {defaults['library_seed']}"
        if "library_seed" in defaults
        else "library redrawn per seed"
    )
    lines = [
        "## Setup",
        "",
        f"- Generator(s): {', '.join(sorted({p.generator for p in panels}))}; "
        f"default parameters: `{json.dumps(defaults)}`.",
        f"- Realizations per point: {n} (generator seeds {seed}..{seed + n - 1}; all "
        f"variants and x values use the same seeds); {library}.",
        f"- Time limit per run of searching methods: {config.get('time_limit')} s.",
        f"- Machine: {ctx.machine()}; {'quick run' if ctx.quick else 'full config'}; "
        f"{len(rows)} rows; wall time of this invocation {wall_s:.0f} s.",
        "- Cells: mean served ratio over scored runs (optimal, feasible, time_limit) "
        "+- the normal 95% CI half-width.",
        "",
        "| variant | label | method | reuse | bandwidth | time limit | realizations |",
        "|---|---|---|---|---|---|---|",
    ]
    for v in variants_of(config).values():
        lines.append(
            f"| {v.id} | {v.label} | {v.method} | {v.reuse_blocks} | {v.bandwidth} "
            f"| {v.time_limit or '-'} | {v.realizations or n} |"
        )
    return lines


def _panel_table(panel: Panel, cells: dict) -> list[str]:
    ids = [vid for vid in panel.variants if (panel.id, vid, panel.values[0]) in cells]
    lines = [
        f"## Panel {panel.id}: {panel.title}",
        "",
        f"x = {panel.x} shown as {panel.xlabel}; generator {panel.generator}.",
        "",
        f"| {panel.xlabel} | " + " | ".join(ids) + " |",
        "|---" * (len(ids) + 1) + "|",
    ]
    for x in panel.values:
        shown = [
            f"{cells[panel.id, v, x].mean:.3f} +- {cells[panel.id, v, x].ci:.3f}"
            for v in ids
        ]
        lines.append(f"| {_x_shown(panel, x)} | " + " | ".join(shown) + " |")
    runtime = [
        1000 * _nanmean([cells[panel.id, v, x].runtime_mean_s for x in panel.values])
        for v in ids
    ]
    lines.append(
        "| mean runtime (ms) | " + " | ".join(f"{t:.2f}" for t in runtime) + " |"
    )
    for vid in ids:
        counter: Counter = sum(
            (cells[panel.id, vid, x].statuses for x in panel.values), Counter()
        )
        if set(counter) - {"optimal", "feasible"}:
            lines += [
                "",
                f"Statuses of {vid}: {dict(counter)} (only optimal, feasible "
                "and time_limit rows enter the means).",
            ]
    return lines


def _comparisons(config: dict, cells: dict) -> list[str]:
    panels = {p.id: p for p in panels_of(config)}
    lines = [
        "## The paper's stated numbers beside ours",
        "",
        "Improvement of A over B = mean served ratio(A) / mean served ratio(B) - 1 "
        "at each x point, averaged over the panel's x points; speed-up = mean "
        "runtime(B) / mean runtime(A), averaged over x. Both on the seeds where A "
        "and B both scored.",
        "",
        "| figure | comparison | A | B | paper | ours |",
        "|---|---|---|---|---|---|",
    ]
    for c in config.get("comparisons", []):
        kind = c.get("kind", "gain")
        paper = _shown(kind, c["paper"]) if "paper" in c else "-"
        ours = _shown(kind, compare(c, panels[c["panel"]], cells))
        lines.append(
            f"| {c.get('figure', c['panel'])} | {c.get('text', '')} | {c['a']} "
            f"| {c.get('b', '-')} | {paper} | {ours} |"
        )
    return lines


def report(
    config: dict,
    ctx: RunContext,
    rows: list[dict],
    cells: dict,
    files: list[str],
    wall_s: float,
) -> str:
    """Return report.md: setup, tables of mean served ratio, paper vs ours."""
    lines = [
        f"# {config.get('title', ctx.name)}",
        "",
        *_setup(config, ctx, rows, wall_s),
    ]
    for panel in panels_of(config):
        lines += ["", *_panel_table(panel, cells)]
    if config.get("comparisons"):
        lines += ["", *_comparisons(config, cells)]
    if config.get("notes"):
        lines += ["", "## Notes", "", config["notes"].strip()]
    lines += ["", "## Files", "", "- results.csv", *[f"- {f}" for f in files], ""]
    return "\n".join(lines)


def run(config: dict, out: Path, ctx: RunContext) -> None:
    """Run the figure ``ctx.name``: tasks, then plots and report.md in ``out``."""
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
