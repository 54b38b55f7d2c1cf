"""Small statistics of the experiments: CIs, gains, SGM, profiles, exponents.

Pure numpy, no scipy. Conventions (docs/experiments.md):

- 95% CI of a mean: mean +- 1.96 s / sqrt(n) (normal approximation; the figures
  average 50-1,000 realizations per point).
- Improvement of A over B on a panel: the relative gain mean(A) / mean(B) - 1 at
  each x point, averaged over the x points (points where mean(B) = 0 are skipped).
- Shifted geometric mean: exp(mean(log(t + s))) - s, unsolved runs charged the
  time limit.
- Performance profile (Dolan & More 2002): rho_m(tau) = share of instances with
  r = t_m / min_m' t_m' <= tau; failures have r = inf.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

Z95 = 1.959963984540054


def mean_ci(values: Sequence[float]) -> tuple[float, float]:
    """Return (mean, half-width of the normal 95% CI); half-width 0 for n < 2."""
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        return math.nan, math.nan
    if x.size < 2:
        return float(x.mean()), 0.0
    return float(x.mean()), float(Z95 * x.std(ddof=1) / math.sqrt(x.size))


def improvement(better: Sequence[float], baseline: Sequence[float]) -> float:
    """Return the mean over x points of better / baseline - 1 (per-point means given).

    Points with a zero or missing (NaN) mean on either side are skipped; NaN if
    none is left.
    """
    a, b = np.asarray(better, dtype=float), np.asarray(baseline, dtype=float)
    keep = np.isfinite(a) & np.isfinite(b) & (b > 0)
    return float(np.mean(a[keep] / b[keep] - 1)) if keep.any() else math.nan


def shifted_geometric_mean(
    times: Sequence[float], shift: float = 10.0, limit: float | None = None
) -> float:
    """Return exp(mean(log(t + shift))) - shift, with inf/NaN times charged ``limit``.

    Raises
    ------
    ValueError
        If a time is unsolved (inf or NaN) and no ``limit`` is given.
    """
    t = np.asarray(times, dtype=float)
    unsolved = ~np.isfinite(t)
    if unsolved.any():
        if limit is None:
            raise ValueError("shifted_geometric_mean: unsolved runs need a limit")
        t = np.where(unsolved, limit, t)
    if limit is not None:
        t = np.minimum(t, limit)
    return float(np.exp(np.mean(np.log(t + shift))) - shift)


def performance_profile(
    times: Mapping[str, Sequence[float]], taus: Sequence[float] | None = None
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Return (taus, {method: rho(tau)}) of a Dolan-More performance profile.

    ``times[m][p]`` is method m's time on problem p (the same problems for every
    method, in the same order); inf or NaN = failed. Ratios are taken against
    the best time on each problem; problems no method solved count as failed
    for all. Default taus: every distinct finite ratio (the step points), from 1.
    """
    names = list(times)
    t = np.array([np.asarray(times[m], dtype=float) for m in names])
    t = np.where(np.isfinite(t), t, np.inf)
    best = t.min(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratios = np.where(np.isfinite(t), t / np.where(best > 0, best, 1.0), np.inf)
    # Exact ties at zero time count as ratio 1.
    ratios = np.where((t == best) & np.isfinite(t), 1.0, ratios)
    if taus is None:
        steps = np.unique(np.concatenate(([1.0], ratios[np.isfinite(ratios)])))
    else:
        steps = np.asarray(taus, dtype=float)
    rho = {
        m: (ratios[i][None, :] <= steps[:, None]).mean(axis=1)
        for i, m in enumerate(names)
    }
    return steps, rho


def fitted_exponent(x: Sequence[float], y: Sequence[float]) -> float:
    """Return the least-squares slope of log y on log x (y ~ x^slope).

    Non-positive or non-finite points are left out; NaN with fewer than two
    distinct x values left.
    """
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = np.isfinite(xs) & np.isfinite(ys) & (xs > 0) & (ys > 0)
    if np.unique(xs[keep]).size < 2:
        return math.nan
    slope, _ = np.polyfit(np.log(xs[keep]), np.log(ys[keep]), 1)
    return float(slope)
