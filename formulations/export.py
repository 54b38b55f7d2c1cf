"""Write a MILP of P2 (``milp`` or ``milp-seq``) as an LP or MPS file.

The ``partialloading export`` command (``partialloading/commands/export.py``)
calls :func:`export`. The file is Pyomo's writer output with symbolic labels.
For ``milp`` (the default) variables read ``x(3_17)`` (position 3, user index
17), ``z(n_i)``, ``u(n_g)``, ``C(n)``, as in docs/formulations-milp.md; for
``milp-seq`` ``x(i_n)`` (model i serves n users), ``y(a_b)`` (b runs after a;
``y(_1_b)``: b runs first, on the empty GPU), ``f(a_b)``, ``h(g)``, as in
docs/formulations-milp-seq.md.
Times are in milliseconds; the deadline row is the "proof" row (the evaluator's
rule, slightly relaxed). An LP file maximises the number served; an MPS file
minimises its negation (see :func:`export`). Pyomo is imported only when
:func:`export` runs.
"""

from __future__ import annotations

from typing import Any

MODELS = ("milp", "milp-seq")
"""The formulations that can be exported."""


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
    "* (CBC) solve it right. Times in ms.\n"
)


def export(instance, options, path: str, fmt: str, model: str = "milp") -> dict:
    """Write the model of ``instance`` to ``path``; return its size.

    LP files maximise ``served``. MPS files minimise ``neg_served`` = -served
    (stated in a comment line), because several MPS readers ignore OBJSENSE
    and would minimise the count. The model is named "P2" and every row and
    column has a short symbolic name (``x(3_17)``, ``deadline(3_17)``), never
    the instance's name. ``model`` is one of :data:`MODELS`; ``milp-seq``
    raises ValueError for per-user deadlines (it needs a common one).
    """
    from pyomo.opt import ProblemFormat

    from formulations import milp, milp_seq

    if model not in MODELS:
        raise ValueError(f"model: expected one of {MODELS}, got {model!r}")
    if model == "milp-seq" and instance.has_user_deadlines:
        raise ValueError("model: milp-seq needs a common deadline (use milp)")
    formulation: Any = milp_seq if model == "milp-seq" else milp
    built = formulation.build_model(instance, options, minimise=fmt == "mps")
    formats = {"lp": ProblemFormat.cpxlp, "mps": ProblemFormat.mps}
    built.write(path, format=formats[fmt], io_options={"symbolic_solver_labels": True})
    if fmt == "mps":
        _add_note(path, MPS_NOTE)
    return {"variables": built.nvariables(), "constraints": built.nconstraints()}


def _add_note(path: str, note: str) -> None:
    """Insert ``note`` (comment lines) after the writer's leading comment lines."""
    with open(path) as file:
        lines = file.readlines()
    head = next((n for n, line in enumerate(lines) if not line.startswith("*")), 0)
    with open(path, "w") as file:
        file.writelines([*lines[:head], note, *lines[head:]])
