"""Tests of the verdict vocabulary and its rules, on synthetic evidence."""

from __future__ import annotations

import math

import pytest

from experiments import verdicts
from experiments.verdicts import Tolerance, Verdict

TOL = Tolerance(points=5.0, relative=0.25, zero_band=0.5)


def test_vocabulary_is_the_documented_one():
    """Tests that the verdict texts are exactly those of docs/verification.md."""
    from pathlib import Path

    doc = (Path(__file__).parents[1] / "docs" / "verification.md").read_text()
    for verdict in Verdict:
        assert f"**{verdict.value}**" in doc, verdict
    assert set(verdicts.THEOREM_VERDICTS) | set(verdicts.QUANTITATIVE_VERDICTS) == set(
        Verdict
    )


def test_failing_evidence_fails():
    """Tests that a condition no optimal schedule satisfies on one instance fails."""
    assert verdicts.necessary_condition(100, 1, 40) is Verdict.FAILS
    assert verdicts.universal(600, 1) is Verdict.FAILS


def test_necessary_condition_violated_by_some_optimum_holds_wlog():
    """Tests that a condition some optimal schedule violates (but another satisfies)
    is 'holds w.l.o.g.', not 'holds'."""
    assert verdicts.necessary_condition(100, 0, 1) is Verdict.HOLDS_WLOG
    assert verdicts.necessary_condition(100, 0, 0) is Verdict.HOLDS


def test_no_evidence_is_not_tested():
    """Tests that zero checked instances or a missing number is 'not tested'."""
    assert verdicts.necessary_condition(0, 0, 0) is Verdict.NOT_TESTED
    assert verdicts.universal(0, 0) is Verdict.NOT_TESTED
    assert verdicts.gain(None, 24.0, TOL) is Verdict.NOT_TESTED
    assert verdicts.gain(math.nan, 24.0, TOL) is Verdict.NOT_TESTED
    assert verdicts.level(None, 83.0, TOL) is Verdict.NOT_TESTED
    assert verdicts.dominates([], TOL) is Verdict.NOT_TESTED
    assert verdicts.complexity(None, 1.0, 0.25) is Verdict.NOT_TESTED


@pytest.mark.parametrize(
    ("ours", "paper", "expected"),
    [
        (24.0, 24.0, Verdict.REPRODUCED),
        (29.0, 24.0, Verdict.REPRODUCED),  # 5 points: the absolute tolerance
        (30.0, 24.0, Verdict.REPRODUCED),  # 6 <= 25 % of 24
        (31.0, 24.0, Verdict.SAME_DIRECTION),  # 7 > max(5, 6)
        (68.0, 24.0, Verdict.SAME_DIRECTION),
        (-3.0, 24.0, Verdict.NOT_REPRODUCED),
        (0.2, 24.0, Verdict.NOT_REPRODUCED),  # inside the zero band: no sign
        (-1.5, -3.7, Verdict.REPRODUCED),
        (0.0, -4.3, Verdict.REPRODUCED),  # within 5 points
        (0.0, -10.0, Verdict.NOT_REPRODUCED),
    ],
)
def test_gain_rule(ours, paper, expected):
    """Tests that a gain outside the tolerance is never 'reproduced'."""
    assert verdicts.gain(ours, paper, TOL) is expected
    if not TOL.within(ours, paper):
        assert expected is not Verdict.REPRODUCED


def test_level_has_no_direction():
    """Tests that a level outside the tolerance is 'not reproduced'."""
    assert verdicts.level(80.0, 83.0, TOL) is Verdict.REPRODUCED
    assert verdicts.level(22.7, 83.0, TOL) is Verdict.NOT_REPRODUCED


def test_dominates_per_x_value():
    """Tests 'consistently outperforms': every x, on average only, or not."""
    assert verdicts.dominates([1.0, 2.0, 3.0], TOL) is Verdict.REPRODUCED
    assert verdicts.dominates([-1.0, 2.0, 3.0], TOL) is Verdict.SAME_DIRECTION
    assert verdicts.dominates([0.1, 3.0], TOL) is Verdict.SAME_DIRECTION  # a tie
    assert verdicts.dominates([-1.0, -2.0, 1.0], TOL) is Verdict.NOT_REPRODUCED


def test_trend_rule():
    """Tests the trend rule: monotone, overall only, or the other way."""
    assert verdicts.trend([10, 20, 20.3, 30], 1, TOL) is Verdict.REPRODUCED
    assert verdicts.trend([10, 20, 15, 30], 1, TOL) is Verdict.SAME_DIRECTION
    assert verdicts.trend([30, 20, 10], 1, TOL) is Verdict.NOT_REPRODUCED
    assert verdicts.trend([30, 20, 10], -1, TOL) is Verdict.REPRODUCED
    assert verdicts.trend([13.2, 13.2, 13.2], 1, TOL) is Verdict.NOT_REPRODUCED


def test_combine_takes_the_worst_tested():
    """Tests that one not-reproduced number makes the statement not reproduced."""
    r, s, n, u = (
        Verdict.REPRODUCED,
        Verdict.SAME_DIRECTION,
        Verdict.NOT_REPRODUCED,
        Verdict.NOT_TESTED,
    )
    assert verdicts.combine([r, r, u]) is r
    assert verdicts.combine([r, s]) is s
    assert verdicts.combine([r, s, n]) is n
    assert verdicts.combine([u, u]) is u


def test_complexity_rule():
    """Tests that a count growing faster than the bound's exponent fails it."""
    assert verdicts.complexity(1.05, 1.0, 0.25) is Verdict.HOLDS
    assert verdicts.complexity(1.0, 0.0, 0.25) is Verdict.FAILS


def test_refuted_needs_an_exact_agreeing_method():
    """Tests that a hardness argument fails only if the polynomial method was exact."""
    assert verdicts.refuted(50, 0) is Verdict.FAILS
    assert verdicts.refuted(50, 1) is Verdict.NOT_TESTED
    assert verdicts.refuted(0, 0) is Verdict.NOT_TESTED


def test_conjunction_fails_on_one_failing_part():
    """Tests that a statement with one failing part fails, untested parts ignored."""
    h, w, f, u = (
        Verdict.HOLDS,
        Verdict.HOLDS_WLOG,
        Verdict.FAILS,
        Verdict.NOT_TESTED,
    )
    assert verdicts.conjunction([h, h, u]) is h
    assert verdicts.conjunction([h, w]) is w
    assert verdicts.conjunction([h, w, f]) is f
    assert verdicts.conjunction([u]) is u


def test_ratio_rule_for_runtimes_and_speedups():
    """Tests speed-ups within a factor, faster but far off, and runtimes (no sign)."""
    assert verdicts.ratio(2000.0, 3681.0, 2.0) is Verdict.REPRODUCED
    assert verdicts.ratio(40.0, 3681.0, 2.0) is Verdict.SAME_DIRECTION
    assert verdicts.ratio(0.5, 3681.0, 2.0) is Verdict.NOT_REPRODUCED
    assert verdicts.ratio(3.0, 5.6, 2.0, directional=False) is Verdict.REPRODUCED
    assert verdicts.ratio(0.5, 5.6, 2.0, directional=False) is Verdict.NOT_REPRODUCED
    assert verdicts.ratio(None, 5.6, 2.0) is Verdict.NOT_TESTED
