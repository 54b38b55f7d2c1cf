"""Schedules and the one evaluator that judges every method of the suite.

:func:`evaluate` recomputes the timeline of a schedule from the instance alone
(spec section 2) and checks every constraint of P1, naming each violation by
constraint, batch and user:

=========  ==============================================================
``(3)``    each user is scheduled at most once
``(10d)``  one model per batch: every user of a batch requests its model
``(10c)``  batch size <= max_batch (b_max from GPU memory Q and A_i(b))
``(5)``    bandwidth shares sum to at most 1; with r equal sub-channels,
           at most r users per batch
``(10g)``  bandwidth shares lie in [0, 1]
``(2)``    every scheduled user's batch ends by its deadline (13c)
=========  ==============================================================

plus reference errors (unknown user or model, empty batch) and, for schedule
files, figures the file states that disagree with the recomputation.

The evaluator computes loaded bytes from block-id set differences, on purpose
independently of the matrices the solvers use.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from instances.timing import OPTIMAL, Bandwidth, meets

if TYPE_CHECKING:
    from instances.model import Instance
    from instances.records import Model

SCHEDULE_FORMAT = "partialloading/schedule@1"


@dataclass(frozen=True, slots=True)
class Batch:
    """One batch: the model it runs and its users (ids), in schedule order."""

    model: str
    users: tuple[str, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "users", tuple(self.users))


@dataclass(frozen=True, slots=True)
class Schedule:
    """An ordered list of batches, run back to back from time 0."""

    batches: tuple[Batch, ...] = ()
    reuse_blocks: bool = True
    bandwidth: Bandwidth = OPTIMAL

    def __post_init__(self) -> None:
        object.__setattr__(self, "batches", tuple(self.batches))

    @classmethod
    def from_indices(
        cls,
        instance: Instance,
        batches: list[tuple[int, Any]],
        reuse_blocks: bool = True,
        bandwidth: Bandwidth = OPTIMAL,
    ) -> Schedule:
        """Build a schedule from ``(model index, user indices)`` pairs."""
        return cls(
            tuple(
                Batch(instance.models[i].id, tuple(instance.users[k].id for k in users))
                for i, users in batches
            ),
            reuse_blocks,
            bandwidth,
        )

    @property
    def num_scheduled(self) -> int:
        return sum(len(b.users) for b in self.batches)


@dataclass(frozen=True, slots=True)
class Violation:
    """A violated constraint, with the batch (1-based) and user it concerns."""

    constraint: str
    message: str
    batch: int | None = None
    user: str | None = None

    def __str__(self) -> str:
        where = []
        if self.batch is not None:
            where.append(f"batch {self.batch}")
        if self.user is not None:
            where.append(f"user {self.user}")
        prefix = f"{', '.join(where)}: " if where else ""
        return f"{prefix}{self.constraint} {self.message}"


@dataclass(frozen=True, slots=True)
class BatchTiming:
    """The recomputed timeline of one batch (seconds)."""

    model: str
    users: tuple[str, ...]
    bandwidth_share: tuple[float, ...]
    start_s: float
    upload_s: float
    load_s: float
    compute_s: float
    end_s: float
    loaded_bytes: float


@dataclass(frozen=True, slots=True)
class Evaluation:
    """What the evaluator found: feasibility, users served, timeline, violations."""

    served: int
    timeline: tuple[BatchTiming, ...]
    violations: tuple[Violation, ...] = field(default=())

    @property
    def feasible(self) -> bool:
        return not self.violations

    @property
    def loaded_bytes(self) -> float:
        return sum(b.loaded_bytes for b in self.timeline)

    @property
    def makespan_s(self) -> float:
        return self.timeline[-1].end_s if self.timeline else 0.0


def evaluate(instance: Instance, schedule: Schedule) -> Evaluation:
    """Recompute ``schedule`` on ``instance`` and check every constraint of P1.

    Returns
    -------
    Evaluation
        ``served`` counts the users whose batch meets their deadline (on an
        infeasible schedule this is informative only); ``violations`` names every
        violated constraint.
    """
    violations: list[Violation] = []
    bandwidth = schedule.bandwidth
    seen: dict[str, int] = {}
    timeline: list[BatchTiming] = []
    previous_blocks: frozenset[str] = frozenset()
    previous_model: str | None = None
    clock = 0.0
    served = 0
    for n, batch in enumerate(schedule.batches, start=1):
        model_idx = instance.model_index.get(batch.model)
        if model_idx is None:
            violations.append(
                Violation("reference", f'unknown model "{batch.model}"', n)
            )
            continue
        model = instance.models[model_idx]
        members = _members(instance, batch, n, seen, violations)
        violations += _size_violations(batch, model, bandwidth, n)
        blocks = frozenset(model.blocks)
        if schedule.reuse_blocks:
            new = blocks - previous_blocks
        else:
            new = frozenset() if model.id == previous_model else blocks
        # fsum: exactly rounded, so the end (and a verdict at the rule's edge)
        # does not depend on the order in which a set yields the blocks
        new_bytes = math.fsum(
            instance.blocks[instance.block_index[b]].size_bytes for b in new
        )
        idx = np.array(members, dtype=np.int64)
        # p_k from the user records (not the instance's upload_s array); the
        # rules of upload and split are timing's (spec §2).
        p = np.array([instance.users[k].p for k in members])
        upload = bandwidth.batch_upload(p / instance.bandwidth_hz)
        shares = tuple(float(y) for y in bandwidth.shares(instance, idx))
        load = instance.loading.time(new_bytes)
        compute = model.compute_time(len(batch.users))
        start = clock
        clock = start + upload + load + compute
        late = [k for k in idx if not meets(clock, instance.user_deadline[k])]
        served += len(idx) - len(late)
        violations += [_late(instance, k, clock, n) for k in late]
        timeline.append(
            BatchTiming(
                model.id,
                batch.users,
                shares,
                start,
                upload,
                load,
                compute,
                clock,
                new_bytes,
            )
        )
        previous_blocks, previous_model = blocks, model.id
    return Evaluation(served, tuple(timeline), tuple(violations))


def _members(
    instance: Instance,
    batch: Batch,
    n: int,
    seen: dict[str, int],
    violations: list[Violation],
) -> list[int]:
    """Return the user indices of batch ``n``, recording (3), (10d) and references."""
    members: list[int] = []
    for uid in batch.users:
        k = instance.user_index.get(uid)
        if k is None:
            violations.append(Violation("reference", f'unknown user "{uid}"', n, uid))
            continue
        if uid in seen:
            first = seen[uid]
            violations.append(
                Violation("(3)", f"scheduled again (first in batch {first})", n, uid)
            )
            continue
        seen[uid] = n
        requested = instance.users[k].model
        if requested != batch.model:
            violations.append(
                Violation(
                    "(10d)",
                    f'requests model "{requested}", batch runs "{batch.model}"',
                    n,
                    uid,
                )
            )
        members.append(k)
    return members


def _size_violations(
    batch: Batch, model: Model, bandwidth: Bandwidth, n: int
) -> list[Violation]:
    """Return the violations of batch ``n``'s size: empty, (10c) and (5)."""
    size = len(batch.users)
    out = []
    if not size:
        out.append(Violation("batch", "is empty", n))
    if size > model.max_batch:
        out.append(
            Violation("(10c)", f"has {size} users, max_batch is {model.max_batch}", n)
        )
    if bandwidth.channels is not None and size > bandwidth.channels:
        out.append(
            Violation(
                "(5)", f"has {size} users for {bandwidth.channels} sub-channels", n
            )
        )
    return out


def _late(instance: Instance, k: int, end_s: float, n: int) -> Violation:
    """Return the (2) violation of user ``k`` whose batch ``n`` ends at ``end_s``."""
    deadline = instance.user_deadline[k]
    return Violation(
        "(2)",
        f"batch ends at {end_s:.9g} s, after the deadline {deadline:.9g} s",
        n,
        instance.users[k].id,
    )


def drop_late(instance: Instance, schedule: Schedule) -> tuple[Schedule, Evaluation]:
    """Return ``schedule`` with late users dropped until the evaluator accepts it.

    Dropping a user never delays any batch: its batch's upload and compute
    shrink, and a batch left empty is removed, which by the triangle inequality
    of the loads (docs/exact-methods.md, section 1) does not lengthen the loads
    after it. So each step keeps every end time or lowers it, and the loop ends
    (at worst with the empty schedule). The first violation's user is dropped
    each time (the last user of the last batch when no violation names one).
    """
    batches = [list(b.users) for b in schedule.batches]
    models = [b.model for b in schedule.batches]
    while True:
        candidate = Schedule(
            tuple(Batch(i, tuple(u)) for i, u in zip(models, batches, strict=True)),
            schedule.reuse_blocks,
            schedule.bandwidth,
        )
        evaluation = evaluate(instance, candidate)
        if evaluation.feasible:
            return candidate, evaluation
        first = next((v for v in evaluation.violations if v.user), None)
        n = first.batch - 1 if first and first.batch else len(batches) - 1
        batches[n].remove(first.user if first and first.user else batches[n][-1])
        if not batches[n]:
            del batches[n], models[n]
