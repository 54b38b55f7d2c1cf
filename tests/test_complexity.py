"""Tests of the operation counters of dp-paper and greedy, and the complexity study."""

from __future__ import annotations

import pytest

from experiments import complexity, records
from experiments.context import RunContext
from instances.generators import bls
from solvers import registry


def counts(method: str, **params) -> dict[str, int]:
    instance = bls.generate(library_seed=0, seed=0, **params)
    return registry.run(method, instance).info["ops"]


def test_dp_paper_counts_grow_quadratically_in_the_slots():
    """Tests that dp-paper's gamma and f terms follow (T+1)(T+2)/2 on a T ladder."""
    ladder = [counts("dp-paper", num_users=64, num_models=4, deadline_s=d)
              for d in (0.2, 0.4, 0.8)]  # fmt: skip
    for ops, slots in zip(ladder, (20, 40, 80), strict=True):
        assert ops["f_terms"] == 3 * (slots + 1) * (slots + 2) // 2  # M = 3 families
        assert ops["gamma_terms"] % ((slots + 1) * (slots + 2) // 2) == 0
    totals = [ops["total"] for ops in ladder]
    assert totals[1] > 3 * totals[0] and totals[2] > 3 * totals[1]


def test_dp_paper_total_is_the_sum_of_the_evaluated_counts():
    """Tests that total adds every counter but the printed-recurrence reference."""
    ops = counts("dp-paper", num_users=40, num_models=6, deadline_s=0.5)
    parts = {k: v for k, v in ops.items() if k not in ("total", "gamma_terms_printed")}
    assert ops["total"] == sum(parts.values())
    assert ops["cost_entries"] > 40  # K + the requested models


def test_greedy_counts_are_iterations_times_pairs():
    """Tests that greedy scores all K (model, k) pairs on each of its iterations."""
    for users in (64, 128, 256):
        ops = counts("greedy", num_users=users, num_models=4, deadline_s=1.0)
        assert ops["argmax_evaluations"] == ops["iterations"] * users
    ladder = [counts("greedy", num_users=512, num_models=m, deadline_s=1.0)
              for m in (4, 8, 16)]  # fmt: skip
    assert [ops["iterations"] for ops in ladder] == [4, 8, 16]


def test_counts_are_deterministic():
    """Tests that the same instance gives the same counts."""
    for method in ("dp-paper", "greedy"):
        first = counts(method, num_users=50, num_models=5, deadline_s=0.4)
        assert counts(method, num_users=50, num_models=5, deadline_s=0.4) == first


@pytest.mark.parametrize("method", ["dp-paper", "greedy"])
def test_counters_are_the_documented_ones(method):
    """Tests that info["ops"] holds exactly the counters the study reads."""
    instance = bls.generate(num_users=30, num_models=6, seed=3)
    assert set(registry.run(method, instance).info["ops"]) == set(
        complexity.COUNTERS[method]
    )


def test_complexity_study_quick(tmp_path):
    """Tests the quick study: premises met, exponents of the counts as expected."""
    config = {
        "generator": "bls",
        "instances": 1,
        "defaults": {"library_seed": 0},
        "ladders": [
            {"id": "K", "x": "num_users", "values": [32, 64, 128],
             "defaults": {"num_models": 4, "deadline_s": 0.5},
             "methods": ["dp-paper", "greedy"]},
            {"id": "T", "x": "deadline_s", "values": [0.2, 0.4, 0.8],
             "defaults": {"num_users": 32, "num_models": 4},
             "methods": ["dp-paper"]},
        ],
    }  # fmt: skip
    ctx = RunContext(name="complexity", workers=1, progress=False)
    complexity.run(config, tmp_path, ctx)
    flat = records.read_rows(tmp_path / "ops.csv")
    assert all(row["requested"] == row["num_models"] for row in flat)
    fits = {
        (f["ladder"], f["method"], f["counter"]): f
        for f in records.read_rows(tmp_path / "exponents.csv")
    }
    assert fits["K", "greedy", "argmax_evaluations"]["exponent"] == pytest.approx(1)
    assert 1.8 < fits["T", "dp-paper", "gamma_terms"]["exponent"] < 2.1
    assert fits["T", "dp-paper", "total"]["bound"] == 0
    assert "every model requested" in (tmp_path / "report.md").read_text()
