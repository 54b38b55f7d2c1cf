"""The method registry: names resolved lazily, every schedule judged by the evaluator.

A method is a module with two functions (see :class:`Method`)::

    supports(instance, options) -> str | None   # None, or why it refuses
    solve(instance, options) -> Outcome

The registry maps names to module paths, so importing it imports no solver (the
command line starts fast, and ``formulations`` can be named here without an
import cycle). :func:`run` is the only way results are made: it checks
``supports``, times the method, and passes the schedule through
:func:`instances.schedule.evaluate`. A schedule that fails the evaluator, or a
bound below what was served, raises :class:`SolverBug`.
"""

from __future__ import annotations

import importlib
import time
from dataclasses import dataclass, replace
from typing import Protocol

from instances.model import Instance
from instances.schedule import evaluate
from solvers.result import Options, Outcome, Result, Status


class Method(Protocol):
    def supports(self, instance: Instance, options: Options) -> str | None: ...

    def solve(self, instance: Instance, options: Options) -> Outcome: ...


@dataclass(frozen=True, slots=True)
class MethodSpec:
    """A registered method: its module, one line of help, and whether it is exact."""

    module: str
    summary: str
    exact: bool


METHODS: dict[str, MethodSpec] = {
    "dp-paper": MethodSpec(
        "solvers.dp_paper",
        "Algorithms 1-2 of the paper as published (slotted DP, BLS instances only)",
        False,
    ),
    "dp": MethodSpec(
        "solvers.dp",
        "exact continuous-time DP for BLS instances (our correction of dp-paper)",
        True,
    ),
    "greedy": MethodSpec(
        "solvers.greedy",
        "Algorithm 3 of the paper as published (slotted greedy)",
        False,
    ),
    "independent": MethodSpec(
        "solvers.independent",
        "optimal schedule without block reuse (Independent Loading, exact)",
        True,
    ),
    "gemel": MethodSpec(
        "solvers.gemel",
        "Gemel-style order: next model shares the most bytes; ignores upload/compute",
        False,
    ),
    "exhaustive": MethodSpec(
        "solvers.exhaustive",
        "exact search over model sets and orders (Held-Karp), small instances",
        True,
    ),
    "bruteforce": MethodSpec(
        "solvers.bruteforce",
        "test oracle: all user-to-batch assignments, tiny instances, no theorems",
        True,
    ),
    "milp": MethodSpec(
        "formulations.milp", "batch-position MILP of P2 in Pyomo, solved by HiGHS", True
    ),
    "cpsat": MethodSpec(
        "formulations.cpsat", "batch-position model of P2 in OR-Tools CP-SAT", True
    ),
    "cpsat-seq": MethodSpec(
        "formulations.cpsat_seq",
        "compact CP-SAT model: model order as a circuit, counts per model",
        True,
    ),
    "search": MethodSpec(
        "solvers.search",
        "iterated local search over model orders with exact counts (anytime)",
        False,
    ),
}


class Unsupported(ValueError):
    """The method refuses this instance; the message says why."""


class SolverBug(RuntimeError):
    """A method returned a schedule that the evaluator rejects, or a false bound."""


def get(name: str) -> Method:
    """Import and return the method called ``name``."""
    if name not in METHODS:
        known = ", ".join(METHODS)
        raise ValueError(f'method: unknown method "{name}" (known: {known})')
    module = METHODS[name].module
    try:
        return importlib.import_module(module)  # type: ignore[return-value]
    except ModuleNotFoundError as error:
        if error.name != module:  # a missing dependency inside the method: a real bug
            raise
        raise Unsupported(
            f'{name}: method not available (no module "{module}")'
        ) from None


def supports(
    name: str, instance: Instance, options: Options | None = None
) -> str | None:
    """Return None if ``name`` can solve ``instance``, else the reason it refuses."""
    return get(name).supports(instance, options or Options())


def run(name: str, instance: Instance, options: Options | None = None) -> Result:
    """Run method ``name`` on ``instance`` and return its evaluated :class:`Result`.

    Raises
    ------
    Unsupported
        If the method refuses the instance (with the reason).
    SolverBug
        If the schedule fails the evaluator or the method's bound is below the
        number served: a bug in the method, reported loudly.
    """
    options = options or Options()
    method = get(name)
    if getattr(method, "FORCES_NO_REUSE", False):
        # A method defined without reuse (e.g. "independent") plans and is judged
        # with independent loading, whatever the caller asked.
        options = replace(options, reuse_blocks=False)
    reason = method.supports(instance, options)
    if reason is not None:
        raise Unsupported(f"{name}: {reason}")
    start = time.perf_counter()
    try:
        outcome = method.solve(instance, options)
    except (Unsupported, SolverBug, KeyboardInterrupt, MemoryError):
        raise
    except Exception as error:  # a crash inside a method is a bug, not bad input
        raise SolverBug(f"{name} crashed: {type(error).__name__}: {error}") from error
    runtime = time.perf_counter() - start

    schedule = outcome.schedule
    if (schedule.reuse_blocks, schedule.bandwidth) != (
        options.reuse_blocks,
        options.bandwidth,
    ):
        raise SolverBug(
            f"{name} returned a schedule for other reuse/bandwidth settings"
        )
    evaluation = evaluate(instance, schedule)
    if not evaluation.feasible:
        shown = "; ".join(str(v) for v in evaluation.violations[:3])
        raise SolverBug(
            f"{name} returned an infeasible schedule on {instance.name} "
            f"({len(evaluation.violations)} violations): {shown}"
        )
    bound = outcome.bound
    if outcome.status is Status.OPTIMAL:
        bound = evaluation.served if bound is None else bound
        if bound != evaluation.served:
            raise SolverBug(
                f"{name} claims optimal with bound {bound} "
                f"but serves {evaluation.served}"
            )
    if bound is not None and evaluation.served > bound:
        raise SolverBug(
            f"{name} serves {evaluation.served} users above its bound {bound}"
        )
    return Result(
        method=name,
        instance=instance.name,
        status=outcome.status,
        served=evaluation.served,
        num_users=instance.num_users,
        bound=bound,
        runtime_s=runtime,
        build_time_s=outcome.build_time_s,
        schedule=schedule,
        evaluation=evaluation,
        info=dict(outcome.info),
    )
