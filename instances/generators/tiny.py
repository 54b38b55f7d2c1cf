"""Tiny random instances for tests: a few users and models, BLS or general.

Numbers are drawn as continuous floats so that deadline ties (which would make
exact methods' answers depend on rounding) have probability zero. The deadline
is drawn so that typically some, but not all, users can be served.
"""

from __future__ import annotations

import numpy as np

from instances.model import Block, Instance, Loading, Model, User

BANDWIDTH_HZ = 1.0e6


def random_parts(
    rng: np.random.Generator,
    model_blocks: list[list[str]],
    num_users: int | tuple[int, int],
) -> tuple[tuple[Model, ...], Loading, list[User]]:
    """Draw models over ``model_blocks``, loading rates and ``num_users`` users.

    ``num_users`` may be a range (low, high), drawn after the models and rates.
    Compute constants, rates and upload times are continuous draws (no ties);
    with :data:`BANDWIDTH_HZ`, a user's upload at full bandwidth lies in
    [0.05, 1] s. Shared by the tiny generator and the verification campaign.
    """
    models = tuple(
        Model(
            f"m{i}",
            tuple(b),
            float(rng.uniform(0.0, 0.3)),
            float(rng.uniform(0.0, 0.5)),
            int(rng.integers(1, 4)),
        )
        for i, b in enumerate(model_blocks)
    )
    loading = Loading(float(rng.uniform(8.0, 15.0)), float(rng.uniform(40.0, 80.0)))
    if isinstance(num_users, tuple):
        num_users = int(rng.integers(*num_users))
    users = []
    for k in range(num_users):
        upload = float(rng.uniform(0.05, 1.0))  # seconds at full bandwidth
        se = float(rng.uniform(2.0, 12.0))
        model = f"m{int(rng.integers(len(models)))}"
        users.append(User(f"k{k}", model, upload * se * BANDWIDTH_HZ, se))
    return models, loading, users


def generate(
    seed: int,
    kind: str = "bls",
    num_users: int | None = None,
    num_models: int | None = None,
    per_user_deadlines: bool = False,
    name: str | None = None,
) -> Instance:
    """Return a tiny random instance.

    Parameters
    ----------
    seed
        Seed of the numpy Generator; the same seed gives the same instance.
    kind
        ``"bls"`` (bottom-layer sharing clusters) or ``"general"`` (shared blocks
        at arbitrary positions; usually not BLS).
    num_users, num_models
        Sizes; drawn from 1..7 users and 1..4 models when None.
    per_user_deadlines
        Give each user its own deadline (``users[].deadline_s``).
    """
    if kind not in ("bls", "general"):
        raise ValueError(f'kind: expected "bls" or "general", got "{kind}"')
    rng = np.random.default_rng(seed)
    num_models = int(num_models or rng.integers(1, 5))
    num_users = int(num_users if num_users is not None else rng.integers(1, 8))

    blocks: list[Block] = []

    def new_block(prefix: str) -> str:
        bid = f"{prefix}{len(blocks)}"
        blocks.append(Block(bid, float(rng.uniform(1.0, 10.0))))
        return bid

    model_blocks: list[list[str]] = []
    if kind == "bls":
        num_clusters = int(rng.integers(1, min(2, num_models) + 1))
        trunks = [
            [new_block("w") for _ in range(int(rng.integers(1, 4)))]
            for _ in range(num_clusters)
        ]
        for i in range(num_models):
            trunk = trunks[i % num_clusters]
            depth = int(rng.integers(0, len(trunk) + 1))
            own = [new_block("u") for _ in range(int(rng.integers(1, 3)))]
            model_blocks.append(trunk[:depth] + own)
    else:
        pool = [new_block("g") for _ in range(int(rng.integers(2, 6)))]
        for _ in range(num_models):
            size = int(rng.integers(1, len(pool) + 1))
            chosen = [pool[j] for j in rng.choice(len(pool), size=size, replace=False)]
            chosen.insert(int(rng.integers(0, len(chosen) + 1)), new_block("u"))
            model_blocks.append(chosen)

    models, loading, users = random_parts(rng, model_blocks, num_users)
    mean_load = float(
        np.mean(
            [
                sum(b.size_bytes for b in blocks if b.id in set(mb))
                for mb in model_blocks
            ]
        )
    )
    work = loading.time(mean_load) * min(num_models, 2) + 0.6 * num_users
    deadline = float(work * rng.uniform(0.3, 1.0))
    if per_user_deadlines:
        users = [
            User(
                u.id,
                u.model,
                u.data_bits,
                u.spectral_efficiency,
                float(deadline * rng.uniform(0.4, 1.3)),
            )
            for u in users
        ]
    return Instance(
        name=name or f"tiny-{kind}-{seed}",
        deadline_s=deadline,
        slot_s=deadline / float(rng.integers(5, 40)),
        bandwidth_hz=BANDWIDTH_HZ,
        loading=loading,
        blocks=tuple(blocks),
        models=models,
        users=tuple(users),
    )
