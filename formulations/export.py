"""Write the MILP of P2 as an LP or MPS file for other solvers.

The ``partialloading export`` command (``partialloading/commands/export.py``)
calls :func:`export`. The file is Pyomo's writer output with symbolic labels, so
variables read ``x(3_17)`` (position 3, user index 17), ``z(n_i)``, ``u(n_g)``,
``C(n)``, as in docs/formulations-milp.md. Times are in milliseconds. Pyomo is
imported only when :func:`export` runs.
"""

from __future__ import annotations


def file_format(path: str, requested: str | None) -> str:
    """Return ``requested``, else the format named by ``path``'s extension."""
    if requested:
        return requested
    suffix = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    if suffix in ("lp", "mps"):
        return suffix
    raise ValueError(
        f'--format: cannot tell the format of "{path}"; give --format lp|mps'
    )


def export(instance, options, path: str, fmt: str) -> dict:
    """Write the model of ``instance`` to ``path``; return its size."""
    from pyomo.opt import ProblemFormat

    from formulations.milp import build_model

    model = build_model(instance, options)
    formats = {"lp": ProblemFormat.cpxlp, "mps": ProblemFormat.mps}
    model.write(path, format=formats[fmt], io_options={"symbolic_solver_labels": True})
    return {"variables": model.nvariables(), "constraints": model.nconstraints()}
