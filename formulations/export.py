"""The ``export`` command: write the MILP of P2 as an LP or MPS file for other solvers.

    partialloading export INSTANCE -o FILE [--format lp|mps] [--no-reuse]
                          [--bandwidth optimal|equal:R]

The file is Pyomo's writer output with symbolic labels, so variables read
``x(3_17)`` (position 3, user index 17), ``z(n_i)``, ``u(n_g)``, ``C(n)``, as in
docs/formulations-milp.md. Times are in milliseconds. Pyomo is imported only
when the command runs.
"""

from __future__ import annotations

import argparse


def add_arguments(sub) -> None:
    """Register the ``export`` sub-command on the ``partialloading`` parser."""
    parser = sub.add_parser(
        "export",
        help="write the MILP model as LP or MPS",
        description="Write the batch-position MILP of P2 (formulations/milp.py) for "
        "other solvers. Variables x(n_k), z(n_i), u(n_g), C(n); times in ms.",
    )
    parser.add_argument("instance", metavar="INSTANCE")
    parser.add_argument(
        "--format",
        choices=("lp", "mps"),
        default=None,
        help="file format (default: from the file name's extension)",
    )
    parser.add_argument(
        "-o", "--out", required=True, metavar="FILE", help="output file"
    )
    parser.add_argument(
        "--no-reuse",
        action="store_true",
        help="model independent loading (no block reuse)",
    )
    parser.add_argument(
        "--bandwidth",
        default="optimal",
        metavar="optimal|equal:R",
        help="optimal split (eq. 12) or R equal sub-channels",
    )


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


def run(args: argparse.Namespace) -> int:
    """Run the command; return the exit status."""
    from instances.io import load_instance
    from instances.timing import Bandwidth
    from solvers.result import Options

    instance = load_instance(args.instance)
    options = Options(
        reuse_blocks=not args.no_reuse, bandwidth=Bandwidth.parse(args.bandwidth)
    )
    fmt = file_format(args.out, args.format)
    size = export(instance, options, args.out, fmt)
    print(
        f"wrote {fmt.upper()} model of {instance.name} to {args.out}: "
        f"{size['variables']} variables, {size['constraints']} constraints"
    )
    return 0
