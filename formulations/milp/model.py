r"""The batch-position model of P2 (eqs. 3, 8-13) in Pyomo: variables, rows, objective.

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
    T_k is the deadline as the solve's rows state it: T_k (1 + 1e-9) plus the
    solver's tolerance for the proof solve (docs/formulations-milp.md, section 5).
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
    (or min -sum_{n,k} x[n,k] for legacy solvers and the MPS export)

N = sum_i ceil(|K_i| / b_i) with a common deadline (the canonical optimal
schedule above needs no more positions); with per-user deadlines splitting a
model's users into more batches can pay (an urgent user alone first), so N = |K|,
one position per candidate user (each used batch holds one user at least). Both
are capped by the number of batches that fit before H (``_fitting_batches``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from formulations.milp.data import Data, prepare

if TYPE_CHECKING:
    from instances.model import Instance
    from solvers.result import Options


def build_model(
    instance: Instance,
    options: Options,
    data: Data | None = None,
    minimise: bool = False,
):
    """Return the Pyomo ``ConcreteModel`` of P2 for ``instance`` (module docstring).

    ``minimise`` states the objective as min -served (for readers and solvers
    that get a maximisation's sense or bound wrong, see :func:`_objective`).
    The model is named "P2": no instance name in it, so that LP and MPS files
    keep short, portable names (CBC crashes on names of 158 characters).
    """
    import pyomo.environ as pyo

    d = data or prepare(instance, options)
    m = pyo.ConcreteModel(name="P2")
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
    _objective(m, d, minimise)  # (13a)
    return m


def _variables(m, d: Data) -> None:
    """Add x, z (binary), u in [0, 1], C in [0, H], and up (equal split only)."""
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
    """Add rho (8a), upload (11), load (8) and compute (9) as expressions."""
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
    """once[k]: sum_n x[n,k] <= 1 (3)."""
    import pyomo.environ as pyo

    m.once = pyo.Constraint(m.K, rule=lambda m, k: sum(m.x[n, k] for n in m.N) <= 1)


def _one_model(m, d: Data) -> None:
    """one_model[n]: sum_i z[n,i] <= 1 (10d)."""
    import pyomo.environ as pyo

    m.one_model = pyo.Constraint(
        m.N, rule=lambda m, n: sum(m.z[n, i] for i in m.I) <= 1
    )


def _user_model(m, d: Data) -> None:
    """user_model[n,k]: x[n,k] <= z[n,i(k)] (a user rides its own model)."""
    import pyomo.environ as pyo

    m.user_model = pyo.Constraint(
        m.N, m.K, rule=lambda m, n, k: m.x[n, k] <= m.z[n, d.model_of[k]]
    )


def _batch_size(m, d: Data) -> None:
    """batch_size[n,i]: sum_{k in K_i} x[n,k] <= b_i z[n,i] (10c, 5)."""
    import pyomo.environ as pyo

    def rule(m, n, i):
        return sum(m.x[n, k] for k in d.users_of[i]) <= d.limit[i] * m.z[n, i]

    m.batch_size = pyo.Constraint(m.N, m.I, rule=rule)


def _loaded(m, d: Data) -> None:
    """loaded[n,g]: u[n,g] >= rho[n,g] - rho[n-1,g], rho[0,g] = 0 (8')."""
    import pyomo.environ as pyo

    def rule(m, n, g):
        before = m.rho[n - 1, g] if n > 1 else 0
        return m.u[n, g] >= m.rho[n, g] - before

    m.loaded = pyo.Constraint(m.N, m.G, rule=rule)


def _loaded_once(m, d: Data) -> None:
    """loaded_once[g,k]: sum_n u[n,g] >= sum_n x[n,k] for k of a model in I_g."""
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
    """equal_upload[n,k]: up[n] >= r a_k x[n,k] (the batch maximum)."""
    import pyomo.environ as pyo

    m.equal_upload = pyo.Constraint(
        m.N, m.K, rule=lambda m, n, k: m.up[n] >= d.upload_ms[k] * m.x[n, k]
    )


def _completion(m, d: Data) -> None:
    """completion[n]: C[n] = C[n-1] + upload[n] + load[n] + compute[n] (1)."""
    import pyomo.environ as pyo

    def rule(m, n):
        before = m.C[n - 1] if n > 1 else 0
        return m.C[n] == before + m.upload_time[n] + m.load_time[n] + m.compute_time[n]

    m.completion = pyo.Constraint(m.N, rule=rule)


def _deadline(m, d: Data) -> None:
    """deadline[n,k]: C[n] <= T_k + (H - T_k)(1 - x[n,k]) for T_k < H (13c).

    T_k is the right-hand side of the solve's rows (:func:`data.deadlines_ms`).
    """
    import pyomo.environ as pyo

    urgent = [k for k in d.users if d.deadline_ms[k] < d.horizon_ms]

    def rule(m, n, k):
        slack = d.horizon_ms - d.deadline_ms[k]
        return m.C[n] <= d.deadline_ms[k] + slack * (1 - m.x[n, k])

    m.deadline = pyo.Constraint(m.N, urgent, rule=rule)


def _symmetry(m, d: Data) -> None:
    """used_first, nonempty; with a common deadline cheapest_first, model_batches."""
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


def _objective(m, d: Data, minimise: bool) -> None:
    """max sum_{n,k} x[n,k] (13a), or min -sum_{n,k} x[n,k] (``minimise``).

    The minimisation has the same optimum with the sign flipped; a reader that
    ignores an MPS file's OBJSENSE (CBC) minimises, so it gets it right.
    """
    import pyomo.environ as pyo

    served = sum(m.x[n, k] for n in m.N for k in m.K)
    if minimise:
        m.neg_served = pyo.Objective(expr=-served, sense=pyo.minimize)
    else:
        m.served = pyo.Objective(expr=served, sense=pyo.maximize)
