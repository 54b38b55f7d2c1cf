"""Helpers shared by the solver-based formulations: end states, statuses, pruning.

Every solver reports its end in its own words. A formulation first translates
them into one of four :class:`End` states and then calls :func:`final_status`,
so that the mapping to :class:`solvers.result.Status` is written (and tested)
once:

==============  ===============  =====================================
end state       incumbent?       status
==============  ===============  =====================================
any             yes, bound met   ``optimal`` (bound == served is a proof,
                                 whatever stopped the run)
``CONVERGED``   yes, gap left    ``feasible`` (a gap > 0 was allowed)
``LIMIT``       yes, gap left    ``time_limit``
``LIMIT``       no               ``no_solution`` (empty schedule)
``INFEASIBLE``  --               ``infeasible`` (a bug: the empty
                                 schedule is always feasible)
``ERROR``       --               ``error``
==============  ===============  =====================================

This module imports no solver package (the fast methods of
:func:`best_fast_schedule` are imported when it runs).
"""

from __future__ import annotations

import importlib
import math
from dataclasses import replace
from enum import Enum
from typing import TYPE_CHECKING

from instances.schedule import Schedule, evaluate
from instances.timing import fits_alone
from solvers.result import Options, Status

if TYPE_CHECKING:
    import numpy as np

    from instances.model import Instance

# A solver's objective bound is a float; the objective (users served) is an
# integer, so floor(bound + BOUND_TOL) is a valid integer bound that does not
# lose a unit to round-off such as 5.9999999997.
BOUND_TOL = 1e-6


class End(Enum):
    """How a solver run ended, in solver-independent terms."""

    CONVERGED = "converged"  # the solver's stopping criterion (gap) was met
    LIMIT = "limit"  # a time (or iteration) limit stopped the search
    INFEASIBLE = "infeasible"  # the solver claims the model has no solution
    ERROR = "error"  # anything else


def integer_bound(value: float | None) -> int | None:
    """Return floor(value + BOUND_TOL) for a finite ``value``, else None."""
    if value is None or not math.isfinite(value):
        return None
    return math.floor(value + BOUND_TOL)


def final_status(
    end: End, has_solution: bool, served: int, bound: int | None
) -> Status:
    """Map a solver's end state to the suite's status (see the module table).

    Parameters
    ----------
    end
        The solver-independent end state.
    has_solution
        Whether the solver returned an incumbent.
    served
        Users served by the incumbent (0 without one).
    bound
        The integer upper bound from :func:`integer_bound`, or None.
    """
    if end is End.INFEASIBLE:
        return Status.INFEASIBLE
    if end is End.ERROR:
        return Status.ERROR
    if bound == served and (has_solution or served == 0):
        # The empty schedule is always feasible, so a bound of 0 proves it.
        return Status.OPTIMAL
    if not has_solution:
        # A converged run without an incumbent is a solver failure: the empty
        # schedule is always feasible.
        return Status.NO_SOLUTION if end is End.LIMIT else Status.ERROR
    return Status.TIME_LIMIT if end is End.LIMIT else Status.FEASIBLE


def servable(instance: Instance, options: Options) -> np.ndarray:
    """Return a (K,) bool mask of the users that some feasible schedule could serve.

    See :func:`instances.timing.fits_alone`: a user whose batch cannot meet its
    deadline even alone, right after its model's cold load, can be fixed unserved.
    """
    return fits_alone(instance, options.bandwidth)


# Fast methods tried by best_fast_schedule, in order; each refuses what it
# cannot do (dp: BLS with a common deadline; greedy, gemel, search: a common
# deadline).
FAST_METHODS = ("solvers.dp", "solvers.greedy", "solvers.gemel", "solvers.search")

FAST_SEARCH_ITERATIONS = 25
"""Iteration budget of ``search`` in :func:`best_fast_schedule` (no time limit:
the start is deterministic for a seed; about 0.1-1.6 s at K = 80..1,600)."""

FAST_GRANULAR_INSERTS = True
"""Run the fast ``search`` with granular inserts (``search.solve``). Its weaker
start proved more at 800 x 250 cold-HDD: with the stronger one (4 to 8 more
users, a floor nearer the optimum) ``cpsat-seq`` proved 3-6 of 10 seeds in
60 s over four runs, against 8 of 10 with this one run side by side
(docs/formulations-cpsat.md section 5.2). Same start at K <= 100 models."""


def best_fast_schedule(instance: Instance, options: Options) -> tuple[Schedule, str]:
    """Return the schedule serving the most users among the fast methods, and its name.

    Used by the solver-based formulations so that a time-limited run never
    returns fewer served users than a fast method would (a solver's incumbent
    at a limit can be far worse). ``search`` runs :data:`FAST_SEARCH_ITERATIONS`
    iterations without a time limit. Each schedule is checked by the evaluator;
    the empty schedule (name ``"empty"``) is the fallback.
    """
    best = Schedule((), options.reuse_blocks, options.bandwidth)
    best_name, best_served = "empty", 0
    for module in FAST_METHODS:
        method = importlib.import_module(module)
        if method.supports(instance, options) is not None:
            continue
        if module == "solvers.search":
            opts = replace(options, time_limit=None, iterations=FAST_SEARCH_ITERATIONS)
            outcome = method.solve(
                instance, opts, granular_inserts=FAST_GRANULAR_INSERTS
            )
        else:
            outcome = method.solve(instance, options)
        schedule = outcome.schedule
        evaluation = evaluate(instance, schedule)
        if evaluation.feasible and evaluation.served > best_served:
            best, best_name = schedule, module.rpartition(".")[2]
            best_served = evaluation.served
    return best, best_name
