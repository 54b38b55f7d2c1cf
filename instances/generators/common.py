"""What the BLS and general generators share: users, channels, checks, models.

Users (Section VII-A of the paper): K users uniform over a disk of radius 250 m
around the server, Rayleigh fading, and the expected spectral efficiency of eq. (6)

    R_k = log2(1 + P h_k d_k^(-alpha) / N0),    h_k ~ Exp(1) (power gain),

with P = 5e-9 W/Hz, N0 = -174 dBm/Hz and alpha = 4. The paper prints d^alpha,
which would make far users faster than near ones: a typo for the path loss
d^(-alpha). Each user uploads one 128 x 128 x 3 image of 8-bit pixels
(393,216 bits) and requests a model uniformly at random, or by Zipf popularity.
"""

from __future__ import annotations

import math

import numpy as np

from instances.generators import profile as profiles
from instances.generators.resnet import layer_bytes
from instances.model import Block, Instance, Model, User
from instances.values import MAX_SECONDS, MAX_SLOTS

RADIUS_M = 250.0
MIN_DISTANCE_M = 1.0
POWER_W_PER_HZ = 5e-9
NOISE_W_PER_HZ = 10 ** (-174 / 10) * 1e-3  # -174 dBm/Hz
PATH_LOSS_EXPONENT = 4.0
DATA_BITS = 128 * 128 * 3 * 8  # 393,216 bits

# Largest generated sizes (see check).
MAX_USERS = 1_000_000
MAX_MODELS = 100_000

# Half-width of the uniform spread of a model's share ratio theta_i around theta:
# the step of the paper's theta grid (75 %, 80 %, ..., 95 %).
THETA_SPREAD = 0.05


def spectral_efficiency(distance_m, gain):
    """Return R = log2(1 + P h d^-alpha / N0) in bit/s/Hz (eq. 6 with d^-alpha)."""
    snr = (
        POWER_W_PER_HZ
        * gain
        * np.power(distance_m, -PATH_LOSS_EXPONENT)
        / NOISE_W_PER_HZ
    )
    return np.log2(1.0 + snr)


def check(
    num_users: int,
    num_models: int,
    theta: float,
    bandwidth_hz: float,
    deadline_s: float,
    slot_s: float,
    zipf: float | None,
    seed: int,
) -> None:
    """Raise ValueError naming the first parameter out of range.

    Beyond the instance's own ranges (:data:`instances.values.MAX_SECONDS`,
    :data:`~instances.values.MAX_SLOTS`), sizes are capped at MAX_USERS and
    MAX_MODELS: the largest instance benchmarked (benchmarks/bench_scale.py),
    whose file (about 280 MB) stays below the read cap of instance files.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed: must be an integer >= 0, got {seed!r}")
    _check_size("num_users", num_users, 0, MAX_USERS)
    _check_size("num_models", num_models, 1, MAX_MODELS)
    if not 0.0 < theta < 1.0:
        raise ValueError(f"theta: must be in (0, 1), got {theta!r}")
    for key, value in (
        ("bandwidth_hz", bandwidth_hz),
        ("deadline_s", deadline_s),
        ("slot_s", slot_s),
    ):
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"{key}: must be finite and > 0, got {value!r}")
    for key, value in (("deadline_s", deadline_s), ("slot_s", slot_s)):
        if value > MAX_SECONDS:
            raise ValueError(f"{key}: must be at most {MAX_SECONDS:g} s, got {value!r}")
    if deadline_s > MAX_SLOTS * slot_s:
        raise ValueError(
            f"slot_s: deadline_s / slot_s is {deadline_s / slot_s:.3g} slots, "
            f"over the limit of {MAX_SLOTS:.0e}"
        )
    if zipf is not None and not (math.isfinite(zipf) and zipf >= 0):
        raise ValueError(f"zipf: must be finite and >= 0, got {zipf!r}")


def _check_size(key: str, value: int, low: int, high: int) -> None:
    """Raise ValueError unless ``value`` is an integer in ``low..high``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{key}: expected an integer, got {value!r}")
    if value < low:
        raise ValueError(f"{key}: must be >= {low}, got {value}")
    if value > high:
        raise ValueError(f"{key}: must be at most {high:,}, got {value}")


def resolve_profile(profile) -> profiles.Profile:
    """Accept a Profile, a file or shipped-profile name, or None (the default)."""
    if isinstance(profile, profiles.Profile):
        return profile
    return profiles.load(profile)


def shared_depths(
    rng: np.random.Generator, count: int, num_layers: int, theta: float
) -> np.ndarray:
    """Draw how many layers each of ``count`` models shares with its pre-trained model.

    theta_i ~ U(theta - s, theta + s) with s = min(THETA_SPREAD, theta, 1 - theta),
    then l_i = round(theta_i L) clipped to [1, L - 1]: at least one layer is shared
    and the head (a new task) never is. The mean of l_i / L is then close to
    theta (off by the rounding and, near the ends, the clipping).
    """
    spread = min(THETA_SPREAD, theta, 1.0 - theta)
    ratios = rng.uniform(theta - spread, theta + spread, size=count)
    return np.clip(np.rint(ratios * num_layers), 1, num_layers - 1).astype(int)


def family_models(
    arch: str,
    short: str,
    shared: list[np.ndarray],
    prof: profiles.Profile,
) -> tuple[list[Block], list[Model]]:
    """Build fine-tuned models of ``arch`` and the blocks they use.

    ``shared[t]`` is a boolean mask over the layers of ``arch``: True where model
    t keeps the pre-trained layer (block ``"{short}.{layer}"``), False where it
    has its own (block ``"{model id}.{layer}"``). The pre-trained model serves no
    user (its head is another task's); only its layers that some model keeps
    become blocks.
    """
    sizes = layer_bytes(arch, bytes_per_param=prof.bytes_per_param)
    family = prof.family(arch)
    keep = np.any(shared, axis=0) if shared else np.zeros(len(sizes), dtype=bool)
    blocks = [
        Block(f"{short}.{name}", size)
        for (name, size), k in zip(sizes, keep, strict=True)
        if k
    ]
    models = []
    weights = sum(size for _, size in sizes)
    batch = prof.max_batch(arch, weights)
    for t, mask in enumerate(shared):
        model_id = f"{short}-ft{t:02d}"
        ids = []
        for (name, size), kept in zip(sizes, mask, strict=True):
            if kept:
                ids.append(f"{short}.{name}")
            else:
                ids.append(f"{model_id}.{name}")
                blocks.append(Block(ids[-1], size))
        models.append(Model(model_id, tuple(ids), family.mu_s, family.beta_s, batch))
    return blocks, models


def draw_users(
    rng: np.random.Generator, models: list[Model], num_users: int, zipf: float | None
) -> list[User]:
    """Draw positions, fading and requested models of ``num_users`` users.

    One row of three uniforms per user (distance, fading, request), so that the
    first K users of a larger draw are the users of a smaller one. The model
    ranks of the Zipf popularity are a random permutation, drawn even when
    ``zipf`` is None so that uniform and Zipf instances of one seed have the same
    users' positions and fading.
    """
    by_rank = rng.permutation(len(models))  # by_rank[r] = the model with rank r + 1
    u = rng.random((num_users, 3))
    # sqrt(U) makes the position uniform over the disk's area.
    distance = np.maximum(RADIUS_M * np.sqrt(u[:, 0]), MIN_DISTANCE_M)
    gain = -np.log1p(-u[:, 1])  # Exp(1) by inversion
    se = spectral_efficiency(distance, gain)
    if zipf is None:
        choice = np.minimum((u[:, 2] * len(models)).astype(int), len(models) - 1)
    else:
        weight = np.arange(1, len(models) + 1, dtype=float) ** -zipf
        cdf = np.cumsum(weight) / weight.sum()
        rank = np.minimum(np.searchsorted(cdf, u[:, 2], side="right"), len(models) - 1)
        choice = by_rank[rank]
    width = max(3, len(str(max(num_users - 1, 0))))
    return [
        User(
            f"u{k:0{width}d}",
            models[int(choice[k])].id,
            DATA_BITS,
            float(se[k]),
        )
        for k in range(num_users)
    ]


def assemble(
    name: str,
    blocks: list[Block],
    models: list[Model],
    users: list[User],
    prof: profiles.Profile,
    bandwidth_hz: float,
    deadline_s: float,
    slot_s: float,
) -> Instance:
    """Return the validated instance.

    Users all send DATA_BITS, so an upload over MAX_SECONDS means the bandwidth
    is too small: the error then names ``bandwidth_hz``.
    """
    try:
        return _instance(
            name, blocks, models, users, prof, bandwidth_hz, deadline_s, slot_s
        )
    except ValueError as error:
        if str(error).startswith("users["):
            raise ValueError(f"bandwidth_hz: too small ({error})") from None
        raise


def _instance(
    name: str,
    blocks: list[Block],
    models: list[Model],
    users: list[User],
    prof: profiles.Profile,
    bandwidth_hz: float,
    deadline_s: float,
    slot_s: float,
) -> Instance:
    return Instance(
        name=name,
        deadline_s=float(deadline_s),
        slot_s=float(slot_s),
        bandwidth_hz=float(bandwidth_hz),
        loading=prof.loading,
        blocks=tuple(blocks),
        models=tuple(models),
        users=tuple(users),
    )
