"""The ``partialloading`` command line (spec section 4).

Commands: solve, verify, info, generate, export, experiment. Heavy packages
(Pyomo, OR-Tools, networkx, matplotlib) are imported only by the command that
needs them, so ``partialloading --help`` starts fast.

Exit status: 0 success (``verify``: feasible), 1 ``verify``: infeasible, 2 bad
input or a method that refuses the instance (one line on stderr, no traceback),
3 a method returned a schedule the evaluator rejects (a bug), 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from solvers.registry import METHODS


class UsageError(Exception):
    """Raised by the argument parser instead of exiting (so main() owns exit codes)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def _methods_help() -> str:
    width = max(map(len, METHODS))
    rows = [f"  {name.ljust(width)}  {spec.summary}" for name, spec in METHODS.items()]
    return "methods:\n" + "\n".join(rows)


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be finite and > 0, got {text!r}")
    return value


def _add_solve_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--time-limit",
        type=_positive_float,
        metavar="S",
        help="wall-clock limit in seconds for searching methods",
    )
    parser.add_argument(
        "--no-reuse",
        action="store_true",
        help="plan and evaluate with independent loading (no block reuse)",
    )
    parser.add_argument(
        "--bandwidth",
        default="optimal",
        metavar="optimal|equal:R",
        help="optimal split (eq. 12) or R equal sub-channels (default optimal)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="solver random seed (default 0)"
    )
    parser.add_argument(
        "--threads", type=int, default=1, help="solver threads (default 1)"
    )
    parser.add_argument(
        "--mip-gap",
        type=float,
        default=0.0,
        metavar="G",
        help="relative MIP gap at which to stop (default 0: prove optimality)",
    )
    parser.add_argument(
        "--solver",
        metavar="NAME",
        help="Pyomo solver for the milp method (default highs)",
    )
    parser.add_argument(
        "--log",
        action="store_true",
        help="stream the solver's progress log (milp, cpsat, cpsat-seq)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="partialloading",
        description="Scheduling inference on an edge server whose AI models share "
        "parameter blocks (PartialLoading, Qu et al.): solve, verify and study.",
        epilog=_methods_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    solve = sub.add_parser(
        "solve",
        help="solve an instance with one method",
        epilog=_methods_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    solve.add_argument("instance", metavar="INSTANCE")
    solve.add_argument(
        "--method",
        required=True,
        choices=list(METHODS),
        metavar="NAME",
        help="one of: " + ", ".join(METHODS),
    )
    solve.add_argument("--out", metavar="SCHEDULE", help="write the schedule file here")
    solve.add_argument("--quiet", action="store_true", help="omit the table of batches")
    _add_solve_options(solve)

    verify = sub.add_parser(
        "verify",
        help="check a schedule file (exit 0 feasible, 1 infeasible, 2 bad input)",
    )
    verify.add_argument("instance", metavar="INSTANCE")
    verify.add_argument("schedule", metavar="SCHEDULE")

    info = sub.add_parser(
        "info", help="sizes, clusters, BLS test and sharing of an instance"
    )
    info.add_argument("instance", metavar="INSTANCE")

    for module in _EXTENSIONS.values():
        importlib.import_module(module).add_arguments(sub)
    return parser


# Commands whose arguments and handlers live with their package (light modules:
# they import their heavy dependencies inside ``run``).
_EXTENSIONS = {
    "generate": "instances.generators.cli",
    "export": "formulations.export",
    "experiment": "experiments.cli",
}


def _options(args: argparse.Namespace):
    from instances.timing import Bandwidth
    from solvers.result import Options

    return Options(
        reuse_blocks=not args.no_reuse,
        bandwidth=Bandwidth.parse(args.bandwidth),
        time_limit=args.time_limit,
        seed=args.seed,
        threads=args.threads,
        mip_gap=args.mip_gap,
        solver=args.solver,
        log=args.log,
    )


def cmd_solve(args: argparse.Namespace) -> int:
    from instances.io import load_instance, write_json
    from solvers.registry import run
    from solvers.report import summary

    instance = load_instance(args.instance)
    result = run(args.method, instance, _options(args))
    print(summary(result, batches=not args.quiet))
    if args.out:
        write_json(args.out, result.to_dict(instance))
        print(f"\nschedule written to {args.out}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from instances.io import load_instance
    from instances.schedule import verify_file

    instance = load_instance(args.instance)
    evaluation, problems = verify_file(instance, args.schedule)
    if problems:
        # Stated figures that disagree make a feasible schedule's file wrong, too.
        verdict = "infeasible" if evaluation.violations else "rejected"
        print(f"{verdict}: {len(problems)} problem(s)")
        for problem in problems:
            print(f"  {problem}")
        return 1
    print(
        f"feasible: {evaluation.served} of {instance.num_users} users served, "
        f"{len(evaluation.timeline)} batches, "
        f"makespan {1000 * evaluation.makespan_s:.3f} ms"
    )
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from instances.info import describe
    from instances.io import load_instance

    print(describe(load_instance(args.instance)))
    return 0


_HANDLERS = {"solve": cmd_solve, "verify": cmd_verify, "info": cmd_info}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    from instances.io import InputError
    from solvers.registry import SolverBug, Unsupported

    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 2
        handler = (
            _HANDLERS.get(args.command)
            or importlib.import_module(_EXTENSIONS[args.command]).run
        )
        return handler(args)
    except UsageError as error:
        return _fail(str(error))
    except (InputError, Unsupported) as error:
        return _fail(f"partialloading: error: {error}")
    except SolverBug as error:
        return _fail(f"partialloading: BUG: {error}", status=3)
    except (ValueError, OSError) as error:  # bad option values; unwritable --out
        return _fail(f"partialloading: error: {error}")
    except KeyboardInterrupt:
        return _fail("partialloading: interrupted", status=130)


def _fail(message: str, status: int = 2) -> int:
    """Print ``message`` as a single line on stderr and return ``status``."""
    print(" ".join(message.splitlines()), file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
