"""Slot arithmetic and the paper's batch layout, shared by dp-paper, greedy and gemel.

The paper's methods serve the k cheapest users of model i (ascending p_k,
Theorem 2.1) in N'_i(k) = ceil(k / b) batches, **first batches full**
(Algorithm 1, lines 21-24; Algorithm 3, line 13): batch n holds users
(n-1) b + 1 .. min(n b, k). Their time without loading is

    c_i(k) = upload + sum_n e(n, i, k)                               (eqs. 16-17, 23)

where ``upload`` is the sum of eq. (11) over the k users with the optimal split
(reading (b) of docs/paper-methods.md) and, with r equal sub-channels, the
printed sum of batch maxima sum_n p_{z(n,i,k)} r / B with z(n,i,k) = min(n b, k)
(b = min(b_max, r): at most r users per batch).

Slots (:mod:`instances.timing`): a duration phi fits in tau slots when phi <=
tau * slot (up to a 1e-10 relative tolerance, so that borderline float sums such
as 0.1 + 0.2 against 3 * 0.1 do not flip), and T is the most slots whose budget
meets the deadline under the evaluator's rule.
"""

from __future__ import annotations

import numpy as np

from instances import timing
from instances.model import Instance
from instances.timing import SLOT_RTOL, Bandwidth
from solvers.costs import cost_table

__all__ = ["SLOT_RTOL", "num_slots", "paper_batches", "paper_cost_table", "slot_budget"]


def num_slots(instance: Instance) -> int:
    """Return T, the common deadline in slots (:func:`instances.timing.num_slots`)."""
    return timing.num_slots(instance.deadline_s, instance.slot_s)


def slot_budget(instance: Instance, slots: np.ndarray | int) -> np.ndarray:
    """Return the seconds available in ``slots`` slots, tolerance included."""
    return timing.slot_budget(instance.slot_s, slots)


def paper_cost_table(
    instance: Instance, model: int, bandwidth: Bandwidth
) -> np.ndarray:
    """Return c_i(k), k = 0..|K_i|: upload + compute of the paper's batch layout.

    With the optimal split this is :func:`solvers.costs.cost_table` (the upload
    time does not depend on how users are cut into batches). With r equal
    sub-channels the batches are cut from the bottom as the paper cuts them, so
    the upload is r / B times the sum of p_{min(n b, k)} over batches n.
    """
    if bandwidth.is_optimal:
        return cost_table(instance, model, bandwidth)
    spec = instance.models[model]
    # Each user's upload on its sub-channel, r p_k / B, ascending.
    up = bandwidth.alone(instance.upload_s[instance.users_of(model)])
    b = bandwidth.batch_limit(spec.max_batch)
    k = np.arange(len(up) + 1)
    full = k // b
    # Maxima of the full batches are up[b-1], up[2b-1], ...; a partial last
    # batch (k % b > 0) has maximum up[k-1].
    full_sums = np.concatenate(([0.0], np.cumsum(up[b - 1 :: b])))
    partial = np.where(k % b > 0, up[np.maximum(k - 1, 0)], 0.0) if len(up) else 0.0
    upload = full_sums[full] + partial
    return upload + spec.mu_s * k + spec.beta_s * -(-k // b)


def paper_batches(
    instance: Instance, model: int, count: int, bandwidth: Bandwidth
) -> list[tuple[int, np.ndarray]]:
    """Return ``(model, users)`` batches serving the ``count`` cheapest users.

    Batch n holds users (n-1) b + 1 .. min(n b, count) of K_i (first batches
    full), as in Algorithm 1, lines 21-24 and Algorithm 3, line 13.
    """
    users = instance.users_of(model)[:count]
    b = bandwidth.batch_limit(instance.models[model].max_batch)
    return [(model, users[s : s + b]) for s in range(0, count, b)]
