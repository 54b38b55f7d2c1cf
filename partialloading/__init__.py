"""PartialLoading: scheduling inference on an edge server whose models share blocks.

The public API in one place::

    import partialloading as pl

    instance = pl.load_instance("instances/library/bls-default.json")
    result = pl.solve(instance, "dp")             # a Result, judged by the evaluator
    print(result.served, result.status, result.bound)
    pl.evaluate(instance, result.schedule)        # the one evaluator

Methods are listed in ``pl.METHODS``; see ``docs/`` for the mathematics.
"""

from __future__ import annotations

from instances.io import InputError, load_instance, save_instance
from instances.model import Block, Instance, Loading, Model, User
from instances.schedule import Batch, Evaluation, Schedule, Violation, evaluate
from instances.timing import OPTIMAL, Bandwidth
from solvers.registry import METHODS, SolverBug, Unsupported, run
from solvers.result import Options, Result, Status

__all__ = [
    "METHODS",
    "OPTIMAL",
    "Bandwidth",
    "Batch",
    "Block",
    "Evaluation",
    "InputError",
    "Instance",
    "Loading",
    "Model",
    "Options",
    "Result",
    "Schedule",
    "SolverBug",
    "Status",
    "Unsupported",
    "User",
    "Violation",
    "evaluate",
    "load_instance",
    "save_instance",
    "solve",
]


def solve(instance: Instance, method: str = "dp", **options) -> Result:
    """Solve ``instance`` with ``method``; keyword arguments build :class:`Options`.

    ``bandwidth`` may be given as text (``"optimal"``, ``"equal:10"``).
    """
    if isinstance(options.get("bandwidth"), str):
        options["bandwidth"] = Bandwidth.parse(options["bandwidth"])
    return run(method, instance, Options(**options))
