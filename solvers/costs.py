"""Per-model cost tables and batch layouts shared by the structural methods.

Theorem 2 (checked in docs/model.md): with a common deadline, an optimal schedule
serves, for each used model i, its n_i users with the smallest p_k in
N'_i(n_i) = ceil(n_i / b) consecutive batches, where b = b_max (or min(b_max, r)
with r equal sub-channels). The time of those batches, without loading, is

    optimal split:  c_i(n) = sum_{t <= n} p_(t) / B + mu_i n + beta_i ceil(n / b)
    equal split:    c_i(n) = (r / B) sum_{g < ceil(n/b)} p_(n - g b)
                             + mu_i n + beta_i ceil(n / b)

where p_(1) <= p_(2) <= ... For the equal split the batch maxima are least when
the batches are cut from the top (the partial batch holds the smallest users):
the g-th largest batch maximum of any layout is at least p_(n - g b).
"""

from __future__ import annotations

import numpy as np

from instances.model import Instance
from instances.timing import Bandwidth


def cost_table(instance: Instance, model: int, bandwidth: Bandwidth) -> np.ndarray:
    """Return c_i(n) for n = 0..|K_i| (seconds, loading excluded); c_i(0) = 0."""
    spec = instance.models[model]
    up = instance.upload_s[instance.users_of(model)]
    n = np.arange(len(up) + 1)
    b = bandwidth.batch_limit(spec.max_batch)
    batches = -(-n // b)
    if bandwidth.is_optimal:
        upload = np.concatenate(([0.0], np.cumsum(up)))
    else:
        alone = bandwidth.alone(up)  # r p_(m) / B: the batch maximum's upload
        upload = np.zeros(len(up) + 1)
        for m in range(1, len(up) + 1):  # S(m) = r p_(m) / B + S(m - b)
            upload[m] = alone[m - 1] + upload[max(m - b, 0)]
    return upload + spec.mu_s * n + spec.beta_s * batches


def model_batches(
    instance: Instance, model: int, count: int, bandwidth: Bandwidth
) -> list[np.ndarray]:
    """Return the batches (user index arrays) serving the ``count`` cheapest users.

    With the optimal split the batches are cut from the bottom (Algorithm 1, lines
    21-24); with equal sub-channels from the top (see module docstring).
    """
    users = instance.users_of(model)[:count]
    b = bandwidth.batch_limit(instance.models[model].max_batch)
    if bandwidth.is_optimal or count == 0:
        return [users[s : s + b] for s in range(0, count, b)]
    first = count % b or b
    return [users[:first]] + [users[s : s + b] for s in range(first, count, b)]
