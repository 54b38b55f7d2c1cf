"""``cpsat``: the batch-position model of P2 in OR-Tools CP-SAT (as the MILP).

Positions n = 0..N-1 hold at most one batch each. Booleans x[n, k] (user k in batch n)
and z[n, i] (batch n runs model i); pair literals y[n, a, b] (batch n-1 runs a, batch
n runs b) carry the load L(a, b) = V(new_bytes[a + 1, b]) (with reuse: bytes of b not
in a; without: all of b when the model changes). In integer time units:

    sum_i z[n, i] <= 1,   x[n, k] => z[n, model(k)]
    z[n, i] => sum_{k in K_i} x[n, k] >= 1          (a used position is non-empty)
    sum_{k in K_i} x[n, k] <= b_i z[n, i]           (b_i = b_max, or min(b_max, r))
    sum_n x[n, k] <= used_model(k)                 (at most once)
    y[n, a, b] >= z[n-1, a] + z[n, b] - 1
    C[n] = C[n-1] + load_n + upload_n + sum_k mu_model(k) x[n, k] + sum_i beta_i z[n, i]
    load_0 = sum_b L(0, b) z[0, b],   load_n = sum_{a != b} L(a, b) y[n, a, b]
    upload_n = sum_k p_k / B x[n, k]                (optimal split, eq. 11)
    upload_n >= r p_k / B x[n, k] for all k         (r equal sub-channels: batch max)
    x[n, k] => C[n] <= T_k
    sum_i z[n, i] >= sum_i z[n+1, i]                (symmetry: used positions first)
    maximise sum x

Redundant, for the LP relaxation: C[N-1] <= T with a common deadline, and the union
bound sum_n load_n >= U(used) (``formulations.cpsat_base.union_load``).

N: with a common deadline the batches of a model can be contiguous (docs/model.md), so
N = sum over requested models of ceil(|K_i| / b_i) suffices. With per-user deadlines
that argument fails (an early-deadline user may need a batch of its own between two
batches of another model), so N = the number of candidate users (each batch holds at
least one). Candidates: a user k of model i is left out when V(all of i) + its own
upload + mu_i + beta_i already misses T_k (every block of i is loaded by the end of
k's batch, whatever the reuse). Times are integers (``formulations.cpsat_base``).

Layout (PyJobShop's backends): :func:`pos_data`, :func:`add_variables`, one function
per constraint family, called from :func:`build` in one commented order, then the
objective; :func:`decode` and :func:`hint` read and write solutions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
from ortools.sat.python import cp_model

from formulations.cpsat_base import (
    Built,
    Rounding,
    horizon_reason,
    solve_sandwich,
    union_load,
)
from instances.schedule import Schedule

if TYPE_CHECKING:
    from instances.model import Instance
    from solvers.result import Options, Outcome

MAX_LITERALS = 100_000
"""Largest number of x, z and y literals accepted (the model grows as N I^2 + N K)."""


def _candidates(instance: Instance, options: Options, rounding: Rounding):
    """Return the users that fit alone (by model) and the number of positions N."""
    seconds = instance.loading.seconds_per_byte * instance.new_bytes(
        options.reuse_blocks
    )
    load = rounding.cost(seconds)
    deadline = rounding.deadline(instance.user_deadline)
    upload = options.bandwidth.alone(instance.upload_s)
    users: dict[int, list[int]] = {}
    for i in instance.active_models():
        i = int(i)
        spec = instance.models[i]
        full = int(load[0, i])  # all of i is loaded by the end of its batch
        alone = rounding.cost(upload[instance.users_of(i)] + spec.mu_s + spec.beta_s)
        fits = [
            int(k)
            for k, t in zip(instance.users_of(i), alone, strict=True)
            if t + full <= deadline[k]
        ]
        if fits:
            users[i] = fits
    if instance.has_user_deadlines:
        positions = sum(len(ks) for ks in users.values())
    else:
        positions = sum(
            -(-len(ks) // options.bandwidth.batch_limit(instance.models[i].max_batch))
            for i, ks in users.items()
        )
    return users, positions


def supports(instance: Instance, options: Options) -> str | None:
    """Accept any instance whose model has at most :data:`MAX_LITERALS` literals."""
    reason = horizon_reason(instance)
    if reason is not None:
        return reason
    users, positions = _candidates(instance, options, Rounding(optimistic=True))
    size = positions * (len(users) ** 2 + sum(len(ks) for ks in users.values()))
    if size > MAX_LITERALS:
        return (
            f"too large for the batch-position model ({size} literals > {MAX_LITERALS})"
        )
    return None


@dataclass(frozen=True)
class PosData:
    """The batch-position model's data in time units of one :class:`Rounding`.

    Attributes
    ----------
    users
        Candidate users per candidate model (those that fit alone).
    positions
        The number of batch positions N.
    load
        (I + 1) x I load times L(a, b): row 0 the empty GPU, row a + 1 model a.
    deadline
        T_k per user.
    per_user
        Optimal split: upload + mu of each candidate user, rounded together.
        Equal split: None (``upload`` and ``mu`` are used).
    """

    users: dict[int, list[int]]
    positions: int
    load: np.ndarray
    deadline: np.ndarray
    horizon: int
    upload: np.ndarray
    mu: dict[int, int]
    beta: dict[int, int]
    limit: dict[int, int]
    per_user: dict[int, int] | None

    @property
    def models(self) -> list[int]:
        return sorted(self.users)


@dataclass
class PosVars:
    """x[n][k], z[n][i], C[n], used_i, and the load terms of every position."""

    x: list[dict[int, cp_model.IntVar]]
    z: list[dict[int, cp_model.IntVar]]
    completion: list[cp_model.IntVar]
    used: list[cp_model.IntVar]
    loads: list = field(default_factory=list)


def pos_data(instance: Instance, options: Options, rounding: Rounding) -> PosData:
    """Return the model's data. Candidates come from the optimistic rounding in
    every build, so that builds of both roundings have the same variables."""
    users, positions = _candidates(instance, options, rounding.relaxed())
    models = sorted(users)
    new_bytes = instance.new_bytes(options.reuse_blocks)
    deadline = rounding.deadline(instance.user_deadline)
    per_user = None
    if options.bandwidth.channels is None:
        # Upload and compute of one user rounded together: tighter, still one-sided.
        per_user = {
            k: rounding.cost(instance.upload_s[k] + instance.models[i].mu_s)
            for i in models
            for k in users[i]
        }
    return PosData(
        users=users,
        positions=positions,
        load=rounding.cost(instance.loading.seconds_per_byte * new_bytes),
        deadline=deadline,
        horizon=int(max((deadline[k] for ks in users.values() for k in ks), default=0)),
        upload=rounding.cost(options.bandwidth.alone(instance.upload_s)),
        mu={i: rounding.cost(instance.models[i].mu_s) for i in models},
        beta={i: rounding.cost(instance.models[i].beta_s) for i in models},
        limit={
            i: options.bandwidth.batch_limit(instance.models[i].max_batch)
            for i in models
        },
        per_user=per_user,
    )


def add_variables(m: cp_model.CpModel, d: PosData) -> PosVars:
    """Add x[n, k], z[n, i], C[n] in [0, max T_k] and used_i."""
    candidates = [k for i in d.models for k in d.users[i]]
    n_range = range(d.positions)
    return PosVars(
        x=[{k: m.new_bool_var(f"x[{n},{k}]") for k in candidates} for n in n_range],
        z=[{i: m.new_bool_var(f"z[{n},{i}]") for i in d.models} for n in n_range],
        completion=[m.new_int_var(0, d.horizon, f"C[{n}]") for n in n_range],
        used=[m.new_bool_var(f"used[{i}]") for i in d.models],
    )


def at_most_once(m: cp_model.CpModel, d: PosData, v: PosVars) -> None:
    r"""Each user at most once, and only if its model is used.

    .. math:: \sum_n x_{n,k} \le \mathrm{used}_{i(k)}

    (with used_i on the right the union bound sees used_i >= x in the LP).
    """
    for a, i in enumerate(d.models):
        for k in d.users[i]:
            m.add(sum(x[k] for x in v.x) <= v.used[a])


def batch_contents(m: cp_model.CpModel, d: PosData, v: PosVars) -> None:
    r"""A position runs at most one model, and only that model's users, 1..b_i.

    .. math:: \sum_i z_{n,i} \le 1,\quad x_{n,k} \Rightarrow z_{n,i(k)},\quad
              z_{n,i} \Rightarrow \mathrm{used}_i,\quad
              z_{n,i} \le \sum_{k \in K_i} x_{n,k} \le b_i z_{n,i}.
    """
    for n in range(d.positions):
        m.add_at_most_one(v.z[n].values())
        for a, i in enumerate(d.models):
            m.add_implication(v.z[n][i], v.used[a])
            batch = [v.x[n][k] for k in d.users[i]]
            for x in batch:
                m.add_implication(x, v.z[n][i])
            m.add(sum(batch) >= 1).only_enforce_if(v.z[n][i])
            m.add(sum(batch) <= d.limit[i] * v.z[n][i])  # times z: tighter LP


def used_positions_first(m: cp_model.CpModel, d: PosData, v: PosVars) -> None:
    r"""Symmetry breaking: used positions come first.

    .. math:: \sum_i z_{n,i} \ge \sum_i z_{n+1,i}.
    """
    for n in range(d.positions - 1):
        m.add(sum(v.z[n].values()) >= sum(v.z[n + 1].values()))


def position_loads(m: cp_model.CpModel, d: PosData, v: PosVars) -> list[list]:
    r"""Return each position's load terms, with the pair literals y.

    .. math:: \mathrm{load}_0 = \sum_b L(0, b)\, z_{0,b},\qquad
              \mathrm{load}_n = \sum_{a \ne b} L(a, b)\, y_{n,a,b},\qquad
              y_{n,a,b} \vee \neg z_{n-1,a} \vee \neg z_{n,b}.

    Only y's lower side is modelled: y has a positive time coefficient.
    """
    models = d.models
    per_position = [[int(d.load[0, i]) * v.z[0][i] for i in models]]
    for n in range(1, d.positions):
        terms = []
        for a in models:
            for b in models:
                if a != b and d.load[a + 1, b] > 0:
                    y = m.new_bool_var(f"y[{n},{a},{b}]")
                    m.add_bool_or([~v.z[n - 1][a], ~v.z[n][b], y])
                    terms.append(int(d.load[a + 1, b]) * y)
        per_position.append(terms)
    v.loads = [t for terms in per_position for t in terms]
    return per_position


def completion_times(
    m: cp_model.CpModel, d: PosData, v: PosVars, loads: list[list]
) -> None:
    r"""Batch n ends its load, upload and compute after batch n - 1.

    .. math:: C_n = C_{n-1} + \mathrm{load}_n + \mathrm{upload}_n
              + \sum_k \mu_{i(k)} x_{n,k} + \sum_i \beta_i z_{n,i},

    upload_n = sum_k w_k x[n, k] (optimal split; w_k + mu rounded together) or
    upload_n >= w_k x[n, k] for every k (equal split: the batch's maximum).
    """
    for n in range(d.positions):
        terms = loads[n] + [int(d.beta[i]) * v.z[n][i] for i in d.models]
        if d.per_user is not None:
            terms += [int(d.per_user[k]) * x for k, x in v.x[n].items()]
        else:
            up = m.new_int_var(0, d.horizon, f"upload[{n}]")
            for k, x in v.x[n].items():
                m.add(up >= int(d.upload[k]) * x)
            terms += [up]
            terms += [int(d.mu[i]) * v.x[n][k] for i in d.models for k in d.users[i]]
        previous = v.completion[n - 1] if n else 0
        m.add(v.completion[n] == previous + sum(terms))


def deadlines(m: cp_model.CpModel, instance: Instance, d: PosData, v: PosVars) -> None:
    r"""A served user's batch ends by its deadline.

    .. math:: x_{n,k} \Rightarrow C_n \le T_k,\qquad C_{N-1} \le T
              \ \text{(common deadline)}.

    The second row is redundant with a common deadline (used positions come
    first, each holds a user, unused ones take no time); explicit, it is in the
    LP relaxation.
    """
    for n in range(d.positions):
        for k, x in v.x[n].items():
            m.add(v.completion[n] <= int(d.deadline[k])).only_enforce_if(x)
    if d.positions and not instance.has_user_deadlines:
        m.add(v.completion[-1] <= int(d.deadline.max(initial=0)))


def build(instance: Instance, options: Options, rounding: Rounding) -> Built:
    """Build the batch-position model for one rounding of the times."""
    m = cp_model.CpModel()
    d = pos_data(instance, options, rounding)
    v = add_variables(m, d)

    # Constraints, in this order:
    at_most_once(m, d, v)
    batch_contents(m, d, v)
    used_positions_first(m, d, v)
    loads = position_loads(m, d, v)  # before completion_times and the union
    completion_times(m, d, v, loads)
    deadlines(m, instance, d, v)
    # Redundant: every block of a used model is loaded at least once.
    union = union_load(
        m, instance, d.models, v.used, options.reuse_blocks, rounding.resolution_s
    )
    m.add(sum(v.loads) >= union)

    # Objective: maximise the users served.
    objective = sum(x for row in v.x for x in row.values())
    m.maximize(objective)
    decisions = [x for row in v.x for x in row.values()]
    decisions += [z for row in v.z for z in row.values()]
    return Built(
        m,
        objective,
        decisions,
        partial(decode, instance, options, d, v),
        partial(hint, instance, m, d, v),
    )


def decode(
    instance: Instance, options: Options, d: PosData, v: PosVars, solver
) -> Schedule:
    """Return the batches of a solution in position order."""
    batches = []
    for n in range(d.positions):
        for i in d.models:
            if solver.boolean_value(v.z[n][i]):
                chosen = [k for k in d.users[i] if solver.boolean_value(v.x[n][k])]
                batches.append((i, np.array(chosen, dtype=np.int64)))
    return Schedule.from_indices(
        instance, batches, options.reuse_blocks, options.bandwidth
    )


def hint(
    instance: Instance, m: cp_model.CpModel, d: PosData, v: PosVars, schedule: Schedule
) -> None:
    """Add ``schedule`` (batch n at position n) as a hint, if it fits in N."""
    if len(schedule.batches) > d.positions:
        return
    chosen = set()
    for n, batch in enumerate(schedule.batches):
        chosen.add(("z", n, instance.model_index[batch.model]))
        chosen.update(("x", n, instance.user_index[u]) for u in batch.users)
    for n in range(d.positions):
        for k, x in v.x[n].items():
            m.add_hint(x, ("x", n, k) in chosen)
        for i, z in v.z[n].items():
            m.add_hint(z, ("z", n, i) in chosen)


def solve(
    instance: Instance, options: Options, deterministic_time: float | None = None
) -> Outcome:
    """Solve from the fast start, re-checked exactly (``cpsat_base.solve_sandwich``)."""
    return solve_sandwich(instance, options, build, deterministic_time)
