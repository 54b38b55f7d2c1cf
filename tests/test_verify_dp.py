"""Tests of the verification campaign: theorem checks, diagnosis, shrinking."""

from __future__ import annotations

import csv
import dataclasses
import shutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from experiments import dp_analysis, shrink, stats, theorems, verify_dp
from experiments.context import RunContext
from experiments.runner import read_rows
from instances.generators import classes, tiny
from instances.io import load_instance
from solvers import dp_paper, registry
from tests.conftest import make_instance

# Instances where dp-paper serves one user fewer than the optimum (found by the
# campaign with these seeds; test_known_counterexamples_show_the_gap checks it).
GAP_CLASSES = ["many-distinct-loose-T5", "few-distinct-loose-T20"]


@pytest.fixture
def gap_instance():
    return classes.build("many-distinct-loose-T5", 0)


@pytest.fixture(scope="module")
def campaign(tmp_path_factory):
    """Run a tiny verify-dp campaign once: 2 gap classes and tiny, seed 0."""
    out = tmp_path_factory.mktemp("verify-dp")
    config = {
        "classes": [*GAP_CLASSES, "tiny"],
        "instances": 3,
        "solver_every": 0,
        "theorem_max_users": 6,
        "finer_slots": [10],
    }
    ctx = RunContext("verify-dp", workers=1, progress=False, seed=0)
    verify_dp.run(config, out, ctx)
    return out


def test_conditions_on_a_hand_schedule(two_models):
    """Tests that each condition is judged as derived by hand on two_models."""
    # Users u1 (p=1), u2 (p=2) request A; u3 requests B; b_max = 2. A and B form
    # one cluster with l_A = l_B = 1.
    # Schedule A{u2}, B{u3}, A{u1}: A's batches are split by B (2.1 contiguity
    # fails, so do Theorem 3? no: A and B share a cluster, so Theorem 3 holds);
    # A serves u2 before u1 (ascending fails); A's first run {u2} is its own run,
    # so Theorem 2.2 holds (each run has one batch); Corollary 1 holds (equal l).
    schedule = ((0, (1,)), (1, (2,)), (0, (0,)))
    got = theorems.conditions(two_models, schedule)
    assert got["thm2.1_contiguous"] is False
    assert got["thm2.1_ascending"] is False
    assert got["thm2.2"] is True
    assert got["thm3"] is True
    assert got["cor1"] is True
    assert got["all"] is False
    # A{u1}, A{u2}: two batches of one run, the first not full (b_max = 2).
    assert theorems.conditions(two_models, ((0, (0,)), (0, (1,))))["thm2.2"] is False


@settings(max_examples=40, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10_000))
def test_enumeration_finds_the_bruteforce_optimum(seed):
    """Tests that enumerating all schedules finds bruteforce's optimum, and that
    some optimal schedule satisfies every condition at once (the WLOG reading)."""
    instance = tiny.generate(seed, "bls", num_users=min(5, 1 + seed % 6))
    check = theorems.check(instance)
    assert check.optimum == registry.run("bruteforce", instance).served
    assert check.num_optimal >= 1
    assert check.some["all"]


def test_every_reading_fails_on_a_slack_instance():
    """Tests that with a loose deadline an optimal schedule may break Theorem 2.1."""
    # Upload = p (B = 1), V(S) = S / 50. A{u2}, A{u1}, B{u3} ends at
    # (2 + 6 + 1.1) + (1 + 0 + 1.1) + (3 + 6 + 0.7) = 20.9 s: infeasible at the
    # fixture's 20 s, optimal (all 3 served) at 30 s, yet u2 (p=2) goes before
    # u1 (p=1) and the first batch of A is not full.
    check = theorems.check(make_instance(deadline_s=30.0))
    assert check.optimum == 3
    assert check.every["thm2.1_ascending"] is False
    assert check.every["thm2.2"] is False
    assert check.some["all"] is True


@settings(max_examples=30, deadline=None, derandomize=True)
@given(cls=st.sampled_from(list(classes.CLASSES)), seed=st.integers(0, 50))
def test_paper_variant_and_slotted_optimum(cls, seed):
    """Tests that the plain recomputation of f(M,T) matches dp-paper's, and that
    dp-paper <= the slotted optimum <= the continuous optimum."""
    instance = classes.build(cls, seed)
    paper = registry.run("dp-paper", instance)
    assert dp_paper.dp_value(instance) == paper.info["dp_value"]
    slotted = dp_analysis.slotted_optimum(instance)
    assert paper.served <= slotted <= registry.run("dp", instance).served


def test_slotted_values_by_hand(two_models):
    """Tests dp_value's three predecessor rules against values derived by hand."""
    # T = 20 one-second slots; V(S) = S / 50. A alone: load 300 B = 6 s, c_A(1) =
    # 1 + 0.1 + 1 = 2.1, c_A(2) = 3 + 0.2 + 1 = 4.2, so 9 slots serve u1 and 11 serve
    # both. B after A loads c (6 s) + c_B(1) = 3 + 0.2 + 0.5 = 3.7: 10 slots.
    # Best slotted: A{u1} + B = 19 slots, 2 users (A{u1,u2} + B = 21 > 20), while in
    # continuous time 10.2 + 9.7 = 19.9 <= 20 serves all 3.
    for rule in dp_paper.PREDECESSORS:
        assert dp_paper.dp_value(two_models, predecessors=rule) == 2
    assert registry.run("dp", two_models).served == 3
    # With T = 21 slots the 21-slot schedule fits: 3 users.
    longer = dataclasses.replace(two_models, deadline_s=21.0)
    assert dp_analysis.slotted_optimum(longer) == 3
    with pytest.raises(ValueError, match="predecessors"):
        dp_paper.dp_value(two_models, predecessors="first")


def test_eq19_loss_on_a_shipped_counterexample():
    """Tests that on a shrunk eq19 counterexample the DP as printed is below the
    exact slotted optimum (the last-used rule) and the diagnosis says eq19."""
    path = "tests/data/counterexamples/vdp-many-distinct-loose-T70-s1-shrunk.json"
    instance = load_instance(path)
    printed = dp_paper.dp_value(instance)
    assert printed == registry.run("dp-paper", instance).served
    assert printed < dp_analysis.slotted_optimum(instance)
    assert "eq19" in dp_analysis.diagnose(instance, finer=())["cause"]


def test_build_is_reproducible():
    """Tests that a class name and seed give the same instance twice."""
    assert classes.build("few-equal-tight-T20", 7) == classes.build(
        "few-equal-tight-T20", 7
    )
    assert classes.build("few-equal-tight-T20", 7) != classes.build(
        "few-equal-tight-T20", 8
    )


def test_known_counterexamples_show_the_gap():
    """Tests that dp-paper serves fewer than exhaustive on the seeds the tests use."""
    for cls in GAP_CLASSES:
        instance = classes.build(cls, 0)
        paper = registry.run("dp-paper", instance).served
        assert paper < registry.run("exhaustive", instance).served


def test_diagnosis_names_slot_rounding(gap_instance):
    """Tests that the gap of the crafted instance is put down to slot rounding."""
    evidence = dp_analysis.diagnose(gap_instance, finer=(10,))
    assert evidence["cause"] == "slot-rounding"
    assert evidence["slotted_optimum"] < evidence["optimum"]
    assert evidence["slot/10"] > evidence["paper"]


def test_shrink_keeps_the_gap_and_is_smaller(gap_instance):
    """Tests that shrinking a counterexample gives a smaller one that still fails."""
    small, checks = shrink.shrink(gap_instance, dp_analysis.shows_gap)
    assert checks > 1
    assert dp_analysis.shows_gap(small)
    before, after = shrink.size(gap_instance), shrink.size(small)
    assert all(a <= b for a, b in zip(after, before, strict=True)) and after != before
    # The ground truth of the shrunk instance, from an independent exact method.
    assert (
        registry.run("dp-paper", small).served
        < registry.run("exhaustive", small).served
    )


def test_shrink_with_a_simple_predicate(two_models):
    """Tests shrinking to 'at least two users': two users left, numbers simplest."""
    small, _ = shrink.shrink(two_models, lambda inst: inst.num_users >= 2)
    assert small.num_users == 2
    assert all(m.max_batch == 1 and m.mu_s == 0 and m.beta_s == 0 for m in small.models)
    # Every model left has a user (dropping an idle model keeps two users).
    assert {u.model for u in small.users} == {m.id for m in small.models}


def test_shrink_refuses_a_passing_input(two_models):
    """Tests that shrink needs an instance on which the predicate holds."""
    with pytest.raises(ValueError, match="does not hold"):
        shrink.shrink(two_models, lambda inst: False)


def test_campaign_writes_csv_report_and_counterexamples(campaign):
    """Tests the campaign's outputs; each counterexample file shows the gap."""
    rows = read_rows(campaign / "results.csv")
    assert {r["method"] for r in rows} >= {"dp-paper", "dp", "exhaustive"}
    assert all(r["status"] != "error" for r in rows)
    analysis = read_rows(campaign / "analysis.csv")
    assert len(analysis) == 3
    assert "## dp-paper against the optimum" in (campaign / "report.md").read_text()
    with (campaign / "counterexamples" / "index.csv").open() as handle:
        index = list(csv.DictReader(handle))
    assert len(index) == 2  # the two GAP_CLASSES instances
    for row in index:
        for name in (row["file"], row["shrunk"]):
            instance = load_instance(campaign / "counterexamples" / name)
            assert dp_analysis.shows_gap(instance)


def test_campaign_resumes(campaign):
    """Tests that a second run adds no rows."""
    before = len(read_rows(campaign / "results.csv"))
    ctx = RunContext("verify-dp", workers=1, progress=False, seed=0)
    config = {"classes": [*GAP_CLASSES, "tiny"], "instances": 3, "finer_slots": [10]}
    verify_dp.run(config, campaign, ctx)
    assert len(read_rows(campaign / "results.csv")) == before
    assert len(read_rows(campaign / "analysis.csv")) == 3


def test_campaign_resumes_an_analysis_without_keys(campaign, tmp_path):
    """Tests that an analysis.csv from before keys (older runs) is resumed, not
    analysed again: the rows keep their number and gain their keys."""
    old = tmp_path / "old"
    shutil.copytree(campaign, old)
    with (old / "analysis.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    columns = [name for name in rows[0] if name not in ("key", "status", "error")]
    with (old / "analysis.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    ctx = RunContext("verify-dp", workers=1, progress=False, seed=0)
    config = {"classes": [*GAP_CLASSES, "tiny"], "instances": 3, "finer_slots": [10]}
    verify_dp.run(config, old, ctx)
    again = read_rows(old / "analysis.csv")
    assert len(again) == 3 and all(r["key"].endswith("|analysis") for r in again)


def test_fit_exponent_of_a_power_law():
    """Tests the log-log fit: y = 3 x^2 has exponent 2."""
    xs = [1.0, 2.0, 4.0, 8.0]
    assert stats.fitted_exponent(xs, [3 * x**2 for x in xs]) == pytest.approx(2.0)


def test_instance_replace_keeps_validation(gap_instance):
    """Tests that shrinking's dataclasses.replace re-validates (unknown block)."""
    model = dataclasses.replace(gap_instance.models[0], blocks=("x",))
    with pytest.raises(ValueError):
        dataclasses.replace(gap_instance, models=(model, *gap_instance.models[1:]))
