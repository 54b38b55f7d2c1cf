"""The compact MILP of P2 in Pyomo (method ``milp-seq``), as a small package.

========================  ====================================================
``data``                  candidate models, count tables c_i(n), switch loads
                          L(a, b), block groups, the deadline row T, in ms
``model``                 variables, constraint families (one function each,
                          the mathematics in the module docstring), objective
``solving``               ``supports`` and ``solve``: fast start, "one user
                          more" proof solve, re-check by the evaluator
========================  ====================================================

It is the ``cpsat-seq`` model (docs/formulations-cpsat.md) as a MILP: one-hot
counts per model, arcs of the model order from an empty-GPU depot, and a
single-commodity flow against subtours. The solver adapters and deadline rows
are those of ``formulations.milp``. docs/formulations-milp-seq.md has the model.
"""

from formulations.milp_seq.data import Data, prepare
from formulations.milp_seq.model import build_model
from formulations.milp_seq.solving import read_schedule, solve, supports

__all__ = ["Data", "build_model", "prepare", "read_schedule", "solve", "supports"]
