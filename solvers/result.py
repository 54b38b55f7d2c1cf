"""The one Result type of every method, its status, and the method options."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

from instances.schedule_io import schedule_to_dict
from instances.timing import OPTIMAL, Bandwidth

if TYPE_CHECKING:
    from instances.model import Instance
    from instances.schedule import Evaluation, Schedule

# Solver random seeds: HiGHS and CP-SAT take a non-negative 32-bit integer.
MAX_SEED = 2**31 - 1
# Solver threads: HiGHS aborts the process and CP-SAT fails at 100,000; both
# run at 4,096. The command line caps at the machine's cores.
MAX_THREADS = 1024


class Status(str, Enum):  # noqa: UP042 (str() and format() as before)
    """How a method ended. Each outcome is distinct (no collapsed statuses).

    ``optimal``      proven optimal for the problem of spec §2 (continuous time,
                     the schedule's own reuse and bandwidth settings);
    ``feasible``     a valid schedule without such a proof (heuristics, slotted
                     methods, or a solver whose bound is not tight);
    ``time_limit``   a limit stopped the search; the schedule is the incumbent;
    ``no_solution``  a limit stopped the search before any incumbent (the
                     schedule is then empty);
    ``infeasible``   the solver claims its model is infeasible (always a bug
                     here: the empty schedule is feasible);
    ``error``        the external solver failed (it reported an error);
    ``crashed``      the method raised an exception or returned a schedule the
                     evaluator rejects (a bug: :class:`solvers.registry.SolverBug`);
                     for rows of experiments, never returned by a method;
    ``unsupported``  the method refused the instance (the row's reason says
                     why); for rows of experiments, never returned by a method.

    :attr:`has_schedule` tells the statuses under which a method returned a
    schedule worth using (the command line exits 0 for them).
    """

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    TIME_LIMIT = "time_limit"
    NO_SOLUTION = "no_solution"
    INFEASIBLE = "infeasible"
    ERROR = "error"
    CRASHED = "crashed"
    UNSUPPORTED = "unsupported"

    @property
    def has_schedule(self) -> bool:
        """True for optimal, feasible and time_limit (the incumbent)."""
        return self in (Status.OPTIMAL, Status.FEASIBLE, Status.TIME_LIMIT)


@dataclass(frozen=True, slots=True)
class Options:
    """Options every method accepts (methods ignore those that do not apply).

    Parameters
    ----------
    reuse_blocks
        Plan and evaluate with partial loading (True) or independent loading.
    bandwidth
        Optimal split of eq. (12), or r equal sub-channels (Fig. 8 ablation).
    time_limit
        Wall-clock limit in seconds for searching methods; None = no limit.
    seed
        Random seed for solvers that take one, in 0..``MAX_SEED`` (2**31 - 1).
    threads
        Solver threads (HiGHS ``threads``, CP-SAT ``num_workers``), in
        1..``MAX_THREADS``.
    mip_gap
        Relative gap at which a MILP solver may stop (0 = prove optimality).
    solver
        Pyomo solver name for the MILP (default HiGHS).
    log
        Stream the solver's own progress log (MILP and CP-SAT methods), so that a
        long solve shows its incumbent and bound as it goes.
    iterations
        Iteration budget of anytime heuristics (``search``); None = the method's
        default when no time limit is given, else until the time limit.
    """

    reuse_blocks: bool = True
    bandwidth: Bandwidth = OPTIMAL
    time_limit: float | None = None
    seed: int = 0
    threads: int = 1
    mip_gap: float = 0.0
    solver: str | None = None
    log: bool = False
    iterations: int | None = None

    def __post_init__(self) -> None:
        if self.time_limit is not None and not self.time_limit > 0:
            raise ValueError(f"time_limit: must be > 0, got {self.time_limit!r}")
        if isinstance(self.seed, bool) or not 0 <= self.seed <= MAX_SEED:
            raise ValueError(f"seed: must be in 0..{MAX_SEED}, got {self.seed!r}")
        if not 1 <= self.threads <= MAX_THREADS:
            raise ValueError(
                f"threads: must be in 1..{MAX_THREADS}, got {self.threads!r}"
            )
        if self.iterations is not None and self.iterations < 0:
            raise ValueError(f"iterations: must be >= 0, got {self.iterations!r}")
        if not 0 <= self.mip_gap < 1:
            raise ValueError(f"mip_gap: must be in [0, 1), got {self.mip_gap!r}")


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a method returns to the registry, before evaluation.

    ``bound`` is a proven upper bound on the users any schedule can serve (None
    when the method proves nothing). ``build_time_s`` is the part of the run spent
    building a model. ``info`` holds method-specific facts (model size, solver
    status, resolution, ...); values must be JSON-serializable.
    """

    schedule: Schedule
    status: Status
    bound: int | None = None
    build_time_s: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Result:
    """The result of one method on one instance, judged by the evaluator.

    ``served`` is recomputed by :func:`instances.schedule.evaluate`, never taken
    from the method. ``runtime_s`` is the method's total wall-clock time,
    ``build_time_s`` the part spent building a model (so the solve time is the
    difference). ``gap`` = (bound - served) / max(1, served), one formula for
    every method; None without a bound.
    """

    method: str
    instance: str
    status: Status
    served: int
    num_users: int
    bound: int | None
    runtime_s: float
    build_time_s: float
    schedule: Schedule
    evaluation: Evaluation
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def gap(self) -> float | None:
        if self.bound is None:
            return None
        return (self.bound - self.served) / max(1, self.served)

    @property
    def served_ratio(self) -> float:
        return self.served / self.num_users if self.num_users else 1.0

    def to_dict(self, instance: Instance) -> dict[str, Any]:
        """Return the schedule file document (spec §3) of this result."""
        return schedule_to_dict(
            instance,
            self.schedule,
            self.evaluation,
            method=self.method,
            status=self.status.value,
            bound=self.bound,
            gap=self.gap,
            runtime_s=self.runtime_s,
            build_time_s=self.build_time_s,
            info=self.info,
        )
