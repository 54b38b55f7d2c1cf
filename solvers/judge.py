"""The registry's judge: every method's schedule through the one evaluator.

:func:`judged` turns a method's :class:`~solvers.result.Outcome` into a
:class:`~solvers.result.Result` only after :func:`instances.schedule.evaluate`
has recomputed it; a schedule the evaluator rejects, a bound below what is
served or a false ``optimal`` is a :class:`SolverBug`. The one exception is a
schedule late only by rounding at the rule's edge (docs/model.md, "The rule's
edge"): :class:`EdgeMiss` asks the registry to solve again on :func:`shrunk`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from solvers.result import Result, Status

if TYPE_CHECKING:
    from instances.model import Instance
    from instances.schedule import Evaluation, Schedule
    from solvers.result import Options, Outcome


class SolverBug(RuntimeError):
    """A method returned a schedule that the evaluator rejects, or a false bound."""


class EdgeMiss(Exception):
    """A schedule late only by rounding at the rule's edge (see :func:`run`)."""


def shrunk(instance: Instance) -> Instance:
    """Return ``instance`` with every deadline shrunk by 4 ``EDGE_RTOL``."""
    from instances.timing import EDGE_RTOL

    factor = 1.0 - 4 * EDGE_RTOL
    users = tuple(
        u if u.deadline_s is None else replace(u, deadline_s=u.deadline_s * factor)
        for u in instance.users
    )
    return replace(instance, deadline_s=instance.deadline_s * factor, users=users)


def judged(
    name: str,
    instance: Instance,
    options: Options,
    outcome: Outcome,
    runtime: float,
    retry: bool,
) -> Result:
    """Return the :class:`Result` of ``outcome`` after the evaluator's checks.

    A schedule late only by rounding raises :class:`EdgeMiss` when ``retry``;
    else those users are taken out (status feasible, see :func:`edge_repaired`).
    """
    from instances.schedule import evaluate

    schedule = outcome.schedule
    if (schedule.reuse_blocks, schedule.bandwidth) != (
        options.reuse_blocks,
        options.bandwidth,
    ):
        raise SolverBug(
            f"{name} returned a schedule for other reuse/bandwidth settings"
        )
    evaluation = evaluate(instance, schedule)
    info = dict(outcome.info)
    status, bound = outcome.status, outcome.bound
    if not evaluation.feasible:
        repaired = edge_repaired(instance, schedule, evaluation)
        if repaired is not None and retry:
            raise EdgeMiss
        if repaired is not None:  # late only by rounding at the rule's edge
            claimed = schedule.num_scheduled
            schedule, evaluation = repaired
            info["edge_dropped"] = claimed - schedule.num_scheduled
            if status is Status.OPTIMAL:  # a proof of a schedule we cannot keep
                status = Status.FEASIBLE
                bound = claimed if bound is None else bound
    if not evaluation.feasible:
        shown = "; ".join(str(v) for v in evaluation.violations[:3])
        raise SolverBug(
            f"{name} returned an infeasible schedule on {instance.name} "
            f"({len(evaluation.violations)} violations): {shown}"
        )
    if status is Status.OPTIMAL:
        bound = evaluation.served if bound is None else bound
        if bound != evaluation.served:
            raise SolverBug(
                f"{name} claims optimal with bound {bound} "
                f"but serves {evaluation.served}"
            )
    if bound is not None and evaluation.served > bound:
        raise SolverBug(
            f"{name} serves {evaluation.served} users above its bound {bound}"
        )
    return Result(
        method=name,
        instance=instance.name,
        status=status,
        served=evaluation.served,
        num_users=instance.num_users,
        bound=bound,
        runtime_s=runtime,
        build_time_s=outcome.build_time_s,
        schedule=schedule,
        evaluation=evaluation,
        info=info,
    )


def edge_repaired(
    instance: Instance, schedule: Schedule, evaluation: Evaluation
) -> tuple[Schedule, Evaluation] | None:
    """Return ``schedule`` without the users it loses to rounding, re-evaluated.

    A method's own sums can put a batch end a last-bit rounding inside the
    feasibility rule where the evaluator's end is just beyond it. When every
    violation is such a miss (``timing.fits``), late users are dropped until
    the evaluator accepts the rest (:func:`instances.schedule.drop_late`, which
    never delays a batch); anything else is a bug (None).
    """
    from instances.schedule import drop_late
    from instances.timing import fits

    ends = [t.end_s for t in evaluation.timeline]
    for v in evaluation.violations:
        if v.constraint != "(2)" or v.user is None or v.batch is None:
            return None
        if not fits(
            ends[v.batch - 1], instance.user_deadline[instance.user_index[v.user]]
        ):
            return None
    return drop_late(instance, schedule)
