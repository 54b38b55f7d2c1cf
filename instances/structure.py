"""Sharing structure: clusters of models and the bottom-layer-sharing (BLS) test.

Definition 2 of the paper (v2 calls it *backbone sharing*): models split into
disjoint clusters; in cluster m every model i consists of its first l_i layers,
which are the first l_i layers of an ordered list W_m of shared layers, followed
by L_i - l_i layers that no other model has.

We test it on the models in question (by default those requested by a user):

1. a block is *shared* when two or more of these models contain it (Def. 1);
2. l_i is the length of model i's longest prefix of shared blocks, and no shared
   block may follow it;
3. clusters are the connected components of the model-block sharing graph;
4. within a cluster, W_m is the prefix of its deepest model, and every model's
   prefix must equal W_m[:l_i].

When a step fails, the reason names the model, the position and the blocks.
Without block reuse every model is its own cluster with l_i = 0, so every
instance is BLS.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np

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
        key = ("structure", reuse_blocks)
        if key not in instance._cache:
            instance._cache[key] = analyze(
                instance, reuse_blocks, instance.active_models()
            )
        return instance._cache[key]
    chosen = np.asarray(models)
    chosen = [int(i) for i in chosen]
    if not reuse_blocks:
        return Structure(tuple(Cluster((i,), (0,), ()) for i in chosen), True)

    counts = np.zeros(instance.num_blocks, dtype=np.int64)
    for i in chosen:
        counts[instance.model_blocks[i]] += 1
    shared = counts >= 2

    graph = nx.Graph()
    graph.add_nodes_from(("m", i) for i in chosen)
    depth: dict[int, int] = {}
    reason: str | None = None
    for i in chosen:
        blocks = instance.model_blocks[i]
        flags = shared[blocks]
        l_i = int(np.argmin(flags)) if not flags.all() else len(blocks)
        depth[i] = l_i
        graph.add_edges_from((("m", i), ("b", int(j))) for j in blocks[flags])
        late = np.flatnonzero(flags[l_i:])
        if reason is None and len(late):
            pos = l_i + int(late[0])
            reason = (
                f'model "{instance.models[i].id}": shared block '
                f'"{instance.blocks[blocks[pos]].id}" at layer {pos + 1} lies above '
                f'the unshared block "{instance.blocks[blocks[l_i]].id}" '
                f"at layer {l_i + 1}"
            )

    clusters = []
    order = {i: t for t, i in enumerate(chosen)}
    for component in nx.connected_components(graph):
        members = sorted(
            (n[1] for n in component if n[0] == "m"), key=order.__getitem__
        )
        members.sort(key=lambda i: depth[i])  # stable: ties keep instance order
        deepest = members[-1]
        w = tuple(int(j) for j in instance.model_blocks[deepest][: depth[deepest]])
        if reason is None:
            for i in members:
                prefix = tuple(int(j) for j in instance.model_blocks[i][: depth[i]])
                if prefix != w[: depth[i]]:
                    # The first layer where the prefix leaves W_m (it exists:
                    # the prefix is no longer than W_m and differs from it).
                    pos = next(t for t, j in enumerate(prefix) if j != w[t])
                    reason = (
                        f'model "{instance.models[i].id}": layer {pos + 1} is '
                        f'"{instance.blocks[prefix[pos]].id}", but the cluster\'s '
                        f'shared layer {pos + 1} is "{instance.blocks[w[pos]].id}" '
                        f'(from model "{instance.models[deepest].id}")'
                    )
                    break
        clusters.append(Cluster(tuple(members), tuple(depth[i] for i in members), w))
    clusters.sort(key=lambda c: min(order[i] for i in c.models))  # by first member
    return Structure(tuple(clusters), reason is None, reason)


def sharing_stats(instance: Instance) -> dict[str, np.ndarray]:
    """Return per-model sharing statistics over the whole library.

    ``layer_share[i]`` is the fraction of model i's layers that another model
    also has (the paper's theta counts layers); ``byte_share[i]`` is the same
    fraction in bytes, usually much lower.
    """
    incidence = instance.incidence()
    shared = incidence.sum(axis=0) >= 2
    layer_share = np.array([shared[b].mean() for b in instance.model_blocks])
    byte_share = np.array(
        [
            instance.block_sizes[b][shared[b]].sum() / instance.model_bytes[i]
            for i, b in enumerate(instance.model_blocks)
        ]
    )
    return {"layer_share": layer_share, "byte_share": byte_share}
