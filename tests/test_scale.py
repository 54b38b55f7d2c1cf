"""Tests that the fast paths for large instances (issue 13) agree with the plain ones.

Each fast path is compared with the computation it replaces, on random small
inputs where both run: one row of the switch-load matrix, dp's one-grid min-plus
convolution, and the exact per-segment sums.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import solvers.dp as dp
from instances import derive, values
from instances.generators import bls, general

FAST = settings(max_examples=40, deadline=None, derandomize=True)


@FAST
@given(
    seed=st.integers(0, 10_000),
    kind=st.sampled_from([bls, general]),
    reuse=st.booleans(),
)
def test_new_bytes_row_matches_the_matrix(seed, kind, reuse):
    """Tests that every row from the block index equals the dense matrix's row."""
    instance = kind.generate(num_users=20, num_models=12, seed=seed)
    matrix = instance.new_bytes(reuse)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("instances.model.DENSE_MODELS", 0)  # force the row path
        for previous in [None, *range(instance.num_models)]:
            row = instance.new_bytes_row(previous, reuse)
            assert np.array_equal(row, matrix[0 if previous is None else previous + 1])


def test_new_bytes_row_by_hand(monkeypatch):
    """Tests new_bytes_row on two_models: after A, B loads only block c (300 B)."""
    from conftest import make_instance

    monkeypatch.setattr("instances.model.DENSE_MODELS", 0)
    instance = make_instance()
    assert instance.new_bytes_row(None).tolist() == [300, 400]  # a+b, a+c
    assert instance.new_bytes_row(0).tolist() == [0, 300]
    assert instance.new_bytes_row(1).tolist() == [200, 0]
    assert instance.new_bytes_row(1, reuse_blocks=False).tolist() == [300, 0]


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    a=st.lists(st.sampled_from([0.0, 1.0, 2.0, 3.0, np.inf]), min_size=1, max_size=12),
    b=st.lists(st.sampled_from([0.0, 1.0, 2.0, 3.0, np.inf]), min_size=1, max_size=12),
    start=st.integers(0, 1),
)
def test_min_plus_grid_matches_the_loops(a, b, start):
    """Tests that the one-grid min-plus gives the loops' values and tie-breaking."""
    a, b = np.array(a), np.array(b)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dp, "_GRID", 0)  # the loops
        slow = dp.min_plus(a, b, start)
    fast = dp.min_plus(a, b, start)
    assert np.array_equal(slow[0], fast[0]) and np.array_equal(slow[1], fast[1])


def test_segment_sums_exact_and_fractional():
    """Tests segment sums of integers (reduceat) and fractions (one sum per segment)."""
    starts = np.array([0, 2, 5])
    assert derive.segment_sums(np.array([1.0, 2, 3, 4, 5]), starts).tolist() == [3, 12]
    parts = np.array([0.1, 0.2, 0.3, 0.4, 0.5])
    expected = [parts[:2].sum(), parts[2:].sum()]
    assert derive.segment_sums(parts, starts).tolist() == expected


def test_trusted_records_equal_checked_ones():
    """Tests that records built column-wise equal those built one by one."""
    from instances.model import User

    built = values.trusted(
        User, ["u1", "u2"], ["A", "B"], [2.0, 4.0], [2.0, 1.0], [None, 3.0]
    )
    assert built == (User("u1", "A", 2.0, 2.0), User("u2", "B", 4.0, 1.0, 3.0))


@pytest.mark.parametrize("channels", [None, 3])
@pytest.mark.parametrize("zipf", [None, 1.2])
def test_cost_tables_equal_cost_table_bit_for_bit(channels, zipf):
    """Tests that the one-matrix cost tables equal the per-model ones exactly.

    Zipf demand gives a few long tables, which take the per-model path.
    """
    from instances.timing import Bandwidth
    from solvers.costs import cost_table, cost_tables

    instance = bls.generate(num_users=400, num_models=30, zipf=zipf, seed=3)
    bandwidth = Bandwidth(channels)
    models = [int(i) for i in instance.active_models()][::-1]  # any order
    for i, table in zip(models, cost_tables(instance, models, bandwidth), strict=True):
        expected = cost_table(instance, i, bandwidth)
        assert table.shape == expected.shape
        assert np.array_equal(table, expected)


def test_prune_drops_late_entries_and_trims():
    """Tests prune at T = 1: late entries become inf, the late tail is cut."""
    out = dp.prune(np.array([0.0, 2.0, 0.5, 3.0, 4.0]), 1.0)
    assert out.tolist() == [0.0, np.inf, 0.5]
    assert dp.prune(np.array([5.0, 6.0]), 1.0).tolist() == [np.inf]
    assert dp.prune(np.array([0.0, 1.0]), 1.0).tolist() == [0.0, 1.0]  # 1.0 meets T
