"""Bounds for the compact model ``cpsat-seq`` from the cheapest way into each model.

A used model i is entered by exactly one arc, from the depot (the empty GPU) or
from another used model, so its load on entry is at least

.. math:: e_i = \\min\\big(L(0, i), \\min_{j \\ne i} L(j, i)\\big),

the minimum over the candidate models j (a superset of the used ones). The total
load of any order is then at least :math:`\\sum_{i\\,\\mathrm{used}} e_i`, and

.. math:: \\max \\sum_i n_i \\quad \\text{s.t.} \\quad
          \\sum_i \\big(c_i(n_i) + e_i [n_i > 0]\\big) \\le T

is a multiple-choice knapsack whose optimum bounds P2 from above
(:func:`knapsack_bound`, exact by a min-plus convolution over the served count).
Both are computed on the optimistic rounding (durations down, deadline up), so
they bound the continuous problem. The compact model gets the first as a linear
row (``cpsat_seq.entry_loads``) and the second as a cap on its objective.
"""

from __future__ import annotations

import numpy as np

from solvers.dp import min_plus


def cheapest_entry(load: np.ndarray, models: list[int]) -> np.ndarray:
    """Return e_a, the least load into ``models[a]`` from the depot or another one.

    Parameters
    ----------
    load
        (I + 1) x I load times in units: row 0 the empty GPU, row j + 1 model j.
    models
        The candidate models.
    """
    if not models:
        return np.zeros(0, dtype=np.int64)
    idx = np.asarray(models)
    sub = load[np.concatenate(([0], idx + 1))][:, idx].astype(np.int64)  # rows: 0, j
    big = np.iinfo(np.int64).max
    sub[1 + np.arange(len(idx)), np.arange(len(idx))] = big  # no self-entry
    return sub.min(axis=0)


def knapsack_bound(tables: list[np.ndarray], entry: np.ndarray, deadline: int) -> int:
    """Return the most users any schedule can serve by the knapsack relaxation.

    ``tables[a][n]`` = c_a(n) in units (n = 0..n̄_a); model a pays
    c_a(n) + e_a for n >= 1. The profile P[m] = least total cost of serving m
    users is the min-plus convolution of the per-model profiles; the bound is
    the largest m with P[m] <= T.
    """
    profile = np.zeros(1)
    for table, e in zip(tables, entry, strict=True):
        own = np.asarray(table, dtype=float) + float(e)
        own[0] = 0.0
        profile = min_plus(profile, own)[0]
        # Counts whose cost already exceeds T can never be part of a bound.
        fits = np.flatnonzero(profile <= deadline)
        profile = profile[: fits[-1] + 1]
    return int(np.flatnonzero(profile <= deadline)[-1])
