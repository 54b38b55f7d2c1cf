"""Exact search over model sets and orders (Held-Karp), any common-deadline instance.

With a common deadline T a schedule is an order of distinct used models with
counts n_i >= 1, and its time is sum_i c_i(n_i) + the loads along the order
(docs/exact-methods.md). The two parts separate for a fixed set S:

* Held-Karp: L*(S, j) = least total load of visiting exactly the models of S,
  each once, from an empty GPU and ending at j (loads from
  ``instance.new_bytes(reuse)``); L*(S) = min_j L*(S, j).
* Count knapsack: K_S[m] = least sum of c_i(n_i) over i in S with every
  n_i >= 1 and sum n_i = m, built by min-plus convolution along a depth-first
  walk over subsets (one convolution per subset, O(I K) memory).

OPT = max over S of the largest m with K_S[m] + L*(S) meeting T. Work is
O(2^I I^2) for Held-Karp plus O(2^I K^2) for the knapsacks; more than
``MAX_MODELS`` requested models are refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from instances.schedule import Schedule
from instances.timing import fits
from solvers.costs import cost_table, model_batches
from solvers.dp import min_plus, prune
from solvers.result import Options, Outcome, Status

if TYPE_CHECKING:
    from instances.model import Instance

MAX_MODELS = 16


def supports(instance: Instance, options: Options) -> str | None:
    """Return None for common-deadline instances of at most 16 requested models."""
    if instance.has_user_deadlines:
        return (
            "per-user deadlines are not supported: the reduction assumes a common "
            "deadline"
        )
    active = len(instance.active_models())
    if active > MAX_MODELS:
        return (
            f"enumerates subsets of the requested models and is limited "
            f"to {MAX_MODELS}; this instance requests {active}"
        )
    return None


def held_karp(load_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return L*(S, j) and the predecessor of j on a least path.

    ``load_s`` is (I+1) x I: row 0 from the empty GPU, row a+1 after model a.
    Both results are 2^I x I (inf / -1 where j is not in S); subsets are bit
    masks over the I models. Vectorised per (subset size, last model).
    """
    num = load_s.shape[1]
    masks = np.arange(1 << num)
    best = np.full((1 << num, num), np.inf)
    parent = np.full((1 << num, num), -1, dtype=np.int64)
    for j in range(num):
        best[1 << j, j] = load_s[0, j]
    popcount = np.array([s.bit_count() for s in range(1 << num)])
    for size in range(2, num + 1):
        layer = masks[popcount == size]
        for j in range(num):
            subsets = layer[(layer >> j) & 1 == 1]
            # L(S \ {j}, i) is inf for i outside S \ {j}, so the min runs over it.
            paths = best[subsets ^ (1 << j)] + load_s[1:, j]
            parent[subsets, j] = paths.argmin(axis=1)
            best[subsets, j] = paths[np.arange(len(subsets)), parent[subsets, j]]
    return best, parent


def solve(instance: Instance, options: Options) -> Outcome:
    """Return an optimal schedule of a common-deadline instance."""
    active = [int(i) for i in instance.active_models()]
    num = len(active)
    deadline = instance.deadline_s
    moved = instance.new_bytes(options.reuse_blocks)
    load_s = instance.loading.time(moved[np.ix_([0, *(np.add(active, 1))], active)])
    paths, parent = held_karp(load_s)
    least_load = paths.min(axis=1) if num else np.zeros(1)
    costs = [cost_table(instance, i, options.bandwidth) for i in active]

    best = (0, 0)  # (users served, subset)

    def walk(t: int, subset: int, knapsack: np.ndarray) -> None:
        """Decide models t.. given the knapsack of the models already in ``subset``."""
        nonlocal best
        if t == num:
            if subset:
                ok = np.flatnonzero(fits(knapsack + least_load[subset], deadline))
                if len(ok) and ok[-1] > best[0]:
                    best = (int(ok[-1]), subset)
            return
        walk(t + 1, subset, knapsack)
        grown = prune(min_plus(knapsack, costs[t], start=1)[0], deadline)
        if np.isfinite(grown[-1]):
            walk(t + 1, subset | 1 << t, grown)

    walk(0, 0, np.array([0.0]))
    served, subset = best

    # Counts: redo the knapsack of the chosen subset, keeping argmins.
    members = [t for t in range(num) if subset >> t & 1]
    knapsack, args = np.array([0.0]), []
    for t in members:
        knapsack, arg = min_plus(knapsack, costs[t], start=1)
        args.append(arg)
    counts, m = {}, served
    for t, arg in zip(reversed(members), reversed(args), strict=True):
        counts[t] = int(arg[m])
        m -= counts[t]
    # Order: walk the Held-Karp predecessors back from the best last model.
    order = []
    if subset:
        last = int(paths[subset].argmin())
        while subset:
            order.append(last)
            subset, last = subset ^ (1 << last), int(parent[subset, last])
    batches = [
        (active[t], users)
        for t in reversed(order)
        for users in model_batches(instance, active[t], counts[t], options.bandwidth)
    ]
    schedule = Schedule.from_indices(
        instance, batches, options.reuse_blocks, options.bandwidth
    )
    return Outcome(schedule, Status.OPTIMAL, bound=served, info={"models": num})
