"""Brute-force checks of the paper's structural theorems on tiny instances.

Theorem 2 (2.1, 2.2), Theorem 3 and Corollary 1 say that an optimal schedule X*
"must satisfy" a condition. Two readings differ and we test both:

* **some**: SOME optimal schedule satisfies the condition, so imposing it loses
  nothing (the condition is *without loss of optimality*);
* **every**: EVERY optimal schedule satisfies it (a *necessary* condition, the
  literal wording).

:func:`check` enumerates every feasible schedule of a tiny instance (ordered
sequences of batches, each a set of users of one model, no contiguity or
sorting assumed, as ``bruteforce`` does), keeps those of maximum served count,
and evaluates each condition on every one of them. The enumeration reuses only
the timing primitives of :mod:`instances` (upload, load, compute, ``meets``).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from instances.structure import analyze
from instances.timing import OPTIMAL, Bandwidth, meets

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from instances.model import Instance

# A schedule as model and user indices: ((model, (user, ...)), ...).
IndexSchedule = tuple[tuple[int, tuple[int, ...]], ...]

CONDITIONS = (
    "thm2.1_contiguous",
    "thm2.1_ascending",
    "thm2.1",
    "thm2.2",
    "thm3",
    "cor1",
    "all",
)
"""Names of the checked conditions; ``thm2.1`` is the conjunction of its two parts,
``all`` the conjunction of every condition (what Algorithm 2 relies on)."""

MAX_USERS = 7
"""Largest instance :func:`check` accepts (the enumeration grows like K! 2^K)."""


@dataclass(frozen=True, slots=True)
class TheoremCheck:
    """The optimum of a tiny instance and, per condition, the two readings.

    ``some[c]`` is whether some optimal schedule satisfies condition ``c``;
    ``every[c]`` whether all do. ``num_optimal`` counts the
    optimal schedules (the empty schedule counts when nobody can be served).
    """

    optimum: int
    num_optimal: int
    some: dict[str, bool]
    every: dict[str, bool]


def _runs(labels: Sequence) -> list:
    """Return the labels of the maximal runs of equal consecutive labels."""
    return [label for label, _ in itertools.groupby(labels)]


def _contiguous(labels: Sequence) -> bool:
    runs = _runs(labels)
    return len(runs) == len(set(runs))


def conditions(
    instance: Instance, schedule: IndexSchedule, bandwidth: Bandwidth = OPTIMAL
) -> dict[str, bool]:
    """Return whether ``schedule`` satisfies each condition of :data:`CONDITIONS`.

    Clusters and shared depths l_i come from :func:`instances.structure.analyze`
    on the instance's active models (the BLS structure of Definition 2).
    """
    models = [i for i, _ in schedule]
    p = instance.user_p
    out: dict[str, bool] = {"thm2.1_contiguous": _contiguous(models)}

    # 2.1 second part: a model serves its cheapest users, in batches of ascending p.
    ascending = True
    for i in set(models):
        batches = [users for m, users in schedule if m == i]
        served = [k for users in batches for k in users]
        rest = np.setdiff1d(instance.users_of(i), served)
        if len(rest) and p[served].max() > p[rest].min():
            ascending = False
        for a, b in itertools.pairwise(batches):
            if p[list(a)].max() > p[list(b)].min():
                ascending = False
    out["thm2.1_ascending"] = ascending
    out["thm2.1"] = out["thm2.1_contiguous"] and ascending

    # 2.2: in each run of consecutive batches of one model, all but the last are full.
    full = True
    for i, run in itertools.groupby(schedule, key=lambda batch: batch[0]):
        sizes = [len(users) for _, users in run]
        limit = bandwidth.batch_limit(instance.models[i].max_batch)
        full &= all(s == limit for s in sizes[:-1])
    out["thm2.2"] = full

    # Theorem 3 and Corollary 1 use the clusters of the BLS structure.
    cluster_of: dict[int, int] = {}
    depth_of: dict[int, int] = {}
    for c, cluster in enumerate(analyze(instance).clusters):
        for i, depth in zip(cluster.models, cluster.depth, strict=True):
            cluster_of[i], depth_of[i] = c, depth
    clusters = [cluster_of[i] for i in models]
    out["thm3"] = _contiguous(clusters)
    ascending_depth = all(
        depth_of[a] <= depth_of[b]
        for a, b in itertools.pairwise(models)
        if cluster_of[a] == cluster_of[b]
    )
    out["cor1"] = out["thm3"] and ascending_depth
    out["all"] = all(out[c] for c in CONDITIONS if c != "all")
    return out


def enumerate_schedules(
    instance: Instance,
    visit: Callable[[IndexSchedule, int], None],
    reuse_blocks: bool = True,
    bandwidth: Bandwidth = OPTIMAL,
    floor: Callable[[], int] = lambda: 0,
) -> None:
    """Call ``visit(schedule, served)`` on every feasible schedule.

    A batch is appended only if all its users meet their deadline at its end
    (later batches never move earlier ends). A user left unscheduled at time t
    can still be served only if t + its upload + mu + beta of its model meets its
    deadline; branches that cannot reach ``floor()`` served users this way are
    skipped, so a caller that raises its floor to the best value seen visits
    every optimal schedule and few others.
    """
    if instance.num_users > MAX_USERS:
        raise ValueError(
            f"theorem check: at most {MAX_USERS} users, got {instance.num_users}"
        )
    new_bytes = instance.new_bytes(reuse_blocks)
    loading = instance.loading
    deadline = instance.user_deadline
    users_of = [list(instance.users_of(i)) for i in range(instance.num_models)]
    limits = [bandwidth.batch_limit(m.max_batch) for m in instance.models]
    # The least time a user adds to the clock: its upload and a batch of one.
    alone = instance.upload_s + np.array(
        [instance.models[i].compute_time(1) for i in instance.user_model]
    )

    def extend(
        schedule: IndexSchedule, done: frozenset, last: int | None, clock: float
    ) -> None:
        visit(schedule, len(done))
        reachable = sum(
            1
            for k in range(instance.num_users)
            if k not in done and meets(clock + alone[k], deadline[k])
        )
        if len(done) + reachable < floor():
            return
        for i, users in enumerate(users_of):
            free = [k for k in users if k not in done]
            load = loading.time(new_bytes[0 if last is None else last + 1, i])
            for size in range(1, min(limits[i], len(free)) + 1):
                for batch in itertools.combinations(free, size):
                    members = np.array(batch)
                    end = (
                        clock
                        + bandwidth.upload_time(instance, members)
                        + load
                        + instance.models[i].compute_time(size)
                    )
                    if all(meets(end, deadline[k]) for k in batch):
                        extend((*schedule, (i, batch)), done | set(batch), i, end)

    extend((), frozenset(), None, 0.0)


def check(
    instance: Instance, reuse_blocks: bool = True, bandwidth: Bandwidth = OPTIMAL
) -> TheoremCheck:
    """Enumerate every optimal schedule of ``instance`` and test each condition."""
    best = [0]
    state: dict = {"count": 0, "some": {}, "every": {}}

    def reset() -> None:
        state["count"] = 0
        state["some"] = dict.fromkeys(CONDITIONS, False)
        state["every"] = dict.fromkeys(CONDITIONS, True)

    def visit(schedule: IndexSchedule, served: int) -> None:
        if served < best[0]:
            return
        if served > best[0] or state["count"] == 0:
            best[0] = served
            reset()
        state["count"] += 1
        for name, holds in conditions(instance, schedule, bandwidth).items():
            if holds:
                state["some"][name] = True
            else:
                state["every"][name] = False

    enumerate_schedules(instance, visit, reuse_blocks, bandwidth, floor=lambda: best[0])
    return TheoremCheck(best[0], state["count"], state["some"], state["every"])
