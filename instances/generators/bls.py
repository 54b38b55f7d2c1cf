"""Paper-scale instances with bottom-layer sharing (BLS, Definition 2).

The model library of Section VII-A: three families (ResNet-18, -34, -50), one
pre-trained model each, and ``num_models`` models fine-tuned from them by
freezing bottom layers, spread over the families as evenly as possible
(ResNet-18 first). Fine-tuned model i keeps (shares) the bottom l_i layers of
its family's pre-trained model, l_i drawn so that the layers shared average
theta (see :func:`instances.generators.common.shared_depths`); its other layers
are its own blocks. Each family is one cluster whose shared list W_m is the
pre-trained model's layers up to the deepest l_i.

The pre-trained models serve no user: they were trained on another task
(CIFAR100) and only lend their bottom layers. Users request fine-tuned models.

theta counts layers, as in the paper. In bytes far less is shared, because the
top layers are the large ones: at theta = 85 % a ResNet-18 shares about 57 % of
its bytes, a ResNet-50 about 49 % (docs/instances.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from instances.generators import common
from instances.generators.resnet import ARCHS, SHORT, layers

if TYPE_CHECKING:
    from instances.model import Instance


def generate(
    num_users: int = 80,
    num_models: int = 50,
    theta: float = 0.85,
    bandwidth_hz: float = 2e8,
    deadline_s: float = 0.7,
    slot_s: float = 0.01,
    seed: int = 0,
    zipf: float | None = None,
    profile=None,
    name: str | None = None,
    library_seed: int | None = None,
) -> Instance:
    """Return a random BLS instance.

    Parameters
    ----------
    num_users
        K, users placed uniformly in the 250 m cell.
    num_models
        I, fine-tuned models (the pre-trained ones are not counted).
    theta
        Average fraction of a model's layers shared with its pre-trained model.
    bandwidth_hz, deadline_s, slot_s
        B, the common deadline T and the slot length of the slotted methods.
    seed
        Seed of the numpy Generator that draws everything: the same arguments
        give the same instance.
    zipf
        None for uniform requests; s >= 0 for Zipf popularity p_r ~ r^-s over
        a random ranking of the models.
    profile
        A :class:`~instances.generators.profile.Profile`, a profile file or
        shipped name, or None for the default ``rtx4090-fig1``.
    name
        Instance name; a descriptive default.
    library_seed
        If given, the model library (the depths l_i) is drawn from its own
        Generator with this seed, so that several ``seed`` values share one
        library and differ only in their users.

    Raises
    ------
    ValueError
        Naming the parameter, when one is out of range.
    """
    common.check(
        num_users, num_models, theta, bandwidth_hz, deadline_s, slot_s, zipf, seed
    )
    prof = common.resolve_profile(profile)
    rng = np.random.default_rng(seed)
    lib_rng = rng if library_seed is None else np.random.default_rng(library_seed)

    blocks, models = [], []
    for f, arch in enumerate(ARCHS):
        count = num_models // len(ARCHS) + (f < num_models % len(ARCHS))
        if count == 0:
            continue
        size = len(layers(arch))
        depth = common.shared_depths(lib_rng, count, size, theta)
        masks = [np.arange(size) < d for d in depth]
        more_blocks, more_models = common.family_models(arch, SHORT[arch], masks, prof)
        blocks += more_blocks
        models += more_models

    users = common.draw_users(rng, models, num_users, zipf)
    default = f"bls-k{num_users}-i{num_models}-theta{theta:g}-seed{seed}"
    return common.assemble(
        name or default, blocks, models, users, prof, bandwidth_hz, deadline_s, slot_s
    )
