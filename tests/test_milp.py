"""Tests of the batch-position MILP (formulations/milp/) and the export command."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from conftest import make_instance
from hypothesis import given, settings
from hypothesis import strategies as st

import instances
from formulations import milp
from formulations.common import (
    End,
    best_fast_schedule,
    final_status,
    integer_bound,
    servable,
)
from formulations.export import export, file_format
from formulations.milp import solving
from instances.generators import tiny
from instances.io import load_instance
from instances.model import User
from instances.schedule import Schedule, evaluate
from instances.timing import Bandwidth
from partialloading.cli import main
from solvers import registry
from solvers.result import Options, Status

LIBRARY = Path(instances.__file__).parent / "library"
FAST = Options(threads=1, seed=0)


@pytest.fixture
def urgent_u1():
    """two_models where u1 must be done by 9 s (the others keep 20 s)."""
    base = make_instance()
    users = (dataclasses.replace(base.users[0], deadline_s=9.0), *base.users[1:])
    return dataclasses.replace(base, users=users)


# -- hand-checked cases (two_models: V(S) = S / 50 s, upload = p_k) ---


def test_two_models_serves_all_with_reuse(two_models):
    """Tests that the MILP serves all three users when block a is reused."""
    # A{u1,u2}: 3 + V(300)=6 + 1.2 = 10.2; B{u3}: 3 + V(c)=6 + 0.7 = 9.7 -> 19.9 <= 20.
    result = registry.run("milp", two_models, FAST)
    assert (result.status, result.served, result.bound) == (Status.OPTIMAL, 3, 3)


def test_two_models_without_reuse(two_models):
    """Tests that independent loading loses one user."""
    # A{u1,u2} 10.2 then B{u3}: 3 + V(400)=8 + 0.7 = 11.7 -> 21.9 > 20; any two fit.
    result = registry.run(
        "milp", two_models, dataclasses.replace(FAST, reuse_blocks=False)
    )
    assert (result.status, result.served) == (Status.OPTIMAL, 2)


def test_two_models_equal_split(two_models):
    """Tests the equal split: upload = 2 max p per batch, at most 2 users."""
    # A{u1,u2}: 2*2 + 6 + 1.2 = 11.2; B{u3}: 2*3 + 6 + 0.7 = 12.7 -> 23.9 > 20;
    # A{u1} then B{u3}: 9.1 + 12.7 = 21.8 > 20. Best: A{u1,u2} alone, 2 users.
    options = dataclasses.replace(FAST, bandwidth=Bandwidth(2))
    result = registry.run("milp", two_models, options)
    assert (result.status, result.served) == (Status.OPTIMAL, 2)


def test_per_user_deadline(urgent_u1):
    """Tests that an urgent user forces its own first batch and costs one user."""
    # u1 must end by 9: only A{u1} first (1 + 6 + 1.1 = 8.1). Then u2 and u3 both:
    # A{u2} 3.1 + B{u3} 9.7 -> 20.9, or B{u3} 9.7 + A{u2} 2 + V(b)=4 + 1.1 -> 24.9.
    result = registry.run("milp", urgent_u1, FAST)
    assert (result.status, result.served) == (Status.OPTIMAL, 2)
    assert result.schedule.batches[0].users == ("u1",)


def test_model_size(two_models):
    """Tests N, block groups and the variable count on two_models."""
    # Groups: {a} shared by A and B, {b} of A, {c} of B. N = ceil(2/2) + ceil(1/2) = 2.
    # Variables per position: 3 x + 2 z + 3 u + 1 C = 9, so 18.
    data = milp.prepare(two_models, FAST)
    assert (data.positions, len(data.groups), data.num_variables) == (2, 3, 18)
    assert milp.build_model(two_models, FAST).nvariables() == 18
    # Without reuse each model is one group: 2 * (3 + 2 + 2 + 1) = 16.
    assert (
        milp.prepare(
            two_models, dataclasses.replace(FAST, reuse_blocks=False)
        ).num_variables
        == 16
    )


def test_per_user_deadlines_get_one_position_per_user(urgent_u1):
    """Tests N = |K| with per-user deadlines, capped by what fits by 20 s."""
    # Cheapest batches: A: g = 1 + 1.1 = 2.1, first f = 2.1 + V(b)=4 = 6.1;
    # B: f = 3 + 0.7 + 6 = 9.7. Sorted 2.1, 6.1, 9.7: all three fit in 20 s.
    assert milp.prepare(urgent_u1, FAST).positions == 3


def test_unservable_users_are_pruned(two_models):
    """Tests that a user who misses its deadline even alone and first is dropped."""
    # u3 alone first: 3 + V(400) = 8 + 0.7 = 11.7 > 11; u1: 1 + 6 + 1.1 = 8.1 <= 11.
    late = dataclasses.replace(two_models, deadline_s=11.0)
    assert servable(late, FAST).tolist() == [True, True, False]
    assert milp.prepare(late, FAST).users == (0, 1)


def test_nobody_servable_is_optimal_zero(two_models):
    """Tests that a deadline nobody can meet gives the empty schedule, proven."""
    result = registry.run("milp", dataclasses.replace(two_models, deadline_s=1.0), FAST)
    assert (result.status, result.served, result.bound) == (Status.OPTIMAL, 0, 0)


def test_refuses_huge_models(two_models, monkeypatch):
    """Tests that supports() refuses a model above MAX_VARIABLES."""
    monkeypatch.setattr(solving, "MAX_VARIABLES", 17)
    assert "18 variables" in milp.supports(two_models, FAST)


def test_unknown_solver_is_refused(two_models):
    """Tests that an unavailable Pyomo solver is refused with its name."""
    reason = milp.supports(
        two_models, dataclasses.replace(FAST, solver="no_such_solver")
    )
    assert "no_such_solver" in reason


def test_legacy_solver_path(two_models):
    """Tests the legacy pyo.SolverFactory path (appsi_highs) on two_models."""
    result = registry.run(
        "milp", two_models, dataclasses.replace(FAST, solver="appsi_highs")
    )
    assert (result.status, result.served, result.bound) == (Status.OPTIMAL, 3, 3)


# -- cross-checks against the oracles ---


@settings(max_examples=60)
@given(
    seed=st.integers(0, 10_000),
    kind=st.sampled_from(["bls", "general"]),
    per_user=st.booleans(),
    reuse=st.booleans(),
    equal=st.booleans(),
)
def test_matches_bruteforce(seed, kind, per_user, reuse, equal):
    """Tests that the MILP serves exactly as many users as the brute-force oracle."""
    instance = tiny.generate(seed, kind=kind, per_user_deadlines=per_user)
    options = Options(
        reuse_blocks=reuse, bandwidth=Bandwidth(2) if equal else Bandwidth(), seed=0
    )
    result = registry.run("milp", instance, options)
    assert result.status is Status.OPTIMAL
    assert result.served == registry.run("bruteforce", instance, options).served
    for other in ("exhaustive", "dp"):
        if (
            other in registry.METHODS
            and registry.supports(other, instance, options) is None
        ):
            assert result.served == registry.run(other, instance, options).served


# -- limits and statuses ---


def test_time_limit_is_never_optimal():
    """Tests that a 10 ms limit on bls-default (HiGHS needs ~1 s) is not optimal."""
    instance = load_instance(LIBRARY / "bls-default.json")
    result = registry.run("milp", instance, dataclasses.replace(FAST, time_limit=0.01))
    assert result.status in (Status.TIME_LIMIT, Status.NO_SOLUTION)
    if result.status is Status.NO_SOLUTION:
        assert result.served == 0


@pytest.mark.parametrize(
    ("end", "has_solution", "served", "bound", "expected"),
    [
        (End.CONVERGED, True, 5, 5, Status.OPTIMAL),
        (End.CONVERGED, True, 5, 6, Status.FEASIBLE),  # stopped at a gap > 0
        (End.CONVERGED, False, 0, None, Status.ERROR),
        (End.LIMIT, True, 5, 9, Status.TIME_LIMIT),
        (End.LIMIT, True, 5, 5, Status.OPTIMAL),  # the bound proves it all the same
        (End.LIMIT, False, 0, 9, Status.NO_SOLUTION),
        (End.INFEASIBLE, False, 0, None, Status.INFEASIBLE),
        (End.ERROR, True, 3, None, Status.ERROR),
    ],
)
def test_final_status(end, has_solution, served, bound, expected):
    """Tests each row of the end-state to status table."""
    assert final_status(end, has_solution, served, bound) is expected


def test_solver_end_names():
    """Tests the mapping of Pyomo termination names to end states."""
    assert milp.contrib_end("convergenceCriteriaSatisfied") is End.CONVERGED
    assert milp.contrib_end("maxTimeLimit") is End.LIMIT
    assert milp.contrib_end("provenInfeasible") is End.INFEASIBLE
    assert milp.contrib_end("unbounded") is End.ERROR
    assert milp.legacy_end("optimal") is End.CONVERGED
    assert milp.legacy_end("maxTimeLimit") is End.LIMIT
    assert milp.legacy_end("infeasible") is End.INFEASIBLE
    assert milp.legacy_end("solverFailure") is End.ERROR


def test_integer_bound():
    """Tests floor(bound + 1e-6): round-off below an integer is not lost."""
    assert integer_bound(5.9999999997) == 6
    assert integer_bound(5.99) == 5
    assert integer_bound(float("inf")) is None
    assert integer_bound(None) is None


def test_solution_margin_retry_keeps_first_bound(monkeypatch):
    """Tests the retry path: a rejected proof solution triggers an inner re-solve."""
    # At T = 19.8 s two of the three users fit (test_exact), so the fast schedule
    # does not serve every candidate and the MILP is solved.
    instance = make_instance(deadline_s=19.8)
    calls = []
    original = solving._build_and_solve

    def spy(instance, options, data, start, *floor):
        calls.append(data.rows)
        run = original(instance, options, data, start, *floor)
        if len(calls) == 1:  # pretend round-off broke the first solution
            bad = dataclasses.replace(run.schedule, batches=run.schedule.batches * 2)
            run = dataclasses.replace(run, schedule=bad)
        return run

    monkeypatch.setattr(solving, "_build_and_solve", spy)
    outcome = milp.solve(instance, FAST)
    assert calls == ["proof", "inner"]
    assert (outcome.status, outcome.schedule.num_scheduled, outcome.bound) == (
        Status.OPTIMAL,
        2,
        2,
    )


# -- export ---


@pytest.mark.parametrize("fmt", ["lp", "mps"])
def test_export_reads_back(two_models, tmp_path, fmt):
    """Tests that HiGHS reads the exported file and finds the same optimum (3)."""
    import highspy

    path = tmp_path / f"model.{fmt}"
    size = export(two_models, FAST, str(path), fmt)
    assert size["variables"] == 18
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    assert h.readModel(str(path)) == highspy.HighsStatus.kOk
    h.run()
    # LP maximises served; MPS minimises -served (readers may ignore OBJSENSE).
    sign = 1 if fmt == "lp" else -1
    assert round(sign * h.getInfo().objective_function_value) == 3


def test_export_command(tmp_path):
    """Tests `partialloading export` on a library instance, format from the suffix."""
    out = tmp_path / "tiny.mps"
    status = main(
        ["export", str(LIBRARY / "tiny-bls.json"), "-o", str(out), "--no-reuse"]
    )
    assert status == 0
    assert out.read_text().startswith("* Source:     Pyomo MPS Writer")


def test_export_format_from_name():
    """Tests that the format comes from --format, else the suffix, else an error."""
    assert file_format("a.LP", None) == "lp"
    assert file_format("a.txt", "mps") == "mps"
    with pytest.raises(ValueError, match="--format"):
        file_format("a.txt", None)


def test_user_deadline_field_is_respected():
    """Tests that a user with a looser own deadline is served past the common one."""
    # two_models with T = 10.5: A{u1,u2} ends 10.2 fits; u3 alone first 11.7 does not,
    # unless u3 has its own 25 s deadline: then A{u1,u2} 10.2 + B{u3} 9.7 = 19.9 <= 25.
    base = make_instance(deadline_s=10.5)
    users = (*base.users[:2], User("u3", "B", 3.0, 1.0, deadline_s=25.0))
    assert registry.run("milp", base, FAST).served == 2
    assert (
        registry.run("milp", dataclasses.replace(base, users=users), FAST).served == 3
    )


# -- never worse than a fast method ---


def test_best_fast_schedule_two_models(two_models):
    """Tests that dp (exact on this BLS instance) gives the best fast schedule."""
    # dp serves all 3 (19.9 s <= 20 s); greedy and gemel serve no more.
    schedule, name = best_fast_schedule(two_models, FAST)
    assert (name, schedule.num_scheduled) == ("dp", 3)
    assert evaluate(two_models, schedule).feasible


def test_limit_without_incumbent_returns_the_fast_schedule(two_models, monkeypatch):
    """Tests that a limit with a poor incumbent returns the fast schedule, not it."""

    def stopped(instance, options, data, start, *_):
        # A solver stopped by its limit with the empty incumbent and bound 3.
        empty = Schedule((), options.reuse_blocks, options.bandwidth)
        return solving._Run(empty, End.LIMIT, True, 3, 0.0, {})

    monkeypatch.setattr(solving, "_build_and_solve", stopped)
    outcome = milp.solve(two_models, FAST)
    # dp serves 3 = the bound: a proof, whatever stopped the solver.
    assert (outcome.status, outcome.schedule.num_scheduled) == (Status.OPTIMAL, 3)
    assert outcome.info["schedule_from"] == "dp"


def test_limit_keeps_time_limit_status_below_the_bound(two_models, monkeypatch):
    """Tests time_limit (not optimal) when the fast schedule is below the bound."""

    def stopped(instance, options, data, start, *_):
        empty = Schedule((), options.reuse_blocks, options.bandwidth)
        return solving._Run(empty, End.LIMIT, True, 3, 0.0, {})

    monkeypatch.setattr(solving, "_build_and_solve", stopped)
    late = dataclasses.replace(two_models, deadline_s=19.0)
    # At T = 19 only two users fit (A{u1,u2} 10.2, then B{u3} 9.7 -> 19.9 > 19):
    # the fast schedule serves 2 against the (pretended) bound 3.
    outcome = milp.solve(late, FAST)
    assert (outcome.status, outcome.schedule.num_scheduled) == (Status.TIME_LIMIT, 2)


def test_no_solve_when_the_fast_schedule_serves_every_candidate(monkeypatch):
    """Tests that milp returns a fast schedule serving everyone as optimal, unsolved."""

    # two_models at T = 20 s serves all three users (test_exact's
    # test_two_models_all_served_with_reuse), and so does dp, a fast method.
    def no_solve(*args, **kwargs):
        raise AssertionError("the MILP was solved")

    monkeypatch.setattr(solving, "_build_and_solve", no_solve)
    result = registry.run("milp", make_instance(), Options(threads=1, seed=0))
    assert (result.status, result.served, result.bound) == (Status.OPTIMAL, 3, 3)
    assert result.info["note"] == "the fast schedule serves every candidate user"
