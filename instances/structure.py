"""Sharing structure: clusters of models and the bottom-layer-sharing (BLS) test.

Definition 2 of the paper (v2 calls it *backbone sharing*): models split into
disjoint clusters; in cluster m every model i consists of its first l_i layers,
which are the first l_i layers of an ordered list W_m of shared layers, followed
by L_i - l_i layers that no other model has.

We test it on the models in question (by default those requested by a user):

1. a block is *shared* when two or more of these models contain it (Def. 1);
2. l_i is the length of model i's longest prefix of shared blocks, and no shared
   block may follow it;
3. clusters are the connected components of the model-block sharing graph
   (min-label propagation in numpy: fast for 100,000 models);
4. within a cluster, W_m is the prefix of its deepest model, and every model's
   prefix must equal W_m[:l_i].

When a step fails, the reason names the model, the position and the blocks.
Without block reuse every model is its own cluster with l_i = 0, so every
instance is BLS.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from instances import derive

if TYPE_CHECKING:
    from instances.model import Instance


@dataclass(frozen=True, slots=True)
class Cluster:
    """A cluster m: its models by ascending shared depth (Corollary 1), and W_m.

    ``models[t]`` has shared depth ``depth[t]`` (l_i); ``shared`` holds the block
    indices of W_m, bottom first.
    """

    models: tuple[int, ...]
    depth: tuple[int, ...]
    shared: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Structure:
    """The sharing structure of a set of models.

    ``clusters`` are the connected components (as :class:`Cluster` records; the
    depths and W_m are meaningful only when ``is_bls``), ordered by their first
    model in instance order. ``reason`` says why the models are not BLS.
    """

    clusters: tuple[Cluster, ...]
    is_bls: bool
    reason: str | None = None


def analyze(
    instance: Instance, reuse_blocks: bool = True, models: np.ndarray | None = None
) -> Structure:
    """Return the clusters and BLS status of ``models`` (default: active models).

    The default analysis is cached on the instance (it is immutable), since
    ``supports`` and ``solve`` of a method both ask for it.
    """
    if models is None:
        return instance.memo(
            ("structure", reuse_blocks),
            lambda: analyze(instance, reuse_blocks, instance.active_models()),
        )
    chosen = [int(i) for i in np.asarray(models)]
    if not reuse_blocks:
        return Structure(tuple(Cluster((i,), (0,), ()) for i in chosen), True)
    if not chosen:
        return Structure((), True)

    # Column-wise over the chosen models' blocks, in model order (issue 13).
    blocks = [instance.model_blocks[i] for i in chosen]
    lengths = np.array([len(b) for b in blocks], dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(lengths)))
    flat = np.concatenate(blocks)
    owner = np.repeat(np.arange(len(chosen)), lengths)
    flags = np.bincount(flat, minlength=instance.num_blocks)[flat] >= 2  # shared
    pos = np.arange(len(flat)) - starts[owner]  # position within its model
    # l_i: the first unshared position, or the model's length.
    unshared = np.where(flags, np.iinfo(np.int64).max, pos)
    depth = np.minimum(np.minimum.reduceat(unshared, starts[:-1]), lengths)
    late = np.flatnonzero(flags & (pos > depth[owner]))
    reason = _late_shared(instance, chosen, owner, pos, depth, late)

    label = _components(len(chosen), owner[flags], flat[flags])
    clusters = []
    for root in np.unique(label):  # components by their first model (root)
        members = np.flatnonzero(label == root)
        members = members[np.argsort(depth[members], kind="stable")]
        deepest = members[-1]
        w = blocks[deepest][: depth[deepest]]
        if reason is None:
            reason = _prefix_mismatch(instance, chosen, blocks, depth, members, w)
        clusters.append(
            Cluster(
                tuple(chosen[t] for t in members),
                tuple(int(depth[t]) for t in members),
                tuple(w.tolist()),
            )
        )
    return Structure(tuple(clusters), reason is None, reason)


def _late_shared(instance, chosen, owner, pos, depth, late) -> str | None:
    """Return why the first model with a shared block above its l_i is not BLS."""
    if not len(late):
        return None
    t, at = int(owner[late[0]]), int(pos[late[0]])
    blocks, l_i = instance.model_blocks[chosen[t]], int(depth[t])
    return (
        f'model "{instance.models[chosen[t]].id}": shared block '
        f'"{instance.blocks[blocks[at]].id}" at layer {at + 1} lies above '
        f'the unshared block "{instance.blocks[blocks[l_i]].id}" '
        f"at layer {l_i + 1}"
    )


def _prefix_mismatch(instance, chosen, blocks, depth, members, w) -> str | None:
    """Return why a member's shared prefix is not W_m[:l_i], or None."""
    for t in members:
        prefix = blocks[t][: depth[t]]
        if not np.array_equal(prefix, w[: depth[t]]):
            # The first layer where the prefix leaves W_m (it exists: the
            # prefix is no longer than W_m and differs from it).
            at = int(np.flatnonzero(prefix != w[: len(prefix)])[0])
            return (
                f'model "{instance.models[chosen[t]].id}": layer {at + 1} is '
                f'"{instance.blocks[prefix[at]].id}", but the cluster\'s '
                f'shared layer {at + 1} is "{instance.blocks[w[at]].id}" '
                f'(from model "{instance.models[chosen[members[-1]]].id}")'
            )
    return None


def _components(count: int, model: np.ndarray, block: np.ndarray) -> np.ndarray:
    """Return each model's component label: the least model sharing a block chain.

    Min-label propagation over the model-block edges with pointer jumping, all
    numpy: a few passes even for 100,000 models.
    """
    label = np.arange(count)
    if not len(model):
        return label
    size = int(block.max()) + 1
    while True:
        least = np.full(size, count)
        np.minimum.at(least, block, label[model])
        new = label.copy()
        np.minimum.at(new, model, least[block])
        while not np.array_equal(new[new], new):  # jump to the root
            new = new[new]
        if np.array_equal(new, label):
            return label
        label = new


def sharing_stats(instance: Instance) -> dict[str, np.ndarray]:
    """Return per-model sharing statistics over the whole library.

    ``layer_share[i]`` is the fraction of model i's layers that another model
    also has (the paper's theta counts layers); ``byte_share[i]`` is the same
    fraction in bytes, usually much lower.
    """
    if not instance.num_models:
        return {"layer_share": np.zeros(0), "byte_share": np.zeros(0)}
    # Column-wise over all models' blocks: no I x J incidence matrix (issue 13).
    lengths = np.array([len(b) for b in instance.model_blocks], dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(lengths)))
    flat = np.concatenate(instance.model_blocks)
    shared = (np.bincount(flat, minlength=instance.num_blocks) >= 2)[flat]
    layer_share = np.add.reduceat(shared.astype(float), starts[:-1]) / lengths
    sizes = np.where(shared, instance.block_sizes[flat], 0.0)
    byte_share = derive.segment_sums(sizes, starts) / instance.model_bytes
    return {"layer_share": layer_share, "byte_share": byte_share}
