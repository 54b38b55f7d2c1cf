"""The data and the exact sub-solvers of ``search`` (docs/search.md).

A solution is a *route*: the used models in the order they run, each serving its
n_i >= 1 cheapest users in consecutive batches (Theorem 2.1). For a route R with
model set S its time is

    time(R, n) = sum_{i in S} c_i(n_i) + load(R),   load(R) = sum of L(a, b) over arcs,

and the counts that serve the most users separate from the order: with the
knapsack profile K_S[m] = least sum of c_i(n_i) over i in S with every n_i >= 1
and sum n_i = m (min-plus convolution of the tables, ``solvers.dp.min_plus``), the
route serves m*(R) = max{m : K_S[m] + load(R) meets T}. Profiles are cached by
the bit mask of S, so a route move (same set) costs one load sum, and inserting a
model one min-plus convolution.

:meth:`Problem.order_dp` solves the other subproblem exactly: for a fixed order of
candidate models, the best subsequence and counts (docs/search.md, section 3).
"""

from __future__ import annotations

import numpy as np

from instances.model import DEADLINE_RTOL, Instance
from instances.schedule import Schedule
from solvers.costs import cost_table, model_batches
from solvers.dp import min_plus, prune
from solvers.result import Options

DENSE_LIMIT = 1500
"""Most candidate models kept (their load matrix is dense, (n+1)^2 floats)."""

CACHE_LIMIT = 200_000
"""Profiles cached before the cache is cleared (memory guard)."""


def _pool(instance: Instance, tables: list[np.ndarray], active: np.ndarray) -> list:
    """Return the positions of the candidate models kept when there are too many.

    The score of model i is its best rate n / (cold load + c_i(n)): the users per
    second it serves when loaded alone. Ties keep the lower index.
    """
    if len(active) <= DENSE_LIMIT:
        return list(range(len(active)))
    cold = instance.loading.time(instance.model_bytes[active])
    rate = np.array(
        [np.max(np.arange(1, len(t)) / (cold[a] + t[1:])) for a, t in enumerate(tables)]
    )
    keep = np.sort(np.argsort(-rate, kind="stable")[:DENSE_LIMIT])
    return [int(a) for a in keep]


def load_matrix(instance: Instance, models: np.ndarray, reuse: bool) -> np.ndarray:
    """Return the (n+1) x (n+1) load times among ``models``, in seconds.

    Row 0 is the empty GPU, row a+1 model ``models[a]``; column a is
    ``models[a]`` and column n the end of the schedule (load 0). Only blocks that
    two or more of ``models`` hold enter the product, so neither an I x I nor an
    I x J matrix of the whole instance is built.
    """
    n = len(models)
    full = instance.model_bytes[models]
    if reuse and n:
        blocks = [instance.model_blocks[i] for i in models]
        flat = np.concatenate(blocks)
        shared = np.flatnonzero(np.bincount(flat) >= 2)
        column = np.full(instance.num_blocks, -1, dtype=np.int64)
        column[shared] = np.arange(len(shared))
        sub = np.zeros((n, len(shared)))
        rows = np.repeat(np.arange(n), [len(b) for b in blocks])
        hit = column[flat] >= 0
        sub[rows[hit], column[flat][hit]] = 1.0
        weighted = sub * instance.block_sizes[shared]
        moved = np.maximum(full[None, :] - weighted @ sub.T, 0.0)
    else:
        moved = np.broadcast_to(full, (n, n)).copy()
    np.fill_diagonal(moved, 0.0)
    out = np.zeros((n + 1, n + 1))
    out[0, :n] = full
    out[1:, :n] = moved
    return instance.loading.time(out)


class Problem:
    """The candidate models of an instance, their tables, loads and profiles.

    Candidates are indexed 0..n-1 (``models[t]`` is the instance index). Only
    models with a user and c_i(1) within T take part (at most DENSE_LIMIT of them,
    the best by :func:`_pool`).
    """

    def __init__(self, instance: Instance, options: Options) -> None:
        self.instance, self.options = instance, options
        self.limit = instance.deadline_s * (1.0 + DEADLINE_RTOL)
        models, tables = [], []
        for i in instance.active_models():
            table = prune(cost_table(instance, int(i), options.bandwidth), self.limit)
            if len(table) > 1:
                models.append(int(i))
                tables.append(table)
        keep = _pool(instance, tables, np.array(models, dtype=np.int64))
        self.models = np.array([models[a] for a in keep], dtype=np.int64)
        self.tables = [tables[a] for a in keep]
        self.n = len(self.models)
        self.load = load_matrix(instance, self.models, options.reuse_blocks)
        self.end = self.n  # the column of the schedule's end
        self.index = {int(i): t for t, i in enumerate(self.models)}
        self._cache: dict[int, np.ndarray] = {0: np.array([0.0])}

    # -- profiles -------------------------------------------------------------
    def profile(self, members: list[int]) -> np.ndarray:
        """Return K_S for S = ``members`` (any order), building missing prefixes."""
        key = 0
        for t in members:
            key |= 1 << t
        found = self._cache.get(key)
        if found is not None:
            return found
        if len(self._cache) > CACHE_LIMIT:
            self._cache = {0: self._cache[0]}
        prof, key = self._cache[0], 0
        for t in sorted(members):  # canonical order: prefixes are shared
            key |= 1 << t
            nxt = self._cache.get(key)
            if nxt is None:
                nxt = prune(min_plus(prof, self.tables[t], start=1)[0], self.limit)
                self._cache[key] = nxt
            prof = nxt
        return prof

    def profile_with(self, key: int, members: list[int], extra: int) -> np.ndarray:
        """Return K_{S + extra} from K_S (``key`` is the mask of ``members``)."""
        found = self._cache.get(key | 1 << extra)
        if found is not None:
            return found
        base = self._cache.get(key)
        if base is None:
            base = self.profile(members)
        out = prune(min_plus(base, self.tables[extra], start=1)[0], self.limit)
        self._cache[key | 1 << extra] = out
        return out

    # -- routes ---------------------------------------------------------------
    def route_load(self, route: list[int]) -> float:
        """Return the total load time of ``route`` from an empty GPU."""
        if not route:
            return 0.0
        rows = np.array(route[:-1], dtype=np.int64) + 1
        return float(self.load[0, route[0]] + self.load[rows, route[1:]].sum())

    def served(self, prof: np.ndarray, load: float, size: int) -> tuple[int, float]:
        """Return (m*, time at m*) of a profile and a load; (-1, inf) if none fits.

        K_S is inf below m = |S| = ``size`` and non-decreasing from there (drop the
        dearest user of a model serving two or more), so m* is a binary search.
        """
        m = size - 1 + int(np.searchsorted(prof[size:], self.limit - load, "right"))
        if m < size:
            return -1, np.inf
        return m, float(prof[m] + load)

    def score(self, m: int, time: float) -> float:
        """Return the scalar objective: m*, then less time (in [m - 0.5, m])."""
        return m - 0.5 * time / self.limit if m >= 0 else -np.inf

    def counts(self, route: list[int], m: int) -> dict[int, int]:
        """Return the counts n_t of ``route`` that serve m users in least time."""
        prof, args = np.array([0.0]), []
        for t in route:
            prof, arg = min_plus(prof, self.tables[t], start=1)
            args.append(arg)
        out = {}
        for t, arg in zip(reversed(route), reversed(args), strict=True):
            out[t] = int(arg[m])
            m -= out[t]
        return out

    def schedule(self, route: list[int], m: int) -> Schedule:
        """Return the schedule of ``route`` serving m users."""
        counts = self.counts(route, m) if route and m > 0 else {}
        batches = []
        for t in route:
            if counts.get(t, 0) > 0:
                model = int(self.models[t])
                for users in model_batches(
                    self.instance, model, counts[t], self.options.bandwidth
                ):
                    batches.append((model, users))
        return Schedule.from_indices(
            self.instance, batches, self.options.reuse_blocks, self.options.bandwidth
        )

    def route_of(self, schedule: Schedule) -> list[int]:
        """Return the candidates of ``schedule`` in order of first batch."""
        route: list[int] = []
        for batch in schedule.batches:
            t = self.index.get(self.instance.model_index[batch.model])
            if t is not None and t not in route:
                route.append(t)
        return route

    # -- the order DP -----------------------------------------------------------
    def order_dp(self, order: list[int]) -> list[int]:
        """Return the best subsequence of ``order`` (models used, in that order).

        F[j][m] = least time with order[j] the last used model and m users served:
        F[j] = min_plus(min(start_j, min_{j' < j} F[j'] + L(order[j'], order[j])),
        c_{order[j]}, n >= 1). O(len(order)^2 M + M sum |K_i|), M the longest
        profile. Ties keep the earliest predecessor.
        """
        if not order:
            return []
        size = 1 + sum(len(self.tables[t]) - 1 for t in order)
        f = np.full((len(order), size), np.inf)
        pred = np.full((len(order), size), -1, dtype=np.int64)
        rows = np.array(order) + 1
        cnt = np.zeros((len(order), size), dtype=np.int64)
        best = (-1, np.inf, -1)  # (m, time, j)
        for j, t in enumerate(order):
            into = np.full(size, np.inf)
            into[0] = self.load[0, t]
            src = np.full(size, -1, dtype=np.int64)
            if j:
                via = f[:j] + self.load[rows[:j], t][:, None]
                arg = via.argmin(axis=0)
                low = via[arg, np.arange(size)]
                better = low < into
                into[better], src[better] = low[better], arg[better]
            into = prune(into, self.limit)
            out, arg_n = min_plus(into, self.tables[t], start=1)
            out = prune(out, self.limit)
            pick = np.flatnonzero(np.isfinite(out))
            f[j, pick] = out[pick]
            cnt[j, pick] = arg_n[pick]
            pred[j, pick] = src[pick - arg_n[pick]]
            m = int(pick[-1]) if len(pick) else -1
            if m > best[0] or (m == best[0] and out[m] < best[1]):
                best = (m, float(out[m]) if m >= 0 else np.inf, j)
        m, _, j = best
        chosen = []
        while m > 0 and j >= 0:
            chosen.append(order[j])
            j, m = int(pred[j, m]), m - int(cnt[j, m])
        return chosen[::-1]
