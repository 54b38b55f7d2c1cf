"""Paper-scale instances with general sharing: shared blocks at any position.

The general case of Section VII-A: ``num_models`` models fine-tuned from one
pre-trained backbone (ResNet-50 by default), each keeping a random *subset* of
the backbone's layers (not a prefix) and training the rest. Model i keeps
l_i layers, l_i drawn as in the BLS generator so that the kept layers average
theta; which ones is a uniform random subset of the body (the head is always
new). Such instances are almost never BLS: a kept layer above a trained one
breaks Definition 2 (check with :func:`instances.structure.analyze`).

Because the kept layers are spread evenly over the depth, the byte share is
close to theta here, unlike the BLS case, where the kept layers are the small
bottom ones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from instances.generators import common
from instances.generators.resnet import SHORT, layers

if TYPE_CHECKING:
    from instances.model import Instance


def generate(
    num_users: int = 80,
    num_models: int = 25,
    theta: float = 0.85,
    bandwidth_hz: float = 2e8,
    deadline_s: float = 0.7,
    slot_s: float = 0.01,
    seed: int = 0,
    zipf: float | None = None,
    profile=None,
    name: str | None = None,
    library_seed: int | None = None,
    arch: str = "resnet50",
) -> Instance:
    """Return a random general-sharing instance.

    Parameters are those of :func:`instances.generators.bls.generate`, plus

    arch
        The backbone every model is fine-tuned from: ``resnet18``, ``resnet34``
        or ``resnet50``.

    Raises
    ------
    ValueError
        Naming the parameter, when one is out of range.
    """
    common.check(
        num_users, num_models, theta, bandwidth_hz, deadline_s, slot_s, zipf, seed
    )
    if arch not in SHORT:
        raise ValueError(f'arch: expected one of {", ".join(SHORT)}, got "{arch}"')
    prof = common.resolve_profile(profile)
    rng = np.random.default_rng(seed)
    lib_rng = rng if library_seed is None else np.random.default_rng(library_seed)

    size = len(layers(arch))
    masks = []
    for depth in common.shared_depths(lib_rng, num_models, size, theta):
        mask = np.zeros(size, dtype=bool)
        mask[lib_rng.choice(size - 1, size=depth, replace=False)] = (
            True  # never the head
        )
        masks.append(mask)
    blocks, models = common.family_models(arch, SHORT[arch], masks, prof)

    users = common.draw_users(rng, models, num_users, zipf)
    default = f"general-k{num_users}-i{num_models}-theta{theta:g}-seed{seed}"
    return common.assemble(
        name or default, blocks, models, users, prof, bandwidth_hz, deadline_s, slot_s
    )
