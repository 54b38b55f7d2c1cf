"""The MILP's data: candidate users, block groups, positions N, times in ms.

:func:`prepare` reduces an instance to what the model of
:mod:`formulations.milp.model` needs; :func:`deadlines_ms` states the deadline
rows of the three solves (docs/formulations-milp.md, section 5).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from formulations.common import servable
from instances.timing import effective_deadline

if TYPE_CHECKING:
    from instances.model import Instance
    from solvers.result import Options

MS = 1000.0  # model time unit: milliseconds per second
# The solver's feasibility and integrality tolerances (ms), the smallest HiGHS
# accepts: a rounded solution's true end differs from the model's C by about
# 1e-10 C (integrality) + 1e-10 ms.
SOLVER_TOLERANCE = 1e-10
# The deadline rows of the three solves (docs/formulations-milp.md, "Proofs"):
# "proof" relaxes every deadline beyond the evaluator's (the bound is read here);
# "inner" and "margin" tighten it so that a solution meets the evaluator's rule
# despite solver tolerances, and are solved only if the proof solve's incumbent
# fails the evaluator.
DEADLINE_ROWS = ("proof", "inner", "margin")
# Proof rows: T_k (1 + 1e-9) + this absolute slack (ms, the solver's feasibility
# tolerance) + this relative slack of the horizon (float round-off of the sums).
PROOF_SLACK_MS = SOLVER_TOLERANCE
PROOF_SLACK_REL = 1e-12
# Inner rows: T_k (1 + 1e-9) (1 - INNER_GUARD), a guard band five times the
# integrality tolerance. Between the inner and the proof rows (a relative band
# of about 5e-10) a floating-point solver cannot tell feasible from infeasible:
# a schedule ending there may leave the status ``feasible`` (bound one above).
INNER_GUARD = 5e-10
# Margin rows: every deadline shrunk by this relative margin (last resort).
RETRY_MARGIN = 1e-6


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
