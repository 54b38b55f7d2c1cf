"""The claims' own evidence: small seeded campaigns whose CSVs the claims rows read.

Each campaign writes one CSV (``DIR/theorems/*.csv``, ``DIR/greedy-gap/
greedy-gap.csv``); the committed copies live under ``docs/results/``. The rows
of ``claims.md`` only *read* these files (``experiments/claims_theorems.py``,
``experiments/claims_figures.py``), so every number in them comes from a file.

* ``proposition1``: random batches x random feasible splits (sum y <= 1) against
  eq. (11) and eq. (12).
* ``theorem1``: tiny instances x random schedules X x random splits Y against
  (X, eq. 12) and the brute-force optimum of P2.
* ``theorems``: tiny BLS and general instances; every optimal schedule is
  enumerated (:func:`experiments.theorems.check`) for Theorems 2.1, 2.2, 3 and
  Corollary 1; plus, per instance, Proposition 1's first statement (does some
  optimal schedule keep its optimum under a split that does *not* minimise the
  upload?), Remark 4 (``dp-paper`` without reuse against the exact
  ``independent``), Theorem 4 on tiny BLS (``dp-paper`` against the optimum)
  and Remark 3 (bytes loaded along Corollary 1's order against the union).
* ``greedy-gap``: ``greedy`` against a proven optimum (``dp`` on BLS,
  ``cpsat-seq`` on general instances) at the paper's scale, deadlines from
  saturated to not.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

import numpy as np

from instances.generators import bls, classes, general, tiny
from instances.model import Instance, meets
from instances.schedule import Schedule, evaluate
from instances.structure import analyze
from solvers import registry
from solvers.result import Options

if TYPE_CHECKING:
    from experiments.records import Row


def upload_time(p: np.ndarray, shares: np.ndarray, bandwidth_hz: float) -> float:
    """Return a batch's upload time max_k p_k / (y_k B) under the split ``shares``."""
    return float(np.max(p / (shares * bandwidth_hz)))


def proposition1(batches: int, splits: int, seed: int) -> list[Row]:
    """Return one row per random batch: eq. (11), (12) and the best random split."""
    rng = np.random.default_rng(seed)
    rows = []
    for n in range(batches):
        size = int(rng.integers(1, 9))
        p = rng.uniform(1e4, 1e6, size)  # D_k / R_k
        bandwidth = float(rng.uniform(1e6, 1e8))
        eq11 = p.sum() / bandwidth
        eq12 = upload_time(p, p / p.sum(), bandwidth)
        # Random feasible splits: sum y <= 1 (a Dirichlet point scaled by <= 1).
        y = rng.dirichlet(np.ones(size), splits) * rng.uniform(0.5, 1.0, (splits, 1))
        times = np.max(p / (y * bandwidth), axis=1)
        rows.append(
            {
                "batch": n,
                "users": size,
                "splits": splits,
                "eq11_s": eq11,
                "eq12_rel_error": abs(eq12 - eq11) / eq11,
                "splits_below_eq11": int(np.sum(times < eq11 * (1 - 1e-12))),
                "best_split_over_eq11": float(times.min() / eq11),
            }
        )
    return rows


def served_with_split(
    instance: Instance, schedule: Schedule, split: list[np.ndarray]
) -> tuple[int, float]:
    """Return (users served, largest extra upload time) under per-batch ``split``.

    ``split[n]`` holds the shares of batch n's users; the load and compute times
    are the evaluator's (they do not depend on the split).
    """
    clock, served, extra = 0.0, 0, 0.0
    timeline = evaluate(instance, schedule).timeline
    for batch, timing, y in zip(schedule.batches, timeline, split, strict=True):
        users = [instance.user_index[u] for u in batch.users]
        up = upload_time(instance.user_p[users], y, instance.bandwidth_hz)
        extra = max(extra, up - timing.upload_s)
        clock += up + timing.load_s + timing.compute_s
        served += sum(1 for k in users if meets(clock, instance.user_deadline[k]))
    return served, extra


def _random_split(instance: Instance, schedule: Schedule, rng) -> list[np.ndarray]:
    """Return random feasible shares per batch (sum <= 1)."""
    out = []
    for batch in schedule.batches:
        size = len(batch.users)
        out.append(rng.dirichlet(np.ones(size)) * rng.uniform(0.5, 1.0))
    return out


def _random_schedule(instance: Instance, rng) -> Schedule:
    """Return a random schedule: random users in random batches of one model each."""
    users = rng.permutation(instance.num_users)[
        : int(rng.integers(0, instance.num_users + 1))
    ]
    batches: list[tuple[int, list[int]]] = []
    for k in users:
        model = int(instance.user_model[k])
        limit = instance.models[model].max_batch
        open_batches = [b for b in batches if b[0] == model and len(b[1]) < limit]
        if open_batches and rng.random() < 0.5:
            open_batches[0][1].append(int(k))
        else:
            batches.insert(int(rng.integers(0, len(batches) + 1)), (model, [int(k)]))
    return Schedule.from_indices(instance, batches)


def theorem1(instances: int, schedules: int, seed: int) -> list[Row]:
    """Return one row per tiny instance: random (X, Y) against (X, eq. 12) and P2."""
    rng = np.random.default_rng(seed)
    rows = []
    for n in range(instances):
        kind = "bls" if n % 2 else "general"
        instance = tiny.generate(seed + n, kind)
        optimum = registry.run("bruteforce", instance).served
        better = above = trials = 0
        for _ in range(schedules):
            schedule = _random_schedule(instance, rng)
            fixed = evaluate(instance, schedule).served
            for _ in range(5):
                got, _ = served_with_split(
                    instance, schedule, _random_split(instance, schedule, rng)
                )
                better += got > fixed
                above += got > optimum
                trials += 1
        rows.append(
            {
                "instance": instance.name,
                "kind": kind,
                "seed": seed + n,
                "optimum": optimum,
                "trials": trials,
                "beat_eq12": better,
                "beat_optimum": above,
            }
        )
    return rows


def slack_split(instance: Instance, schedule: Schedule, rng, trials: int) -> bool:
    """Return whether some split that does not minimise the upload keeps the optimum.

    Mixes eq. (12) with random shares (weights 1/2, 1/10, 1/100): each such
    split makes some batch upload strictly longer than eq. (11).
    """
    target = evaluate(instance, schedule).served
    if not schedule.batches:
        return False
    for _, weight in itertools.product(range(trials), (0.5, 0.1, 0.01)):
        split = []
        for batch in schedule.batches:
            users = [instance.user_index[u] for u in batch.users]
            p = instance.user_p[users]
            noise = rng.dirichlet(np.ones(len(users)))
            # Mixed shares, scaled to sum 1 - weight / 2 < 1: every batch uploads
            # strictly longer than eq. (11), a batch of one user too.
            mixed = (1 - weight) * p / p.sum() + weight * noise
            split.append(mixed * (1 - weight / 2))
        served, extra = served_with_split(instance, schedule, split)
        if served == target and extra > 1e-12:
            return True
    return False


def theorem_instances(bls_count: int, general_count: int, max_users: int, seed: int):
    """Yield (kind, class, instance): BLS from verify-dp's grid and tiny, general tiny.

    BLS instances go round-robin over the grid classes and ``tiny``, skipping
    draws with more than ``max_users`` users; general ones are
    ``tiny.generate(s, "general")``.
    """
    names = [*classes.CLASSES, "tiny"]
    made, s = 0, seed
    while made < bls_count:
        cls = names[(s - seed) % len(names)]
        instance = classes.build(cls, s)
        s += 1
        if instance.num_users <= max_users:
            made += 1
            yield "bls", cls, instance
    for s in range(seed, seed + general_count):
        instance = tiny.generate(s, "general", name=f"thm-general-s{s}")
        if instance.num_users <= max_users:
            yield "general", "tiny-general", instance


def _served(method: str, instance: Instance, options: Options) -> int | None:
    """Return what ``method`` serves, or None if it refuses the instance."""
    if registry.supports(method, instance, options) is not None:
        return None
    return registry.run(method, instance, options).served


def theorem_row(kind: str, cls: str, instance: Instance, rng, trials: int) -> Row:
    """Return the evidence of one instance (see the module docstring)."""
    from experiments import theorems

    check = theorems.check(instance)
    best = registry.run("bruteforce", instance)
    no_reuse = Options(reuse_blocks=False)
    row: Row = {
        "instance": instance.name,
        "kind": kind,
        "class": cls,
        "users": instance.num_users,
        "models": instance.num_models,
        "optimum": check.optimum,
        "bruteforce": best.served,
        "num_optimal": check.num_optimal,
    }
    for name in theorems.CONDITIONS:
        row[f"some_{name}"] = check.some[name]
        row[f"every_{name}"] = check.every[name]
    row["prop1_slack_split"] = slack_split(instance, best.schedule, rng, trials)
    row["dp_paper"] = (
        _served("dp-paper", instance, Options()) if kind == "bls" else None
    )
    row["indep_paper"] = _served("dp-paper", instance, no_reuse)
    row["independent"] = _served("independent", instance, Options())
    row["bruteforce_no_reuse"] = _served("bruteforce", instance, no_reuse)
    return row


def remark3(instances: int, trials: int, seed: int) -> list[Row]:
    """Return, per BLS instance, the most bytes loaded twice along Corollary 1's order.

    Models in Corollary 1's order (clusters one after another, ascending l_i),
    random subsets of them used once each: the bytes loaded (eq. 8 with the
    previous model) against the bytes of the union of their blocks.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for n in range(instances):
        if n % 2:
            instance = bls.generate(seed=seed + n, name=f"r3-paper-s{seed + n}")
        else:
            instance = tiny.generate(seed + n, "bls", name=f"r3-tiny-s{seed + n}")
        structure = analyze(instance, models=np.arange(instance.num_models))
        order = [i for cluster in structure.clusters for i in cluster.models]
        new = instance.new_bytes(True)
        worst = 0.0
        for _ in range(trials):
            used = [i for i in order if rng.random() < 0.5] or order
            loaded = sum(
                new[0 if a is None else a + 1, b]
                for a, b in zip([None, *used[:-1]], used, strict=True)
            )
            blocks = np.unique(np.concatenate([instance.model_blocks[i] for i in used]))
            union = float(instance.block_sizes[blocks].sum())
            worst = max(worst, (loaded - union) / union)
        rows.append(
            {
                "instance": instance.name,
                "is_bls": structure.is_bls,
                "models": instance.num_models,
                "trials": trials,
                "worst_redundant_share": worst,
            }
        )
    return rows


def greedy_gap(config: dict[str, Any], seed: int) -> list[Row]:
    """Return greedy against a proven optimum at the paper's scale, per deadline.

    BLS (K = 80, I = 50) against ``dp``; general (K = 80, I = 25) against
    ``cpsat-seq`` with the time limit (rows keep its status; only proven optima
    are used by the claims).
    """
    rows = []
    limit = float(config.get("time_limit", 20.0))
    for kind, deadline, r in itertools.product(
        ("bls", "general"), config["deadlines"], range(int(config["realizations"]))
    ):
        s = seed + r
        if kind == "bls":
            instance = bls.generate(
                num_users=80, num_models=50, deadline_s=deadline, seed=s
            )
            exact = registry.run("dp", instance)
        else:
            instance = general.generate(
                num_users=80, num_models=25, deadline_s=deadline, seed=s
            )
            options = Options(time_limit=limit, seed=s, threads=1)
            exact = registry.run("cpsat-seq", instance, options)
        greedy = registry.run("greedy", instance)
        rows.append(
            {
                "kind": kind,
                "deadline_s": deadline,
                "seed": s,
                "users": instance.num_users,
                "greedy": greedy.served,
                "optimum": exact.served,
                "optimum_status": exact.status.value,
                "optimum_method": exact.method,
            }
        )
    return rows
