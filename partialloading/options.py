"""Option types and option groups shared by the commands (one set of options).

Every value is checked when it is parsed, so a bad one exits 2 with one line
naming the option (``--threads: must be in 1..2 (the cores of this machine)``)
before any file is read. The ranges are documented in docs/cli.md.
"""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from solvers.result import MAX_SEED as MAX_SOLVER_SEED

if TYPE_CHECKING:
    from collections.abc import Callable

# Generator seeds: numpy's generators take any non-negative int; cap at int64.
MAX_GENERATOR_SEED = 2**63 - 1
# A time limit beyond about 31 years is a typo, and overflows some solvers' clocks.
MAX_TIME_LIMIT_S = 1e9
# An iteration budget beyond this would run for years (about 1 ms per iteration).
MAX_ITERATIONS = 10**9


def max_threads() -> int:
    """Return the cap of ``--threads``: the cores of this machine."""
    return os.cpu_count() or 1


def _named(kind: str) -> Callable[[Callable[[str], Any]], Callable[[str], Any]]:
    """Name a parser ``kind`` so argparse says ``invalid int value: 'x'``."""

    def name(parse: Callable[[str], Any]) -> Callable[[str], Any]:
        parse.__name__ = kind
        return parse

    return name


@_named("float")
def positive_float(text: str) -> float:
    """A finite number > 0."""
    value = float(text)
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"must be finite and > 0, got {text!r}")
    return value


@_named("float")
def time_limit(text: str) -> float:
    """A time limit in seconds: finite, > 0 and at most :data:`MAX_TIME_LIMIT_S`."""
    value = positive_float(text)
    if value > MAX_TIME_LIMIT_S:
        raise argparse.ArgumentTypeError(
            f"must be at most {MAX_TIME_LIMIT_S:g} s, got {text!r}"
        )
    return value


def int_range(low: int, high: int, why: str = "") -> Callable[[str], int]:
    """Return a parser of integers in ``low..high`` (``why`` explains the cap)."""

    @_named("int")
    def parse(text: str) -> int:
        value = int(text)
        if not low <= value <= high:
            note = f" ({why})" if why else ""
            raise argparse.ArgumentTypeError(
                f"must be in {low}..{high}{note}, got {text!r}"
            )
        return value

    return parse


def at_least(low: int) -> Callable[[str], int]:
    """Return a parser of integers >= ``low``."""

    @_named("int")
    def parse(text: str) -> int:
        value = int(text)
        if value < low:
            raise argparse.ArgumentTypeError(f"must be >= {low}, got {text!r}")
        return value

    return parse


@_named("float")
def fraction(text: str) -> float:
    """A number in [0, 1) (a relative gap)."""
    value = float(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {text!r}")
    return value


@_named("int")
def threads(text: str) -> int:
    """Solver threads: 1 up to the cores of this machine."""
    return int_range(1, max_threads(), "the cores of this machine")(text)


solver_seed = int_range(0, MAX_SOLVER_SEED, "what HiGHS and CP-SAT take")
generator_seed = int_range(0, MAX_GENERATOR_SEED)


def non_empty(text: str) -> str:
    """A non-empty string (names, paths)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    return text


def output_path(option: str, path: str, inputs: tuple[str, ...] = ()) -> Path:
    """Return ``path`` checked as an output file of ``option``.

    Raises
    ------
    ValueError
        ``--out: must not be empty``, ``--out: ... is a directory``, or
        ``--out: ... is the input file`` (writing would destroy the input).
    """
    if not path.strip():
        raise ValueError(f"{option}: must not be empty")
    out = Path(path)
    if out.is_dir():
        raise ValueError(f"{option}: {path} is a directory")
    for source in inputs:
        if out.exists() and Path(source).exists() and out.samefile(source):
            raise ValueError(f"{option}: {path} is the input file; choose another name")
    return out


def write_output(option: str, path: Path, write: Callable[[Path], Any]) -> Any:
    """Call ``write(tmp)`` and rename the file to ``path``; never leave a part.

    The file is written under a temporary name beside ``path`` and renamed only
    when complete, so an error or Ctrl-C leaves no partial file.

    Raises
    ------
    ValueError
        ``--out: cannot write x.json (No such file or directory)``.
    """
    tmp = path.with_name(f".{path.name}.part-{os.getpid()}")
    try:
        result = write(tmp)
        os.replace(tmp, path)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ValueError(f"{option}: cannot write {path} ({reason})") from None
    finally:
        tmp.unlink(missing_ok=True)
    return result


def add_solver_options(parser: argparse.ArgumentParser) -> None:
    """Add the method options of ``solve`` (spec section 4, plus the solver ones)."""
    parser.add_argument(
        "--time-limit",
        type=time_limit,
        metavar="S",
        help="wall-clock limit in seconds for methods that honour one",
    )
    add_model_options(parser)
    parser.add_argument(
        "--seed",
        type=solver_seed,
        default=0,
        help=f"solver random seed, 0..{MAX_SOLVER_SEED} (default 0)",
    )
    parser.add_argument(
        "--iterations",
        type=int_range(1, MAX_ITERATIONS),
        metavar="N",
        help="iteration budget of an anytime method (search): with --seed, the "
        "same schedule on any machine (default: the method's own)",
    )
    parser.add_argument(
        "--threads",
        type=threads,
        default=None,
        metavar="N",
        help="solver threads, 1..cores (default 1; methods with a solver only)",
    )
    parser.add_argument(
        "--mip-gap",
        type=fraction,
        default=None,
        metavar="G",
        help="relative gap at which to stop, in [0, 1) (default 0: prove "
        "optimality; methods with a solver only)",
    )
    parser.add_argument(
        "--solver",
        type=non_empty,
        metavar="NAME",
        help="Pyomo solver for methods on Pyomo (default highs)",
    )
    parser.add_argument(
        "--log",
        action="store_true",
        help="stream the solver's progress log (methods with a solver only)",
    )


def add_model_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--no-reuse`` and ``--bandwidth`` (the problem's variants)."""
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


def add_json(parser: argparse.ArgumentParser, what: str) -> None:
    """Add ``--json``: one JSON object on stdout, nothing else."""
    parser.add_argument(
        "--json",
        action="store_true",
        help=f"print {what} as one JSON object on stdout (docs/cli.md)",
    )
