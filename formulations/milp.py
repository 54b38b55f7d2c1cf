r"""The batch-position MILP of P2 (eqs. 3, 8-13) in Pyomo, solved by HiGHS.

Sets (after pruning, see ``prepare``): positions n = 1..N, candidate users k in
K, their models i in I (K_i = users of i), block groups g in G (bytes S_g, models
I_g containing them). Times are in milliseconds (``MS``).

Variables
---------
x[n,k] in {0,1}   user k is served in batch n                        (10f)
z[n,i] in {0,1}   batch n runs model i
u[n,g] in [0,1]   group g is loaded in batch n (continuous: see (8'))
C[n]   in [0,H]   completion time of batch n; H = max_k T_k
up[n]  >= 0       upload time of batch n (equal sub-channels only)

Derived expressions
-------------------
rho[n,g] = sum_{i in I_g} z[n,i]                                     (8a)
    eq. (8) defines rho[n,j] = 1 - prod_{i in I_j} prod_{k in K_i} (1 - x[n,k]),
    i.e. "some model containing j runs in batch n". Batch n runs at most one
    model (10d) and z[n,i] = 1 iff model i runs (x <= z and no empty batch), so
    the OR over the models of I_j is their sum, already in {0,1}: linear, exact.
upload[n] = sum_k a_k x[n,k],  a_k = p_k / B                 (11, optimal split)
          = up[n]                                            (equal split, r channels)
load[n]   = V' sum_g S_g u[n,g],  V' = ms per byte                        (8)
compute[n]= sum_i (mu_i sum_{k in K_i} x[n,k] + beta_i z[n,i])            (9)
    the product in (9) is z[n,i] times an affine term; x[n,k] <= z[n,i] makes
    mu_i x[n,k] equal to the product, and beta_i z[n,i] is linear.

Constraints (in the order they are added)
-----------------------------------------
once[k]            sum_n x[n,k] <= 1                                      (3)
one_model[n]       sum_i z[n,i] <= 1                                    (10d)
user_model[n,k]    x[n,k] <= z[n,i(k)]
batch_size[n,i]    sum_{k in K_i} x[n,k] <= b_i z[n,i]       (10c; b_i = min(b_max, r))
loaded[n,g]        u[n,g] >= rho[n,g] - rho[n-1,g],  rho[0,g] = 0         (8')
    the positive part of the change of residency. u only adds time, so any
    feasible (x, z, u) has a true schedule at least as early; an optimal u sits
    at the positive part. Without reuse every model is its own group (S_g =
    bytes of i), so this is w[n,i] >= z[n,i] - z[n-1,i] of independent loading.
loaded_once[g,k]   sum_n u[n,g] >= sum_n x[n,k]   for k of a model in I_g  (valid)
    a served user's groups were loaded at some position. Implied for integer
    points, but it stops the LP from spreading z thinly over positions so that
    (8') charges a load only once at a fraction (bls-default: 10 s -> 1.2 s).
equal_upload[n,k]  up[n] >= r a_k x[n,k]           (equal split: max over the batch)
completion[n]      C[n] = C[n-1] + upload[n] + load[n] + compute[n],  C[0] = 0    (1)
deadline[n,k]      C[n] <= T_k + (H - T_k)(1 - x[n,k])   for T_k < H         (13c)
    C[n] <= H is the variable's bound: with used positions first (below) every
    used batch holds a user (deadline <= H) and an unused position adds no time,
    so H is a valid big-M reference; M_k = H - T_k is then the tightest big-M,
    and a common deadline needs no big-M row at all (C[n] <= T).
used_first[n]      sum_i z[n,i] >= sum_i z[n+1,i]                  (symmetry)
nonempty[n,i]      z[n,i] <= sum_{k in K_i} x[n,k]                  (symmetry)
common deadline only (valid because an optimal schedule exists in which each
model serves its cheapest users in ceil(n_i / b_i) contiguous batches; see
solvers/costs.py and docs/formulations-milp.md):
cheapest_first[k]  sum_n x[n,k] >= sum_n x[n,k']   k just before k' in K_i by p
model_batches[i]   sum_n z[n,i] <= ceil(|K_i| / b_i)

Objective: max sum_{n,k} x[n,k]                                           (13a)

N = sum_i ceil(|K_i| / b_i) with a common deadline (the canonical optimal
schedule above needs no more positions); with per-user deadlines splitting a
model's users into more batches can pay (an urgent user alone first), so N = |K|,
one position per candidate user (each used batch holds one user at least). Both
are capped by the number of batches that fit before H (``_fitting_batches``).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from formulations.common import (
    End,
    best_fast_schedule,
    final_status,
    integer_bound,
    servable,
)
from instances.model import Instance
from instances.schedule import Schedule, evaluate
from instances.timing import effective_deadline
from solvers.result import Options, Outcome, Status

MS = 1000.0  # model time unit: milliseconds per second
MAX_VARIABLES = 200_000  # refuse larger models (HiGHS would not solve them anyway)
# HiGHS tolerances, the smallest HiGHS accepts: a rounded solution's true end
# differs from the model's C by about 1e-10 C (integrality) + 1e-10 ms.
HIGHS_OPTIONS = {
    "mip_feasibility_tolerance": 1e-10,
    "primal_feasibility_tolerance": 1e-10,
}
# The deadline rows of the three solves (docs/formulations-milp.md, "Proofs"):
# "proof" relaxes every deadline beyond the evaluator's (the bound is read here);
# "inner" and "margin" tighten it so that a solution meets the evaluator's rule
# despite solver tolerances, and are solved only if the proof solve's incumbent
# fails the evaluator.
DEADLINE_ROWS = ("proof", "inner", "margin")
# Proof rows: T_k (1 + 1e-9) + this absolute slack (ms, the solver's feasibility
# tolerance) + this relative slack of the horizon (float round-off of the sums).
PROOF_SLACK_MS = HIGHS_OPTIONS["mip_feasibility_tolerance"]
PROOF_SLACK_REL = 1e-12
# Inner rows: T_k (1 + 1e-9) (1 - INNER_GUARD), a guard band five times the
# integrality tolerance. Between the inner and the proof rows (a relative band
# of about 5e-10) a floating-point solver cannot tell feasible from infeasible:
# a schedule ending there may leave the status ``feasible`` (bound one above).
INNER_GUARD = 5e-10
# Margin rows: every deadline shrunk by this relative margin (last resort).
RETRY_MARGIN = 1e-6
# Names of the MIP gap / thread / seed options of solvers run through the legacy
# pyo.SolverFactory path; a solver missing here gets only the time limit.
LEGACY_OPTIONS = {
    "appsi_highs": ("mip_rel_gap", "threads", "random_seed"),
    "cbc": ("ratioGap", "threads", "randomSeed"),
    "glpk": ("mipgap", None, None),
    "gurobi": ("MIPGap", "Threads", "Seed"),
    "gurobi_direct": ("MIPGap", "Threads", "Seed"),
    "cplex": ("mipgap", "threads", "randomseed"),
    "cplex_direct": ("mipgap", "threads", "randomseed"),
    "scip": ("limits/gap", None, "randomization/randomseedshift"),
}


@dataclass(frozen=True)
class Data:
    """The instance reduced to what the MILP needs; times in ms, global indices."""

    users: tuple[int, ...]  # candidate users, model by model, ascending p
    models: tuple[int, ...]  # models with a candidate user
    users_of: dict[int, tuple[int, ...]]  # model -> candidate users by ascending p
    model_of: dict[int, int]  # user -> model
    limit: dict[int, int]  # b_i = min(b_max, r)
    upload_ms: dict[int, float]  # a_k (times r with equal sub-channels)
    channels: int | None  # r, or None for the optimal split
    groups: tuple[tuple[float, tuple[int, ...]], ...]  # (bytes S_g, models I_g)
    ms_per_byte: float
    mu_ms: dict[int, float]
    beta_ms: dict[int, float]
    deadline_ms: dict[int, float]  # T_k as the ``rows`` solve states it
    horizon_ms: float  # H = max_k T_k
    common: bool  # all candidate users share one deadline
    positions: int  # N
    rows: str = "proof"  # one of DEADLINE_ROWS

    @property
    def num_variables(self) -> int:
        per_position = len(self.users) + len(self.models) + len(self.groups) + 1
        return self.positions * (per_position + (self.channels is not None))


def deadlines_ms(instance: Instance, users, rows: str) -> dict[int, float]:
    """Return each candidate user's deadline row right-hand side T_k in ms.

    ``proof``: the evaluator's effective deadline T_k (1 + 1e-9), plus the
    solver's feasibility tolerance and a relative 1e-12 of the horizon, so that
    every schedule the evaluator accepts satisfies the rows exactly (its bound
    is a bound of the evaluator's problem). ``inner``: the effective deadline
    shrunk by ``INNER_GUARD``, which absorbs the solver's tolerances.
    ``margin``: T_k (1 - RETRY_MARGIN), for a solution that still failed.
    """
    if rows not in DEADLINE_ROWS:
        raise ValueError(f"rows: expected one of {DEADLINE_ROWS}, got {rows!r}")
    base = {k: float(instance.user_deadline[k]) * MS for k in users}
    if rows == "margin":
        return {k: t * (1.0 - RETRY_MARGIN) for k, t in base.items()}
    relaxed = {k: effective_deadline(t) for k, t in base.items()}
    if rows == "inner":
        return {k: t * (1.0 - INNER_GUARD) for k, t in relaxed.items()}
    slack = PROOF_SLACK_MS + PROOF_SLACK_REL * max(relaxed.values(), default=0.0)
    return {k: t + slack for k, t in relaxed.items()}


def prepare(instance: Instance, options: Options, rows: str = "proof") -> Data:
    """Return the MILP data: candidate users, block groups, N, coefficients in ms.

    Users that cannot be served even alone in the first batch are dropped
    (:func:`formulations.common.servable`). Blocks with the same set of candidate
    models always share residency, so they are merged into one group. ``rows``
    chooses the deadline rows (:func:`deadlines_ms`).
    """
    mask = servable(instance, options)
    users_of = {}
    for i, users in enumerate(instance.model_users):
        kept = tuple(int(k) for k in users if mask[k])
        if kept:
            users_of[i] = kept
    models = tuple(users_of)
    users = tuple(k for i in models for k in users_of[i])
    channels = options.bandwidth.channels
    limit = {
        i: options.bandwidth.batch_limit(instance.models[i].max_batch) for i in models
    }
    deadline = deadlines_ms(instance, users, rows)
    horizon = max(deadline.values(), default=0.0)
    common = len(set(deadline.values())) <= 1
    batches = {
        i: math.ceil(len(users_of[i]) / limit[i]) if common else len(users_of[i])
        for i in models
    }
    if options.reuse_blocks:
        incidence = instance.incidence()[list(models)]
        found: dict[tuple[int, ...], float] = {}
        for j in range(instance.num_blocks):
            owners = tuple(models[r] for r in np.flatnonzero(incidence[:, j]))
            if owners:
                found[owners] = found.get(owners, 0.0) + float(instance.block_sizes[j])
        groups = tuple((size, owners) for owners, size in found.items())
    else:
        groups = tuple((float(instance.model_bytes[i]), (i,)) for i in models)
    private = {owners[0]: size for size, owners in groups if len(owners) == 1}
    fit = _fitting_batches(instance, options, users_of, batches, private, horizon)
    return Data(
        users=users,
        models=models,
        users_of=users_of,
        model_of={k: int(instance.user_model[k]) for k in users},
        limit=limit,
        upload_ms={
            k: float(options.bandwidth.alone(instance.upload_s[k])) * MS for k in users
        },
        channels=channels,
        groups=groups,
        ms_per_byte=instance.loading.seconds_per_byte * MS,
        mu_ms={i: instance.models[i].mu_s * MS for i in models},
        beta_ms={i: instance.models[i].beta_s * MS for i in models},
        deadline_ms=deadline,
        horizon_ms=horizon,
        common=common,
        positions=min(sum(batches.values()), fit),
        rows=rows,
    )


def _fitting_batches(instance, options, users_of, batches, private, horizon_ms) -> int:
    """Return an upper bound on the number of batches that fit before the horizon H.

    A batch of model i takes at least g_i = min_k upload_k + mu_i + beta_i. The
    first batch of i also loads the blocks that no other candidate model has
    (they cannot be resident before), so it takes f_i = g_i + V(private_i).
    Model i has at most ``batches[i]`` batches. The most batches any schedule
    can hold is then at most the largest number of items from the multiset
    {f_i once, g_i (batches[i] - 1) times} whose cheapest ones fit in H.
    """
    costs = []
    for i, users in users_of.items():
        spec = instance.models[i]
        upload = options.bandwidth.alone(instance.upload_s[list(users)].min())
        g = (float(upload) + spec.mu_s + spec.beta_s) * MS
        first = g + instance.loading.time(private.get(i, 0.0)) * MS
        costs += [first] + [g] * (batches[i] - 1)
    # Shrink sums by a relative 1e-9 so that round-off never drops a batch.
    total = np.cumsum(np.sort(costs)) * (1 - 1e-9)
    return int(np.searchsorted(total, horizon_ms, side="right"))


# -- the model ---


def build_model(instance: Instance, options: Options, data: Data | None = None):
    """Return the Pyomo ``ConcreteModel`` of P2 for ``instance`` (module docstring)."""
    import pyomo.environ as pyo

    d = data or prepare(instance, options)
    m = pyo.ConcreteModel(name=f"P2[{instance.name}]")
    _variables(m, d)
    _expressions(m, d)
    # Constraints, in the order of the module docstring.
    _once(m, d)  # (3)
    _one_model(m, d)  # (10d)
    _user_model(m, d)
    _batch_size(m, d)  # (10c), (5)
    _loaded(m, d)  # (8')
    _loaded_once(m, d)  # valid inequality: tightens the LP relaxation
    if d.channels is not None:
        _equal_upload(m, d)
    _completion(m, d)  # (1)
    _deadline(m, d)  # (13c)
    _symmetry(m, d)
    _objective(m, d)  # (13a)
    return m


def _variables(m, d: Data) -> None:
    import pyomo.environ as pyo

    m.N = pyo.RangeSet(1, d.positions)
    m.K = pyo.Set(initialize=d.users, ordered=True)
    m.I = pyo.Set(initialize=d.models, ordered=True)
    m.G = pyo.RangeSet(0, len(d.groups) - 1)
    m.x = pyo.Var(m.N, m.K, within=pyo.Binary)
    m.z = pyo.Var(m.N, m.I, within=pyo.Binary)
    m.u = pyo.Var(m.N, m.G, bounds=(0, 1))
    m.C = pyo.Var(m.N, bounds=(0, d.horizon_ms))
    if d.channels is not None:
        m.up = pyo.Var(m.N, within=pyo.NonNegativeReals)


def _expressions(m, d: Data) -> None:
    import pyomo.environ as pyo

    def rho(m, n, g):
        return sum(m.z[n, i] for i in d.groups[g][1])

    def upload(m, n):
        if d.channels is not None:
            return m.up[n]
        return sum(d.upload_ms[k] * m.x[n, k] for k in d.users)

    def load(m, n):
        return d.ms_per_byte * sum(d.groups[g][0] * m.u[n, g] for g in m.G)

    def compute(m, n):
        return sum(
            d.mu_ms[i] * sum(m.x[n, k] for k in d.users_of[i])
            + d.beta_ms[i] * m.z[n, i]
            for i in d.models
        )

    m.rho = pyo.Expression(m.N, m.G, rule=rho)
    m.upload_time = pyo.Expression(m.N, rule=upload)
    m.load_time = pyo.Expression(m.N, rule=load)  # ("load" is a Block method)
    m.compute_time = pyo.Expression(m.N, rule=compute)


def _once(m, d: Data) -> None:
    import pyomo.environ as pyo

    m.once = pyo.Constraint(m.K, rule=lambda m, k: sum(m.x[n, k] for n in m.N) <= 1)


def _one_model(m, d: Data) -> None:
    import pyomo.environ as pyo

    m.one_model = pyo.Constraint(
        m.N, rule=lambda m, n: sum(m.z[n, i] for i in m.I) <= 1
    )


def _user_model(m, d: Data) -> None:
    import pyomo.environ as pyo

    m.user_model = pyo.Constraint(
        m.N, m.K, rule=lambda m, n, k: m.x[n, k] <= m.z[n, d.model_of[k]]
    )


def _batch_size(m, d: Data) -> None:
    import pyomo.environ as pyo

    def rule(m, n, i):
        return sum(m.x[n, k] for k in d.users_of[i]) <= d.limit[i] * m.z[n, i]

    m.batch_size = pyo.Constraint(m.N, m.I, rule=rule)


def _loaded(m, d: Data) -> None:
    import pyomo.environ as pyo

    def rule(m, n, g):
        before = m.rho[n - 1, g] if n > 1 else 0
        return m.u[n, g] >= m.rho[n, g] - before

    m.loaded = pyo.Constraint(m.N, m.G, rule=rule)


def _loaded_once(m, d: Data) -> None:
    import pyomo.environ as pyo

    pairs = [
        (g, k)
        for g, (_, owners) in enumerate(d.groups)
        for i in owners
        for k in d.users_of[i]
    ]

    def rule(m, g, k):
        return sum(m.u[n, g] for n in m.N) >= sum(m.x[n, k] for n in m.N)

    m.loaded_once = pyo.Constraint(pairs, rule=rule)


def _equal_upload(m, d: Data) -> None:
    import pyomo.environ as pyo

    m.equal_upload = pyo.Constraint(
        m.N, m.K, rule=lambda m, n, k: m.up[n] >= d.upload_ms[k] * m.x[n, k]
    )


def _completion(m, d: Data) -> None:
    import pyomo.environ as pyo

    def rule(m, n):
        before = m.C[n - 1] if n > 1 else 0
        return m.C[n] == before + m.upload_time[n] + m.load_time[n] + m.compute_time[n]

    m.completion = pyo.Constraint(m.N, rule=rule)


def _deadline(m, d: Data) -> None:
    import pyomo.environ as pyo

    urgent = [k for k in d.users if d.deadline_ms[k] < d.horizon_ms]

    def rule(m, n, k):
        slack = d.horizon_ms - d.deadline_ms[k]
        return m.C[n] <= d.deadline_ms[k] + slack * (1 - m.x[n, k])

    m.deadline = pyo.Constraint(m.N, urgent, rule=rule)


def _symmetry(m, d: Data) -> None:
    import pyomo.environ as pyo

    def used_first(m, n):
        if n == d.positions:
            return pyo.Constraint.Skip
        return sum(m.z[n, i] for i in m.I) >= sum(m.z[n + 1, i] for i in m.I)

    def nonempty(m, n, i):
        return m.z[n, i] <= sum(m.x[n, k] for k in d.users_of[i])

    m.used_first = pyo.Constraint(m.N, rule=used_first)
    m.nonempty = pyo.Constraint(m.N, m.I, rule=nonempty)
    if not d.common:
        return
    pairs = [
        (a, b)
        for i in d.models
        for a, b in zip(d.users_of[i][:-1], d.users_of[i][1:], strict=True)
    ]

    def cheapest_first(m, a, b):
        return sum(m.x[n, a] for n in m.N) >= sum(m.x[n, b] for n in m.N)

    def model_batches(m, i):
        return sum(m.z[n, i] for n in m.N) <= math.ceil(len(d.users_of[i]) / d.limit[i])

    m.cheapest_first = pyo.Constraint(pairs, rule=cheapest_first)
    m.model_batches = pyo.Constraint(m.I, rule=model_batches)


def _objective(m, d: Data) -> None:
    import pyomo.environ as pyo

    m.served = pyo.Objective(
        expr=sum(m.x[n, k] for n in m.N for k in m.K), sense=pyo.maximize
    )


# -- solving ---


def supports(instance: Instance, options: Options) -> str | None:
    """Accept every instance whose model has at most ``MAX_VARIABLES`` variables."""
    name = options.solver or "highs"
    if name != "highs":
        import io

        import pyomo.environ as pyo
        from pyomo.common.log import LoggingIntercept

        # Pyomo logs a traceback for an unknown name; the reason below says it all.
        with LoggingIntercept(io.StringIO(), "pyomo"):
            available = pyo.SolverFactory(name).available(exception_flag=False)
        if not available:
            return f'Pyomo solver "{name}" is not available on this machine'
    size = prepare(instance, options).num_variables
    if size > MAX_VARIABLES:
        return (
            f"the MILP would have {size} variables (limit {MAX_VARIABLES}); "
            "use cpsat-seq or dp for instances this large"
        )
    return None


@dataclass
class _Run:
    """One build-and-solve of the MILP, before the status is decided."""

    schedule: Schedule | None
    end: End
    has_solution: bool
    bound: int | None
    build_s: float
    info: dict[str, Any] = field(default_factory=dict)


def solve(instance: Instance, options: Options) -> Outcome:
    """Build the MILP, solve it, and return the best schedule found with its bound.

    The bound comes from the "proof" solve, whose deadline rows contain every
    schedule the evaluator accepts (:func:`deadlines_ms`). Its incumbent is
    checked by the evaluator; if it fails (it may end in the slack beyond the
    evaluator's rule, or round-off broke it) and time is left, the "inner" and
    then "margin" rows are solved for a schedule that passes. When the bound is
    not met, the best fast schedule (:func:`formulations.common.best_fast_schedule`)
    is returned if it serves more. ``optimal`` only when served == bound.
    """
    import pyomo.environ  # noqa: F401  (a one-off import is not model building)

    empty = Schedule((), options.reuse_blocks, options.bandwidth)
    start = time.perf_counter()
    data = prepare(instance, options)
    if not data.users:
        # No user meets its deadline even alone: the empty schedule is optimal.
        info = {"note": "no user can meet its deadline", "variables": 0}
        return Outcome(empty, Status.OPTIMAL, 0, time.perf_counter() - start, info)
    run = _build_and_solve(instance, options, data, start)
    bound, build_s, end, rows = run.bound, run.build_s, run.end, ["proof"]
    schedule = _accepted(instance, run)
    while schedule is None and run.has_solution and run.end is not End.LIMIT:
        if len(rows) == len(DEADLINE_ROWS):
            break
        rows.append(DEADLINE_ROWS[len(rows)])
        start = time.perf_counter()
        run = _build_and_solve(
            instance, options, prepare(instance, options, rows[-1]), start
        )
        build_s += run.build_s
        schedule = _accepted(instance, run)
    info = {**run.info, "deadline_rows_solved": rows}
    has_solution = schedule is not None
    schedule = schedule or empty
    if bound is None or schedule.num_scheduled < bound:
        fast, name = best_fast_schedule(instance, options)
        if fast.num_scheduled > schedule.num_scheduled:
            schedule, has_solution = fast, True
            info["schedule_from"] = name
    status = final_status(end, has_solution, schedule.num_scheduled, bound)
    return Outcome(schedule, status, bound, build_s, info)


def _accepted(instance: Instance, run: _Run) -> Schedule | None:
    """Return the run's schedule if the evaluator accepts it, else None."""
    if run.schedule is None or not evaluate(instance, run.schedule).feasible:
        return None
    return run.schedule


def _build_and_solve(
    instance: Instance, options: Options, data: Data, start: float
) -> _Run:
    """Build the model for ``data``, solve it, and read the schedule."""
    m = build_model(instance, options, data)
    built = time.perf_counter()
    name = options.solver or "highs"
    solve_fn = _solve_highs if name == "highs" else _solve_legacy
    end, has_solution, bound, setup_s, info = solve_fn(m, options)
    schedule = _read_schedule(instance, m, data, options) if has_solution else None
    info = {
        "solver": name,
        "variables": m.nvariables(),
        "binaries": len(m.x) + len(m.z),
        "constraints": m.nconstraints(),
        "positions": data.positions,
        "candidate_users": len(data.users),
        "block_groups": len(data.groups),
        "deadline_rows": data.rows,
        **info,
    }
    return _Run(
        schedule, end, has_solution, integer_bound(bound), built - start + setup_s, info
    )


def _read_schedule(instance: Instance, m, d: Data, options: Options) -> Schedule:
    """Return the batches of x in position order, skipping empty positions."""
    batches = []
    for n in m.N:
        users = [k for k in d.users if (m.x[n, k].value or 0.0) > 0.5]
        if users:
            batches.append((d.model_of[users[0]], np.array(users)))
    return Schedule.from_indices(
        instance, batches, options.reuse_blocks, options.bandwidth
    )


_CONTRIB_END = {
    "convergenceCriteriaSatisfied": End.CONVERGED,
    "maxTimeLimit": End.LIMIT,
    "iterationLimit": End.LIMIT,
    "provenInfeasible": End.INFEASIBLE,
    "infeasibleOrUnbounded": End.INFEASIBLE,
    "locallyInfeasible": End.INFEASIBLE,
}

_LEGACY_END = {
    "optimal": End.CONVERGED,
    "globallyOptimal": End.CONVERGED,
    "maxTimeLimit": End.LIMIT,
    "maxIterations": End.LIMIT,
    "maxEvaluations": End.LIMIT,
    "infeasible": End.INFEASIBLE,
    "infeasibleOrUnbounded": End.INFEASIBLE,
}


def contrib_end(termination: str) -> End:
    """Map a ``pyomo.contrib.solver`` TerminationCondition name to an :class:`End`."""
    return _CONTRIB_END.get(termination, End.ERROR)


def legacy_end(termination: str) -> End:
    """Map a legacy ``pyomo.opt`` TerminationCondition value to an :class:`End`."""
    return _LEGACY_END.get(termination, End.ERROR)


def _solve_highs(m, options: Options):
    """Solve with HiGHS through ``pyomo.contrib.solver``; load the incumbent into m.

    ``abs_gap = 0.99``: the objective is an integer, so a dual bound below the
    incumbent + 1 already proves it optimal (floor(bound) == incumbent).
    """
    from pyomo.contrib.solver.common.factory import SolverFactory
    from pyomo.contrib.solver.common.results import SolutionStatus

    opt = SolverFactory("highs")
    begin = time.perf_counter()
    res = opt.solve(
        m,
        load_solutions=False,
        raise_exception_on_nonoptimal_result=False,
        rel_gap=options.mip_gap,
        abs_gap=0.99,
        threads=options.threads,
        time_limit=options.time_limit,
        tee=options.log,
        solver_options={"random_seed": options.seed, **HIGHS_OPTIONS},
    )
    wall = time.perf_counter() - begin
    solve_s = float(res.timing_info.highs_time)
    has_solution = res.solution_status in (
        SolutionStatus.feasible,
        SolutionStatus.optimal,
    )
    if has_solution:
        res.solution_loader.load_vars()
    info = {
        "solver_version": ".".join(map(str, res.solver_version)),
        "termination": res.termination_condition.name,
        "nodes": dict(res.extra_info).get("mip_node_count"),
        "solve_s": solve_s,
        "objective_bound": _finite(res.objective_bound),
    }
    return (
        contrib_end(res.termination_condition.name),
        has_solution,
        res.objective_bound,
        (wall - solve_s),
        info,
    )


def _solve_legacy(m, options: Options):
    """Solve with any solver of ``pyo.SolverFactory``; load the incumbent into m."""
    import pyomo.environ as pyo

    name = options.solver
    opt = pyo.SolverFactory(name)
    gap, threads, seed = LEGACY_OPTIONS.get(name, (None, None, None))
    passed = {gap: options.mip_gap, threads: options.threads, seed: options.seed}
    passed.pop(None, None)
    kwargs: dict[str, Any] = {
        "load_solutions": False,
        "options": passed,
        "tee": options.log,
    }
    if options.time_limit is not None:
        kwargs["timelimit"] = options.time_limit
    begin = time.perf_counter()
    res = opt.solve(m, **kwargs)
    wall = time.perf_counter() - begin
    termination = str(getattr(res.solver.termination_condition, "value", "unknown"))
    has_solution = len(res.solution) > 0
    if has_solution:
        m.solutions.load_from(res)
        has_solution = all(v.value is not None for v in m.x.values())
    bound = res.problem.upper_bound
    version = opt.version() if hasattr(opt, "version") else None
    info = {
        "solver_version": ".".join(map(str, version)) if version else None,
        "termination": termination,
        "nodes": None,
        "solve_s": wall,
        "objective_bound": _finite(bound),
        "solver_options": {str(k): v for k, v in passed.items()},
    }
    return legacy_end(termination), has_solution, bound, 0.0, info


def _finite(value) -> float | None:
    """Return ``value`` as a float when finite (JSON has no inf), else None."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None
