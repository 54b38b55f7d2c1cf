"""Tests of the CP-SAT models ``cpsat`` (batch positions) and ``cpsat-seq``."""

from __future__ import annotations

import pytest
from conftest import make_instance
from hypothesis import given, settings
from hypothesis import strategies as st

from formulations import cpsat, cpsat_seq
from formulations.common import best_fast_schedule
from formulations.cpsat_base import RESOLUTION_S, Rounding
from instances.generators import tiny
from instances.model import Block, Instance, Loading, Model, User
from instances.schedule import evaluate
from instances.timing import Bandwidth
from solvers import registry
from solvers.result import Options, Status

CPSAT = ("cpsat", "cpsat-seq")
# Exact methods to compare with, where they exist and accept the instance. The
# MILP (~0.2 s a solve) is compared in the slow test only.
ORACLES = ("bruteforce", "exhaustive", "dp")


def _run(name: str, instance: Instance, **options) -> registry.Result:
    return registry.run(name, instance, Options(seed=0, threads=1, **options))


@pytest.fixture
def one_user() -> Instance:
    """One model of one 100 B block, V(S) = S / 50 s; one user with p = 1/3 s.

    The only batch takes 1/3 + 2 + 0 s = 2.333... s, which is not a whole number
    of microseconds; the deadline is exactly that time.
    """
    return Instance(
        name="one_user",
        deadline_s=2.0 + 1.0 / 3.0,
        slot_s=0.1,
        bandwidth_hz=1.0,
        loading=Loading(100.0, 100.0),
        blocks=(Block("a", 100.0),),
        models=(Model("A", ("a",), 0.0, 0.0, 1),),
        users=(User("u1", "A", 1.0, 3.0),),
    )


@pytest.mark.parametrize("name", CPSAT)
@pytest.mark.parametrize(
    ("overrides", "options", "served"),
    [
        # A = a+b = 300 B (6 s), B = a+c = 400 B (8 s); A->B loads c (6 s).
        # A{u1,u2}: 3 + 6 + 1.2 = 10.2; B{u3}: 3 + 6 + 0.7 = 9.7; total 19.9 <= 20.
        ({}, {}, 3),
        # 19.9 > 19.8, so one user is dropped: A{u1,u2} alone takes 10.2 s.
        ({"deadline_s": 19.8}, {}, 2),
        # Without reuse B loads all 400 B: 10.2 + 3 + 8 + 0.7 = 21.9 > 20.
        ({}, {"reuse_blocks": False}, 2),
        # Equal split, r = 2: A{u1,u2} uploads max(1, 2) * 2 = 4 s -> 11.2 s, B{u3}
        # uploads 3 * 2 = 6 s -> 12.7 s; 23.9 > 20, while A alone (11.2 s) fits.
        ({}, {"bandwidth": Bandwidth(2)}, 2),
    ],
)
def test_hand_checked_two_models(name, overrides, options, served):
    """Tests that both models find the hand-computed optimum of two_models variants."""
    result = _run(name, make_instance(**overrides), **options)
    assert result.status is Status.OPTIMAL
    assert result.served == served
    assert result.info["resolution_s"] == RESOLUTION_S


@pytest.mark.parametrize("name", CPSAT)
@pytest.mark.parametrize("deadline", [1.0, 8.0])
def test_nobody_servable_is_optimal_zero(name, deadline):
    """Tests that an instance where nobody can be served gives 0, optimal."""
    # The cheapest user alone: u1 on A = 1 + 6 + 1.1 = 8.1 s > 8 s (depot self-loop).
    result = _run(name, make_instance(deadline_s=deadline))
    assert result.status is Status.OPTIMAL
    assert result.served == 0
    assert result.schedule.batches == ()


@pytest.mark.parametrize("name", CPSAT)
def test_instance_without_users(name):
    """Tests that an instance without users solves to an empty optimal schedule."""
    result = _run(name, make_instance(users=()))
    assert (result.status, result.served, result.bound) == (Status.OPTIMAL, 0, 0)


@pytest.mark.parametrize("name", CPSAT)
def test_sandwich_rescues_sub_resolution_optimum(name, one_user):
    """Tests that a schedule tight below 1 us is served and proven optimal."""
    # Conservative: ceil(2e6) + ceil(333333.3) = 2333334 > floor(2333333.3), so a
    # conservative model would serve nobody; the optimistic model (the one solved)
    # serves u1, and the evaluator accepts it.
    tight = Rounding(optimistic=False)
    assert tight.cost(2.0) + tight.cost(1 / 3) > tight.deadline(one_user.deadline_s)
    result = _run(name, one_user)
    assert (result.status, result.served, result.bound) == (Status.OPTIMAL, 1, 1)


def test_rounding_directions():
    """Tests that the conservative rounding rounds costs up and deadlines down."""
    tight, loose = Rounding(optimistic=False), Rounding(optimistic=True)
    # 1.5 us -> 2 units up, 1 down; 2.5 us deadline -> 2 down, ceil(2.5..) + 1 = 4 up.
    assert (tight.cost(1.5e-6), loose.cost(1.5e-6)) == (2, 1)
    assert (tight.deadline(2.5e-6), loose.deadline(2.5e-6)) == (2, 4)
    # 3e-6 / 1e-6 is 2.9999999999999996 in floats: up gives 3, and down may lose
    # a unit to float noise (a weaker but still valid relaxation), never gain one.
    assert (tight.cost(3e-6), loose.cost(3e-6)) == (3, 2)


def test_seq_refuses_per_user_deadlines():
    """Tests that cpsat-seq refuses per-user deadlines and cpsat accepts them."""
    instance = tiny.generate(1, per_user_deadlines=True)
    assert "per-user deadlines" in registry.supports("cpsat-seq", instance)
    assert registry.supports("cpsat", instance) is None


def test_cpsat_refuses_huge_instances():
    """Tests that the batch-position model refuses an instance above its size cap."""
    # 2 models x 400 users, b_max <= 3: N >= 268 positions, N (I^2 + K) > 100000.
    instance = tiny.generate(5, "general", num_users=400, num_models=2)
    assert "too large" in registry.supports("cpsat", instance)


@pytest.mark.parametrize(
    ("module", "budget"), [(cpsat, 1e-6), (cpsat_seq, 1e-6), (cpsat_seq, 1e-3)]
)
def test_tiny_budget_is_never_optimal(module, budget):
    """Tests that a tiny budget keeps the fast start and claims only what it proves."""
    instance = tiny.generate(3, "general", num_users=30, num_models=4)
    options = Options(seed=0, threads=1)
    outcome = module.solve(instance, options, deterministic_time=budget)
    evaluation = evaluate(instance, outcome.schedule)
    assert evaluation.feasible
    fast, _ = best_fast_schedule(instance, options)
    assert evaluation.served >= fast.num_scheduled
    if budget < 1e-5:
        # Too little for a proof: the limit status with the fast schedule.
        assert outcome.status is Status.TIME_LIMIT
    if outcome.status is Status.OPTIMAL:
        exact = registry.run("exhaustive", instance, options)
        assert outcome.bound == evaluation.served == exact.served
    else:
        assert outcome.status is Status.TIME_LIMIT
        assert outcome.bound is None or outcome.bound > evaluation.served


def _agree(instance: Instance, names, oracles=ORACLES, **options) -> None:
    results = {name: _run(name, instance, **options) for name in names}
    for name in oracles:
        opts = Options(**options)
        if registry.supports(name, instance, opts) is None:
            results[name] = _run(name, instance, **options)
    served = {name: r.served for name, r in results.items()}
    assert len(set(served.values())) == 1, served
    for name in names:
        assert results[name].status is Status.OPTIMAL, (name, results[name].info)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    seed=st.integers(0, 10**6),
    kind=st.sampled_from(["bls", "general"]),
    reuse=st.booleans(),
    equal=st.booleans(),
)
def test_agree_with_exact_methods(seed, kind, reuse, equal):
    """Tests that cpsat == cpsat-seq == the exact oracles on tiny random instances."""
    bandwidth = Bandwidth(2) if equal else Bandwidth()
    instance = tiny.generate(seed, kind)
    _agree(instance, CPSAT, reuse_blocks=reuse, bandwidth=bandwidth)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(
    seed=st.integers(0, 10**6),
    kind=st.sampled_from(["bls", "general"]),
    reuse=st.booleans(),
    equal=st.booleans(),
)
def test_per_user_deadlines_agree_with_bruteforce(seed, kind, reuse, equal):
    """Tests that cpsat == bruteforce with per-user deadlines."""
    bandwidth = Bandwidth(2) if equal else Bandwidth()
    instance = tiny.generate(seed, kind, per_user_deadlines=True)
    _agree(instance, ("cpsat",), reuse_blocks=reuse, bandwidth=bandwidth)


@pytest.mark.slow
@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    seed=st.integers(0, 10**6),
    kind=st.sampled_from(["bls", "general"]),
    per_user=st.booleans(),
    reuse=st.booleans(),
)
def test_agree_with_milp(seed, kind, per_user, reuse):
    """Tests that cpsat (and cpsat-seq) == milp == bruteforce on tiny instances."""
    instance = tiny.generate(seed, kind, per_user_deadlines=per_user)
    names = ("cpsat",) if per_user else CPSAT
    _agree(instance, names, ("bruteforce", "milp"), reuse_blocks=reuse)
