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

from instances.io import InputError, _fields, _list, check_format, read_json
from instances.timing import OPTIMAL, Bandwidth, meets

if TYPE_CHECKING:
    from instances.model import Instance

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
        if not batch.users:
            violations.append(Violation("batch", "is empty", n))
        members: list[int] = []
        for uid in batch.users:
            k = instance.user_index.get(uid)
            if k is None:
                violations.append(
                    Violation("reference", f'unknown user "{uid}"', n, uid)
                )
                continue
            if uid in seen:
                violations.append(
                    Violation(
                        "(3)", f"scheduled again (first in batch {seen[uid]})", n, uid
                    )
                )
                continue
            seen[uid] = n
            if instance.users[k].model != model.id:
                violations.append(
                    Violation(
                        "(10d)",
                        f'requests model "{instance.users[k].model}", '
                        f'batch runs "{model.id}"',
                        n,
                        uid,
                    )
                )
            members.append(k)
        size = len(batch.users)
        if size > model.max_batch:
            violations.append(
                Violation(
                    "(10c)", f"has {size} users, max_batch is {model.max_batch}", n
                )
            )
        if bandwidth.channels is not None and size > bandwidth.channels:
            violations.append(
                Violation(
                    "(5)", f"has {size} users for {bandwidth.channels} sub-channels", n
                )
            )

        blocks = frozenset(model.blocks)
        if schedule.reuse_blocks:
            new = blocks - previous_blocks
        else:
            new = frozenset() if model.id == previous_model else blocks
        new_bytes = float(
            sum(instance.blocks[instance.block_index[b]].size_bytes for b in new)
        )
        idx = np.array(members, dtype=np.int64)
        # p_k from the user records (not the instance's upload_s array); the
        # rules of upload and split are timing's (spec §2).
        p = np.array([instance.users[k].p for k in members])
        upload = bandwidth.batch_upload(p / instance.bandwidth_hz)
        shares = tuple(float(y) for y in bandwidth.shares(instance, idx))
        load = instance.loading.time(new_bytes)
        compute = model.compute_time(size)
        start = clock
        clock = start + upload + load + compute
        for k in idx:
            deadline = instance.user_deadline[k]
            if meets(clock, deadline):
                served += 1
            else:
                violations.append(
                    Violation(
                        "(2)",
                        f"batch ends at {clock:.9g} s, "
                        f"after the deadline {deadline:.9g} s",
                        n,
                        instance.users[k].id,
                    )
                )
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


# -- schedule files (spec section 3) -------------------------------------------

_BATCH_OPTIONAL = (
    "bandwidth_share",
    "start_s",
    "upload_s",
    "load_s",
    "compute_s",
    "end_s",
)
_TOP_OPTIONAL = (
    "instance",
    "method",
    "reuse_blocks",
    "served",
    "status",
    "bound",
    "gap",
    "runtime_s",
    "build_time_s",
    "bandwidth",
    "info",
)


def schedule_from_dict(data: Any) -> Schedule:
    """Parse a schedule document; only models and users are needed (spec §3).

    Raises
    ------
    InputError
        Naming the offending path.
    """
    check_format(data, SCHEDULE_FORMAT)
    _fields("", data, ("format", "batches"), _TOP_OPTIONAL)
    reuse = data.get("reuse_blocks", True)
    if not isinstance(reuse, bool):
        raise InputError(f"reuse_blocks: expected true or false, got {reuse!r}")
    try:
        bandwidth = Bandwidth.parse(data.get("bandwidth", "optimal"))
    except (ValueError, AttributeError):
        raise InputError(
            f'bandwidth: expected "optimal" or "equal:R", got {data.get("bandwidth")!r}'
        ) from None
    batches = []
    for n, raw in enumerate(_list("batches", data["batches"])):
        _fields(f"batches[{n}]", raw, ("model", "users"), _BATCH_OPTIONAL)
        if not isinstance(raw["model"], str):
            raise InputError(f"batches[{n}].model: expected a string")
        users = _list(f"batches[{n}].users", raw["users"])
        for u, uid in enumerate(users):
            if not isinstance(uid, str):
                raise InputError(
                    f"batches[{n}].users[{u}]: expected a string, got {uid!r}"
                )
        batches.append(Batch(raw["model"], tuple(users)))
    return Schedule(tuple(batches), reuse, bandwidth)


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)


def _is_bool(x: Any) -> bool:
    return isinstance(x, bool)


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def stated_mismatches(data: dict, evaluation: Evaluation) -> list[Violation]:
    """Compare the figures a schedule file states with the recomputed ones."""
    out: list[Violation] = []
    served = data.get("served")
    if served is not None and (_is_bool(served) or served != evaluation.served):
        out.append(
            Violation("stated", f"served is {served!r}, recomputed {evaluation.served}")
        )
    bound = data.get("bound")
    if bound is not None and (not _is_number(bound) or bound < evaluation.served):
        out.append(
            Violation(
                "stated", f"bound is {bound!r}, below the {evaluation.served} served"
            )
        )
    if len(evaluation.timeline) != len(data["batches"]):
        # A batch of an unknown model has no timing; positions no longer match
        # (the reference violation already makes the schedule infeasible).
        return out
    for n, (raw, timing) in enumerate(
        zip(data["batches"], evaluation.timeline, strict=True)
    ):
        for key in ("start_s", "upload_s", "load_s", "compute_s", "end_s"):
            if key in raw and not (
                _is_number(raw[key]) and _close(raw[key], getattr(timing, key))
            ):
                out.append(
                    Violation(
                        "stated",
                        f"{key} is {raw[key]!r}, recomputed {getattr(timing, key):.9g}",
                        n + 1,
                    )
                )
        share = raw.get("bandwidth_share")
        if share is not None:
            if not isinstance(share, list) or len(share) != len(raw["users"]):
                out.append(
                    Violation(
                        "stated", "bandwidth_share needs one share per user", n + 1
                    )
                )
            elif any(not _is_number(y) or not 0 <= y <= 1 for y in share):
                out.append(
                    Violation("(10g)", "a bandwidth share is outside [0, 1]", n + 1)
                )
            elif sum(share) > 1 + 1e-6:
                out.append(
                    Violation("(5)", f"bandwidth shares sum to {sum(share):.9g}", n + 1)
                )
            elif len(share) == len(timing.bandwidth_share) and not all(
                _close(a, b) for a, b in zip(share, timing.bandwidth_share, strict=True)
            ):
                out.append(
                    Violation(
                        "stated",
                        "bandwidth_share differs from the eq. (12) split",
                        n + 1,
                    )
                )
    return out


def verify_file(instance: Instance, path: str) -> tuple[Evaluation, list[Violation]]:
    """Evaluate a schedule file; return the evaluation and every problem found."""
    data = read_json(path)
    try:
        schedule = schedule_from_dict(data)
        if data.get("instance") not in (None, instance.name):
            raise InputError(
                f'instance: schedule is for "{data["instance"]}", not "{instance.name}"'
            )
    except InputError as error:
        raise InputError(f"{path}: {error}") from None
    evaluation = evaluate(instance, schedule)
    return evaluation, [*evaluation.violations, *stated_mismatches(data, evaluation)]


def schedule_to_dict(
    instance: Instance, schedule: Schedule, evaluation: Evaluation, **meta: Any
) -> dict[str, Any]:
    """Return a schedule file document with the recomputed timeline and ``meta``."""
    doc: dict[str, Any] = {"format": SCHEDULE_FORMAT, "instance": instance.name}
    doc.update({k: v for k, v in meta.items() if k not in ("format", "batches")})
    doc["reuse_blocks"] = schedule.reuse_blocks
    if not schedule.bandwidth.is_optimal:
        doc["bandwidth"] = str(schedule.bandwidth)
    doc["served"] = evaluation.served
    doc["batches"] = [
        {
            "model": t.model,
            "users": list(t.users),
            "bandwidth_share": list(t.bandwidth_share),
            "start_s": t.start_s,
            "upload_s": t.upload_s,
            "load_s": t.load_s,
            "compute_s": t.compute_s,
            "end_s": t.end_s,
        }
        for t in evaluation.timeline
    ]
    return doc
