"""Build, solve, re-check: the ``milp-seq`` method's ``supports`` and ``solve``.

The solver adapters (HiGHS through ``pyomo.contrib.solver``, any other Pyomo
solver by name) and the deadline rows are those of the batch-position MILP
(``formulations.milp``); the status comes from ``formulations.common``.
"""

from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING, Any

from formulations.common import End, best_fast_schedule, final_status, integer_bound
from formulations.milp.adapters import solve_highs, solve_legacy
from formulations.milp.data import DEADLINE_ROWS
from formulations.milp.solving import MAX_VARIABLES, solver_reason
from formulations.milp_seq.data import Data, prepare
from formulations.milp_seq.model import DEPOT, build_model
from instances.schedule import Schedule, evaluate
from solvers.costs import model_batches
from solvers.result import Options, Outcome

if TYPE_CHECKING:
    from instances.model import Instance


def supports(instance: Instance, options: Options) -> str | None:
    """Refuse per-user deadlines (Theorem 2.1 needs a common one) and huge models."""
    if instance.has_user_deadlines:
        return "per-user deadlines break Theorem 2.1 (use milp or cpsat)"
    reason = solver_reason(options)
    if reason is not None:
        return reason
    requested = len(instance.active_models())
    if 2 * requested**2 > MAX_VARIABLES:  # y and f alone, before any table is built
        return (
            f"{requested} requested models: the compact MILP would have over "
            f"{MAX_VARIABLES} variables; use cpsat-seq, search or dp"
        )
    size = prepare(instance, options).num_variables
    if size > MAX_VARIABLES:
        return (
            f"the compact MILP would have {size} variables (limit {MAX_VARIABLES}); "
            "use cpsat-seq, search or dp for instances this large"
        )
    return None


def solve(instance: Instance, options: Options) -> Outcome:
    """Start from the best fast schedule, then ask the MILP for one user more.

    With s users served by :func:`formulations.common.best_fast_schedule`, the
    "proof" solve (deadline row relaxing the evaluator's rule) gets the row
    served >= s + 1. If the solver proves it infeasible, s is the optimum;
    otherwise max(s, its bound) is a bound of the evaluator's problem. Its
    incumbent is checked by the evaluator; if it fails, the "inner" and then the
    "margin" rows are solved (docs/formulations-milp.md, section 5). The better
    of the fast and the solver's schedule is returned; ``optimal`` only when it
    serves the bound. Each solve gets the time left of ``options.time_limit``.
    """
    import pyomo.environ  # noqa: F401  (a one-off import is not model building)

    start = time.perf_counter()
    schedule, name = best_fast_schedule(instance, options)
    served = evaluate(instance, schedule).served
    data = prepare(instance, options)
    info: dict[str, Any] = {"fast_start": name, "fast_served": served}
    if served >= data.max_served:  # nothing to ask: the trivial bound is met
        info["variables"] = data.num_variables
        info["note"] = "the fast start serves sum_i nbar_i, a bound"
        return Outcome(
            schedule, final_status(End.CONVERGED, True, served, served), served,
            time.perf_counter() - start, info,
        )  # fmt: skip
    end, bound, build_s, rows = End.LIMIT, None, 0.0, []
    for kind in DEADLINE_ROWS:
        rows.append(kind)
        if kind != "proof":
            data = prepare(instance, options, kind)
        run_end, found, run_bound, run_build, run_info = _build_and_solve(
            instance, _remaining(options, start), data, served + 1
        )
        build_s += run_build
        info.update(run_info)
        if kind == "proof":
            end = End.CONVERGED if run_end is End.INFEASIBLE else run_end
            bound = served if run_end is End.INFEASIBLE else run_bound
            if bound is not None:
                bound = max(bound, served)
        if found is not None and evaluate(instance, found).feasible:
            schedule, served = found, found.num_scheduled
            info["schedule_from"] = f"milp-seq ({kind} rows)"
            break
        if found is None or run_end is End.LIMIT:
            break  # no better schedule (infeasible, error or a limit): stop
    info["deadline_rows_solved"] = rows
    status = final_status(end, True, served, bound)
    return Outcome(schedule, status, bound, build_s, info)


def _remaining(options: Options, start: float) -> Options:
    """Return ``options`` with the time left of its limit (None: no limit)."""
    if options.time_limit is None:
        return options
    left = max(options.time_limit - (time.perf_counter() - start), 1e-3)
    return dataclasses.replace(options, time_limit=left)


def _build_and_solve(instance: Instance, options: Options, data: Data, at_least: int):
    """Build and solve the model with served >= ``at_least``; read its schedule.

    Returns ``(end, schedule or None, integer bound or None, build_s, info)``.
    """
    name = options.solver or "highs"
    begin = time.perf_counter()
    # Legacy solvers get the minimisation of -served (see solve_legacy).
    m = build_model(instance, options, data, name != "highs", at_least)
    built = time.perf_counter()
    solve_fn = solve_highs if name == "highs" else solve_legacy
    end, has_solution, bound, setup_s, info = solve_fn(m, options)
    schedule = read_schedule(instance, m, data, options) if has_solution else None
    info = {
        "solver": name,
        "variables": m.nvariables(),
        "binaries": len(m.x) + len(m.y),
        "constraints": m.nconstraints(),
        "candidate_models": len(data.models),
        "max_used": data.max_used,
        "block_groups": len(data.groups),
        "deadline_rows": data.rows,
        **info,
    }
    return end, schedule, integer_bound(bound), built - begin + setup_s, info


def read_schedule(instance: Instance, m, d: Data, options: Options) -> Schedule:
    """Return the schedule of a solution: follow y from the depot, counts from x."""
    after = {a: b for (a, b) in d.arcs if (m.y[a, b].value or 0.0) > 0.5}
    count = {i: n for (i, n) in m.X if (m.x[i, n].value or 0.0) > 0.5}
    batches, node, seen = [], after.get(DEPOT), set()
    while node is not None and node not in seen:
        seen.add(node)
        users = count.get(node, 0)
        batches += [
            (node, group)
            for group in model_batches(instance, node, users, options.bandwidth)
        ]
        node = after.get(node)
    return Schedule.from_indices(
        instance, batches, options.reuse_blocks, options.bandwidth
    )
