"""``partialloading export INSTANCE -o FILE``: the MILP of P2 as LP or MPS.

The model is sized first (``formulations.milp.Data.num_variables``, cheap)
and refused above :data:`MAX_VARIABLES` unless ``--force``: Pyomo needs about
30 kB of memory per variable while writing. The file is written under a
temporary name and renamed when complete, so no partial file is ever left.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from partialloading import exits, options

if TYPE_CHECKING:
    import argparse

# Pyomo used 14 GB for the 420,000-user instance of issue 10 (about 4e5 variables
# per GB); 2,000,000 variables stays within a few GB and writes in minutes.
MAX_VARIABLES = 2_000_000


def add_arguments(sub: argparse._SubParsersAction) -> None:
    """Add the ``export`` subcommand."""
    parser = sub.add_parser(
        "export",
        help="write the MILP model (milp or milp-seq) as LP or MPS",
        description="Write the batch-position MILP of P2 (formulations/milp) for "
        "other solvers. Variables x(n_k), z(n_i), u(n_g), C(n); times in ms. "
        f"Models over {MAX_VARIABLES:,} variables are refused unless --force.",
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
        "--model",
        choices=("milp", "milp-seq"),
        default="milp",
        help="batch-position milp (default) or compact milp-seq (common deadline)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help=f"write models over {MAX_VARIABLES:,} variables too",
    )
    options.add_model_options(parser)


def run(args: argparse.Namespace) -> int:
    """Run the command; return the exit status."""
    from formulations import milp, milp_seq
    from formulations.export import export, file_format
    from instances.io import load_instance
    from instances.timing import Bandwidth
    from partialloading.display import escape
    from solvers.result import Options

    out = options.output_path("--out", args.out, inputs=(args.instance,))
    fmt = file_format(args.out, args.format)
    instance = load_instance(args.instance)
    method_options = Options(
        reuse_blocks=not args.no_reuse, bandwidth=Bandwidth.parse(args.bandwidth)
    )
    formulation = milp_seq if args.model == "milp-seq" else milp
    if args.model == "milp-seq" and instance.has_user_deadlines:
        raise ValueError("--model: milp-seq needs a common deadline (use milp)")
    size = formulation.prepare(instance, method_options).num_variables
    if size > MAX_VARIABLES and not args.force:
        raise ValueError(
            f"{escape(args.instance)}: the model would have {size:,} variables, over "
            f"the export limit of {MAX_VARIABLES:,} (use --force to write it anyway)"
        )

    chosen = {} if args.model == "milp" else {"model": args.model}

    def write(tmp):
        return export(instance, method_options, str(tmp), fmt, **chosen)

    written = options.write_output("--out", out, write)
    print(
        f"wrote {fmt.upper()} model of {escape(instance.name)} to {escape(args.out)}: "
        f"{written['variables']} variables, {written['constraints']} constraints"
    )
    return exits.OK
