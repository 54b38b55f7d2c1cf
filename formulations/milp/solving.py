"""Build, solve, re-check: the ``milp`` method's ``supports`` and ``solve``."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from formulations.common import End, best_fast_schedule, final_status, integer_bound
from formulations.milp.adapters import solve_highs, solve_legacy
from formulations.milp.data import DEADLINE_ROWS, Data, prepare
from formulations.milp.model import build_model
from instances.schedule import Schedule, evaluate
from solvers.result import Options, Outcome, Status

if TYPE_CHECKING:
    from instances.model import Instance

MAX_VARIABLES = 200_000  # refuse larger models (HiGHS would not solve them anyway)


def solver_reason(options: Options) -> str | None:
    """Return why ``--solver`` cannot run here (any Pyomo model), or None."""
    name = options.solver or "highs"
    if name != "highs":
        import io

        import pyomo.environ as pyo
        from pyomo.common.log import LoggingIntercept

        # Pyomo logs a traceback for an unknown name; the reason below says it all.
        with LoggingIntercept(io.StringIO(), "pyomo"):
            available = pyo.SolverFactory(name).available(exception_flag=False)
        if not available:
            return f'Pyomo solver "{name}" is not available on this machine'
    return None


def supports(instance: Instance, options: Options) -> str | None:
    """Accept every instance whose model has at most ``MAX_VARIABLES`` variables."""
    reason = solver_reason(options)
    if reason is not None:
        return reason
    size = prepare(instance, options).num_variables
    if size > MAX_VARIABLES:
        return (
            f"the MILP would have {size} variables (limit {MAX_VARIABLES}); "
            "use cpsat-seq or dp for instances this large"
        )
    return None


@dataclass
class _Run:
    """One build-and-solve of the MILP, before the status is decided."""

    schedule: Schedule | None
    end: End
    has_solution: bool
    bound: int | None
    build_s: float
    info: dict[str, Any] = field(default_factory=dict)


def solve(instance: Instance, options: Options) -> Outcome:
    """Build the MILP, solve it, and return the best schedule found with its bound.

    The bound comes from the "proof" solve, whose deadline rows contain every
    schedule the evaluator accepts (:func:`deadlines_ms`). Its incumbent is
    checked by the evaluator; if it fails (it may end in the slack beyond the
    evaluator's rule, or round-off broke it) and time is left, the "inner" and
    then "margin" rows are solved for a schedule that passes. When the bound is
    not met, the best fast schedule (:func:`formulations.common.best_fast_schedule`,
    computed first) is returned if it serves more. The proof solve carries the
    floor sum x >= served by that schedule (valid: the optimum serves at least
    that many). ``optimal`` only when served == bound.
    """
    import pyomo.environ  # noqa: F401  (a one-off import is not model building)

    empty = Schedule((), options.reuse_blocks, options.bandwidth)
    start = time.perf_counter()
    data = prepare(instance, options)
    if not data.users:
        # No user meets its deadline even alone: the empty schedule is optimal.
        info = {"note": "no user can meet its deadline", "variables": 0}
        return Outcome(empty, Status.OPTIMAL, 0, time.perf_counter() - start, info)
    fast, name = best_fast_schedule(instance, options)
    if fast.num_scheduled >= len(data.users):
        # It serves every user that could be served at all: optimal, no solve.
        info = {"note": "the fast schedule serves every candidate user"}
        info |= {"schedule_from": name, "variables": data.num_variables}
        build_s = time.perf_counter() - start
        return Outcome(fast, Status.OPTIMAL, fast.num_scheduled, build_s, info)
    if options.time_limit is not None:
        left = max(options.time_limit - (time.perf_counter() - start), 1e-3)
        options = replace(options, time_limit=left)
    run = _build_and_solve(instance, options, data, start, fast.num_scheduled)
    highs = (options.solver or "highs") == "highs"
    if run.end is End.INFEASIBLE and fast.num_scheduled and highs:
        # The floor is met by a schedule the evaluator accepted, so "infeasible"
        # is HiGHS's presolve losing it (docs/formulations-milp.md section 5).
        run = _build_and_solve(
            instance, options, data, start, fast.num_scheduled, presolve=False
        )
        run.info["presolve_retry"] = True
    bound, build_s, end, rows = run.bound, run.build_s, run.end, ["proof"]
    schedule = _accepted(instance, run)
    while schedule is None and run.has_solution and run.end is not End.LIMIT:
        if len(rows) == len(DEADLINE_ROWS):
            break
        rows.append(DEADLINE_ROWS[len(rows)])
        start = time.perf_counter()
        run = _build_and_solve(
            instance, options, prepare(instance, options, rows[-1]), start
        )
        build_s += run.build_s
        schedule = _accepted(instance, run)
    info = {**run.info, "deadline_rows_solved": rows}
    has_solution = schedule is not None
    schedule = schedule or empty
    if fast.num_scheduled > schedule.num_scheduled:
        schedule, has_solution = fast, True
        info["schedule_from"] = name
    status = final_status(end, has_solution, schedule.num_scheduled, bound)
    return Outcome(schedule, status, bound, build_s, info)


def _accepted(instance: Instance, run: _Run) -> Schedule | None:
    """Return the run's schedule if the evaluator accepts it, else None."""
    if run.schedule is None or not evaluate(instance, run.schedule).feasible:
        return None
    return run.schedule


def _build_and_solve(
    instance: Instance,
    options: Options,
    data: Data,
    start: float,
    floor: int = 0,
    presolve: bool = True,
) -> _Run:
    """Build the model for ``data``, solve it, and read the schedule.

    ``floor`` > 0 adds sum x >= floor (users served by a known schedule);
    ``presolve=False`` switches HiGHS's presolve off.
    """
    import pyomo.environ as pyo

    name = options.solver or "highs"
    # Legacy solvers get the minimisation of -served (see solve_legacy).
    m = build_model(instance, options, data, minimise=name != "highs")
    if floor > 0:
        m.fast_floor = pyo.Constraint(expr=sum(m.x.values()) >= floor)
    built = time.perf_counter()
    if name == "highs":
        solved = solve_highs(m, options, presolve)
    else:
        solved = solve_legacy(m, options)
    end, has_solution, bound, setup_s, info = solved
    schedule = _read_schedule(instance, m, data, options) if has_solution else None
    info = {
        "solver": name,
        "variables": m.nvariables(),
        "binaries": len(m.x) + len(m.z),
        "constraints": m.nconstraints(),
        "positions": data.positions,
        "candidate_users": len(data.users),
        "block_groups": len(data.groups),
        "deadline_rows": data.rows,
        **info,
    }
    return _Run(
        schedule, end, has_solution, integer_bound(bound), built - start + setup_s, info
    )


def _read_schedule(instance: Instance, m, d: Data, options: Options) -> Schedule:
    """Return the batches of x in position order, skipping empty positions."""
    batches = []
    for n in m.N:
        users = [k for k in d.users if (m.x[n, k].value or 0.0) > 0.5]
        if users:
            batches.append((d.model_of[users[0]], np.array(users)))
    return Schedule.from_indices(
        instance, batches, options.reuse_blocks, options.bandwidth
    )
