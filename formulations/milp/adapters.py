"""Solver adapters: HiGHS through ``pyomo.contrib.solver``, any other by name.

Each adapter solves a built model, loads the incumbent into it and returns
``(end, has_solution, bound, setup_s, info)`` with ``bound`` an upper bound on
the number served (sense already mapped) and ``end`` an
:class:`formulations.common.End`; :func:`formulations.common.final_status`
then makes the status, for every solver alike.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

from formulations.common import End
from formulations.milp.data import SOLVER_TOLERANCE

if TYPE_CHECKING:
    from solvers.result import Options

HIGHS_AGGREGATOR_OFF = 1 << 12
"""HiGHS ``presolve_rule_off`` bit of its aggregator (rule 12 in HiGHS 1.16).

With the tight tolerances below, HiGHS 1.16's presolve aggregator declared
near-tie models with equal sub-channels infeasible (or optimal at 0 without
the floor) although a schedule with 0.26 s of slack was in them: 11 instances
of a random near-tie search (three are witnesses in ``tests/test_near_tie.py``).
With the aggregator off all 11 are solved right; presolve off entirely also
fixes them but is slower (docs/formulations-milp.md section 5)."""

HIGHS_INTEGRALITY_TOLERANCE = 1e-9
"""HiGHS ``mip_feasibility_tolerance``. At 1e-10 (= SOLVER_TOLERANCE), HiGHS 1.16's
presolve looped without end in ``strengthenInequalities`` on tiny near-tie models
of ``milp-seq``, ignoring the time limit (docs/formulations-milp.md section 5)."""

HIGHS_OPTIONS = {
    "mip_feasibility_tolerance": HIGHS_INTEGRALITY_TOLERANCE,
    "primal_feasibility_tolerance": SOLVER_TOLERANCE,
    "presolve_rule_off": HIGHS_AGGREGATOR_OFF,
}
# Names of the MIP gap, thread, seed and time-limit options of solvers run
# through the legacy pyo.SolverFactory path, and extra options they need. The
# time limit goes to the solver's own option, so that the solver stops itself
# and Pyomo never kills it (Pyomo kills a process one second after a
# ``timelimit=``, which lost CBC's incumbent). A solver missing here gets
# Pyomo's ``timelimit=`` and, if it is killed, ends with no incumbent.
LEGACY_OPTIONS: dict[str, tuple[str | None, str | None, str | None, str | None]] = {
    "appsi_highs": ("mip_rel_gap", "threads", "random_seed", "time_limit"),
    "cbc": ("ratioGap", "threads", "randomSeed", "sec"),
    "glpk": ("mipgap", None, None, "tmlim"),
    "gurobi": ("MIPGap", "Threads", "Seed", "TimeLimit"),
    "gurobi_direct": ("MIPGap", "Threads", "Seed", "TimeLimit"),
    "cplex": ("mipgap", "threads", "randomseed", "timelimit"),
    "cplex_direct": ("mipgap", "threads", "randomseed", "timelimit"),
    "scip": ("limits/gap", None, "randomization/randomseedshift", "limits/time"),
}
LEGACY_EXTRA = {"cbc": {"timeMode": "elapsed"}}  # wall-clock seconds, as HiGHS


_CONTRIB_END = {
    "convergenceCriteriaSatisfied": End.CONVERGED,
    "maxTimeLimit": End.LIMIT,
    "iterationLimit": End.LIMIT,
    "provenInfeasible": End.INFEASIBLE,
    "infeasibleOrUnbounded": End.INFEASIBLE,
    "locallyInfeasible": End.INFEASIBLE,
}

_LEGACY_END = {
    "optimal": End.CONVERGED,
    "globallyOptimal": End.CONVERGED,
    "maxTimeLimit": End.LIMIT,
    "maxIterations": End.LIMIT,
    "maxEvaluations": End.LIMIT,
    "infeasible": End.INFEASIBLE,
    "infeasibleOrUnbounded": End.INFEASIBLE,
    # CBC at a limit before any integer solution (Pyomo loads the LP point).
    "intermediateNonInteger": End.LIMIT,
}


def contrib_end(termination: str) -> End:
    """Map a ``pyomo.contrib.solver`` TerminationCondition name to an :class:`End`."""
    return _CONTRIB_END.get(termination, End.ERROR)


def legacy_end(termination: str) -> End:
    """Map a legacy ``pyomo.opt`` TerminationCondition value to an :class:`End`."""
    return _LEGACY_END.get(termination, End.ERROR)


def solve_highs(m, options: Options, presolve: bool = True):
    """Solve with HiGHS through ``pyomo.contrib.solver``; load the incumbent into m.

    ``abs_gap = 0.99``: the objective is an integer, so a dual bound below the
    incumbent + 1 already proves it optimal (floor(bound) == incumbent).
    ``presolve=False`` switches HiGHS's presolve off (``milp``'s retry).
    """
    from pyomo.contrib.solver.common.factory import SolverFactory
    from pyomo.contrib.solver.common.results import SolutionStatus

    opt = SolverFactory("highs")
    begin = time.perf_counter()
    res = opt.solve(
        m,
        load_solutions=False,
        raise_exception_on_nonoptimal_result=False,
        rel_gap=options.mip_gap,
        abs_gap=0.99,
        threads=options.threads,
        time_limit=options.time_limit,
        tee=options.log,
        solver_options={
            "random_seed": options.seed,
            **HIGHS_OPTIONS,
            **({} if presolve else {"presolve": "off"}),
        },
    )
    wall = time.perf_counter() - begin
    solve_s = float(res.timing_info.highs_time)
    has_solution = res.solution_status in (
        SolutionStatus.feasible,
        SolutionStatus.optimal,
    )
    if has_solution:
        res.solution_loader.load_vars()
    info = {
        "solver_version": ".".join(map(str, res.solver_version)),
        "termination": res.termination_condition.name,
        "nodes": dict(res.extra_info).get("mip_node_count"),
        "solve_s": solve_s,
        "objective_bound": _finite(res.objective_bound),
    }
    return (
        contrib_end(res.termination_condition.name),
        has_solution,
        res.objective_bound,
        (wall - solve_s),
        info,
    )


def solve_legacy(m, options: Options):
    """Solve with any solver of ``pyo.SolverFactory``; load the incumbent into m.

    ``m`` must minimise the negated count (``build_model(..., minimise=True)``):
    every solver and Pyomo reader handles a minimisation the same way, while
    the sense of a maximisation's bound is mis-read for some (Pyomo returns CBC's
    bound of a maximisation with the wrong sign). The bound on the number served
    is then minus the solver's lower bound.
    """
    import io
    import subprocess

    import pyomo.environ as pyo
    from pyomo.common.log import LoggingIntercept

    name = options.solver or "highs"
    opt = pyo.SolverFactory(name)
    gap, threads, seed, limit = LEGACY_OPTIONS.get(name, (None, None, None, None))
    passed: dict[Any, Any] = {
        gap: options.mip_gap,
        threads: options.threads,
        seed: options.seed,
    }
    kwargs: dict[str, Any] = {"load_solutions": False, "tee": options.log}
    if options.time_limit is not None:
        if limit is None:
            kwargs["timelimit"] = options.time_limit
        else:
            passed[limit] = options.time_limit
            passed.update(LEGACY_EXTRA.get(name, {}))
    passed.pop(None, None)
    kwargs["options"] = passed
    begin = time.perf_counter()
    try:
        res = opt.solve(m, **kwargs)
    except subprocess.TimeoutExpired:
        # Killed by Pyomo after the limit: no incumbent, no bound.
        info: dict[str, Any] = {"termination": "killed after the time limit"}
        return End.LIMIT, False, None, 0.0, info
    wall = time.perf_counter() - begin
    termination = str(getattr(res.solver.termination_condition, "value", "unknown"))
    # A limit before any integer solution leaves a fractional point: no incumbent.
    has_solution = len(res.solution) > 0 and termination != "intermediateNonInteger"
    if has_solution:
        # Pyomo warns when it loads the incumbent of an aborted (time-limited) run.
        with LoggingIntercept(io.StringIO(), "pyomo.core"):
            m.solutions.load_from(res)
        has_solution = all(v.value is not None for v in m.x.values())
    lower = _finite(res.problem.lower_bound)
    bound = None if lower is None else -lower
    version = opt.version() if hasattr(opt, "version") else None
    info = {
        "solver_version": ".".join(map(str, version)) if version else None,
        "termination": termination,
        "nodes": None,
        "solve_s": wall,
        "objective_bound": bound,
        "solver_options": {str(k): v for k, v in passed.items()},
    }
    return legacy_end(termination), has_solution, bound, 0.0, info


def _finite(value) -> float | None:
    """Return ``value`` as a float when finite (JSON has no inf), else None."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None
