"""The Markdown report of the verify-dp campaign, from its result and analysis rows."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

import numpy as np

from experiments import theorems
from experiments.dp_analysis import EXACT
from experiments.runner import CRASHED
from instances.generators.classes import class_names
from solvers.report import table
from solvers.result import Status

if TYPE_CHECKING:
    from experiments.context import RunContext

Rows = list[dict[str, Any]]


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    return table(headers, rows, markdown=True)


def summarize(analysis: Rows) -> dict[str, dict[str, Any]]:
    """Return per-class (and ``all``) loss statistics of dp-paper."""
    groups: dict[str, Rows] = defaultdict(list)
    for row in analysis:
        groups[row["cls"]].append(row)
        groups["all"].append(row)
    out = {}
    for cls, rows in groups.items():
        loss = np.array([r["loss"] for r in rows], dtype=float)
        rel = np.array([r["loss_rel"] for r in rows], dtype=float)
        lost = loss > 0
        out[cls] = {
            "instances": len(rows),
            "lost": int(lost.sum()),
            "lost_share": float(lost.mean()),
            "mean_loss": float(loss.mean()),
            "max_loss": int(loss.max()),
            "mean_rel": float(rel.mean()),
            "mean_rel_lost": float(rel[lost].mean()) if lost.any() else 0.0,
            "max_rel": float(rel.max()),
            "value_gap": int(sum(1 for r in rows if (r.get("value_gap") or 0) != 0)),
        }
    return out


def theorem_summary(analysis: Rows) -> dict[str, dict[str, int]]:
    """Return per condition: instances checked, some-fails and every-fails counts."""
    checked = [r for r in analysis if r.get("num_optimal") is not None]
    return {
        c: {
            "checked": len(checked),
            "some_fails": sum(1 for r in checked if r[f"some_{c}"] is False),
            "every_fails": sum(1 for r in checked if r[f"every_{c}"] is False),
        }
        for c in theorems.CONDITIONS
    }


def _consistency(rows: Rows, analysis: Rows) -> list[str]:
    failed = [r for r in rows if r["status"] in (Status.ERROR.value, CRASHED)]
    failed += [r for r in analysis if r.get("status") == CRASHED]
    disagree = [r["instance"] for r in analysis if r.get("exact_agree") is False]
    enum_bad = [
        r["instance"]
        for r in analysis
        if r.get("enum_optimum") is not None and r["enum_optimum"] != r["truth"]
    ]
    return [
        "## Ground truth consistency",
        "",
        f"- exact methods disagreeing on an instance: {len(disagree)} {disagree[:5]}",
        f"- enumerated optimum != ground truth: {len(enum_bad)} {enum_bad[:5]}",
        f"- runner errors: {len(failed)}"
        + "".join(f"\n  - {r['key']}: {(r['error'] or '')[:200]}" for r in failed[:5]),
        "",
    ]


def _class_row(cls: str, s: dict[str, Any]) -> list[Any]:
    return [
        cls, s["instances"], s["lost"], f"{s['lost_share']:.1%}",
        f"{s['mean_loss']:.2f}", s["max_loss"], f"{s['mean_rel']:.1%}",
        f"{s['mean_rel_lost']:.1%}", f"{s['max_rel']:.1%}", s["value_gap"],
    ]  # fmt: skip


def _by_class(analysis: Rows) -> list[str]:
    stats = summarize(analysis)
    if not stats:
        return ["## dp-paper against the optimum, by class", "", "No instance."]
    order = [c for c in class_names() if c in stats] + ["all"]
    headers = [
        "class", "instances", "dp-paper < opt", "share", "mean loss", "max loss",
        "mean rel. loss", "mean rel. (losing)", "max rel.", "DP value != served",
    ]  # fmt: skip
    body = [_class_row(c, stats[c]) for c in order]
    return [
        "## dp-paper against the optimum, by class",
        "",
        "loss = optimum - served by dp-paper; relative = loss / optimum. 'DP value "
        "!= served' counts instances where the DP's own f(M,T) differs from what its "
        "schedule serves.",
        "",
        _table(headers, body),
    ]


def _counterexamples(analysis: Rows) -> list[str]:
    lost = [r for r in analysis if (r.get("loss") or 0) > 0]
    causes: dict[str, int] = defaultdict(int)
    for r in lost:
        causes[r.get("cause") or "?"] += 1
    lines = [
        "",
        "## Causes (automatic diagnosis)",
        "",
        _table(
            ["cause", "counterexamples"], [[c, n] for c, n in sorted(causes.items())]
        )
        if causes
        else "No counterexample.",
        "",
        "Causes: `slot-rounding` = the exact optimum of the paper's own slotted "
        "model (each model's time rounded up to whole slots, models in Corollary 1 "
        "order) is below the continuous optimum; `eq19` = dp-paper serves less than "
        "that slotted optimum (its DP rejects tied predecessors, eq. (19)); "
        "`backtracking` = Algorithm 1's schedule serves less than f(M,T); `other` = "
        "none of these.",
        "",
        "## Counterexamples (shrunk)",
        "",
    ]

    # Rarer causes first, then the smallest shrunk instances.
    def rank(r: dict[str, Any]) -> tuple:
        cause = causes[r.get("cause") or "?"]
        return (cause, r.get("shrunk_users") or 99, r["instance"])

    for r in sorted(lost, key=rank)[:15]:
        lines.append(
            f"- `{r['instance']}` ({r['cls']}): loss {r['loss']}, "
            f"cause {r.get('cause')}; "
            f"shrunk to `{r.get('shrunk')}` (K={r.get('shrunk_users')}, "
            f"I={r.get('shrunk_models')}, J={r.get('shrunk_blocks')}, cause "
            f"{r.get('shrunk_cause')}). Original: {r.get('explanation') or ''} "
            f"Shrunk: {r.get('shrunk_explanation') or '-'}"
        )
    if len(lost) > 15:
        lines.append(f"- ... {len(lost) - 15} more in counterexamples/index.csv")
    return lines


def _theorems(analysis: Rows) -> list[str]:
    summary = theorem_summary(analysis)
    return [
        "",
        "## Theorems 2, 3 and Corollary 1 against brute force",
        "",
        "For each tiny instance every optimal schedule is enumerated. 'some fails' = "
        "no optimal schedule satisfies the condition (it is NOT without loss of "
        "optimality); 'every fails' = some optimal schedule violates it (it is not a "
        "necessary condition, as the paper's 'X* must satisfy' states).",
        "",
        _table(
            ["condition", "instances", "some fails", "every fails"],
            [
                [c, s["checked"], s["some_fails"], s["every_fails"]]
                for c, s in summary.items()
            ],
        ),
        "",
    ]


def report(config: dict[str, Any], rows: Rows, analysis: Rows, ctx: RunContext) -> str:
    """Return the Markdown report of the campaign (crashed analyses: errors)."""
    done = [r for r in analysis if r.get("status") != CRASHED]
    classes = {r["cls"] for r in done}
    lines = [
        "# verify-dp: is the paper's DP (Algorithm 2) optimal for BLS?",
        "",
        f"{len(done)} instances over {len(classes)} classes, base seed "
        f"{config.get('seed', 0)}; ground truth = the first exact method that proved "
        f"optimality in the order {', '.join(EXACT)}. Machine: {ctx.machine()}.",
        "",
        *_consistency(rows, analysis),
        *_by_class(done),
        *_counterexamples(done),
        *_theorems(done),
    ]
    return "\n".join(lines)
