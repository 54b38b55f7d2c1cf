"""Schedule files (spec section 3): parse, write, and check the figures they state.

A schedule file names models and users only; :func:`verify_file` parses it,
recomputes it with :func:`instances.schedule.evaluate`, and compares every
figure the file states (``served``, a batch's times) with the recomputation.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from instances.io import InputError, check_fields, check_format, check_list, read_json
from instances.schedule import (
    SCHEDULE_FORMAT,
    Batch,
    Evaluation,
    Schedule,
    Violation,
    evaluate,
)
from instances.timing import Bandwidth

if TYPE_CHECKING:
    from instances.model import Instance


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
    check_fields("", data, ("format", "batches"), _TOP_OPTIONAL)
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
    for n, raw in enumerate(check_list("batches", data["batches"])):
        check_fields(f"batches[{n}]", raw, ("model", "users"), _BATCH_OPTIONAL)
        if not isinstance(raw["model"], str):
            raise InputError(f"batches[{n}].model: expected a string")
        users = check_list(f"batches[{n}].users", raw["users"])
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
