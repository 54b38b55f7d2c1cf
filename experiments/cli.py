"""The ``partialloading experiment NAME`` command.

Loads ``experiments/configs/NAME.toml`` (or ``--config FILE``), builds a
:class:`experiments.context.RunContext` from the options, creates ``--out DIR``
and calls ``run(config, out, ctx)`` of the experiment's module. This module stays
light: the experiment modules import matplotlib, Dask and the solvers themselves.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from experiments.catalog import CONFIGS, EXPERIMENTS, kind_of, load_config

__all__ = ["CONFIGS", "EXPERIMENTS", "add_arguments", "load_config", "run"]


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {text!r}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be finite and > 0, got {text!r}")
    return value


def add_arguments(sub) -> None:
    """Add the ``experiment`` command to the subparsers ``sub``."""
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
        type=_positive_int,
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
        type=_positive_int,
        metavar="N",
        help="instances per point (overrides the config)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        metavar="S",
        help="base generator seed (overrides the config; default 0)",
    )
    parser.add_argument(
        "--time-limit",
        type=_positive_float,
        metavar="S",
        help="time limit per run in seconds (overrides the config)",
    )
    parser.add_argument(
        "--realizations",
        type=_positive_int,
        metavar="N",
        help="channel realizations per point (overrides the config)",
    )
    shown = parser.add_mutually_exclusive_group()
    shown.add_argument(
        "--progress",
        action="store_true",
        help="progress bar on stderr even when it is not a terminal",
    )
    shown.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--out", required=True, metavar="DIR", help="output directory")


def run(args: argparse.Namespace) -> int:
    """Run the experiment named by ``args``; return the exit status (130: Ctrl-C)."""
    from experiments.context import RunContext
    from experiments.schema import validate

    config = load_config(args.name, args.config)
    # Refuse a bad config (ValueError: one line naming the field) before any run.
    validate(kind_of(args.name), config, args.name)
    ctx = RunContext(
        name=args.name,
        quick=args.quick,
        scheduler=args.scheduler or args.dask,
        seed=args.seed if args.seed is not None else int(config.get("seed", 0)),
        instances=args.instances,
        time_limit=args.time_limit,
        realizations=args.realizations,
        progress=True if args.progress else False if args.no_progress else None,
        **({"workers": args.workers} if args.workers else {}),
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    module = importlib.import_module(EXPERIMENTS[args.name])
    try:
        module.run(config, out, ctx)
    except KeyboardInterrupt:
        print(
            f"partialloading: {args.name} interrupted; results so far in {out}",
            file=sys.stderr,
        )
        return 130
    print(f"{args.name}: results in {out}")
    return 0
