"""Compact a figure's results.csv for committing: one row per panel x variant x x.

A full figure run has one row per realization x point x variant (about 40 MB
for Fig. 6 at 1,000 realizations). :func:`compact` keeps the columns of
:mod:`experiments.figures`' rows that the readers use and replaces the
realizations of each (panel, variant, x) by their summary over the scored rows
(status optimal, feasible or time_limit):

    served_ratio   mean served ratio          std, ci95   sample std, 1.96 std / sqrt(n)
    served         mean users served          n           scored realizations
    runtime_s      mean runtime (s)           n_rows      all rows of the point
    status         the most common scored status; ``statuses`` counts all (JSON)
    seeds          "first..last" generator seeds of the point

``param_seed`` is left empty: a compact row is no single realization. Paired
comparisons (A vs B on the seeds both scored) equal comparisons of these means
when both variants scored on the same seeds; ``n`` shows whether they did.
:func:`write_run` writes ``run.json`` beside it (quick or full, seed, and the
size: realizations per point and profile), which the claims reader states.
"""

from __future__ import annotations

import json
import math
import statistics
from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

from experiments.records import read_rows, write_rows

if TYPE_CHECKING:
    from pathlib import Path

SCORED = ("optimal", "feasible", "time_limit")
# Columns of a figure row kept as they are (equal over a point's realizations).
KEPT = (
    "experiment", "generator", "num_users", "num_models", "method", "reuse_blocks",
    "bandwidth", "time_limit", "panel", "x", "x_value", "variant",
)  # fmt: skip
SUMMARY = (
    "served_ratio", "std", "ci95", "n", "n_rows", "served", "runtime_s", "status",
    "statuses", "seeds",
)  # fmt: skip


def compact(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return one summary row per (panel, variant, x_value), in first-seen order."""
    groups: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[row.get("panel"), row.get("variant"), row.get("x_value")].append(row)
    out = []
    for (panel, variant, x_value), group in groups.items():
        first = group[0]
        params = {k: v for k, v in first.items() if k.startswith("param_")}
        params["param_seed"] = None
        scored = [r for r in group if r["status"] in SCORED]
        ratios = [float(r["served_ratio"]) for r in scored]
        statuses = Counter(r["status"] for r in group)
        seeds = sorted(int(r["param_seed"]) for r in group)
        n = len(ratios)
        std = statistics.stdev(ratios) if n > 1 else math.nan
        common = Counter(r["status"] for r in scored).most_common(1)
        out.append(
            {
                "key": f"{first['experiment']}|{panel}|x={x_value}|{variant}|compact",
                **{k: first.get(k) for k in KEPT},
                "served_ratio": statistics.fmean(ratios) if n else None,
                "std": std,
                "ci95": 1.96 * std / math.sqrt(n) if n > 1 else math.nan,
                "n": n,
                "n_rows": len(group),
                "served": statistics.fmean(r["served"] for r in scored) if n else None,
                "runtime_s": statistics.fmean(
                    float(r["runtime_s"]) for r in scored if r["runtime_s"] is not None
                )
                if n
                else None,
                "status": common[0][0] if common else first["status"],
                "statuses": json.dumps(dict(sorted(statuses.items()))),
                "seeds": f"{seeds[0]}..{seeds[-1]}",
                **params,
            }
        )
    return out


def compact_file(source: Path, target: Path) -> list[dict[str, Any]]:
    """Compact the figure rows of ``source`` into ``target``; return the rows."""
    rows = compact(read_rows(source))
    columns = ["key", *KEPT, *SUMMARY]
    columns += list(dict.fromkeys(k for r in rows for k in r if k not in columns))
    write_rows(target, columns, rows)
    return rows


def write_run(
    target: Path, rows: list[dict[str, Any]], quick: bool, seed: int, profile: str
) -> None:
    """Write ``run.json``: quick or full, seed, realizations per point, profile."""
    most = max((int(r["n_rows"]) for r in rows), default=0)
    info = {
        "quick": quick,
        "seed": seed,
        "size": {"realizations": most, "profile": profile},
        "compact": "one row per panel x variant x x (experiments/compact.py)",
    }
    target.write_text(json.dumps(info, indent=1) + "\n")
