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
"""

from __future__ import annotations

import numpy as np
from ortools.sat.python import cp_model

from formulations.cpsat_base import (
    Built,
    Rounding,
    horizon_reason,
    solve_sandwich,
    union_load,
)
from instances.model import Instance
from instances.schedule import Schedule
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


def build(instance: Instance, options: Options, rounding: Rounding) -> Built:
    """Build the batch-position model for one rounding of the times."""
    m = cp_model.CpModel()
    # Candidates from the optimistic rounding in both builds, so that the two models
    # have the same variables (one's solution hints the other).
    users, positions = _candidates(instance, options, rounding.relaxed())
    models = sorted(users)
    new_bytes = instance.new_bytes(options.reuse_blocks)
    load = rounding.cost(instance.loading.seconds_per_byte * new_bytes)
    deadline = rounding.deadline(instance.user_deadline)
    horizon = int(max((deadline[k] for ks in users.values() for k in ks), default=0))
    equal = options.bandwidth.channels
    upload = rounding.cost(options.bandwidth.alone(instance.upload_s))
    mu = {i: rounding.cost(instance.models[i].mu_s) for i in models}
    beta = {i: rounding.cost(instance.models[i].beta_s) for i in models}
    if equal is None:
        # Upload and compute of one user rounded together: tighter, still one-sided.
        per_user = {
            k: rounding.cost(instance.upload_s[k] + instance.models[i].mu_s)
            for i in models
            for k in users[i]
        }

    candidates = [k for i in models for k in users[i]]
    x = [
        {k: m.new_bool_var(f"x[{n},{k}]") for k in candidates} for n in range(positions)
    ]
    z = [{i: m.new_bool_var(f"z[{n},{i}]") for i in models} for n in range(positions)]
    completion = [m.new_int_var(0, horizon, f"C[{n}]") for n in range(positions)]
    used = [m.new_bool_var(f"used[{i}]") for i in models]
    loads = []  # every position's load terms, for the union bound
    for a, i in enumerate(models):
        for k in users[i]:
            # Each user at most once, and only if its model is used (the union
            # bound then sees used_i >= x in the LP relaxation).
            m.add(sum(x[n][k] for n in range(positions)) <= used[a])
    for n in range(positions):
        m.add_at_most_one(z[n].values())
        for a, i in enumerate(models):
            m.add_implication(z[n][i], used[a])
            batch = [x[n][k] for k in users[i]]
            for v in batch:
                m.add_implication(v, z[n][i])
            m.add(sum(batch) >= 1).only_enforce_if(z[n][i])
            limit = options.bandwidth.batch_limit(instance.models[i].max_batch)
            m.add(sum(batch) <= limit * z[n][i])  # times z: tighter LP
        if n + 1 < positions:
            m.add(sum(z[n].values()) >= sum(z[n + 1].values()))

        # Duration of batch n: load + upload + compute.
        if n == 0:
            terms = [int(load[0, i]) * z[0][i] for i in models]
        else:
            terms = []
            for a in models:
                for b in models:
                    if a != b and load[a + 1, b] > 0:
                        y = m.new_bool_var(f"y[{n},{a},{b}]")
                        m.add_bool_or([~z[n - 1][a], ~z[n][b], y])
                        terms.append(int(load[a + 1, b]) * y)
        loads += terms
        terms += [int(beta[i]) * z[n][i] for i in models]
        if equal is None:
            terms += [int(per_user[k]) * v for k, v in x[n].items()]
        else:
            up = m.new_int_var(0, horizon, f"upload[{n}]")
            for k, v in x[n].items():
                m.add(up >= int(upload[k]) * v)
            terms += [up] + [int(mu[i]) * x[n][k] for i in models for k in users[i]]
        previous = completion[n - 1] if n else 0
        m.add(completion[n] == previous + sum(terms))
        for k, v in x[n].items():
            m.add(completion[n] <= int(deadline[k])).only_enforce_if(v)
    if positions and not instance.has_user_deadlines:
        # Redundant with a common deadline: the last used position holds a user,
        # and unused positions take no time. Explicit, it is in the LP relaxation.
        m.add(completion[-1] <= int(rounding.deadline(instance.deadline_s)))
    # Redundant: every block of a used model is loaded at least once.
    m.add(sum(loads) >= union_load(m, instance, models, used, options.reuse_blocks))
    m.maximize(sum(v for row in x for v in row.values()))

    def decode(solver: cp_model.CpSolver) -> Schedule:
        batches = []
        for n in range(positions):
            for i in models:
                if solver.boolean_value(z[n][i]):
                    chosen = [k for k in users[i] if solver.boolean_value(x[n][k])]
                    batches.append((i, np.array(chosen, dtype=np.int64)))
        return Schedule.from_indices(
            instance, batches, options.reuse_blocks, options.bandwidth
        )

    def hint(schedule: Schedule) -> None:
        if len(schedule.batches) > positions:
            return
        chosen = set()
        for n, batch in enumerate(schedule.batches):
            chosen.add(("z", n, instance.model_index[batch.model]))
            chosen.update(("x", n, instance.user_index[u]) for u in batch.users)
        for n in range(positions):
            for k, v in x[n].items():
                m.add_hint(v, ("x", n, k) in chosen)
            for i, v in z[n].items():
                m.add_hint(v, ("z", n, i) in chosen)

    decisions = [v for row in x for v in row.values()] + [
        v for row in z for v in row.values()
    ]
    return Built(m, decisions, decode, hint)


def solve(
    instance: Instance, options: Options, deterministic_time: float | None = None
) -> Outcome:
    """Solve with the rounding sandwich (``formulations.cpsat_base.solve_sandwich``)."""
    return solve_sandwich(instance, options, build, deterministic_time)
