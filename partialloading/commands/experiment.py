"""``partialloading experiment NAME --out DIR``: run an experiment campaign.

Loads ``experiments/configs/NAME.toml`` (or ``--config FILE``), builds an
:class:`experiments.context.RunContext` from the options and runs the
experiment (:func:`experiments.cli.run_experiment`).
"""

from __future__ import annotations

import argparse
import sys

from experiments.cli import EXPERIMENTS
from partialloading import exits, options


def add_arguments(sub: argparse._SubParsersAction) -> None:
    """Add the ``experiment`` subcommand.

    Long but flat: one ``add_argument`` call per option, in ``--help`` order.
    """
    parser = sub.add_parser(
        "experiment",
        help="run an experiment campaign (figures, scaling, verification)",
        description="Run an experiment; results go to DIR/results.csv (resumable: "
        "re-running skips finished rows), plots and DIR/report.md.",
    )
    parser.add_argument(
        "name",
        choices=list(EXPERIMENTS),
        metavar="NAME",
        help="one of: " + ", ".join(EXPERIMENTS),
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="TOML config (default experiments/configs/NAME.toml)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="use the config's [quick] sizes (a minute or two)",
    )
    parser.add_argument(
        "--workers",
        type=options.at_least(1),
        metavar="N",
        help="worker processes (default all cores; 1 = this process)",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--dask",
        choices=["local"],
        help="run on a Dask LocalCluster of --workers processes",
    )
    where.add_argument(
        "--scheduler", metavar="ADDRESS", help="run on the Dask scheduler at ADDRESS"
    )
    parser.add_argument(
        "--instances",
        type=options.at_least(1),
        metavar="N",
        help="instances per point (overrides the config)",
    )
    parser.add_argument(
        "--seed",
        type=options.solver_seed,  # seeds the solvers too
        metavar="S",
        help="base seed, 0..2^31-1 (overrides the config; default 0)",
    )
    parser.add_argument(
        "--time-limit",
        type=options.time_limit,
        metavar="S",
        help="time limit per run in seconds (overrides the config)",
    )
    parser.add_argument(
        "--realizations",
        type=options.at_least(1),
        metavar="N",
        help="channel realizations per point (overrides the config)",
    )
    parser.add_argument(
        "--run-missing",
        action="store_true",
        help="claims: run the campaigns whose evidence is missing, after printing "
        "an estimate (default: only gather and list them)",
    )
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar on stderr (default: only when stderr is a terminal)",
    )
    parser.add_argument(
        "--out",
        required=True,
        type=options.non_empty,
        metavar="DIR",
        help="output directory",
    )


def show_progress(args: argparse.Namespace) -> bool:
    """Return whether to draw the progress bar: as asked, else on a terminal."""
    if args.progress is not None:
        return bool(args.progress)
    return sys.stderr.isatty()


def run(args: argparse.Namespace) -> int:
    """Run the experiment named by ``args``; return the exit status (130: Ctrl-C)."""
    from pathlib import Path

    from experiments.cli import load_config, run_experiment
    from experiments.context import RunContext
    from partialloading.display import escape

    config = load_config(args.name, args.config)
    ctx = RunContext(
        name=args.name,
        quick=args.quick,
        scheduler=args.scheduler or args.dask,
        seed=args.seed if args.seed is not None else int(config.get("seed", 0)),
        instances=args.instances,
        time_limit=args.time_limit,
        realizations=args.realizations,
        progress=show_progress(args),
        run_missing=args.run_missing,
        **({"workers": args.workers} if args.workers else {}),
    )
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ValueError(f"--out: cannot create {args.out} ({reason})") from None
    try:
        run_experiment(args.name, config, out, ctx)
    except KeyboardInterrupt:
        print(
            f"partialloading: {args.name} interrupted; results so far in "
            f"{escape(str(out))}",
            file=sys.stderr,
        )
        return exits.INTERRUPTED
    print(f"{args.name}: results in {escape(str(out))}")
    return exits.OK
