"""The method registry: the one catalogue of method facts, resolved lazily.

A method is an object with two functions (see :class:`Method`), usually a module::

    supports(instance, options) -> str | None   # None, or why it refuses
    solve(instance, options) -> Outcome

:data:`METHODS` maps each name to a :class:`MethodSpec`: a lazy reference
``"package.module"`` (the module is the method) or ``"package.module:attr"`` (an
object of that module is), and the facts the rest of the suite asks about
(exact, honours a time limit, per-user deadlines, reuse policy, external solver,
required packages). Every list of methods elsewhere (the command line's help and
option checks, the README table, the experiments' searchers, the tests'
parametrisation) is derived from it with :func:`names`, so adding a method is one
dict item here, for example::

    "milp-seq": MethodSpec(
        "formulations.milp_seq",
        "compact MILP: model order as a sequence, counts per model",
        exact=True, time_limit=True, solver="pyomo", requires=_PYOMO,
    ),

then ``python -m solvers.registry README.md docs/model.md`` regenerates the
methods tables (a test checks them). Importing this module imports no solver.

:func:`run` is the only way results are made: it checks the flags and
``supports``, times the method, and passes the schedule through
:func:`instances.schedule.evaluate`. A schedule that fails the evaluator, or a
bound below what was served, raises :class:`SolverBug`.
"""

from __future__ import annotations

import importlib
import importlib.util
import time
from dataclasses import dataclass, fields, replace
from enum import Enum
from typing import TYPE_CHECKING, Protocol, cast

from solvers.judge import EdgeMiss, SolverBug, judged, shrunk
from solvers.result import Options, Outcome, Result, Status

if TYPE_CHECKING:
    from instances.model import Instance


class Method(Protocol):
    def supports(self, instance: Instance, options: Options) -> str | None: ...

    def solve(self, instance: Instance, options: Options) -> Outcome: ...


class Reuse(str, Enum):  # noqa: UP042 (str() gives the value, as Status does)
    """Which loading a method plans with."""

    CALLER = "caller"  # the caller's ``reuse_blocks`` (``--no-reuse``)
    NEVER = "never"  # always independent loading, whatever the caller asks


@dataclass(frozen=True, slots=True)
class MethodSpec:
    """A registered method and the facts about it.

    Parameters
    ----------
    ref
        ``"package.module"`` or ``"package.module:attr"``, imported on first use.
    summary
        One line for ``--help`` and the README table.
    exact
        Reports ``optimal`` with a proof for the continuous-time problem.
    time_limit
        Honours ``Options.time_limit`` (``--time-limit``); others run to the end.
    user_deadlines
        Accepts instances with per-user deadlines; the registry refuses them for
        the other methods, naming the methods that take them.
    reuse
        :class:`Reuse` policy.
    solver
        The external solver it drives: ``"pyomo"`` (any Pyomo solver, chosen
        with ``--solver``; default HiGHS), ``"cp-sat"`` or None. Only such
        methods read ``--threads``, ``--mip-gap`` and ``--log``.
    iterations
        Honours ``Options.iterations`` (``--iterations``), an iteration budget
        that makes a seeded run reproducible whatever the machine's speed.
    requires
        Python packages the method imports (a missing one gives one line).
    accepts
        Which instances it takes, for the README table.
    """

    ref: str
    summary: str
    exact: bool
    time_limit: bool = False
    user_deadlines: bool = False
    reuse: Reuse = Reuse.CALLER
    solver: str | None = None
    iterations: bool = False
    requires: tuple[str, ...] = ()
    accepts: str = "any"

    @property
    def module(self) -> str:
        """The module part of :attr:`ref`."""
        return self.ref.partition(":")[0]


_PYOMO = ("pyomo", "highspy")  # packages of the "pyomo" solver (HiGHS by default)
_ORTOOLS = ("ortools",)

METHODS: dict[str, MethodSpec] = {
    "dp-paper": MethodSpec(
        "solvers.dp_paper",
        "Algorithms 1-2 of the paper as published (slotted DP, BLS instances only)",
        exact=False,
        accepts="BLS instances",
    ),
    "dp": MethodSpec(
        "solvers.dp",
        "exact continuous-time DP for BLS instances (our correction of dp-paper)",
        exact=True,
        accepts="BLS instances",
    ),
    "greedy": MethodSpec(
        "solvers.greedy",
        "Algorithm 3 of the paper as published (slotted greedy)",
        exact=False,
    ),
    "independent": MethodSpec(
        "solvers.independent",
        "optimal schedule without block reuse (Independent Loading, exact)",
        exact=True,
        reuse=Reuse.NEVER,
    ),
    "gemel": MethodSpec(
        "solvers.gemel",
        "Gemel-style order: next model shares the most bytes; ignores upload/compute",
        exact=False,
    ),
    "exhaustive": MethodSpec(
        "solvers.exhaustive",
        "exact search over model sets and orders (Held-Karp), small instances",
        exact=True,
        accepts="up to 16 requested models",
    ),
    "bruteforce": MethodSpec(
        "solvers.bruteforce",
        "test oracle: all user-to-batch assignments, tiny instances, no theorems",
        exact=True,
        user_deadlines=True,
        accepts="up to 7 users",
    ),
    "milp": MethodSpec(
        "formulations.milp",
        "batch-position MILP of P2 in Pyomo, solved by HiGHS",
        exact=True,
        time_limit=True,
        user_deadlines=True,
        solver="pyomo",
        requires=_PYOMO,
    ),
    "cpsat": MethodSpec(
        "formulations.cpsat",
        "batch-position model of P2 in OR-Tools CP-SAT",
        exact=True,
        time_limit=True,
        user_deadlines=True,
        solver="cp-sat",
        requires=_ORTOOLS,
    ),
    "cpsat-seq": MethodSpec(
        "formulations.cpsat_seq",
        "compact CP-SAT model: model order as a circuit, counts per model",
        exact=True,
        time_limit=True,
        solver="cp-sat",
        requires=_ORTOOLS,
    ),
    "milp-seq": MethodSpec(
        "formulations.milp_seq",
        "compact MILP in Pyomo: model order as arcs with a flow, counts per model",
        exact=True,
        time_limit=True,
        solver="pyomo",
        requires=_PYOMO,
    ),
    "search": MethodSpec(
        "solvers.search",
        "iterated local search over model orders with exact counts (anytime)",
        exact=False,
        time_limit=True,
        iterations=True,
    ),
}

_FLAGS = frozenset(f.name for f in fields(MethodSpec)) - {"ref", "summary", "accepts"}


class Unsupported(ValueError):
    """The method refuses this instance (or is not installed); the message says why."""


def names(**flags: object) -> tuple[str, ...]:
    """Return the registered names whose spec has every given flag value.

    ``names(exact=True, solver=None)`` are the exact methods that drive no
    external solver; ``names(time_limit=True)`` the searching methods.

    Raises
    ------
    TypeError
        For a keyword that is not a flag of :class:`MethodSpec`.
    """
    unknown = set(flags) - _FLAGS
    if unknown:
        raise TypeError(f"names: unknown flag(s) {sorted(unknown)}")
    return tuple(
        name
        for name, spec in METHODS.items()
        if all(getattr(spec, key) == value for key, value in flags.items())
    )


def spec(name: str) -> MethodSpec:
    """Return the :class:`MethodSpec` of ``name``.

    Raises
    ------
    ValueError
        ``method: unknown method "x" (known: ...)``.
    """
    if ":" in name:  # a user's own package.module:function (solvers/user.py)
        return importlib.import_module("solvers.user").spec(name)
    if name not in METHODS:
        known = ", ".join(METHODS)
        raise ValueError(f'method: unknown method "{name}" (known: {known})')
    return METHODS[name]


def missing_packages(name: str) -> tuple[str, ...]:
    """Return the required packages of ``name`` that are not installed."""
    return tuple(
        package
        for package in spec(name).requires
        if importlib.util.find_spec(package) is None
    )


def get(name: str) -> Method:
    """Import and return the method called ``name``.

    Raises
    ------
    Unsupported
        If a required package or the method's module is not installed.
    """
    if ":" in name:  # a user's own package.module:function (solvers/user.py)
        return importlib.import_module("solvers.user").load(name)
    entry = spec(name)
    missing = missing_packages(name)
    if missing:
        raise Unsupported(
            f"{name}: needs the package(s) {', '.join(missing)}, not installed "
            f"(pip install {' '.join(missing)})"
        )
    module_name, _, attr = entry.ref.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name != module_name:  # a missing dependency inside: a real bug
            raise
        raise Unsupported(
            f'{name}: method not available (no module "{module_name}")'
        ) from None
    return cast("Method", getattr(module, attr) if attr else module)


def effective_options(name: str, options: Options | None = None) -> Options:
    """Return ``options`` as method ``name`` plans with them (its reuse policy)."""
    options = options or Options()
    if spec(name).reuse is Reuse.NEVER:
        # A method defined without reuse (e.g. "independent") plans and is judged
        # with independent loading, whatever the caller asked.
        options = replace(options, reuse_blocks=False)
    return options


def supports(
    name: str, instance: Instance, options: Options | None = None
) -> str | None:
    """Return None if ``name`` can solve ``instance``, else the reason it refuses."""
    if instance.has_user_deadlines and not spec(name).user_deadlines:
        takers = ", ".join(names(user_deadlines=True))
        return (
            f"per-user deadlines are not supported (methods that take them: {takers})"
        )
    return get(name).supports(instance, effective_options(name, options))


def markdown_table() -> str:
    """Return the Markdown table of methods shown in README.md and docs/model.md."""
    rows = [
        "| method | what | exact | time limit | per-user deadlines | reuse | "
        "solver | accepts |",
        "|---|---|---|---|---|---|---|---|",
    ]
    yes = {True: "yes", False: "no"}
    for name, entry in METHODS.items():
        reuse = "never" if entry.reuse is Reuse.NEVER else "as asked"
        cells = (
            f"`{name}`",
            entry.summary,
            yes[entry.exact],
            yes[entry.time_limit],
            yes[entry.user_deadlines],
            reuse,
            entry.solver or "-",
            entry.accepts,
        )
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def run(name: str, instance: Instance, options: Options | None = None) -> Result:
    """Run method ``name`` on ``instance`` and return its evaluated :class:`Result`.

    Raises
    ------
    Unsupported
        If the method refuses the instance (with the reason).
    SolverBug
        If the method crashes, or the schedule fails the evaluator, or the
        method's bound is below the number served: a bug, reported loudly.
    """

    options = effective_options(name, options)
    method = get(name)
    reason = supports(name, instance, options)
    if reason is not None:
        raise Unsupported(f"{name}: {reason}")
    start = time.perf_counter()
    outcome = _solved(name, method, instance, options)
    runtime = time.perf_counter() - start
    try:
        return judged(name, instance, options, outcome, runtime, retry=True)
    except EdgeMiss:
        # The method's sums put a user inside the rule where the evaluator's put
        # it a rounding error beyond: solve again with the deadline shrunk by a
        # few such errors. The first answer, made with timing.fits, stays the
        # bound of an exact method.
        again = _solved(name, method, shrunk(instance), options)
        first = outcome.schedule.num_scheduled if outcome.schedule else 0
        bound = outcome.bound
        if bound is None and outcome.status is Status.OPTIMAL:
            bound = first
        count = again.schedule.num_scheduled if again.schedule else 0
        status = again.status
        if status is Status.OPTIMAL and count != bound:  # proves the shrunk case only
            status = Status.FEASIBLE
        merged = replace(again, status=status, bound=bound)
        runtime = time.perf_counter() - start  # both solves
        return judged(name, instance, options, merged, runtime, retry=False)


def _solved(name: str, method: Method, instance: Instance, options: Options) -> Outcome:
    """Return ``method``'s outcome; a crash inside it is a :class:`SolverBug`."""
    try:
        return method.solve(instance, options)
    except (Unsupported, SolverBug, KeyboardInterrupt, MemoryError):
        raise
    except Exception as error:  # a crash inside a method is a bug, not bad input
        raise SolverBug(f"{name} crashed: {type(error).__name__}: {error}") from error


TABLE_START = "<!-- methods table: generated by python -m solvers.registry -->"
TABLE_END = "<!-- end of methods table -->"


def with_table(text: str) -> str:
    """Return ``text`` with the part between the table markers regenerated."""
    head, start, rest = text.partition(TABLE_START)
    _, end, tail = rest.partition(TABLE_END)
    if not (start and end):
        raise ValueError("methods table: markers not found")
    return f"{head}{start}\n{markdown_table()}\n{end}{tail}"


if __name__ == "__main__":  # regenerate the tables: python -m solvers.registry FILE...
    import sys
    from pathlib import Path

    for path in map(Path, sys.argv[1:]):
        path.write_text(with_table(path.read_text()))
    if len(sys.argv) == 1:
        print(markdown_table())
