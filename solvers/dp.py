"""Exact continuous-time DP for bottom-layer-sharing (BLS) instances.

With a common deadline T, a schedule is a set of used models with counts n_i
whose time is sum_i c_i(n_i) + V(bytes loaded) (``solvers.costs``), and in the
BLS case the least load of a set of models is V(union of their blocks)
(docs/exact-methods.md). Per cluster m, with W_m its shared layers, the union of
the used models is W_m[:l_max] plus each used model's own blocks. So

    OPT = max sum_i n_i   s.t.   sum_i c_i(n_i) + V(union of used models) <= T.

We compute "the least time to serve exactly m users", m = 0..K:

* per cluster, models by ascending depth l_i:
  D[m]   = least sum of c_i(n_i) + V(own_i) over the models seen so far;
  E_i[m] = V(W_m[:l_i]) + V(own_i) + min_{n >= 1} (c_i(n) + D_before_i[m - n]),
  the least time when i is the deepest used model of the cluster;
  C[m]   = min(0 if m == 0, min_i E_i[m]), the cluster's profile;
* the cluster profiles are min-plus convolved.

The answer is the largest m whose least time meets T. Entries that miss T are
dropped as soon as they appear (times only grow), which keeps the arrays short.
Min-plus work is O(K * sum_i |K_i|) = O(K^2) in the worst case.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from instances.schedule import Schedule
from instances.structure import Cluster, analyze
from instances.timing import fits
from solvers.costs import cost_tables, model_batches
from solvers.result import Options, Outcome, Status

if TYPE_CHECKING:
    from collections.abc import Callable

    from instances.model import Instance


def min_plus(
    a: np.ndarray, b: np.ndarray, start: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Return the min-plus convolution of ``a`` and ``b[start:]`` and its argmins.

    ``out[m] = min_{n >= start} a[m - n] + b[n]`` for m = 0..len(a) + len(b) - 2
    (``inf`` where nothing reaches m), and ``arg[m]`` is the minimising n (-1
    where ``out[m]`` is inf). The loop runs over the shorter side, each step
    one whole-array minimum.
    """
    rows = len(b) - start
    if rows > 0 and rows * (len(a) + len(b)) <= _GRID:
        return _min_plus_grid(a, b, start)
    out = np.full(len(a) + len(b) - 1, np.inf)
    arg = np.full(len(out), -1, dtype=np.int64)
    if len(b) - start <= len(a):
        for n in range(start, len(b)):
            seg, view = a + b[n], out[n : n + len(a)]
            better = seg < view
            view[better] = seg[better]
            arg[n : n + len(a)][better] = n
    else:
        ns = np.arange(start, len(b))
        for j in range(len(a)):
            seg, view = a[j] + b[start:], out[j + start : j + len(b)]
            better = seg < view
            view[better] = seg[better]
            arg[j + start : j + len(b)][better] = ns[better]
    return out, arg


# Largest grid (entries) of the one-shot min-plus convolution.
_GRID = 2**16


def _min_plus_grid(
    a: np.ndarray, b: np.ndarray, start: int
) -> tuple[np.ndarray, np.ndarray]:
    """Return what :func:`min_plus` returns, from one grid of every a[m-n] + b[n].

    Row m of the grid holds a[m - n] + b[n] for n = start.. (a view of
    :func:`shifted_rows`, so no index arrays are built). Ties go where the loops
    put them (they update on a strict improvement only): to the least n when the
    loop runs over n, to the greatest n (least m - n) when it runs over ``a``.
    """
    rows, width = len(b) - start, len(a) + len(b) - 1
    grid = shifted_rows(a, rows, start).T + b[start:]  # grid[m, r]: n = start + r
    if rows <= len(a):
        best = grid.argmin(axis=1)
    else:
        best = rows - 1 - grid[:, ::-1].argmin(axis=1)
    out = grid.ravel()[best + np.arange(0, width * rows, rows)]
    best += start
    best[out == np.inf] = -1
    return out, best


def shifted_rows(a: np.ndarray, rows: int, start: int = 0) -> np.ndarray:
    """Return the view S[r, m] = a[m - start - r] (inf outside ``a``; read only).

    Shape rows x (len(a) + start + rows - 1): row r is ``a`` shifted right by
    start + r, a strided view of one padded copy (no index arrays), so a
    min-plus convolution is S plus one column and a minimum.
    """
    left = start + rows - 1  # a[k] sits at padded[k + left]
    padded = np.full(len(a) + left + rows - 1, np.inf)
    padded[left : left + len(a)] = a
    step = padded.strides[0]
    return np.ndarray(
        (rows, len(a) + left),
        buffer=padded,
        offset=(rows - 1) * step,
        strides=(-step, step),
    )


def prune(times: np.ndarray, deadline_s: float) -> np.ndarray:
    """Return ``times`` with entries that miss the deadline set to inf, trimmed.

    Without a late entry before the last fitting one this is a view of
    ``times`` (callers pass fresh arrays and do not write to them).
    """
    ok = fits(times, deadline_s)
    kept = np.flatnonzero(ok)
    if not len(kept):
        return np.full(1, np.inf)
    last = int(kept[-1]) + 1
    if len(kept) == last:
        return times[:last]
    out = times[:last].copy()
    out[~ok[:last]] = np.inf
    return out


def _padded(a: np.ndarray, size: int, fill: float) -> np.ndarray:
    """Return ``a`` extended with ``fill`` to length ``size`` (a copy if extended)."""
    if len(a) >= size:
        return a
    out = np.full(size, fill, dtype=a.dtype)
    out[: len(a)] = a
    return out


def supports(instance: Instance, options: Options) -> str | None:
    """Return None for BLS instances with a common deadline, else why not."""
    if instance.has_user_deadlines:
        return (
            "per-user deadlines are not supported: the reduction assumes a common "
            "deadline"
        )
    structure = analyze(instance, options.reuse_blocks)
    if not structure.is_bls:
        return f"not a bottom-layer-sharing instance: {structure.reason}"
    return None


def _cluster_profile(
    instance: Instance, cluster: Cluster, options: Options
) -> tuple[np.ndarray, Callable[[int], dict[int, int]]]:
    """Return the cluster's profile C[m] and a function giving the counts of C[m]."""
    seconds = instance.loading.time
    deadline = instance.deadline_s
    sizes = instance.block_sizes
    trunk = seconds(np.concatenate(([0.0], np.cumsum(sizes[list(cluster.shared)]))))
    tables = cost_tables(instance, cluster.models, options.bandwidth)
    d = np.array([0.0])
    # The cluster profile and the deepest used model of each entry, grown in place.
    profile = np.full(1 + sum(len(t) - 1 for t in tables), np.inf)
    profile[0] = 0.0
    deepest = np.full(len(profile), -1, dtype=np.int64)  # position t in the cluster
    width = 1
    steps = []  # per model: the argmin n of taking it, and where taking it improved D
    for t, (i, depth) in enumerate(zip(cluster.models, cluster.depth, strict=True)):
        own = seconds(sizes[instance.model_blocks[i][depth:]].sum())
        take, arg = min_plus(d, tables[t], start=1)
        take = prune(take + own, deadline)
        # The cluster profile: model i as the deepest used model.
        e = prune(take + trunk[depth], deadline)
        better = np.flatnonzero(e < profile[: len(e)])
        profile[better], deepest[better] = e[better], t
        width = max(width, len(e))
        # D over the models seen so far: skip i or take it (n >= 1).
        size = max(len(d), len(take))
        take, before = _padded(take, size, np.inf), _padded(d, size, np.inf)
        taken = take < before
        steps.append((arg, taken))
        d = np.where(taken, take, before)
    keep = len(prune(profile[:width], deadline))
    profile, deepest = profile[:keep], deepest[:keep]

    def counts(m: int) -> dict[int, int]:
        """Return {model: n_i} of the profile entry C[m]."""
        out: dict[int, int] = {}
        if m == 0:
            return out
        t = int(deepest[m])
        while m > 0:
            arg, _ = steps[t]
            n = int(arg[m])
            out[cluster.models[t]] = n
            m -= n
            t -= 1  # D before model t: walk back to a model that was taken
            while m > 0 and not steps[t][1][m]:
                t -= 1
            assert t >= 0 or m == 0, "dp backtracking ran past the first model"
        return out

    return profile, counts


def solve(instance: Instance, options: Options) -> Outcome:
    """Return an optimal schedule of a BLS instance (see module docstring)."""
    structure = analyze(instance, options.reuse_blocks)
    deadline = instance.deadline_s
    total = np.array([0.0])
    chain = []  # per cluster: its counts function and the argmin of the convolution
    for cluster in structure.clusters:
        profile, counts = _cluster_profile(instance, cluster, options)
        total, arg = min_plus(total, profile)
        chain.append((counts, arg))
        total = prune(total, deadline)
    served = len(total) - 1  # prune keeps a finite last entry

    # Backtrack: clusters from last to first, then the counts within each cluster.
    used: list[dict[int, int]] = []
    m = served
    for counts, arg in reversed(chain):
        n = int(arg[m])
        used.append(counts(n))
        m -= n
    batches = []
    for cluster, chosen in zip(structure.clusters, reversed(used), strict=True):
        for i in cluster.models:  # ascending depth (Corollary 1)
            if chosen.get(i):
                layout = model_batches(instance, i, chosen[i], options.bandwidth)
                batches += [(i, users) for users in layout]
    schedule = Schedule.from_indices(
        instance, batches, options.reuse_blocks, options.bandwidth
    )
    info = {"clusters": len(structure.clusters), "time_s": float(total[served])}
    return Outcome(schedule, Status.OPTIMAL, bound=served, info=info)
