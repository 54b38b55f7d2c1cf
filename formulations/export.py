"""Write the MILP of P2 as an LP or MPS file for other solvers.

The ``partialloading export`` command (``partialloading/commands/export.py``)
calls :func:`export`. The file is Pyomo's writer output with symbolic labels, so
variables read ``x(3_17)`` (position 3, user index 17), ``z(n_i)``, ``u(n_g)``,
``C(n)``, as in docs/formulations-milp.md. Times are in milliseconds. Pyomo is
imported only when :func:`export` runs. An LP file maximises the number
served; an MPS file minimises its negation (see :func:`export`).
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


MPS_NOTE = (
    "* Objective: minimise -served, the NEGATED number of users served (the\n"
    "* optimum is minus the largest count), so that readers ignoring OBJSENSE\n"
    "* (CBC) solve it right. Times in ms; x(n_k): user k in batch n.\n"
)


def export(instance, options, path: str, fmt: str) -> dict:
    """Write the model of ``instance`` to ``path``; return its size.

    LP files maximise ``served``. MPS files minimise ``neg_served`` = -served
    (stated in a comment line), because several MPS readers ignore OBJSENSE
    and would minimise the count. The model is named "P2" and every row and
    column has a short symbolic name (``x(3_17)``, ``deadline(3_17)``), never
    the instance's name.
    """
    from pyomo.opt import ProblemFormat

    from formulations.milp import build_model

    model = build_model(instance, options, minimise=fmt == "mps")
    formats = {"lp": ProblemFormat.cpxlp, "mps": ProblemFormat.mps}
    model.write(path, format=formats[fmt], io_options={"symbolic_solver_labels": True})
    if fmt == "mps":
        _add_note(path, MPS_NOTE)
    return {"variables": model.nvariables(), "constraints": model.nconstraints()}


def _add_note(path: str, note: str) -> None:
    """Insert ``note`` (comment lines) after the writer's leading comment lines."""
    with open(path) as file:
        lines = file.readlines()
    head = next((n for n, line in enumerate(lines) if not line.startswith("*")), 0)
    with open(path, "w") as file:
        file.writelines([*lines[:head], note, *lines[head:]])
