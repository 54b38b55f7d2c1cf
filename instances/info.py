"""``partialloading info``: what an instance is, before any method runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from instances.structure import analyze, sharing_stats
from instances.timing import EDGE_RTOL, cold_load_s, fits, meets, num_slots

if TYPE_CHECKING:
    from instances.model import Instance

if TYPE_CHECKING:
    from instances.model import Instance


def served_bounds(instance: Instance) -> tuple[int, int]:
    """Return a quick (lower, upper) idea of how many users can be served.

    Lower: the best single model served alone, its cheapest users in full batches
    after a cold load (a feasible schedule). Upper: every served user k of model
    i costs at least p_k / B + mu_i + beta_i / b_i, and the first batch loads a
    whole model, so no schedule serves more than the longest prefix of users,
    cheapest first, whose costs plus the smallest model load fit the latest
    deadline. Both ignore per-user deadlines except through the latest one.
    """
    deadline = float(instance.user_deadline.max()) if instance.num_users else 0.0
    cold = cold_load_s(instance)
    lower = 0
    for i, users in enumerate(instance.model_users):
        if not len(users):
            continue
        m = instance.models[i]
        n = np.arange(1, len(users) + 1)
        cost = (
            np.cumsum(instance.upload_s[users])
            + m.mu_s * n
            + m.beta_s * -(-n // m.max_batch)
            + cold[i]
        )
        # All n users finish by the last batch's end, so each must allow it.
        deadlines = np.minimum.accumulate(instance.user_deadline[users])
        # a rounding error inside the rule, so the evaluator's own sums agree
        inside = meets(cost * (1.0 + EDGE_RTOL), deadlines)
        lower = max(lower, int(np.sum(np.cumprod(inside))))
    mu = np.array([m.mu_s for m in instance.models])
    beta = np.array([m.beta_s / m.max_batch for m in instance.models])
    model = instance.user_model
    per_user = instance.upload_s + mu[model] + beta[model]
    active = instance.active_models()
    first_load = float(cold[active].min()) if len(active) else 0.0
    prefix = np.cumsum(np.sort(per_user)) + first_load
    upper = int(np.sum(fits(prefix, deadline)))  # widened: a bound whatever the sums
    return lower, upper


def describe(instance: Instance) -> str:
    """Return a readable description: sizes, clusters, BLS test, sharing, bounds."""
    k, i, j = instance.num_users, instance.num_models, instance.num_blocks
    active = instance.active_models()
    structure = analyze(instance)
    stats = sharing_stats(instance)
    mb = instance.model_bytes / 1e6
    slots = num_slots(instance.deadline_s, instance.slot_s)
    lines = [
        f"instance   {instance.name}",
        f"sizes      {k} users, {i} models ({len(active)} requested), {j} blocks",
        f"deadline   {1000 * instance.deadline_s:g} ms common"
        + (" (some users have their own)" if instance.has_user_deadlines else "")
        + f", slot {1000 * instance.slot_s:g} ms ({slots} slots)",
        f"bandwidth  {instance.bandwidth_hz / 1e6:g} MHz; loading "
        f"{instance.loading.disk_bytes_per_s / 1e6:g} MB/s disk + "
        f"{instance.loading.pcie_bytes_per_s / 1e9:g} GB/s PCIe",
        f"models     {mb.min():.2f}-{mb.max():.2f} MB, cold load "
        f"{1000 * instance.loading.time(instance.model_bytes.min()):.1f}-"
        f"{1000 * instance.loading.time(instance.model_bytes.max()):.1f} ms"
        if i
        else "models     none",
        f"uploads    {1000 * instance.upload_s.sum():.2f} ms for all users "
        "at full bandwidth"
        if k
        else "uploads    no users",
    ]
    if structure.is_bls:
        lines.append(
            f"structure  bottom-layer sharing (BLS, Definition 2): "
            f"{len(structure.clusters)} clusters of requested models"
        )
    else:
        lines.append(f"structure  general (not BLS): {structure.reason}")
    for m, cluster in enumerate(structure.clusters[:12], start=1):
        names = ", ".join(instance.models[t].id for t in cluster.models[:6])
        more = (
            f", ... ({len(cluster.models)} models)" if len(cluster.models) > 6 else ""
        )
        depth = (
            f"; shared depths l_i {min(cluster.depth)}-{max(cluster.depth)}, "
            f"W_m has {len(cluster.shared)} layers"
            if structure.is_bls
            else ""
        )
        lines.append(f"  cluster {m}: {names}{more}{depth}")
    if len(structure.clusters) > 12:
        lines.append(f"  ... {len(structure.clusters) - 12} more clusters")
    if i:
        layers = 100 * stats["layer_share"].mean()
        bytes_ = 100 * stats["byte_share"].mean()
        lines.append(
            f"sharing    layers shared per model: mean {layers:.1f}% "
            f"(theta counts layers); bytes shared: mean {bytes_:.1f}%"
        )
    lower, upper = served_bounds(instance)
    lines.append(
        f"served     between {lower} (best single model) and {upper} (loads ignored "
        f"but one) of {k} users"
    )
    return "\n".join(lines)
