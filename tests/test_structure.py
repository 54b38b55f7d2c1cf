"""Tests of the sharing structure: clusters and the BLS test (Definition 2)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from instances.generators import tiny
from instances.model import Block, Instance, Loading, Model, User
from instances.structure import Cluster, analyze, sharing_stats


def library(
    models: dict[str, list[str]], requested: list[str] | None = None
) -> Instance:
    """Return an instance with the given models (block lists, bottom first).

    Block j of the listing order has size j + 1 bytes; every model in
    ``requested`` (default: all) has one user.
    """
    ids = list(dict.fromkeys(b for blocks in models.values() for b in blocks))
    requested = list(models) if requested is None else requested
    return Instance(
        name="lib",
        deadline_s=1.0,
        slot_s=0.1,
        bandwidth_hz=1.0,
        loading=Loading(1.0, 1.0),
        blocks=tuple(Block(b, j + 1) for j, b in enumerate(ids)),
        models=tuple(Model(m, tuple(b), 0.0, 0.0, 1) for m, b in models.items()),
        users=tuple(User(f"u{m}", m, 1.0, 1.0) for m in requested),
    )


def block_ids(instance: Instance, cluster: Cluster) -> list[str]:
    return [instance.blocks[j].id for j in cluster.shared]


@pytest.fixture
def fig5() -> Instance:
    """The paper's Fig. 5: cluster m = models 1-3 (l = 1, 3, 3), m' = 4-5 (l = 2)."""
    return library(
        {
            "m1": ["w1", "t1"],
            "m2": ["w1", "w2", "w3", "t2a", "t2b"],
            "m3": ["w1", "w2", "w3", "t3"],
            "m4": ["v1", "v2", "t4"],
            "m5": ["v1", "v2", "t5"],
        }
    )


# -- BLS instances -------------------------------------------------------------------


def test_fig5_two_clusters(fig5):
    """Tests the paper's Fig. 5: two clusters with depths (1, 3, 3) and (2, 2)."""
    structure = analyze(fig5)
    assert structure.is_bls and structure.reason is None
    m, m_prime = structure.clusters
    assert (m.models, m.depth) == ((0, 1, 2), (1, 3, 3))
    assert block_ids(fig5, m) == ["w1", "w2", "w3"]  # W_m, bottom first
    assert (m_prime.models, m_prime.depth) == ((3, 4), (2, 2))
    assert block_ids(fig5, m_prime) == ["v1", "v2"]


def test_one_cluster(two_models):
    """Tests two_models: A and B share their bottom block a, l = 1, 1."""
    structure = analyze(two_models)
    assert structure.is_bls
    assert structure.clusters == (Cluster((0, 1), (1, 1), (0,)),)


def test_models_sorted_by_ascending_depth():
    """Tests that a cluster lists models by ascending l_i, ties in instance order."""
    instance = library(
        {
            "deep1": ["x", "y", "z", "a"],
            "shallow": ["x", "b"],
            "mid": ["x", "y", "c"],
            "deep2": ["x", "y", "z", "d"],
        }
    )
    (cluster,) = analyze(instance).clusters
    assert cluster.models == (1, 2, 0, 3)  # shallow (1), mid (2), deep1 (3), deep2 (3)
    assert cluster.depth == (1, 2, 3, 3)
    assert block_ids(instance, cluster) == ["x", "y", "z"]


def test_unshared_models_are_singleton_clusters():
    """Tests that a model sharing nothing is its own cluster, l = 0, empty W_m."""
    instance = library({"p": ["a", "b"], "q": ["a", "c"], "r": ["d"]})
    structure = analyze(instance)
    assert structure.is_bls
    assert structure.clusters == (
        Cluster((0, 1), (1, 1), (0,)),
        Cluster((2,), (0,), ()),
    )


def test_whole_model_shared():
    """Tests a model that is entirely the bottom of another one (l_i = L_i)."""
    instance = library({"base": ["x", "y"], "tuned": ["x", "y", "head"]})
    structure = analyze(instance)
    assert structure.is_bls
    assert structure.clusters == (Cluster((0, 1), (2, 2), (0, 1)),)


# -- non-BLS instances -------------------------------------------------------------


def test_shared_block_above_unshared_block():
    """Tests that a shared block above a model's own block is not BLS (names it)."""
    instance = library({"A": ["x", "a", "s"], "B": ["x", "s"]})
    structure = analyze(instance)
    assert not structure.is_bls
    assert structure.reason == (
        'model "A": shared block "s" at layer 3 lies above '
        'the unshared block "a" at layer 2'
    )


def test_top_sharing_is_not_bls():
    """Tests that sharing only a top block (heads on different backbones) is not BLS."""
    structure = analyze(library({"A": ["a", "x"], "B": ["b", "x"]}))
    assert not structure.is_bls
    assert structure.reason.startswith('model "A": shared block "x" at layer 2')


def test_prefixes_diverge_inside_a_cluster():
    """Tests a tree of prefixes (x-y and x-z): one cluster, but no single W_m."""
    instance = library(
        {
            "A": ["x", "y", "a"],
            "B": ["x", "y", "b"],
            "C": ["x", "z", "c"],
            "D": ["x", "z", "d"],
        }
    )
    structure = analyze(instance)
    assert not structure.is_bls
    # All depths are 2; W_m is taken from the last deepest model (D: x, z).
    assert structure.reason == (
        'model "A": layer 2 is "y", '
        'but the cluster\'s shared layer 2 is "z" (from model "D")'
    )
    assert [c.models for c in structure.clusters] == [(0, 1, 2, 3)]


def test_only_requested_models_count():
    """Tests that an unrequested model cannot break BLS (nor make blocks shared)."""
    models = {"A": ["x", "a"], "B": ["x", "b"], "C": ["c", "x"]}
    assert not analyze(library(models)).is_bls  # C shares x above its own block c
    structure = analyze(library(models, requested=["A", "B"]))
    assert structure.is_bls
    assert structure.clusters == (Cluster((0, 1), (1, 1), (0,)),)
    # An explicit model set overrides the default.
    assert not analyze(
        library(models, requested=["A", "B"]), models=np.array([0, 1, 2])
    ).is_bls
    # With only A and C requested, x is shared by A (bottom) and C (top): not BLS.
    assert not analyze(library(models, requested=["A", "C"])).is_bls


def test_no_reuse_everything_is_bls():
    """Tests that without block reuse every model is its own cluster with l = 0."""
    instance = library({"A": ["a", "x"], "B": ["b", "x"]})
    structure = analyze(instance, reuse_blocks=False)
    assert structure.is_bls and structure.reason is None
    assert structure.clusters == (Cluster((0,), (0,), ()), Cluster((1,), (0,), ()))


def test_no_models_requested():
    """Tests that an instance with no users has no clusters and is (vacuously) BLS."""
    structure = analyze(library({"A": ["a"]}, requested=[]))
    assert structure.is_bls and structure.clusters == ()


# -- properties on generated instances ---------------------------------------------


@settings(max_examples=200, deadline=None, derandomize=True)
@given(seed=st.integers(0, 100_000))
def test_tiny_bls_generator_is_bls(seed):
    """Tests that the BLS generator passes and its clusters rebuild every model."""
    instance = tiny.generate(seed, "bls")
    structure = analyze(instance)
    assert structure.is_bls, structure.reason
    seen = []
    for cluster in structure.clusters:
        assert list(cluster.depth) == sorted(cluster.depth)
        assert len(cluster.shared) == max(cluster.depth)
        for i, l_i in zip(cluster.models, cluster.depth, strict=True):
            blocks = instance.model_blocks[i]
            assert (
                tuple(blocks[:l_i]) == cluster.shared[:l_i]
            )  # first l_i layers of W_m
        seen += cluster.models
    assert sorted(seen) == instance.active_models().tolist()


@settings(max_examples=200, deadline=None, derandomize=True)
@given(seed=st.integers(0, 100_000))
def test_clusters_partition_and_own_blocks_unshared(seed):
    """Tests that clusters partition the models, and blocks above l_i are own."""
    instance = tiny.generate(seed, "general")
    structure = analyze(instance)
    members = [i for c in structure.clusters for i in c.models]
    assert sorted(members) == instance.active_models().tolist()
    if structure.is_bls:
        users = np.zeros(instance.num_blocks, dtype=int)
        for i in members:
            users[instance.model_blocks[i]] += 1
        for c in structure.clusters:
            for i, l_i in zip(c.models, c.depth, strict=True):
                assert (users[instance.model_blocks[i][l_i:]] == 1).all()
    else:
        assert structure.reason.startswith('model "')


# -- sharing statistics --------------------------------------------------------------


def test_sharing_stats_two_models(two_models):
    """Tests layer and byte shares by hand: A = [a 100, b 200], B = [a 100, c 300]."""
    stats = sharing_stats(two_models)
    assert stats["layer_share"].tolist() == [0.5, 0.5]  # one of two layers is a
    assert stats["byte_share"].tolist() == pytest.approx([100 / 300, 100 / 400])


def test_sharing_stats_counts_unrequested_models(fig5):
    """Tests that sharing_stats is over the whole library, not only requested models."""
    stats = sharing_stats(
        dataclasses.replace(fig5, users=fig5.users[:1])
    )  # only m1 asked
    # m1: w1 of (w1, t1); m2: 3 of 5; m3: 3 of 4; m4, m5: 2 of 3.
    assert stats["layer_share"].tolist() == pytest.approx(
        [1 / 2, 3 / 5, 3 / 4, 2 / 3, 2 / 3]
    )
    # Sizes are listing order + 1: w1=1, t1=2, w2=3, w3=4, t2a=5, t2b=6, t3=7,
    # v1=8, v2=9, t4=10, t5=11.
    assert stats["byte_share"].tolist() == pytest.approx(
        [1 / 3, 8 / 19, 8 / 15, 17 / 27, 17 / 28]
    )


def test_clusters_ordered_by_first_model():
    """Tests cluster order: by the lowest model index, not by the shallowest model."""
    # Cluster {deep (0), shallow (2), deep2 (3)} comes before the singleton {lone (1)},
    # although its shallowest model, listed first, is model 2.
    instance = library(
        {
            "deep": ["x", "y", "a"],
            "lone": ["b"],
            "shallow": ["x", "c"],
            "deep2": ["x", "y"],
        }
    )
    clusters = analyze(instance).clusters
    assert [c.models for c in clusters] == [(2, 0, 3), (1,)]
    assert [c.depth for c in clusters] == [(1, 2, 2), (0,)]
