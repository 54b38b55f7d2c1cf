"""Tests of the compact model's knapsack bound (``formulations.seq_bound``)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model

from formulations import cpsat_seq
from formulations.cpsat_base import Rounding
from formulations.cpsat_seq import seq_data
from formulations.seq_bound import cheapest_entry, knapsack_bound
from instances.generators import tiny
from instances.schedule import Schedule, evaluate
from solvers import registry
from solvers.result import Options


def test_cheapest_entry_by_hand():
    """Tests that the entry load is the least over the depot and the other models."""
    # Rows: depot, model 0, model 1, model 2; columns: models 0, 1, 2.
    load = np.array([[9, 8, 7], [0, 2, 5], [4, 0, 6], [1, 3, 0]])
    # Into 0: min(9, 4, 1) = 1 (its own row is excluded); into 1: min(8, 2, 3);
    # into 2: min(7, 5, 6). Among candidates {0, 2} only, into 0: min(9, 1).
    assert cheapest_entry(load, [0, 1, 2]).tolist() == [1, 2, 5]
    assert cheapest_entry(load, [0, 2]).tolist() == [1, 5]


def test_knapsack_bound_by_hand():
    """Tests the min-plus knapsack on two models."""
    # Model a: c(1..3) = 2, 4, 6, entry 3; model b: c(1..2) = 1, 5, entry 1.
    tables = [np.array([0, 2, 4, 6]), np.array([0, 1, 5])]
    entry = np.array([3, 1])
    # T = 7: a with 2 users (4 + 3 = 7) or b with 1 and a with 1 (2 + 5 = 7): 2.
    assert knapsack_bound(tables, entry, 7) == 2
    # T = 11: a with 3 (9) + b with 1 (2) = 11: 4 users.
    assert knapsack_bound(tables, entry, 11) == 4
    assert knapsack_bound(tables, entry, 0) == 0


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    seed=st.integers(0, 10**6),
    kind=st.sampled_from(["bls", "general"]),
    reuse=st.booleans(),
)
def test_knapsack_bound_is_above_the_optimum(seed, kind, reuse):
    """Tests that the knapsack bound is never below the exhaustive optimum."""
    instance = tiny.generate(seed, kind)
    options = Options(reuse_blocks=reuse)
    d = seq_data(instance, options, Rounding(optimistic=True))
    bound = knapsack_bound(d.tables, cheapest_entry(d.load, d.models), d.deadline)
    assert bound >= registry.run("exhaustive", instance, options).served


@settings(max_examples=30, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10**6), reuse=st.booleans())
def test_a_reversed_order_loads_the_same_bytes(seed, reuse):
    """Tests that reversing the model order keeps the total load (reversal_cut)."""
    instance = tiny.generate(seed, "general", num_models=5)
    order = [int(i) for i in instance.active_models()]
    # One user per model; every block loaded on entry is evicted on the way back
    # to the empty depot, so both directions load the same bytes.
    batches = [(i, [int(np.flatnonzero(instance.user_model == i)[0])]) for i in order]
    loads = []
    for seq in (batches, batches[::-1]):
        schedule = Schedule.from_indices(instance, seq, reuse)
        loads.append(sum(b.loaded_bytes for b in evaluate(instance, schedule).timeline))
    assert loads[0] == pytest.approx(loads[1], rel=1e-12)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10**6), kind=st.sampled_from(["bls", "general"]))
def test_the_reversal_cut_keeps_the_optimum(seed, kind):
    """Tests that the optimistic model with the reversal cut admits the optimum."""
    instance = tiny.generate(seed, kind)
    optimum = registry.run("exhaustive", instance, Options()).served
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cpsat_seq, "REVERSAL_CUT", True)
        built = cpsat_seq.build(instance, Options(), Rounding(optimistic=True))
    built.model.add(built.objective >= optimum)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    assert solver.solve(built.model) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
