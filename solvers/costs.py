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

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Sequence

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


def cost_tables(
    instance: Instance, models: Sequence[int], bandwidth: Bandwidth
) -> list[np.ndarray]:
    """Return ``[cost_table(instance, i, bandwidth) for i in models]``, bit for bit.

    With the optimal split the tables of the models with at most 4x the mean
    number of users come from one matrix: row a holds model a's uploads padded
    with zeros, and a cumulative sum along the row adds in the same order as
    :func:`cost_table` (so the values are identical), in a few NumPy calls
    instead of a few per model. The matrix is at most 4x the users in size;
    longer tables and the equal split are computed one by one.
    """
    models = [int(i) for i in models]
    users = [instance.users_of(i) for i in models]
    lengths = np.fromiter((len(u) for u in users), dtype=np.int64, count=len(users))
    cap = max(16.0, 4 * lengths.mean()) if bandwidth.is_optimal and len(models) else -1
    short = np.flatnonzero(lengths <= cap)
    tables: list[np.ndarray] = [np.empty(0)] * len(models)
    if len(short):
        rows = _table_rows(instance, models, users, short)
        for a, row in zip(short, rows, strict=True):
            tables[a] = row
    for a in np.setdiff1d(np.arange(len(models)), short):
        tables[a] = cost_table(instance, models[a], bandwidth)
    return tables


def _table_rows(
    instance: Instance, models: list[int], users: list[np.ndarray], pick: np.ndarray
) -> list[np.ndarray]:
    """Return the optimal-split tables of ``models[a]`` (a in ``pick``) as rows."""
    lengths = np.array([len(users[a]) for a in pick], dtype=np.int64)
    width = int(lengths.max()) + 1
    table = np.zeros((len(pick), width))
    rows = np.repeat(np.arange(len(pick)), lengths)
    starts = np.cumsum(lengths) - lengths
    cols = np.arange(len(rows)) - np.repeat(starts, lengths) + 1
    table[rows, cols] = instance.upload_s[np.concatenate([users[a] for a in pick])]
    np.cumsum(table[:, 1:], axis=1, out=table[:, 1:])  # c(0) = 0 stays in column 0
    specs = [instance.models[models[a]] for a in pick]
    mu = np.array([spec.mu_s for spec in specs])
    beta = np.array([spec.beta_s for spec in specs])
    limit = np.array([spec.max_batch for spec in specs])  # optimal split: b = b_max
    n = np.arange(width)
    table += mu[:, None] * n
    table += beta[:, None] * -(-n // limit[:, None])
    return [row[: k + 1] for row, k in zip(table, lengths, strict=True)]


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
