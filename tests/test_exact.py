"""Tests of the exact methods: dp, independent, exhaustive and the bruteforce oracle.

Hand-computed numbers use conftest's ``two_models``: V(S) = S / 50 s, B = 1 Hz.
Loads: A = [a, b] is 300 B = 6 s, B = [a, c] is 400 B = 8 s; with reuse A -> B
loads c (6 s) and B -> A loads b (4 s). Costs without loading (b_max = 2):
c_A(1) = 1 + 0.1 + 1 = 2.1, c_A(2) = 1 + 2 + 0.2 + 1 = 4.2,
c_B(1) = 3 + 0.2 + 0.5 = 3.7.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from instances.generators import tiny
from instances.model import Model, User
from instances.timing import Bandwidth
from solvers import registry
from solvers.dp import min_plus
from solvers.exhaustive import held_karp
from solvers.registry import Unsupported
from solvers.result import Options, Status
from tests.conftest import make_instance


def served(method: str, instance, options: Options | None = None) -> int:
    result = registry.run(method, instance, options or Options())
    assert result.status is Status.OPTIMAL
    assert result.bound == result.served
    return result.served


# -- hand-computed cases -----------------------------------------------------------


def test_two_models_all_served_with_reuse(two_models, exact_method):
    """Tests that reuse serves all three: 12 s of union + 4.2 + 3.7 = 19.9 <= 20."""
    assert served(exact_method, two_models) == 3


def test_two_models_without_reuse(two_models, exact_method_any_reuse):
    """Tests that without reuse 2 fit: all three take 6 + 8 + 4.2 + 3.7 = 21.9 > 20."""
    # Two fit: A with u1, u2 = 6 + 4.2 = 10.2.
    options = Options(reuse_blocks=False)
    assert served(exact_method_any_reuse, two_models, options) == 2


@pytest.mark.parametrize(("deadline", "expected"), [(19.8, 2), (10.0, 1), (8.0, 0)])
def test_two_models_tighter_deadlines(exact_method, deadline, expected):
    """Tests the optimum as the deadline shrinks below the hand-computed times."""
    # 19.8 < 19.9 drops one user (A alone with 2 users: 10.2); at 10 only A with u1
    # fits (6 + 2.1 = 8.1; B alone needs 8 + 3.7); at 8 nothing fits (8.1 > 8).
    assert served(exact_method, make_instance(deadline_s=deadline)) == expected


def test_two_models_one_subchannel(two_models, exact_method):
    """Tests equal:1 bandwidth: one user per batch makes all three cost 20.9 > 20."""
    # equal:1 -> batches of 1, upload = p; c_A(2) = 1 + 2 + 0.2 + 2 = 5.2, so all
    # three need 12 + 5.2 + 3.7 = 20.9; A with two users fits (6 + 5.2 = 11.2).
    options = Options(bandwidth=Bandwidth(1))
    result = registry.run(exact_method, two_models, options)
    assert result.served == 2
    assert all(len(b.users) == 1 for b in result.schedule.batches)


def test_dp_orders_cluster_by_depth_and_loads_the_union(two_models):
    """Tests that dp's schedule loads each block once: 600 B in all (Corollary 1)."""
    result = registry.run("dp", two_models)
    assert result.evaluation.loaded_bytes == pytest.approx(600.0)
    assert result.evaluation.makespan_s == pytest.approx(19.9)


def test_independent_ignores_reuse_option(two_models):
    """Tests that independent plans and is judged without reuse even if asked for it."""
    result = registry.run("independent", two_models, Options(reuse_blocks=True))
    assert result.schedule.reuse_blocks is False
    assert result.served == 2


def test_bruteforce_honours_per_user_deadlines():
    """Tests that bruteforce finds the order an urgent user needs (B first)."""
    # u3 must end by 12: B first ends at 8 + 3.7 = 11.7; then A loads b (4 s) and
    # serves u1, u2 at 11.7 + 4 + 4.2 = 19.9 <= 20. A first would end u3 at 19.9.
    users = (
        User("u1", "A", 2.0, 2.0),
        User("u2", "A", 4.0, 2.0),
        User("u3", "B", 3.0, 1.0, deadline_s=12.0),
    )
    instance = make_instance(users=users)
    result = registry.run("bruteforce", instance)
    assert result.served == 3
    assert result.schedule.batches[0].model == "B"


def test_bruteforce_interleaves_models_when_deadlines_demand_it():
    """Tests that bruteforce finds A, B, A: the only order serving all three users."""
    # A[u1] ends 6 + 2.1 = 8.1 <= 9; B loads c: 8.1 + 6 + 3.7 = 17.8 <= 18; A loads b
    # again: 17.8 + 4 + (2 + 0.1 + 1) = 24.9 <= 25. A[u1, u2] first ends 10.2 > 9;
    # A, A, B ends u3 at 8.1 + 3.1 + 6 + 3.7 = 20.9 > 18; B first ends at 11.7 > 9.
    users = (
        User("u1", "A", 2.0, 2.0, deadline_s=9.0),
        User("u2", "A", 4.0, 2.0, deadline_s=25.0),
        User("u3", "B", 3.0, 1.0, deadline_s=18.0),
    )
    result = registry.run("bruteforce", make_instance(users=users))
    assert result.served == 3
    assert [b.model for b in result.schedule.batches] == ["A", "B", "A"]


@pytest.mark.parametrize("method", ["dp", "exhaustive", "independent"])
def test_common_deadline_methods_refuse_user_deadlines(method):
    """Tests that dp, exhaustive and independent refuse per-user deadlines clearly."""
    users = (User("u1", "A", 2.0, 2.0, deadline_s=5.0),)
    with pytest.raises(Unsupported, match="per-user deadlines"):
        registry.run(method, make_instance(users=users))


def test_bruteforce_refuses_eight_users():
    """Tests that bruteforce refuses more than 7 users and says how many."""
    users = tuple(User(f"u{k}", "A", 1.0 + k, 1.0) for k in range(8))
    with pytest.raises(Unsupported, match="7 users; this instance has 8"):
        registry.run("bruteforce", make_instance(users=users))


def test_exhaustive_refuses_seventeen_models():
    """Tests that exhaustive refuses 17 requested models and names the number."""
    models = tuple(Model(f"M{i}", ("a",), 0.1, 0.1, 1) for i in range(17))
    users = tuple(User(f"u{i}", f"M{i}", 1.0, 1.0) for i in range(17))
    with pytest.raises(Unsupported, match="requests 17"):
        registry.run("exhaustive", make_instance(models=models, users=users))


def test_dp_refuses_non_bls_but_not_without_reuse():
    """Tests that dp refuses a shared block above an own block, unless reuse is off."""
    # A = [a, b], B = [c, b]: the shared b lies above A's own a.
    models = (Model("A", ("a", "b"), 0.1, 1.0, 2), Model("B", ("c", "b"), 0.2, 0.5, 2))
    instance = make_instance(models=models)
    with pytest.raises(Unsupported, match="not a bottom-layer-sharing instance"):
        registry.run("dp", instance)
    # Without reuse: A = 6 s, B = 10 s; A with 2 users = 10.2 fits, all = 6+10+7.9 > 20.
    assert served("dp", instance, Options(reuse_blocks=False)) == 2
    # With reuse exhaustive works: A then B loads c (6 s): 6 + 4.2 + 6 + 3.7 = 19.9.
    assert served("exhaustive", instance) == 3


# -- building blocks ------------------------------------------------------------------


def test_min_plus_matches_the_definition():
    """Tests min_plus against the double loop, on both loop orientations."""
    rng = np.random.default_rng(7)
    for la, lb, start in [(5, 3, 1), (3, 9, 1), (4, 4, 0), (1, 6, 1)]:
        a, b = rng.uniform(0, 5, la), rng.uniform(0, 5, lb)
        a[rng.integers(la)] = np.inf
        out, arg = min_plus(a, b, start)
        for m in range(la + lb - 1):
            options = [a[m - n] + b[n] for n in range(start, lb) if 0 <= m - n < la]
            expected = min(options, default=np.inf)
            assert out[m] == expected
            if np.isfinite(expected):
                assert a[m - arg[m]] + b[arg[m]] == expected


def test_held_karp_matches_all_permutations():
    """Tests Held-Karp's least path loads against enumerating every order."""
    rng = np.random.default_rng(3)
    num = 5
    load = rng.uniform(0, 10, (num + 1, num))
    for j in range(num):
        load[j + 1, j] = 0.0
    best, _ = held_karp(load)
    for subset in range(1, 1 << num):
        members = [i for i in range(num) if subset >> i & 1]
        for last in members:
            expected = min(
                load[0, p[0]] + sum(load[x + 1, y] for x, y in itertools.pairwise(p))
                for p in itertools.permutations(members)
                if p[-1] == last
            )
            assert best[subset, last] == pytest.approx(expected)


# -- properties over tiny random instances ----------------------------------------

settings_tiny = settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
bandwidths = st.sampled_from([Bandwidth(), Bandwidth(2)])


@settings_tiny
@given(
    seed=st.integers(0, 10**6),
    kind=st.sampled_from(["bls", "general"]),
    reuse=st.booleans(),
    bandwidth=bandwidths,
)
def test_exact_methods_agree(seed, kind, reuse, bandwidth):
    """Tests dp == exhaustive == bruteforce wherever each applies (all feasible)."""
    instance = tiny.generate(seed, kind)
    options = Options(reuse_blocks=reuse, bandwidth=bandwidth)
    oracle = served("bruteforce", instance, options)
    assert served("exhaustive", instance, options) == oracle
    if registry.supports("dp", instance, options) is None:
        assert served("dp", instance, options) == oracle
    else:
        assert reuse and kind == "general"  # BLS or no reuse: dp must accept


@settings(max_examples=100)
@given(
    seed=st.integers(0, 10**6),
    kind=st.sampled_from(["bls", "general"]),
    bandwidth=bandwidths,
)
def test_independent_is_exhaustive_without_reuse(seed, kind, bandwidth):
    """Tests independent == exhaustive with reuse off, and that reuse never hurts."""
    instance = tiny.generate(seed, kind)
    no_reuse = Options(reuse_blocks=False, bandwidth=bandwidth)
    independent = served("independent", instance, Options(bandwidth=bandwidth))
    assert independent == served("exhaustive", instance, no_reuse)
    assert independent <= served("exhaustive", instance, Options(bandwidth=bandwidth))


@settings(max_examples=100)
@given(seed=st.integers(0, 10**6), reuse=st.booleans(), bandwidth=bandwidths)
def test_bruteforce_with_user_deadlines(seed, reuse, bandwidth):
    """Tests bruteforce on per-user deadlines: feasible, at most the relaxed optimum."""
    instance = tiny.generate(seed, "general", per_user_deadlines=True)
    options = Options(reuse_blocks=reuse, bandwidth=bandwidth)
    result = registry.run("bruteforce", instance, options)  # run() checks feasibility
    # Every user's deadline raised to the latest one can only serve more.
    latest = max(u.deadline_s for u in instance.users)
    users = tuple(replace(u, deadline_s=latest) for u in instance.users)
    relaxed = replace(instance, users=users)
    assert result.served <= served("bruteforce", relaxed, options)


@settings(max_examples=60)
@given(seed=st.integers(0, 10**6), reuse=st.booleans(), bandwidth=bandwidths)
def test_dp_equals_exhaustive_on_larger_bls(seed, reuse, bandwidth):
    """Tests dp == exhaustive on BLS instances too large for bruteforce (30 users)."""
    instance = tiny.generate(seed, "bls", num_users=30, num_models=6)
    options = Options(reuse_blocks=reuse, bandwidth=bandwidth)
    assert served("dp", instance, options) == served("exhaustive", instance, options)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("reuse", [True, False])
def test_dp_equals_exhaustive_at_fig9_scale(seed, reuse):
    """Tests dp == exhaustive on paper-generator BLS instances with K = 20, I = 5."""
    from instances.generators import bls

    instance = bls.generate(num_users=20, num_models=5, seed=seed, deadline_s=1.5)
    options = Options(reuse_blocks=reuse)
    assert served("dp", instance, options) == served("exhaustive", instance, options)


def test_no_users_gives_the_empty_schedule(exact_method_any_reuse):
    """Tests that every exact method returns an empty optimal schedule for 0 users."""
    result = registry.run(exact_method_any_reuse, make_instance(users=()))
    assert result.served == 0
    assert result.schedule.batches == ()
