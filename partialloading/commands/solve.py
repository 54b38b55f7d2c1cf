"""``partialloading solve INSTANCE --method NAME``: solve with one method."""

from __future__ import annotations

import argparse
import json
import sys

from partialloading import exits, options
from solvers.registry import METHODS, names


def add_arguments(sub: argparse._SubParsersAction) -> None:
    """Add the ``solve`` subcommand."""
    from partialloading.cli import methods_help

    parser = sub.add_parser(
        "solve",
        help="solve an instance with one method",
        epilog=methods_help() + "\n\n" + _EXITS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("instance", metavar="INSTANCE")
    parser.add_argument(
        "--method",
        required=True,
        choices=list(METHODS),
        metavar="NAME",
        help="one of: " + ", ".join(METHODS),
    )
    parser.add_argument(
        "--out", metavar="SCHEDULE", help="write the schedule file here"
    )
    parser.add_argument(
        "--quiet", action="store_true", help="omit the table of batches"
    )
    parser.add_argument(
        "--show-users",
        action="store_true",
        help="list the served user ids of each batch",
    )
    options.add_json(parser, "the schedule document (as --out writes it)")
    options.add_solver_options(parser)


_EXITS = (
    "exit status: 0 a schedule (optimal, feasible, time_limit), 2 bad input or "
    "refused, 3 bug, 4 no schedule within the limits, 5 solver error, 6 solver "
    "claims infeasible"
)


def method_options(args: argparse.Namespace):
    """Return the :class:`Options` of ``args``, refusing options the method ignores.

    Raises
    ------
    ValueError
        ``--solver: dp uses no external solver`` and the like: an option given
        to a method that would silently ignore it.
    """
    from instances.timing import Bandwidth
    from solvers.result import Options

    entry = METHODS[args.method]
    if args.iterations is not None and not entry.iterations:
        takers = ", ".join(names(iterations=True))
        raise ValueError(
            f"--iterations: {args.method} takes no iteration budget (only {takers})"
        )
    if args.solver is not None and entry.solver != "pyomo":
        uses = f"uses {entry.solver}" if entry.solver else "uses no external solver"
        raise ValueError(f"--solver: {args.method} {uses}; --solver is for Pyomo")
    if entry.solver is None:
        given = [
            flag
            for flag, value in (
                ("--threads", args.threads),
                ("--mip-gap", args.mip_gap),
                ("--log", args.log or None),
            )
            if value is not None
        ]
        if given:
            raise ValueError(
                f"{given[0]}: {args.method} uses no external solver "
                "(only methods with a solver take it)"
            )
    return Options(
        reuse_blocks=not args.no_reuse,
        bandwidth=Bandwidth.parse(args.bandwidth),
        time_limit=args.time_limit,
        seed=args.seed,
        iterations=args.iterations,
        threads=args.threads or 1,
        mip_gap=args.mip_gap or 0.0,
        solver=args.solver,
        log=args.log,
    )


def run(args: argparse.Namespace) -> int:
    """Solve, print the summary (or the JSON document), write ``--out``."""
    from instances.io import load_instance, write_json
    from partialloading.display import escape, escape_output, instance_ids
    from solvers.registry import run as run_method
    from solvers.report import summary

    if args.log and args.json:
        raise ValueError("--log: cannot be combined with --json (one JSON object)")
    out = None
    if args.out is not None:
        out = options.output_path("--out", args.out, inputs=(args.instance,))
    method_opts = method_options(args)
    instance = load_instance(args.instance)
    result = run_method(args.method, instance, method_opts)
    document = result.to_dict(instance)
    if out is not None:
        options.write_output("--out", out, lambda tmp: write_json(tmp, document))
    if args.json:
        print(json.dumps(document, allow_nan=False, default=_plain))
    else:
        text = summary(result, batches=not args.quiet)
        if args.show_users:
            text += "\n\n" + _served_users(result)
        if out is not None:
            text += f"\n\nschedule written to {args.out}"
        print(escape_output(text, instance_ids(instance)))
    code = exits.for_status(result.status)
    if code != exits.OK:
        reason = result.info.get("error") or result.info.get("solver_status") or ""
        ended = f"partialloading: solve: {args.method} ended {result.status.value}"
        print(escape(ended + (f": {reason}" if reason else "")), file=sys.stderr)
    return code


def _served_users(result) -> str:
    lines = ["served users"]
    for n, timing in enumerate(result.evaluation.timeline, start=1):
        lines.append(f"  batch {n} ({timing.model}): {' '.join(timing.users)}")
    return "\n".join(lines)


def _plain(obj):
    if hasattr(obj, "tolist"):  # numpy values in a method's info
        return obj.tolist()
    raise TypeError(f"cannot write {type(obj).__name__} as JSON")
