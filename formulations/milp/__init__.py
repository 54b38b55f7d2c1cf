"""The batch-position MILP of P2 in Pyomo (method ``milp``), as a small package.

========================  ====================================================
``data``                  the instance reduced to candidate users, block groups,
                          positions N, times in ms; the deadline rows
``model``                 variables, constraint families (one function each,
                          the mathematics in their docstrings) and objective
``adapters``              HiGHS via ``pyomo.contrib.solver``; any other solver
                          via ``pyo.SolverFactory`` (``--solver NAME``)
``solving``               ``supports`` and ``solve``: build, solve, re-check by
                          the evaluator, status by ``formulations.common``
========================  ====================================================

The registry names this package (``formulations.milp``); it exposes the
method's ``supports`` and ``solve``. docs/formulations-milp.md has the model.
"""

from formulations.milp.adapters import contrib_end, legacy_end
from formulations.milp.data import (
    DEADLINE_ROWS,
    INNER_GUARD,
    MS,
    RETRY_MARGIN,
    Data,
    deadlines_ms,
    prepare,
)
from formulations.milp.model import build_model
from formulations.milp.solving import MAX_VARIABLES, solve, supports

__all__ = [
    "DEADLINE_ROWS",
    "INNER_GUARD",
    "MAX_VARIABLES",
    "MS",
    "RETRY_MARGIN",
    "Data",
    "build_model",
    "contrib_end",
    "deadlines_ms",
    "legacy_end",
    "prepare",
    "solve",
    "supports",
]
