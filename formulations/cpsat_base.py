"""What the two CP-SAT models share: integer time scaling and the rounding "sandwich".

CP-SAT accepts integer coefficients only, so every duration is expressed in units of
:data:`RESOLUTION_S` (1 microsecond). A model is built twice by the same builder:

* **conservative** (:attr:`Rounding.optimistic` False): every duration rounded UP,
  every deadline rounded DOWN. A solution of this model meets every deadline in exact
  arithmetic, so its schedule is feasible for the true (unrounded) problem.
* **optimistic**: every duration rounded DOWN, every deadline rounded UP (with the
  evaluator's relative tolerance). Every truly feasible schedule is feasible here, so
  this model is a relaxation and its proven objective bound is a valid upper bound
  on the true optimum.

:func:`solve_sandwich` solves the conservative model, then the optimistic one hinted
with the conservative solution, and reports ``optimal`` only when the optimistic
bound equals the number served. Both builds share one :class:`Built` interface, so
the two models' variables correspond one to one (same builder, other constants).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from formulations.common import End, final_status, integer_bound
from instances.model import Instance
from instances.schedule import Schedule, evaluate
from instances.timing import effective_deadline
from solvers.result import Options, Outcome, Status

RESOLUTION_S = 1e-6
"""One time unit of both CP-SAT models, in seconds."""

# Largest scaled horizon we accept: far below 2**63 so that sums of a few thousand
# scaled durations cannot overflow CP-SAT's int64 arithmetic.
MAX_UNITS = 2**50


@dataclass(frozen=True, slots=True)
class Rounding:
    """Scale seconds to integer units, rounded the conservative or optimistic way."""

    optimistic: bool
    resolution_s: float = RESOLUTION_S

    def cost(self, seconds):
        """Return durations in units: rounded up (conservative) or down (optimistic)."""
        units = np.asarray(seconds, dtype=float) / self.resolution_s
        # Optimistic: shave a relative 1e-12 off first, so that float noise above
        # an exact integer cannot round an exact duration up.
        out = np.floor(units * (1.0 - 1e-12)) if self.optimistic else np.ceil(units)
        out = np.maximum(out, 0).astype(np.int64)
        return int(out) if out.ndim == 0 else out

    def relaxed(self) -> Rounding:
        """Return the optimistic rounding at the same resolution."""
        return Rounding(optimistic=True, resolution_s=self.resolution_s)

    def deadline(self, seconds):
        """Return deadlines in units: rounded down (conservative) or up (optimistic).

        The optimistic deadline is the evaluator's effective deadline
        (``instances.timing.meets``) plus one spare unit, so that it relaxes the
        evaluator's test, float noise included.
        """
        if self.optimistic:
            units = effective_deadline(np.asarray(seconds, dtype=float))
            out = np.ceil(units / self.resolution_s) + 1
        else:
            out = np.floor(np.asarray(seconds, dtype=float) / self.resolution_s)
        out = out.astype(np.int64)
        return int(out) if out.ndim == 0 else out


@dataclass
class Built:
    """A CP-SAT model ready to solve.

    Attributes
    ----------
    model
        The model; its objective is the number of users served (maximised).
    decisions
        The decision variables, in a fixed order: a solution of one rounding of the
        model is a hint for the other one.
    decode
        Turns a solved solver into the schedule it describes.
    hint
        Adds a schedule (assumed to have the model's structure) as a solution hint.
    """

    model: cp_model.CpModel
    decisions: list
    decode: Callable[[cp_model.CpSolver], Schedule]
    hint: Callable[[Schedule], None]


Builder = Callable[[Instance, Options, Rounding], Built]


def union_load(
    m: cp_model.CpModel,
    instance: Instance,
    models: list[int],
    used: list,
    reuse_blocks: bool,
) -> cp_model.LinearExpr:
    """Return a lower bound, in units, on the total loading time of any schedule.

    The GPU starts empty, so every block of every used model is loaded at least
    once (with reuse; without reuse every used model loads all its bytes at least
    once). Blocks with the same set of owners among ``models`` form a group; a
    switch a -> b loads a group wholly or not at all (its blocks have the same
    owners), so a switch's load is a sum of whole groups. Rounding each group DOWN
    therefore keeps the bound valid against per-switch loads rounded either way:
    floor(x + y) >= floor(x) + floor(y).

    Parameters
    ----------
    models
        Candidate model indices; ``used[a]`` is the literal "model models[a] is
        used".
    """
    down = Rounding(optimistic=True)
    per_byte = instance.loading.seconds_per_byte
    if not reuse_blocks:
        return sum(
            down.cost(per_byte * instance.model_bytes[i]) * used[a]
            for a, i in enumerate(models)
        )
    inc = instance.incidence()[models]
    groups: dict[bytes, float] = {}
    for j in np.flatnonzero(inc.any(axis=0)):
        key = inc[:, j].tobytes()
        groups[key] = groups.get(key, 0.0) + float(instance.block_sizes[j])
    terms = []
    for key, size in groups.items():
        owners = np.flatnonzero(np.frombuffer(key, dtype=bool))
        if len(owners) == 1:
            hit = used[owners[0]]
        else:
            hit = m.new_bool_var("group_loaded")
            for a in owners:
                m.add_implication(used[a], hit)
        terms.append(down.cost(per_byte * size) * hit)
    return sum(terms)


def horizon_reason(instance: Instance) -> str | None:
    """Return why the time horizon is too long for int64 scaling, or None."""
    longest = float(max(instance.deadline_s, instance.user_deadline.max(initial=0.0)))
    if longest / RESOLUTION_S > MAX_UNITS:
        return f"deadline {longest:g} s is too long for {RESOLUTION_S:g} s units"
    return None


def model_size(model: cp_model.CpModel) -> dict[str, int]:
    """Return the number of variables and constraints of ``model``."""
    proto = model.proto
    return {"variables": len(proto.variables), "constraints": len(proto.constraints)}


def _solver(options: Options, time_limit: float | None, det_limit: float | None):
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.num_workers = options.threads
    p.random_seed = options.seed
    p.relative_gap_limit = options.mip_gap
    p.log_search_progress = options.log
    if time_limit is not None:
        p.max_time_in_seconds = max(time_limit, 1e-3)
    if det_limit is not None:
        p.max_deterministic_time = det_limit
    return solver


def _bound(solver: cp_model.CpSolver, status: int) -> int | None:
    """Return the proven objective bound of a maximisation, or None."""
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    # The objective is integral: a bound of 7.9999 still proves 7 is the maximum.
    return integer_bound(solver.best_objective_bound)


def greedy_hint(instance: Instance, options: Options) -> Schedule | None:
    """Return the paper's greedy schedule (a feasible start), or None if it refuses."""
    from solvers import greedy

    if greedy.supports(instance, options) is not None:
        return None
    schedule = greedy.solve(instance, options).schedule
    return schedule if evaluate(instance, schedule).feasible else None


def solve_sandwich(
    instance: Instance,
    options: Options,
    build: Builder,
    deterministic_time: float | None = None,
) -> Outcome:
    """Solve the conservative model, then bound it with the optimistic one.

    Parameters
    ----------
    build
        Builds the model for one :class:`Rounding`. The conservative model is
        hinted with the paper's greedy schedule (common deadline only).
    deterministic_time
        Optional CP-SAT ``max_deterministic_time`` of EACH solve (tests use it
        for a reproducible budget; wall-clock limits are not reproducible).

    Returns
    -------
    Outcome
        ``optimal`` iff the optimistic bound equals the users served;
        ``time_limit`` if a limit stopped either solve, ``feasible`` otherwise;
        ``no_solution`` (empty schedule) if no incumbent was found; ``infeasible``
        and ``error`` when CP-SAT reports INFEASIBLE or MODEL_INVALID for the
        conservative model (the empty schedule is feasible, so both are bugs).
    """
    start = time.perf_counter()
    tight = build(instance, options, Rounding(optimistic=False))
    loose = build(instance, options, Rounding(optimistic=True))
    build_time = time.perf_counter() - start
    start_hint = greedy_hint(instance, options)
    if start_hint is not None:
        tight.hint(start_hint)
    empty = Schedule((), options.reuse_blocks, options.bandwidth)
    info: dict = {
        "resolution_s": RESOLUTION_S,
        "num_workers": options.threads,
        "seed": options.seed,
        "greedy_hint": start_hint is not None,
        **model_size(tight.model),
    }

    limit = options.time_limit
    first = _solver(options, None if limit is None else limit / 2, deterministic_time)
    status = first.solve(tight.model)
    info.update(
        conservative_status=first.status_name(status),
        conservative_wall_s=first.wall_time,
        conservative_deterministic_s=first.deterministic_time,
    )
    if status == cp_model.MODEL_INVALID:
        info["error"] = tight.model.validate()
        return Outcome(empty, Status.ERROR, None, build_time, info)
    if status == cp_model.INFEASIBLE:
        return Outcome(empty, Status.INFEASIBLE, None, build_time, info)
    found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    schedule = tight.decode(first) if found else empty
    served = round(first.objective_value) if found else 0
    if found:
        info["conservative_objective"] = served
        for var, ref in zip(loose.decisions, tight.decisions, strict=True):
            loose.model.add_hint(var, first.value(ref))

    remaining = None
    if limit is not None:
        remaining = max(limit - (time.perf_counter() - start), 1e-3)
    second = _solver(options, remaining, deterministic_time)
    relaxed = second.solve(loose.model)
    bound = _bound(second, relaxed)
    info.update(
        optimistic_status=second.status_name(relaxed),
        optimistic_wall_s=second.wall_time,
        optimistic_deterministic_s=second.deterministic_time,
        optimistic_bound=bound,
    )
    if relaxed in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        # The relaxation's incumbent may also be truly feasible (the evaluator is
        # the judge): use it when it serves more.
        candidate = loose.decode(second)
        evaluation = evaluate(instance, candidate)
        if evaluation.feasible and evaluation.served > served:
            schedule, served, found = candidate, evaluation.served, True
            info["from_optimistic"] = True
    if bound is not None:
        bound = min(bound, instance.num_users)

    limited = {status, relaxed} & {cp_model.FEASIBLE, cp_model.UNKNOWN}
    end = End.LIMIT if limited or not found else End.CONVERGED
    status_out = final_status(end, found, served, bound)
    return Outcome(schedule, status_out, bound, build_time, info)
