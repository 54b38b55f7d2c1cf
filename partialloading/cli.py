"""The ``partialloading`` command line (spec section 4).

Commands: solve, verify, info, generate, export, experiment, each a module of
:data:`COMMANDS` with ``add_arguments(sub)`` and ``run(args)``; a new command is
one more module name there. Heavy packages (Pyomo, OR-Tools, networkx,
matplotlib) are imported only by the command that runs, so ``partialloading
--help`` starts fast.

Exit status (:mod:`partialloading.exits`, README table): 0 success (``solve``:
a schedule; ``verify``: feasible), 1 ``verify``: infeasible, 2 bad input or a
method that refuses the instance (one line on stderr, no traceback), 3 a bug,
4 ``solve``: no schedule within the limits, 5 ``solve``: solver error, 6
``solve``: the solver claims infeasibility, 130 interrupted, 141 stdout closed
by its reader (as Unix tools die of SIGPIPE).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import TYPE_CHECKING

from partialloading import exits
from solvers.registry import METHODS

if TYPE_CHECKING:
    from collections.abc import Sequence

# The subcommand modules, in the order of ``--help``.
COMMANDS = [
    "partialloading.commands.solve",
    "partialloading.commands.verify",
    "partialloading.commands.info",
    "partialloading.commands.generate",
    "partialloading.commands.export",
    "partialloading.commands.experiment",
    "partialloading.commands.bench",  # bench and compare
]


class UsageError(Exception):
    """Raised by the argument parser instead of exiting (so main() owns exit codes)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def methods_help() -> str:
    """Return the ``methods:`` section of the help (one line per method)."""
    width = max(map(len, METHODS))
    rows = [f"  {name.ljust(width)}  {spec.summary}" for name, spec in METHODS.items()]
    return "methods:\n" + "\n".join(rows)


def version() -> str:
    """Return the installed version of the package (or "unknown")."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("partialloading")
    except PackageNotFoundError:
        return "unknown"


class _Version(argparse.Action):
    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, help="print the version")

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"partialloading {version()}")
        raise SystemExit(0)


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of every command."""
    parser = _Parser(
        prog="partialloading",
        description="Scheduling inference on an edge server whose AI models share "
        "parameter blocks (PartialLoading, Qu et al.): solve, verify and study.",
        epilog=methods_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=_Version)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        module = importlib.import_module(name)
        before = set(sub.choices)
        module.add_arguments(sub)
        for command in set(sub.choices) - before:
            sub.choices[command].set_defaults(handler=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    try:
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except SystemExit as done:  # --version
            return int(done.code or 0)
        if args.command is None:
            parser.print_help()
            return exits.BAD_INPUT
        status = args.handler(args)
        sys.stdout.flush()  # a closed pipe shows here, not at exit
        return int(status)
    except KeyboardInterrupt:
        return _fail("partialloading: interrupted", status=exits.INTERRUPTED)
    except Exception as error:
        return _report(error)


def _report(error: Exception) -> int:
    """Print the one-line message of an expected ``error``; return the exit status.

    Anything unexpected is re-raised: a traceback from the command line itself
    is a bug to fix, not a message to word.
    """
    from instances.io import InputError
    from solvers.registry import SolverBug, Unsupported

    status = exits.BAD_INPUT
    if isinstance(error, UsageError):
        message = str(error)
    elif isinstance(error, SolverBug):
        message, status = f"partialloading: BUG: {error}", exits.BUG
    elif isinstance(error, BrokenPipeError):
        return _closed_stdout()
    elif isinstance(error, OSError):  # a file we could not read or write
        where = f"{error.filename}: " if error.filename else ""
        reason = error.strerror or type(error).__name__
        message = f"partialloading: error: {where}{reason}"
    elif isinstance(error, InputError | Unsupported | ValueError):
        message = f"partialloading: error: {error}"  # bad files, values, refusals
    else:
        raise error
    return _fail(message, status)


def _closed_stdout() -> int:
    """Quietly end after the reader of stdout went away (``info X | head -1``)."""
    try:  # later writes (and the flush at exit) go nowhere instead of failing
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a file (captured in tests)
        pass
    return exits.BROKEN_PIPE


def _fail(message: str, status: int = exits.BAD_INPUT) -> int:
    """Print ``message`` as a single escaped line on stderr and return ``status``."""
    from partialloading.display import escape

    print(escape(message), file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
