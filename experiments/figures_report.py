"""Plots and ``report.md`` of the paper's figures (:mod:`experiments.figures`).

One PNG per panel (served ratio, and runtime where the config asks for it),
then a report: the setup, one table per panel, and our gains beside the
paper's stated ones.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import TYPE_CHECKING, Any

from experiments import plots
from experiments.figures import compare, nanmean, panels_of, variants_of

if TYPE_CHECKING:
    from pathlib import Path

    from experiments.context import RunContext
    from experiments.figures import Panel, Variant


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
        1000 * nanmean([cells[panel.id, v, x].runtime_mean_s for x in panel.values])
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
