"""Named classes of small random BLS instances (the verify-dp campaign's inputs).

Each class is reproducible from its name and a seed: :func:`build` returns the
same instance for the same ``(name, seed)``. The grid classes have explicit
knobs (:class:`InstanceClass`); three more classes draw from the other
generators at set scales (``tiny``, ``fig9``, ``paper``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from instances.generators import bls, tiny
from instances.model import Block, Instance

if TYPE_CHECKING:
    from collections.abc import Callable


@dataclass(frozen=True, slots=True)
class InstanceClass:
    """A family of small random BLS instances with explicit knobs.

    Parameters
    ----------
    models
        ``"few"``: 2-3 clusters of 1-2 models; ``"many"``: 1-2 clusters of 3-5.
    depths
        ``"equal"``: every model of a cluster shares the same depth l_i;
        ``"distinct"``: depths drawn from 1..W_m, not all equal.
    deadline
        ``"tight"``: 15-35 % of the time needed to serve everyone; ``"loose"``:
        50-85 %.
    slots
        T, the deadline in slots (slot_s = deadline_s / T).
    """

    models: str
    depths: str
    deadline: str
    slots: int

    @property
    def name(self) -> str:
        return f"{self.models}-{self.depths}-{self.deadline}-T{self.slots}"


GRID = tuple(
    InstanceClass(m, d, t, s)
    for m in ("few", "many")
    for d in ("equal", "distinct")
    for t in ("tight", "loose")
    for s in (5, 20, 70)
)
CLASSES: dict[str, InstanceClass] = {c.name: c for c in GRID}


def _tiny(seed: int) -> Instance:
    return tiny.generate(seed, "bls", name=f"vdp-tiny-s{seed}")


def _bls(seed: int, label: str, **params: Any) -> Instance:
    return bls.generate(seed=seed, slot_s=0.01, name=f"vdp-{label}-s{seed}", **params)


GENERATED: dict[str, Callable[[int], Instance]] = {
    # tiny.generate's own BLS instances (1-7 users, 1-4 models).
    "tiny": _tiny,
    # The paper's Fig. 9 scale: K = 20, I = 5, T = 200 ms, 10 ms slots.
    "fig9": lambda seed: _bls(seed, "fig9", num_users=20, num_models=5, deadline_s=0.2),
    # The paper's default scale (Fig. 6): K = 80, I = 50, T = 700 ms.
    "paper": lambda seed: _bls(
        seed, "paper", num_users=80, num_models=50, deadline_s=0.7
    ),
}


def class_names() -> list[str]:
    """Return every known class name: the grid, then the generated ones."""
    return [*CLASSES, *GENERATED]


def build(cls: str, seed: int) -> Instance:
    """Return the instance of class ``cls`` drawn with ``seed`` (deterministic).

    Raises
    ------
    ValueError
        If ``cls`` is not a known class name.
    """
    if cls in GENERATED:
        return GENERATED[cls](seed)
    if cls not in CLASSES:
        raise ValueError(
            f'class: unknown instance class "{cls}" (known: {class_names()})'
        )
    spec = CLASSES[cls]
    rng = np.random.default_rng([seed, sum(map(ord, cls))])
    blocks, model_blocks = _layout(rng, spec)
    models, loading, users = tiny.random_parts(rng, model_blocks, (3, 10))
    draft = Instance(
        f"vdp-{cls}-s{seed}",
        1.0,
        1.0,
        tiny.BANDWIDTH_HZ,
        loading,
        tuple(blocks),
        tuple(models),
        tuple(users),
    )
    share = (
        rng.uniform(0.15, 0.35) if spec.deadline == "tight" else rng.uniform(0.5, 0.85)
    )
    deadline = float(serve_all_s(draft) * share)
    return dataclasses.replace(draft, deadline_s=deadline, slot_s=deadline / spec.slots)


def _layout(
    rng: np.random.Generator, spec: InstanceClass
) -> tuple[list[Block], list[list[str]]]:
    """Draw the blocks and each model's block ids: shared trunks, then own blocks."""
    if spec.models == "few":
        num_clusters, per_cluster = int(rng.integers(2, 4)), (1, 3)
    else:
        num_clusters, per_cluster = int(rng.integers(1, 3)), (3, 6)
    blocks: list[Block] = []

    def block(prefix: str) -> str:
        blocks.append(Block(f"{prefix}{len(blocks)}", float(rng.uniform(1.0, 10.0))))
        return blocks[-1].id

    model_blocks = []
    for c in range(num_clusters):
        size = int(rng.integers(*per_cluster))
        if spec.depths == "equal":
            trunk = [block(f"w{c}.") for _ in range(int(rng.integers(1, 4)))]
            depths = [len(trunk)] * size
        else:
            trunk = [block(f"w{c}.") for _ in range(int(rng.integers(2, 5)))]
            depths = [int(d) for d in rng.integers(1, len(trunk) + 1, size)]
            if size > 1 and len(set(depths)) == 1:
                depths[0] = depths[0] % len(trunk) + 1
        for depth in depths:
            own = [block("u") for _ in range(int(rng.integers(1, 3)))]
            model_blocks.append(trunk[:depth] + own)
    return blocks, model_blocks


def serve_all_s(instance: Instance) -> float:
    """Return the seconds needed to serve every user, the scale of a class's deadline.

    Every block is loaded once, then each model's users go in full batches of
    b_max with the optimal bandwidth split: sum of uploads (eq. 11) plus
    mu_i n + beta_i ceil(n / b_max) (eq. 9). A rough yardstick for drawing
    deadlines, not a schedule's time; the sums are taken in the order that
    keeps the shipped class instances bit-identical.
    """
    work = 0.0
    for model, spec in enumerate(instance.models):
        upload = instance.upload_s[instance.users_of(model)]
        n = len(upload)
        uploads = float(np.cumsum(upload)[-1]) if n else 0.0
        work += uploads + spec.mu_s * n + spec.beta_s * (-(-n // spec.max_batch))
    return instance.loading.time(instance.block_sizes.sum()) + work
