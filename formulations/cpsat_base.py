"""What the two CP-SAT models share: integer time, the exact re-check, the fast start.

CP-SAT accepts integer coefficients only, so every duration is expressed in units of
:data:`RESOLUTION_S` (1 microsecond). Two roundings exist (:class:`Rounding`):

* **optimistic**: every duration rounded DOWN, every deadline rounded UP (with the
  evaluator's relative tolerance). Every truly feasible schedule is feasible here, so
  this model is a relaxation and its proven objective bound is a valid upper bound
  on the true optimum. The solve uses this one.
* **conservative** (:attr:`Rounding.optimistic` False): every duration rounded UP,
  every deadline rounded DOWN: a restriction (its solutions meet every deadline in
  exact arithmetic). Kept as the other side of the rounding for the tests.

:func:`solve_sandwich` starts from the best fast schedule, solves the optimistic
model with the floor "served >= incumbent", re-checks its solution with the
evaluator and cuts off a solution that exact arithmetic rejects, until the bound
and the incumbent meet or time runs out (docs/formulations-cpsat.md, section 1).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from formulations.common import (
    End,
    best_fast_schedule,
    final_status,
    integer_bound,
)
from instances.model import Instance
from instances.schedule import Schedule, drop_late, evaluate
from instances.timing import effective_deadline
from solvers.result import Options, Outcome

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
    objective
        That objective as an expression (the solve adds a floor on it).
    decisions
        The decision variables, in a fixed order: a solution of one rounding of the
        model is a hint for the other one.
    decode
        Turns a solved solver into the schedule it describes.
    hint
        Adds a schedule (assumed to have the model's structure) as a solution hint.
    upper_bound
        A bound on the users served known from the build (valid for the
        continuous problem), or None.
    """

    model: cp_model.CpModel
    objective: cp_model.LinearExprT
    decisions: list
    decode: Callable[[cp_model.CpSolver], Schedule]
    hint: Callable[[Schedule], None]
    upper_bound: int | None = None


Builder = Callable[[Instance, Options, Rounding], Built]


def union_load(
    m: cp_model.CpModel,
    instance: Instance,
    models: list[int],
    used: list,
    reuse_blocks: bool,
    resolution_s: float = RESOLUTION_S,
) -> cp_model.LinearExprT:
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
    down = Rounding(optimistic=True, resolution_s=resolution_s)
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


def horizon_reason(
    instance: Instance, resolution_s: float = RESOLUTION_S
) -> str | None:
    """Return why the time horizon is too long for int64 scaling, or None."""
    longest = float(max(instance.deadline_s, instance.user_deadline.max(initial=0.0)))
    if longest / resolution_s > MAX_UNITS:
        return f"deadline {longest:g} s is too long for {resolution_s:g} s units"
    return None


def model_size(model: cp_model.CpModel) -> dict[str, int]:
    """Return the number of variables and constraints of ``model``."""
    proto = model.proto
    return {"variables": len(proto.variables), "constraints": len(proto.constraints)}


STRICT_FLOOR = True
"""Floor the objective at incumbent + 1 (look only for improvements; INFEASIBLE
then proves the incumbent optimal) rather than at the incumbent."""

REFINE = 1e-3
"""Factor of the resolution after a solution that exact arithmetic rejects."""

MIN_RESOLUTION_S = 1e-12
"""Finest resolution: a schedule can miss the evaluator's rule T (1 + 1e-9) by less
than a nanosecond, which a 1 ns model admits again and again (docs/formulations-cpsat.md
section 1)."""

CPSAT_PARAMETERS: dict[str, object] = {}
"""Extra CP-SAT parameters of every solve (none by default; levers measured in
docs/formulations-cpsat.md are set here by benchmarks/bench_exact_ladder.py).
Enum parameters take the value's name (``{"search_branching": "LP_SEARCH"}``)."""

HINT_FAST = False
"""Hint the fast schedule to CP-SAT (measured: docs/formulations-cpsat.md)."""


def make_solver(
    options: Options,
    time_limit: float | None,
    det_limit: float | None,
    parameters: dict[str, object],
):
    """Return a CP-SAT solver set from ``options``, the limits and ``parameters``."""
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
    for name, value in {**parameters, **CPSAT_PARAMETERS}.items():
        if isinstance(value, str):  # an enum value by name, e.g. "LP_SEARCH"
            value = getattr(type(getattr(p, name)), value)
        setattr(p, name, value)
    return solver


def _bound(solver: cp_model.CpSolver, status: int) -> int | None:
    """Return the proven objective bound of a maximisation, or None.

    CP-SAT reports its proven bound also when a limit stopped it before any
    solution (UNKNOWN), but then 0 means "none yet": the caller uses an UNKNOWN
    bound only above the incumbent (with the floor served >= f + 1 a real bound
    is at least f + 1, and the optimum is at most max(f, bound) = bound).
    """
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE, cp_model.UNKNOWN):
        return None
    # The objective is integral: a bound of 7.9999 still proves 7 is the maximum.
    return integer_bound(solver.best_objective_bound)


def repair(instance: Instance, schedule: Schedule) -> Schedule:
    """Return ``schedule`` without its late users (``instances.schedule.drop_late``)."""
    return drop_late(instance, schedule)[0]


@dataclass
class _Incumbent:
    """The best truly feasible schedule so far, and where it came from."""

    schedule: Schedule
    served: int
    source: str

    def offer(self, schedule: Schedule, served: int, source: str) -> bool:
        if served <= self.served:
            return False
        self.schedule, self.served, self.source = schedule, served, source
        return True


def _check(instance: Instance, built: Built, solver, best: _Incumbent) -> bool:
    """Re-check the relaxation's solution exactly; cut it off if it is rejected.

    Returns whether the evaluator accepted it. A rejected solution is cut off
    by a no-good over the decision literals (valid for the continuous problem:
    the decoded schedule is the cheapest one those literals describe, so no
    truly feasible schedule has them) and its repair is offered as incumbent.
    """
    schedule = built.decode(solver)
    evaluation = evaluate(instance, schedule)
    if evaluation.feasible:
        best.offer(schedule, evaluation.served, "solver")
        return True
    values = [bool(solver.boolean_value(v)) for v in built.decisions]
    pairs = zip(built.decisions, values, strict=True)
    built.model.add_bool_or([~v if on else v for v, on in pairs])
    fixed = repair(instance, schedule)
    best.offer(fixed, fixed.num_scheduled, "repaired")
    return False


def solve_sandwich(
    instance: Instance,
    options: Options,
    build: Builder,
    deterministic_time: float | None = None,
    parameters: dict[str, object] | None = None,
) -> Outcome:
    """Solve the optimistic model from the best fast schedule; re-check exactly.

    1. The incumbent is the best fast schedule (``formulations.common``), so a
       run never serves fewer users than greedy, gemel, dp or search.
    2. The optimistic model (a relaxation) gets the objective floor
       served >= f + 1 (:data:`STRICT_FLOOR`; f = the incumbent's users) and is
       solved: INFEASIBLE proves f optimal, and any bound it reports is an
       upper bound of the continuous problem.
    3. Its solution is re-checked by the evaluator. Accepted, it is offered as
       incumbent; rejected (a near-tie that only the rounding admits), its
       repair is offered and the model is rebuilt at a finer resolution
       (:data:`REFINE`), or, at :data:`MIN_RESOLUTION_S`, the solution is cut
       off by a no-good; then solved again while time is left.
    4. ``optimal`` iff the bound equals the incumbent's served users.

    Parameters
    ----------
    build
        Builds the model for one :class:`Rounding`.
    deterministic_time
        Optional CP-SAT ``max_deterministic_time`` of EACH solve (tests use it
        for a reproducible budget; wall-clock limits are not reproducible).
    parameters
        CP-SAT parameters of the model (``CPSAT_PARAMETERS`` overrides them).
    """
    # Longer than 60 lines: one loop of solve, re-check and refine sharing the
    # bound, the incumbent, the model and the resolution; split, each piece
    # would pass all four back and forth.
    start = time.perf_counter()
    fast, name = best_fast_schedule(instance, options)
    best = _Incumbent(fast, fast.num_scheduled, name)
    fast_s = time.perf_counter() - start
    resolution = RESOLUTION_S
    built = _build(instance, options, build, resolution, fast, best.served)
    build_time = time.perf_counter() - start - fast_s
    info: dict = {
        "num_workers": options.threads,
        "seed": options.seed,
        "fast_start": name,
        "fast_served": best.served,
        "fast_s": fast_s,
        **model_size(built.model),
    }
    # Serving every user is a trivial bound (kept when CP-SAT proves none).
    bound = min(instance.num_users, built.upper_bound or instance.num_users)
    info["build_bound"] = built.upper_bound
    end, cuts, solves = End.LIMIT, 0, []
    while True:
        remaining = None
        if options.time_limit is not None:
            remaining = options.time_limit - (time.perf_counter() - start)
            if remaining <= 0:
                break
        solver = make_solver(options, remaining, deterministic_time, parameters or {})
        status = solver.solve(built.model)
        solves.append(solver.status_name(status))
        if status == cp_model.MODEL_INVALID:
            info["error"] = built.model.validate()
            end = End.ERROR
            break
        if status == cp_model.INFEASIBLE:
            # Nothing serves more than the incumbent (cuts remove only truly
            # infeasible solutions): a proof. With a non-strict floor the
            # incumbent's cheapest form satisfies it, so INFEASIBLE is a bug.
            end = End.CONVERGED if STRICT_FLOOR else End.INFEASIBLE
            bound = best.served
            break
        proven = _bound(solver, status)
        if proven is not None and (status != cp_model.UNKNOWN or proven > best.served):
            bound = min(bound, proven)
        if status == cp_model.UNKNOWN:
            break
        if _check(instance, built, solver, best) or status != cp_model.OPTIMAL:
            end = End.CONVERGED if status == cp_model.OPTIMAL else End.LIMIT
            break
        # Rejected by exact arithmetic: a finer resolution narrows the rounding
        # slack (the cut of _check stays in the coarse model, now dropped);
        # at the finest resolution, cuts alone go on.
        cuts += 1
        finer = resolution * REFINE
        if finer >= MIN_RESOLUTION_S and horizon_reason(instance, finer) is None:
            resolution = finer
            built = _build(instance, options, build, resolution, None, best.served)
        else:
            built.model.add(built.objective >= best.served + STRICT_FLOOR)
    info.update(
        solves=solves, cuts=cuts, resolution_s=resolution, schedule_from=best.source
    )
    if end is End.ERROR or end is End.INFEASIBLE:
        empty = Schedule((), options.reuse_blocks, options.bandwidth)
        status_out = final_status(end, False, 0, None)
        return Outcome(empty, status_out, None, build_time, info)
    status_out = final_status(end, True, best.served, bound)
    return Outcome(best.schedule, status_out, bound, build_time, info)


def _build(instance, options, build: Builder, resolution: float, fast, served: int):
    """Build the optimistic model at ``resolution`` with the objective floor."""
    built = build(instance, options, Rounding(True, resolution))
    built.model.add(built.objective >= served + STRICT_FLOOR)
    if HINT_FAST and fast is not None:
        built.hint(fast)
    return built
