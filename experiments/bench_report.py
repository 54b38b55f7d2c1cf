"""Scores, tables, performance profile and report of ``partialloading bench``.

Conventions (docs/benchmark.md):

- A run's status is the runner's, with a failed run split by cause:
  ``crashed`` (the method raised), ``infeasible`` (the evaluator rejected its
  schedule), ``error`` (anything else); ``unsupported`` = the method refused.
- ``gap`` = (reference bound - served) / max(1, served), reference bound = the
  best-known bound lowered by any bound proven in this run by an exact
  registered method for this problem (:func:`is_exact`); ``optimal`` in the
  summary counts only such methods' proofs.
- Shifted geometric mean time (shift 10 ms) over the runs a method accepted,
  failed runs charged the time limit (or the slowest run without one).
- Performance profile (Dolan & More): a run "solves" an instance when it serves
  the best value known after the run; the measure is its time.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

from experiments import stats
from experiments.runner import UNSUPPORTED
from solvers.report import table

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from experiments.bench import Settings, Target

SHIFT_S = 0.01
FAILED = ("crashed", "infeasible", "error")


def _status(row: dict[str, Any]) -> str:
    """Return the row's status, a failure split by cause (module docstring)."""
    message = row.get("error") or ""
    if row["status"] not in ("error", "crashed") or not message:
        return row["status"]
    if "infeasible schedule" in message:
        return "infeasible"
    return "crashed" if " crashed: " in message else row["status"]


def is_exact(method: str) -> bool:
    """Whether ``method``'s bounds and optimality hold for PLIB-1's problem.

    Only registered exact methods qualify, and not those that solve another
    problem (``independent`` proves optimality without block reuse).
    """
    from solvers import registry

    entry = registry.METHODS.get(method)
    return entry is not None and entry.exact and entry.reuse is registry.Reuse.CALLER


def score(
    rows: Sequence[dict[str, Any]], found: Sequence[Target]
) -> list[dict[str, Any]]:
    """Return one scored record per run: served, reference values, gap, status."""
    from instances.info import served_bounds

    reference: dict[str, tuple[int | None, int | None]] = {}
    for target in found:
        record = target.record
        if record is not None and record.best_bound is not None:
            reference[target.name] = (record.best_served, record.best_bound)
        else:  # no best-known bound yet: the quick bound of `partialloading info`
            reference[target.name] = (None, served_bounds(target.instance())[1])
    bounds = {name: bound for name, (_, bound) in reference.items()}
    served_max = {name: known for name, (known, _) in reference.items()}
    for row in rows:
        name = row["target"]
        if row.get("bound") is not None and is_exact(row["method"]):
            bounds[name] = min(bounds[name], row["bound"])
        if row.get("served") is not None:
            served_max[name] = max(served_max[name] or 0, row["served"])
    scored = []
    for row in rows:
        name, served = row["target"], row.get("served")
        known = reference[name][0]
        scored.append(
            dict(
                instance=name,
                cls=row.get("cls"),
                method=row["method"],
                seed=int(row["key"].split("|seed=")[1].split("|")[0]),
                status=_status(row),
                served=served,
                best_known=known,
                best_now=served_max[name],
                bound=bounds[name],
                method_bound=row.get("bound"),
                gap=None
                if served is None
                else (bounds[name] - served) / max(1, served),
                beat=served is not None and known is not None and served > known,
                time_s=row.get("runtime_s"),
                error=row.get("error"),
                key=row["key"],
            )
        )
    return scored


def summary(
    scored: Sequence[dict[str, Any]], settings: Settings
) -> list[dict[str, Any]]:
    """Return one summary record per method (in the order given)."""
    times = [r["time_s"] for r in scored if r["time_s"] is not None]
    charge = settings.time_limit or (max(times) if times else 1.0)
    result = []
    for method in settings.methods:
        runs = [r for r in scored if r["method"] == method]
        accepted = [r for r in runs if r["status"] != UNSUPPORTED]
        gaps = [r["gap"] for r in accepted if r["gap"] is not None]
        failed = [r for r in accepted if r["status"] in FAILED]
        sgm = stats.shifted_geometric_mean(
            [math.inf if r["served"] is None else r["time_s"] for r in accepted],
            shift=SHIFT_S,
            limit=charge,
        ) if accepted else None  # fmt: skip
        result.append(
            dict(
                method=method,
                runs=len(runs),
                refused=len(runs) - len(accepted),
                failed=len(failed),
                mean_gap=sum(gaps) / len(gaps) if gaps else None,
                worst_gap=max(gaps) if gaps else None,
                optimal=sum(
                    r["status"] == "optimal" and is_exact(method) for r in accepted
                ),
                at_best=sum(
                    r["served"] is not None and r["served"] == r["best_now"]
                    for r in accepted
                ),
                beat_best=sum(r["beat"] for r in accepted),
                sgm_time_s=sgm,
            )
        )
    return result


RUN_COLUMNS = ("instance", "method", "seed", "served", "best_known", "bound", "gap",
               "status", "time_s")  # fmt: skip
SUMMARY_COLUMNS = ("method", "runs", "refused", "failed", "mean_gap", "worst_gap",
                   "optimal", "at_best", "beat_best", "sgm_time_s")  # fmt: skip


def _percent(value: float | None) -> str | None:
    return None if value is None else f"{100 * value:.1f}%"


def _cells(record: dict[str, Any], columns: Sequence[str]) -> list[Any]:
    cells = []
    for name in columns:
        value = record.get(name)
        if name.endswith("gap"):
            value = _percent(value)
        elif name.endswith("time_s") and value is not None:
            value = f"{value:.3g}"
        elif name == "status" and record.get("beat"):
            value = f"{value} NEW BEST"
        cells.append(value)
    return cells


def run_table(scored: Sequence[dict[str, Any]], markdown: bool = False) -> str:
    """Return the per-run table (one line per instance x method x seed)."""
    return table(RUN_COLUMNS, [_cells(r, RUN_COLUMNS) for r in scored], markdown)


def summary_table(records: Sequence[dict[str, Any]], markdown: bool = False) -> str:
    """Return the per-method summary table."""
    return table(
        SUMMARY_COLUMNS, [_cells(r, SUMMARY_COLUMNS) for r in records], markdown
    )


def profile(scored: Sequence[dict[str, Any]], methods: Sequence[str], path: Path):
    """Plot the Dolan-More profile of time to the best-known value to ``path``."""
    from experiments.plots import profile_plot

    problems = sorted({(r["instance"], r["seed"]) for r in scored})
    index = {problem: n for n, problem in enumerate(problems)}
    times = {m: [math.inf] * len(problems) for m in methods}
    for r in scored:
        if r["served"] is not None and r["served"] == r["best_now"]:
            times[r["method"]][index[(r["instance"], r["seed"])]] = max(
                r["time_s"], 1e-6
            )
    taus, rho = stats.performance_profile(times)
    profile_plot(path, taus, rho, "Time to the best-known value (Dolan-More)")


def class_tables(scored: Sequence[dict[str, Any]], settings: Settings) -> list[str]:
    """Return Markdown lines: the method summary of each instance class."""
    lines = []
    for cls in dict.fromkeys(r["cls"] for r in scored):
        subset = [r for r in scored if r["cls"] == cls]
        count = len({r["instance"] for r in subset})
        lines += [f"### {cls} ({count} instances)", ""]
        lines += [summary_table(summary(subset, settings), markdown=True), ""]
    return lines


def write(
    out: Path,
    scored: Sequence[dict[str, Any]],
    settings: Settings,
    header: dict[str, Any],
) -> None:
    """Write runs.csv, summary.csv, bench.json, profile.png and report.md."""
    records = summary(scored, settings)
    import csv

    for name, rows, columns in (
        ("runs.csv", scored, list(scored[0]) if scored else RUN_COLUMNS),
        ("summary.csv", records, SUMMARY_COLUMNS),
    ):
        with (out / name).open("w", newline="") as handle:
            writer = csv.DictWriter(handle, columns, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
    document = {**header, "summary": list(records), "runs": list(scored)}
    (out / "bench.json").write_text(json.dumps(document, indent=1) + "\n")
    profile(scored, header["methods"], out / "profile.png")
    lines = [
        f"# bench: {', '.join(header['methods'])} on {header['instances']}",
        "",
        f"Command: `{header['command']}`  ",
        f"Machine: {header['machine']}  ",
        f"Time limit per run: {header['time_limit'] or 'none'} s; "
        f"solver seeds: {header['seeds']}; best-known table: {header['table']}",
        "",
        "## Summary per method",
        "",
        summary_table(records, markdown=True),
        "",
        "![performance profile](profile.png)",
        "",
        "## Summary per class",
        "",
        *class_tables(scored, settings),
        "## Runs",
        "",
        run_table(scored, markdown=True),
        "",
    ]
    (out / "report.md").write_text("\n".join(lines))
