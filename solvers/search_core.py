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

from typing import TYPE_CHECKING

import numpy as np

from instances.schedule import Schedule
from instances.timing import effective_deadline
from solvers.costs import cost_table, model_batches
from solvers.dp import min_plus, prune, shifted_rows

if TYPE_CHECKING:
    from instances.model import Instance
    from solvers.result import Options

DENSE_LIMIT = 400
"""Most candidate models kept (their load matrix is dense, (n+1)^2 floats)."""

NEIGHBOURS = 6
"""Size of each candidate's granular neighbourhood."""

GRANULAR = 100
"""Above this many candidates, the order DP's full orders add only near models."""

CACHE_LIMIT = 200_000
"""Profiles cached before the cache is cleared (memory guard)."""


def _pool(instance: Instance, active: np.ndarray) -> np.ndarray:
    """Return the candidate models kept when more than DENSE_LIMIT are requested.

    The score of model i is the rate at which it serves all its users after a
    cold load, |K_i| / (V(i) + sum of their uploads + mu_i |K_i| + beta_i
    ceil(|K_i| / b_i)), computed for every model at once; ties keep the lower
    index. The pool is the DENSE_LIMIT best.
    """
    if len(active) <= DENSE_LIMIT:
        return active
    count = np.bincount(instance.user_model, minlength=instance.num_models)
    upload = np.bincount(
        instance.user_model, weights=instance.upload_s, minlength=instance.num_models
    )
    mu = np.array([m.mu_s for m in instance.models])
    beta = np.array([m.beta_s for m in instance.models])
    cap = np.array([m.max_batch for m in instance.models])
    time = instance.loading.time(instance.model_bytes) + upload + mu * count
    time = time + beta * -(-count // cap)
    rate = (count / time)[active]
    return np.sort(active[np.argsort(-rate, kind="stable")[:DENSE_LIMIT]])


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


def min_plus_full(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Return out[m] = min_k a[k] + b[m - k] (no argmins), in a few array operations.

    With b the shorter side, row j of ``solvers.dp.shifted_rows`` is a shifted
    right by j, so out is the column minimum of those rows plus b[j]:
    B x (A + B - 1) sums and no Python loop.
    """
    if len(b) > len(a):
        a, b = b, a  # b is the shorter side
    return (shifted_rows(a, len(b)) + b[:, None]).min(axis=0)


class Problem:
    """The candidate models of an instance, their tables, loads and profiles.

    Candidates are indexed 0..n-1 (``models[t]`` is the instance index). Only
    models with a user and c_i(1) within T take part (at most DENSE_LIMIT of them,
    the best by :func:`_pool`, plus the models of ``keep``: those of the starting
    schedules, so that each is a route of the search). ``granular_inserts``
    limits inserts to the models near the route when there are more than
    GRANULAR candidates (the rule before 2026-12-03; ``search_moves.best_set_move``).
    """

    def __init__(
        self,
        instance: Instance,
        options: Options,
        keep: list[int] | tuple = (),
        granular_inserts: bool = False,
    ) -> None:
        self.instance, self.options = instance, options
        self.granular_inserts = granular_inserts
        self.limit = effective_deadline(instance.deadline_s)
        models, tables = [], []
        active = instance.active_models()
        pool = np.union1d(_pool(instance, active), keep)
        self.complete = len(pool) == len(active)  # no model left out of the pool
        for i in pool.astype(np.int64):
            table = prune(cost_table(instance, int(i), options.bandwidth), self.limit)
            if len(table) > 1:
                models.append(int(i))
                tables.append(table)
        self.models = np.array(models, dtype=np.int64)
        self.tables = tables
        # c_t with n = 0 barred: a model of a route serves at least one user.
        self._served_only = [np.concatenate(([np.inf], t[1:])) for t in tables]
        self.n = len(self.models)
        self.load = load_matrix(instance, self.models, options.reuse_blocks)
        self.end = self.n  # the column of the schedule's end
        self.index = {int(i): t for t, i in enumerate(self.models)}
        self._cache: dict[int, np.ndarray] = {0: np.array([0.0])}
        self.neighbours = self._neighbours()

    def _neighbours(self) -> np.ndarray:
        """Return, per candidate, the NEIGHBOURS cheapest to switch with, nearest first.

        Nearness is the load both ways, L(a, b) + L(b, a) (PyVRP's granular
        neighbourhoods use the arc cost the same way).
        """
        n = self.n
        k = min(NEIGHBOURS, max(n - 1, 0))
        if k == 0:
            return np.zeros((n, 0), dtype=np.int64)
        both = self.load[1:, :n] + self.load[1:, :n].T
        np.fill_diagonal(both, np.inf)
        near = np.argpartition(both, k - 1, axis=1)[:, :k]
        rank = np.argsort(np.take_along_axis(both, near, 1), axis=1, kind="stable")
        return np.take_along_axis(near, rank, 1)

    def upper_bound(self) -> int:
        """Return a proven bound on the users served: a knapsack with cheapest loads.

        Every used model i is loaded after some other model or the empty GPU, so
        the time of a schedule is at least sum over used i of c_i(n_i) + Lmin_i,
        Lmin_i = min_{a != i} L(a, i), and the first pays L(empty, i) - Lmin_i
        more. The most users whose least such sum meets T bounds every schedule.
        Valid only when every model that can serve anyone is a candidate (no pool
        cut): the caller checks ``complete``.
        """
        n = self.n
        into = self.load[:, :n].copy()
        into[1:][np.arange(n), np.arange(n)] = np.inf  # no model follows itself
        cheapest = into.min(axis=0)
        prof = np.array([0.0])
        for t, table in enumerate(self.tables):
            paid = np.concatenate(([0.0], table[1:] + cheapest[t]))
            prof = prune(min_plus_full(prof, paid), self.limit)
        # The first used model loads from the empty GPU: at least this much more.
        first = float(np.min(self.load[0, :n] - cheapest)) if n else 0.0
        prof[1:] += max(first, 0.0)
        return len(prune(prof, self.limit)) - 1

    # -- profiles -------------------------------------------------------------
    def extend(self, prof: np.ndarray, t: int) -> np.ndarray:
        """Return K_{S + t} from K_S: min-plus with c_t at n >= 1, pruned at T."""
        return prune(min_plus_full(prof, self._served_only[t]), self.limit)

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
                nxt = self.extend(prof, t)
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
        out = self.extend(base, extra)
        self._cache[key | 1 << extra] = out
        return out

    def leave_one_out(self, order: list[int]) -> list[np.ndarray]:
        """Return K_{S - order[i]} for every i, from prefix and suffix profiles."""
        n = len(order)
        pre, suf = [np.array([0.0])], [np.array([0.0])]
        for t in order:
            pre.append(self.extend(pre[-1], t))
        for t in reversed(order):
            suf.append(self.extend(suf[-1], t))
        out = []
        for i in range(n):
            a, b = pre[i], suf[n - 1 - i]
            out.append(prune(min_plus_full(a, b), self.limit))
        return out

    def removal_profiles(self, order: list[int], key: int) -> list[np.ndarray]:
        """Return K_{S - order[i]} for every i: cached, else all by leave_one_out."""
        cached = [self._cache.get(key ^ 1 << t) for t in order]
        if all(p is not None for p in cached):
            return [p for p in cached if p is not None]
        out = self.leave_one_out(order)
        for t, prof in zip(order, out, strict=True):
            self._cache[key ^ 1 << t] = prof
        return out

    def near(self, order: list[int], neighbours: np.ndarray) -> np.ndarray:
        """Return the candidates a full order adds: all, or near the route if many."""
        if self.n <= GRANULAR or not order:
            return np.arange(self.n)
        return np.unique(neighbours[order])

    def insert_pool(self, order: list[int], neighbours: np.ndarray) -> list[int]:
        """Return the candidates inserts try: all, or with ``granular_inserts`` near."""
        if self.granular_inserts:
            return self.near(order, neighbours).tolist()
        return list(range(self.n))

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
