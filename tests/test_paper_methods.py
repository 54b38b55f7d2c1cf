"""Tests of the paper's methods as published (dp-paper, greedy) and the gemel baseline.

Hand cases use the ``two_models`` instance of conftest.py: V(S) = S / 50 s,
B = 1 Hz, model A = [a(100), b(200)] with users p = 1, 2 (mu 0.1, beta 1),
model B = [a(100), c(300)] with one user p = 3 (mu 0.2, beta 0.5), b_max = 2,
deadline 20 s. Both models have l = 1 (they share the bottom block a).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from conftest import make_instance
from hypothesis import given, settings
from hypothesis import strategies as st

from instances.generators import tiny
from instances.model import Block, Instance, Loading, Model, User
from instances.timing import Bandwidth
from solvers import dp_paper, gemel, registry
from solvers.costs import cost_table
from solvers.paper_costs import num_slots, paper_cost_table
from solvers.result import Options, Status

# Exact oracle for tiny instances (any structure, reuse on or off).
ORACLE = "exhaustive"
BANDWIDTHS = (Bandwidth(), Bandwidth(1), Bandwidth(2))


def served_pairs(result) -> list[tuple[str, tuple[str, ...]]]:
    return [(b.model, b.users) for b in result.schedule.batches]


@pytest.fixture
def fine_slots() -> Instance:
    """two_models with 0.1 s slots: T = 200."""
    return make_instance(slot_s=0.1)


@pytest.fixture
def four_models() -> Instance:
    """Gemel order case: M0, M1 share s (50 B); M2, M3 share t (10 B); no other overlap.

    Users: M0 1, M1 3, M2 1, M3 2.
    """
    blocks = tuple(
        Block(j, size)
        for j, size in (("s", 50), ("t", 10), *((f"u{i}", 100) for i in range(4)))
    )
    models = (
        Model("M0", ("s", "u0"), 0.1, 0.1, 4),
        Model("M1", ("s", "u1"), 0.1, 0.1, 4),
        Model("M2", ("t", "u2"), 0.1, 0.1, 4),
        Model("M3", ("t", "u3"), 0.1, 0.1, 4),
    )
    owners = ["M0", "M1", "M1", "M1", "M2", "M3", "M3"]
    users = tuple(User(f"k{n}", m, 1.0, 1.0) for n, m in enumerate(owners))
    return Instance(
        "four_models", 100.0, 1.0, 1.0, Loading(100.0, 100.0), blocks, models, users
    )


# -- slot arithmetic and the paper's batch layout ---------------------------------


def test_num_slots_tolerates_float_error():
    """Tests that T = floor(deadline / slot) counts 0.7 / 0.01 as 70 slots, not 69."""
    # 0.7 / 0.01 = 69.99999999999999 in floats.
    assert num_slots(make_instance(deadline_s=0.7, slot_s=0.01)) == 70
    assert num_slots(make_instance(deadline_s=0.705, slot_s=0.01)) == 70


def test_paper_cost_table_cuts_equal_batches_from_the_bottom():
    """Tests that equal sub-channel batches are cut first-full, as eq. (16) prints."""
    # One model, b_max = 2, r = 2 channels, users p = 1, 2, 3 (B = 1 Hz),
    # mu = beta = 0.
    inst = make_instance(
        models=(
            Model("A", ("a", "b"), 0.0, 0.0, 2),
            Model("B", ("a", "c"), 0.0, 0.0, 2),
        ),
        users=(
            User("u1", "A", 1.0, 1.0),
            User("u2", "A", 2.0, 1.0),
            User("u3", "A", 3.0, 1.0),
        ),
    )
    # Batches {1, 2}, {3}: upload r * (2 + 3) = 10; k = 2: r * 2 = 4; k = 1: r * 1 = 2.
    assert paper_cost_table(inst, 0, Bandwidth(2)).tolist() == [0.0, 2.0, 4.0, 10.0]
    # The optimal cut from the top ({1}, {2, 3}) would give r * (1 + 3) = 8 for k = 3.
    assert cost_table(inst, 0, Bandwidth(2))[3] == 8.0
    # Optimal split: sum of p = 1, 3, 6 whatever the cut.
    assert paper_cost_table(inst, 0, Bandwidth()).tolist() == [0.0, 1.0, 3.0, 6.0]


# -- dp-paper ---------------------------------------------------------------------


def test_dp_paper_loses_a_user_to_slot_rounding(two_models):
    """Tests that 1 s slots make dp-paper serve 2 where 3 fit in continuous time."""
    # A after the empty GPU: V(300) = 6 + c_A(2) = (1 + 2) + 0.1 * 2 + 1 = 4.2 -> 10.2 s
    # = 11 slots. B after A: V(300, reading (a)) = 6 + c_B(1) = 3 + 0.2 + 0.5 = 3.7
    # -> 9.7 s = 10 slots. 11 + 10 = 21 > 20 slots, though 10.2 + 9.7 = 19.9 s <= 20 s.
    result = registry.run("dp-paper", two_models)
    assert result.status is Status.FEASIBLE and result.bound is None
    assert result.served == 2 and result.info["dp_value"] == 2
    assert result.info["slots"] == 20
    assert served_pairs(result) == [("A", ("u1", "u2"))]


def test_dp_paper_serves_all_with_fine_slots(fine_slots):
    """Tests that with 0.1 s slots the DP chains A then B (reading (a) of eq. 16)."""
    # A: 10.2 s = 102 slots; B after A loads only c: 9.7 s = 97 slots; 199 <= 200.
    # Loading all of B (V(400) = 8 s) would need 117 slots: 219 > 200.
    result = registry.run("dp-paper", fine_slots)
    assert result.served == 3 and result.info["dp_value"] == 3
    assert served_pairs(result) == [("A", ("u1", "u2")), ("B", ("u3",))]


def test_dp_paper_literal_eq15_serves_nobody(fine_slots):
    """Tests that eq. (15) read literally (q = 0 if i^ = 0) makes the DP serve 0."""
    # q(0, i, .) = 0 kills the second term of eq. (19); the first term needs some
    # g(i^, .) > 0, which never appears, so g = f = 0 everywhere.
    assert dp_paper._tables(fine_slots, Options(), literal_eq15=True).value == 0
    assert dp_paper._tables(fine_slots, Options()).value == 3


def test_dp_paper_without_reuse_is_independent_loading(fine_slots):
    """Tests that reuse_blocks=False gives one cluster per model and full loads."""
    # A alone: 102 slots, 2 users. B after A now loads V(400) = 8 s: 11.7 s =
    # 117 slots, 102 + 117 > 200. B alone serves 1. So 2 users, in two clusters.
    result = registry.run("dp-paper", fine_slots, Options(reuse_blocks=False))
    assert result.served == 2 and result.info["clusters"] == 2
    assert result.schedule.reuse_blocks is False


def test_dp_paper_equal_bandwidth_respects_channels(fine_slots):
    """Tests dp-paper with one equal sub-channel: one user per batch."""
    # b = min(2, 1) = 1. A, 2 users: 6 + (1 + 2) + 0.2 + 2 * 1 = 11.2 s = 112 slots;
    # A, 1 user: 6 + 1 + 0.1 + 1 = 8.1 s = 81 slots; B after A: 9.7 s = 97 slots.
    # A(2) + B = 209 > 200; A(1) + B = 178 -> 2 users; A(2) alone also 2 users.
    result = registry.run("dp-paper", fine_slots, Options(bandwidth=Bandwidth(1)))
    assert result.served == 2 == result.info["dp_value"]
    assert all(len(b.users) == 1 for b in result.schedule.batches)


@pytest.fixture
def deep_chain() -> Instance:
    """One cluster M1 (l=1), M2 (l=2), M3 (l=2) where the best chain is M2 -> M3.

    V(S) = S / 50 s: w1 = 1 s, w2 = 10 s, M1's own u1 = 11 s, u2 = u3 = 1 s. Every
    user has p = 1 s (B = 1 Hz), mu = beta = 0. M1, M2 one user each, M3 two.
    Deadline 16 s, 1 s slots.
    """
    sizes = (("w1", 50), ("w2", 500), ("u1", 550), ("u2", 50), ("u3", 50))
    models = (
        Model("M1", ("w1", "u1"), 0.0, 0.0, 2),
        Model("M2", ("w1", "w2", "u2"), 0.0, 0.0, 2),
        Model("M3", ("w1", "w2", "u3"), 0.0, 0.0, 2),
    )
    owners = ("M1", "M2", "M3", "M3")
    users = tuple(User(f"k{n}", m, 1.0, 1.0) for n, m in enumerate(owners))
    blocks = tuple(Block(j, size) for j, size in sizes)
    return Instance(
        "deep_chain", 16.0, 1.0, 1.0, Loading(100.0, 100.0), blocks, models, users
    )


def test_dp_paper_eq19_conditions_drop_the_best_chain(deep_chain):
    """Tests that eq. (19)'s g(i^) != g(i^-1) condition loses M2 -> M3 (3 users)."""
    # M1 alone: 1 + 11 + 1 = 13 s; M2 alone: 1 + 10 + 1 + 1 = 13 s; so
    # g(2, 13) = g(1, 13) = 1 (also at 14, 15: M1 -> M2 needs 13 + 12 = 25 slots).
    # M3 after M2 loads u3 only: 1 + 2 = 3 slots -> M2 -> M3 = 16 slots, 3 users,
    # but gamma may use i^ = M2 only where g(2, .) != g(1, .), i.e. from t = 25.
    # M3 after M1 needs 10 + 1 + 2 = 13 slots (13 + 13 > 16). The DP keeps M3
    # alone: 12 + 2 = 14 slots, 2 users.
    result = registry.run("dp-paper", deep_chain)
    assert result.served == 2 == result.info["dp_value"]
    assert served_pairs(result) == [("M3", ("k2", "k3"))]
    assert registry.run("greedy", deep_chain).served == 3  # the chain exists
    assert registry.run(ORACLE, deep_chain).served == 3


def test_dp_paper_refuses_non_bls_and_user_deadlines():
    """Tests that dp-paper refuses a non-BLS instance with the structure's reason."""
    # A = [a, b], B = [c, b]: b is shared but lies above the unshared layers.
    inst = make_instance(
        models=(
            Model("A", ("a", "b"), 0.1, 1.0, 2),
            Model("B", ("c", "b"), 0.2, 0.5, 2),
        )
    )
    reason = dp_paper.supports(inst, Options())
    assert reason is not None and "bottom-layer-sharing" in reason and '"b"' in reason
    with pytest.raises(registry.Unsupported):
        registry.run("dp-paper", inst)
    # Without reuse every model is its own cluster: accepted.
    assert dp_paper.supports(inst, Options(reuse_blocks=False)) is None
    deadlines = make_instance(users=(User("u1", "A", 2.0, 2.0, 5.0),))
    assert "per-user deadlines" in dp_paper.supports(deadlines, Options())


# -- greedy -------------------------------------------------------------------------


def test_greedy_stops_when_no_model_fits(two_models):
    """Tests Algorithm 3 with 1 s slots: A (rate 2/11) first, then B does not fit."""
    # From the empty GPU: A k=1: 8.1 s -> 9 slots (1/9); A k=2: 10.2 s -> 11
    # slots (2/11); B k=1: 8 + 3.7 = 11.7 s -> 12 slots (1/12).
    # Pick A, k=2, tau' = 11.
    # B after A: 9.7 s -> 10 slots > 9 left: v = 0, stop.
    result = registry.run("greedy", two_models)
    assert result.status is Status.FEASIBLE
    assert served_pairs(result) == [("A", ("u1", "u2"))]
    assert result.info["slots_used"] == 11 and result.info["iterations"] == 1


def test_greedy_chains_with_fine_slots(fine_slots):
    """Tests Algorithm 3 with 0.1 s slots: A for 102 slots, then B for 97 slots."""
    result = registry.run("greedy", fine_slots)
    assert served_pairs(result) == [("A", ("u1", "u2")), ("B", ("u3",))]
    assert result.info["slots_used"] == 199


def test_greedy_breaks_ties_by_lower_model_index():
    """Tests that of two identical unshared models the lower index goes first."""
    # P = [x], Q = [y], 100 B each: V = 2 s; one user each, p = 1, mu = beta = 0:
    # 3 s = 3 slots each.
    inst = make_instance(
        blocks=(Block("x", 100), Block("y", 100)),
        models=(Model("Q", ("y",), 0.0, 0.0, 1), Model("P", ("x",), 0.0, 0.0, 1)),
        users=(User("u1", "P", 1.0, 1.0), User("u2", "Q", 1.0, 1.0)),
        deadline_s=6.0,
    )
    result = registry.run("greedy", inst)
    assert [b.model for b in result.schedule.batches] == ["Q", "P"]  # Q has index 0


# -- gemel ------------------------------------------------------------------------


def test_gemel_order_follows_shared_bytes_then_users(four_models):
    """Tests the Gemel order: most users, then most shared bytes, then more users."""
    # Start M1 (3 users); M0 shares s with M1; from M0 nobody shares: M3 (2 users)
    # before M2 (1 user).
    assert gemel.order(four_models) == [1, 0, 3, 2]


def test_gemel_serves_until_the_deadline(two_models):
    """Tests gemel's continuous-time filling on two_models at deadlines 20 and 19.8."""
    # Order A (2 users) then B. A: 6 + 4.2 = 10.2 s; B after A: +6 + 3.7 = 19.9 s.
    result = registry.run("gemel", two_models)
    assert served_pairs(result) == [("A", ("u1", "u2")), ("B", ("u3",))]
    tight = dataclasses.replace(two_models, deadline_s=19.8)
    assert served_pairs(registry.run("gemel", tight)) == [("A", ("u1", "u2"))]
    # At 10 s: A with 1 user ends at 6 + 2.1 = 8.1 s, 2 users at 10.2 s; B after A
    # would end at 8.1 + 6 + 3.7 = 17.8 s.
    short = dataclasses.replace(two_models, deadline_s=10.0)
    assert served_pairs(registry.run("gemel", short)) == [("A", ("u1",))]


# -- properties over tiny random instances -------------------------------------------


@st.composite
def tiny_cases(draw, kinds=("bls", "general")):
    seed = draw(st.integers(0, 10**6))
    kind = draw(st.sampled_from(kinds))
    options = Options(
        reuse_blocks=draw(st.booleans()), bandwidth=draw(st.sampled_from(BANDWIDTHS))
    )
    return tiny.generate(seed, kind=kind), options


@settings(max_examples=150, deadline=None, derandomize=True)
@given(case=tiny_cases(kinds=("bls",)))
def test_dp_paper_schedule_achieves_its_claim(case):
    """Tests that dp-paper's schedule is feasible and serves exactly f(M, T)."""
    instance, options = case
    result = registry.run("dp-paper", instance, options)  # raises if infeasible
    assert result.served == result.info["dp_value"]


@settings(max_examples=120, deadline=None, derandomize=True)
@given(case=tiny_cases())
def test_paper_methods_never_beat_the_optimum(case):
    """Tests that dp-paper, greedy and gemel are feasible and at most the optimum."""
    instance, options = case
    best = registry.run(ORACLE, instance, options).served
    names = ["greedy", "gemel"]
    if dp_paper.supports(instance, options) is None:
        names.append("dp-paper")
    for name in names:
        assert registry.run(name, instance, options).served <= best, name


@settings(max_examples=100, deadline=None, derandomize=True)
@given(case=tiny_cases(kinds=("general",)))
def test_dp_paper_refuses_exactly_the_non_bls(case):
    """Tests that dp-paper runs if and only if the structure says BLS."""
    instance, options = case
    from instances.structure import analyze

    structure = analyze(instance, options.reuse_blocks)
    reason = dp_paper.supports(instance, options)
    assert (reason is None) == structure.is_bls
    if reason is not None:
        assert structure.reason in reason


def test_dp_paper_load_matches_new_bytes():
    """Tests that reading (a)'s load (bytes above l_{i^}) is the set difference."""
    # On BLS instances, model i after i^ (l_{i^} <= l_i) shares exactly W_m[:l_{i^}].
    from instances.structure import analyze

    for seed in range(40):
        inst = tiny.generate(seed, kind="bls")
        for cluster in analyze(inst).clusters:
            prefix = np.concatenate(
                ([0.0], np.cumsum(inst.block_sizes[list(cluster.shared)]))
            )
            for t, i in enumerate(cluster.models):
                for s in range(t):
                    ihat = cluster.models[s]
                    ours = inst.model_bytes[i] - prefix[cluster.depth[s]]
                    assert ours == pytest.approx(inst.new_bytes()[ihat + 1, i])


def test_edge_cases_no_users_and_zero_slots():
    """Tests empty instances and T = 0 (slot longer than the deadline)."""
    for name in ("dp-paper", "greedy", "gemel"):
        assert registry.run(name, make_instance(users=())).served == 0
    # slot 30 s > deadline 20 s: T = 0, the slotted methods serve nobody, while
    # gemel (continuous time) serves all 3 (19.9 s, see above).
    coarse = make_instance(slot_s=30.0)
    assert registry.run("dp-paper", coarse).served == 0
    assert registry.run("greedy", coarse).served == 0
    assert registry.run("gemel", coarse).served == 3
