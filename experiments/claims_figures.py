"""Rows of ``claims.md`` for the numbers and trends the paper states about its figures.

Read from each figure's ``results.csv`` (``figN/results.csv``, the rows of
:mod:`experiments.figures`: ``panel``, ``variant``, ``x_value``, ``param_seed``,
``status``, ``served_ratio``). Means are over the scored runs (optimal,
feasible, time limit); a comparison of A and B pairs the seeds both scored.

Gains are shown in both readings, "+x pt / +y%": x = mean over the panel's x
values of (ratio A - ratio B) in percentage points, y = mean of (A / B - 1);
the verdict uses the points reading (docs/verification.md, "Reading of the
paper's gains") and the tolerance of ``claims.toml``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from experiments import verdicts
from experiments.claims_evidence import (
    QUANTITATIVE,
    Claim,
    Evidence,
    untested,
)

if TYPE_CHECKING:
    from experiments.verdicts import Tolerance

SCORED = {"optimal", "feasible", "time_limit"}

# The paper's stated gains: (figure, panel, A, B, gain in % as printed, where).
GAINS: list[tuple[str, str, str, str, float, str]] = [
    *(
        ("fig6", p, "spec", "indep-paper", g, "Spec over Independent Loading")
        for p, g in zip("abcd", (24, 24, 22, 26), strict=True)
    ),
    *(
        ("fig6", p, "gen", "indep-paper", g, "Gen over Independent Loading")
        for p, g in zip("abcd", (16, 18, 18, 21), strict=True)
    ),
    *(
        ("fig7", p, "gen", "indep-paper", g, "Gen over Independent Loading")
        for p, g in zip("abcd", (36, 38, 36, 39), strict=True)
    ),
    *(
        ("fig8", panel, a, f"{a}-eq{r}", g, f"{name} over equal split r={r}")
        for panel, a, name, gains in (
            ("a", "spec", "Spec", (9.9, 16.9, 26.2)),
            ("b", "spec", "Spec", (3.9, 7.7, 15.2)),
            ("c", "gen", "Gen", (9.6, 16.1, 25.6)),
            ("d", "gen", "Gen", (3.4, 7.7, 16.1)),
        )
        for r, g in zip((5, 10, 20), gains, strict=True)
    ),
    ("fig9", "a", "spec", "exhaustive", 0.0, "Spec matches the exhaustive search"),
    ("fig9", "a", "gen", "exhaustive", -3.7, "Gen about 3.7% below exhaustive"),
    ("fig9", "b", "gen", "exhaustive", -4.3, "Gen degrades by about 4.3%"),
]

# Stated directions of the curves in Fig. 6: panel -> (+1 up / -1 down, the text).
TRENDS = {
    "a": (1, "increasing B increases the served user ratio"),
    "b": (-1, "as K increases, the served user ratio decreases"),
    "c": (1, "the served user ratio increases with T"),
    "d": (1, "the served user ratio increases as theta grows"),
}


def ratios(rows: list[dict[str, Any]]) -> dict[tuple, dict[Any, dict[int, float]]]:
    """Return {(panel, variant): {x: {seed: served ratio}}} over the scored rows."""
    out: dict[tuple, dict[Any, dict[int, float]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    for row in rows:
        if row.get("status") not in SCORED or row.get("served_ratio") is None:
            continue
        seed = int(row.get("param_seed", row.get("seed")) or 0)
        key = (str(row.get("panel")), str(row.get("variant")))
        out[key][row.get("x_value")][seed] = float(row["served_ratio"])
    return out


def paired(data: dict, panel: str, a: str, b: str) -> list[tuple[Any, float, float]]:
    """Return [(x, mean A, mean B)] over the seeds both scored, x ascending."""
    xa, xb = data.get((panel, a), {}), data.get((panel, b), {})
    out = []
    for x in sorted(set(xa) & set(xb)):
        seeds = sorted(set(xa[x]) & set(xb[x]))
        if seeds:
            out.append(
                (
                    x,
                    float(np.mean([xa[x][s] for s in seeds])),
                    float(np.mean([xb[x][s] for s in seeds])),
                )
            )
    return out


def readings(points: list[tuple[Any, float, float]]) -> tuple[float, float]:
    """Return the gain in both readings: (points, percent relative), averaged over x."""
    pp = float(np.mean([100 * (a - b) for _, a, b in points]))
    rel = [100 * (a / b - 1) for _, a, b in points if b > 0]
    return pp, float(np.mean(rel)) if rel else float("nan")


def gain_rows(ev: Evidence, tol: Tolerance) -> list[Claim]:
    """Return one row per stated gain of Figs. 6-9."""
    out = []
    for fig, panel, a, b, paper, text in GAINS:
        rel_path = f"{fig}/results.csv"
        stated = "" if fig == "fig9" else f", about {paper:+g}%"  # in the text
        claim = f"Fig. {fig[3:]}({panel}): {text}{stated}"
        how = "mean over x of the paired mean served ratios, A - B (pt) and A/B - 1"
        points = paired(ratios(ev.rows(rel_path)), panel, a, b)
        if not points:
            out.append(untested(claim, QUANTITATIVE, how, rel_path))
            continue
        pp, rel = readings(points)
        at_x = ", ".join(f"{x:g}: {100 * (va - vb):+.1f}" for x, va, vb in points)
        out.append(
            Claim(
                claim,
                QUANTITATIVE,
                how,
                verdicts.gain(pp, paper, tol),
                f"{a} vs {b}: {pp:+.1f} pt / {rel:+.1f}% (paper {paper:+g}); "
                f"pt at each x: {at_x}",
                ev.run_of(rel_path),
            )
        )
    return out


def curve(data: dict, panel: str, variant: str) -> list[tuple[Any, float]]:
    """Return [(x, mean served ratio)] of one variant, x ascending."""
    xs = data.get((panel, variant), {})
    return [(x, float(np.mean(list(xs[x].values())))) for x in sorted(xs)]


def fig6_text_rows(ev: Evidence, tol: Tolerance) -> list[Claim]:
    """Return the rows of the levels and trends stated in the text of Fig. 6."""
    rel_path = "fig6/results.csv"
    data = ratios(ev.rows(rel_path))
    out = []
    for variant, paper in (("spec", 83.0), ("gen", 76.0)):
        claim = f"Fig. 6(b): {variant} still serves nearly {paper:g}% at the largest K"
        how = "mean served ratio at the largest K of panel (b)"
        points = curve(data, "b", variant)
        if not points:
            out.append(untested(claim, QUANTITATIVE, how, rel_path))
            continue
        x, ours = points[-1]
        out.append(
            Claim(
                claim,
                QUANTITATIVE,
                how,
                verdicts.level(100 * ours, paper, tol),
                f"{variant} serves {100 * ours:.1f}% at K = {x:g} (paper {paper:g}%)",
                ev.run_of(rel_path),
            )
        )
    for panel, (direction, text) in TRENDS.items():
        claim = f"Fig. 6({panel}): {text}"
        how = "mean served ratio of spec and gen along x: every step in the direction"
        curves = {v: curve(data, panel, v) for v in ("spec", "gen")}
        if not all(curves.values()):
            out.append(untested(claim, QUANTITATIVE, how, rel_path))
            continue
        found = {
            v: verdicts.trend([100 * y for _, y in c], direction, tol)
            for v, c in curves.items()
        }
        shown = "; ".join(
            f"{v}: " + ", ".join(f"{100 * y:.1f}" for _, y in c) + f" ({found[v]})"
            for v, c in curves.items()
        )
        out.append(
            Claim(
                claim,
                QUANTITATIVE,
                how,
                verdicts.combine(found.values()),
                f"served % along x: {shown}",
                ev.run_of(rel_path),
            )
        )
    out += [_bend(ev, data, tol, rel_path, bend) for bend in BENDS]
    return out


# Stated changes of slope: (panel, x where the slope is split, scale of x for
# "per unit", unit, +1 if the rise should be larger above the split, text).
BENDS = (
    ("a", 1e8, 1e8, "100 MHz", -1, "the increase slows when B is larger than 100 MHz"),
    (
        "d",
        0.85,
        0.05,
        "5 points of theta",
        1,
        "the ratio increases faster as theta grows",
    ),
)


def _bend(ev: Evidence, data: dict, tol: Tolerance, rel_path: str, bend) -> Claim:
    """Return the row of a stated change of slope of spec's curve.

    The rise per unit of x below the split point against the rise per unit
    above it (points); the stated direction must hold beyond the zero band.
    """
    panel, split, unit, unit_text, direction, text = bend
    claim = f"Fig. 6({panel}): {text}"
    how = (
        f"spec's rise per {unit_text} up to x = {split:g} against its rise per "
        f"{unit_text} from there to the largest x (pt)"
    )
    points = curve(data, panel, "spec")
    low = [(x, y) for x, y in points if x <= split]
    high = [(x, y) for x, y in points if x >= split]
    if len(low) < 2 or len(high) < 2:
        return untested(claim, QUANTITATIVE, how, rel_path)
    rise_low = 100 * (low[-1][1] - low[0][1]) / ((low[-1][0] - low[0][0]) / unit)
    rise_high = 100 * (high[-1][1] - high[0][1]) / ((high[-1][0] - high[0][0]) / unit)
    return Claim(
        claim,
        QUANTITATIVE,
        how,
        verdicts.dominates([direction * (rise_high - rise_low)], tol),
        f"{rise_low:+.1f} pt per {unit_text} up to {split:g}, {rise_high:+.1f} above",
        ev.run_of(rel_path),
    )


def fig7_trend_row(ev: Evidence, tol: Tolerance) -> Claim:
    """Return the row of "in Figs. 7(a)-(d), trends similar to those in Fig. 6"."""
    rel_path = "fig7/results.csv"
    claim = "Fig. 7(a)-(d): trends similar to those in Fig. 6"
    how = "gen's curve in each panel of Fig. 7 in the direction Fig. 6's text states"
    data = ratios(ev.rows(rel_path))
    found, shown = [], []
    for panel, (direction, _) in TRENDS.items():
        points = curve(data, panel, "gen")
        if points:
            v = verdicts.trend([100 * y for _, y in points], direction, tol)
            found.append(v)
            shown.append(
                f"({panel}) " + ", ".join(f"{100 * y:.1f}" for _, y in points) + f" {v}"
            )
    if not found:
        return untested(claim, QUANTITATIVE, how, rel_path)
    return Claim(
        claim,
        QUANTITATIVE,
        how,
        verdicts.combine(found),
        "gen served % along x: " + "; ".join(shown),
        ev.run_of(rel_path),
    )


def fig8_dominance_rows(ev: Evidence, tol: Tolerance) -> list[Claim]:
    """Return one row per panel of "consistently outperforms ... across B and K"."""
    rel_path = "fig8/results.csv"
    data = ratios(ev.rows(rel_path))
    out = []
    for panel, a in (("a", "spec"), ("b", "spec"), ("c", "gen"), ("d", "gen")):
        claim = (
            f"Fig. 8({panel}): {a} consistently outperforms equal splits (r=5,10,20)"
        )
        how = "A - B at every x value and every r (pt), not only on average"
        diffs, worst = [], None
        for r in (5, 10, 20):
            for x, va, vb in paired(data, panel, a, f"{a}-eq{r}"):
                diffs.append(100 * (va - vb))
                if worst is None or diffs[-1] < worst[0]:
                    worst = (diffs[-1], r, x)
        if not diffs or worst is None:
            out.append(untested(claim, QUANTITATIVE, how, rel_path))
            continue
        above = sum(1 for d in diffs if tol.sign(d) > 0)
        out.append(
            Claim(
                claim,
                QUANTITATIVE,
                how,
                verdicts.dominates(diffs, tol),
                f"A above B by more than {tol.zero_band:g} pt at {above} of "
                f"{len(diffs)} (r, x) points; smallest {worst[0]:+.1f} pt at "
                f"r={worst[1]}, x={worst[2]:g}",
                ev.run_of(rel_path),
            )
        )
    return out


def fig1_row(tol: Tolerance) -> Claim:
    """Return the row of Fig. 1's 88.94% loading share, from the default profile."""
    from instances.generators import profile

    name = profile.DEFAULT
    data = json.loads(profile.path(name).read_text())
    share = 100 * profile.loading_share(profile.load(name))
    hdd = 100 * profile.loading_share(profile.load("rtx4090-hdd"))
    root = Path(__file__).resolve().parents[1]
    source = profile.path(name).resolve().relative_to(root)
    return Claim(
        "Fig. 1: loading is on average 88.94% of total latency (ResNets, batch 32)",
        QUANTITATIVE,
        "share of loading in load + compute of ResNet-18/34/50 at batch 32 on the "
        "default profile (tests/test_calibration.py recomputes it)",
        verdicts.level(share, 88.94, tol),
        f"{share:.2f}% on {name} (disk {data['disk_bytes_per_s'] / 1e9:.2f} GB/s; "
        f"calibrated to this number, so this checks the calibration, not the "
        f"paper); the cold-HDD reading gives {hdd:.1f}%",
        f"{source}: profile file",
    )


def rows(ev: Evidence, tol: Tolerance) -> list[Claim]:
    """Return every figure row, in the paper's order."""
    gains = gain_rows(ev, tol)

    def of(fig: str) -> list[Claim]:
        return [c for c in gains if c.claim.startswith(f"Fig. {fig}(")]

    return [
        fig1_row(tol),
        *of("6"),
        *fig6_text_rows(ev, tol),
        *of("7"),
        fig7_trend_row(ev, tol),
        *of("8"),
        *fig8_dominance_rows(ev, tol),
        *of("9"),
    ]
