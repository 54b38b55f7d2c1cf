"""Tests of the enumeration of loading orders and counts, and of the Fig. 9 study."""

from __future__ import annotations

import itertools
import math

import pytest

from experiments import enumeration, records
from experiments.context import RunContext
from instances.generators import tiny
from instances.schedule import evaluate
from solvers import registry
from solvers.result import Options


def test_candidate_count_matches_a_direct_count():
    """Tests sum_j j! e_j(K) against counting every order and count vector."""
    for sizes in ([2, 3], [1, 4, 2], [3, 3, 3, 1]):
        direct = sum(
            math.prod(sizes[i] for i in order)
            for j in range(1, len(sizes) + 1)
            for order in itertools.permutations(range(len(sizes)), j)
        )
        assert enumeration.candidates(sizes) == direct
    assert enumeration.candidates([2, 3]) == 17


@pytest.mark.parametrize("kind", ["bls", "general"])
@pytest.mark.parametrize("reuse", [True, False])
def test_enumeration_agrees_with_exhaustive_on_tiny_instances(kind, reuse):
    """Tests that both enumerations find exhaustive's optimum (and the evaluator)."""
    for seed in range(12):
        instance = tiny.generate(seed, kind=kind, num_users=6)
        best = registry.run("exhaustive", instance, Options(reuse_blocks=reuse))
        grid = enumeration.enumerate_schedules(instance, reuse_blocks=reuse)
        loop = enumeration.enumerate_schedules(
            instance, reuse_blocks=reuse, vectorised=False
        )
        assert grid.served == loop.served == best.served
        assert grid.complete and grid.evaluated == grid.total == loop.evaluated
        schedule = enumeration.schedule_of(instance, grid, reuse)
        assert evaluate(instance, schedule).served == best.served


def test_a_budget_stops_the_run_and_extrapolates():
    """Tests that an exhausted budget marks the run incomplete and scales its time."""
    instance = tiny.generate(3, kind="general", num_users=6)
    run = enumeration.enumerate_schedules(instance, budget_s=1e-12)
    assert not run.complete and 0 < run.evaluated < run.total
    assert run.extrapolated_s == pytest.approx(
        run.elapsed_s * run.total / run.evaluated
    )


def test_study_quick(tmp_path):
    """Tests the study on small BLS and general instances: rows, agreement, summary."""
    config = {
        "generators": ["bls", "general"],
        "instances": 2,
        "loop_seeds": 1,
        "time_budget": 30.0,
        "defaults": {"num_users": 8, "num_models": 3, "deadline_s": 0.2,
                     "library_seed": 0},
    }  # fmt: skip
    ctx = RunContext(name="enumeration", workers=1, progress=False)
    enumeration.run(config, tmp_path, ctx)
    rows = records.read_rows(tmp_path / "seeds.csv")
    assert len(rows) == 4 and all(r["enum_agrees"] for r in rows)
    assert sum(r["loop_wall_s"] is not None for r in rows) == 2
    summary = {
        (r["panel"], r["method"]): r
        for r in records.read_rows(tmp_path / "summary.csv")
    }
    assert set(summary) == {("a", "spec"), ("a", "gen"), ("b", "gen")}
    assert summary["a", "spec"]["paper_speedup"] == 3681
    assert summary["a", "spec"]["speedup_vs_enumeration"] > 0
    reuse = {r["generator"]: r for r in records.read_rows(tmp_path / "reuse.csv")}
    assert reuse["general"]["enumeration_agrees"] == 1
    assert reuse["general"]["served_ratio_dp-paper"] is None
