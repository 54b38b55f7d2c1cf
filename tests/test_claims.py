"""Tests of the claims campaign: gathering, --run-missing, and rows from evidence."""

from __future__ import annotations

import csv

import pytest

from experiments import claims, claims_figures, claims_runs, claims_theorems
from experiments.claims_evidence import Evidence
from experiments.context import RunContext
from experiments.records import write_rows
from experiments.verdicts import Tolerance, Verdict

TOL = Tolerance()

SMALL = {
    "experiments": ["scaling"],  # no row reads scaling/: nothing else may run
    "proposition1": {"batches": 5, "splits": 20},
    "theorem1": {"instances": 2, "schedules": 2},
    "theorems": {
        "bls_instances": 4,
        "general_instances": 3,
        "remark3_instances": 2,
        "remark3_trials": 5,
    },
    "greedy_gap": {"deadlines": [1.0], "realizations": 1},
}


def _rows(path):
    with path.open() as handle:
        return list(csv.DictReader(handle))


def test_claims_gathers_only_by_default(tmp_path, capsys):
    """Tests that claims starts no campaign and lists the missing evidence."""
    empty = tmp_path / "committed"
    empty.mkdir()
    ctx = RunContext("claims", workers=1, progress=False)
    config = {**SMALL, "seed": 0}
    claims.run(config, tmp_path / "out", ctx, committed=empty)
    out = tmp_path / "out"
    assert not (out / "theorems").exists() and not (out / "verify-dp").exists()
    rows = _rows(out / "claims.csv")
    judged = [r["claim"] for r in rows if r["verdict"] not in ("not tested", "")]
    assert [c[:7] for c in judged] == ["Fig. 1:"]  # from the committed profile file
    assert any("evidence missing: theorems/theorems.csv" in r["evidence"] for r in rows)
    assert "missing theorems/theorems.csv" in capsys.readouterr().err
    assert "- theorems/theorems.csv" in (out / "claims.md").read_text()


def test_claims_run_missing_runs_its_campaigns(tmp_path):
    """Tests that --run-missing runs the claims' campaigns and judges from them."""
    empty = tmp_path / "committed"
    empty.mkdir()
    ctx = RunContext("claims", workers=1, progress=False, run_missing=True)
    claims.run({**SMALL, "seed": 0}, tmp_path / "out", ctx, committed=empty)
    out = tmp_path / "out"
    assert (out / "theorems" / "theorems.csv").exists()
    assert (out / "theorems" / "run.json").exists()
    verdict = {r["claim"]: r["verdict"] for r in _rows(out / "claims.csv")}
    second = "Proposition 1, second statement: (11) is the minimum, attained by (12)"
    assert verdict[second] == "holds"
    thm1 = "Theorem 1: solving P2, then splitting by eq. (12), solves P1"
    assert verdict[thm1] == "holds"
    assert verdict["Fig. 6(a): Spec over Independent Loading, about +24%"] == (
        "not tested"
    )


def _theorem_rows(tmp_path, rows):
    write_rows(tmp_path / "theorems" / "theorems.csv", list(rows[0]), rows)
    return Evidence(tmp_path, committed=tmp_path / "none")


def _row(name, kind, some, every, **extra):
    row = {"instance": name, "kind": kind}
    for key in ("thm2.1", "thm2.2", "thm3", "cor1"):
        row[f"some_{key}"], row[f"every_{key}"] = some, every
    return row | {"prop1_slack_split": False, "independent": None} | extra


def test_necessary_condition_rows_from_synthetic_evidence(tmp_path):
    """Tests that one optimal schedule violating a condition gives 'holds w.l.o.g.'
    and one instance with no optimal schedule satisfying it gives 'fails'."""
    (tmp_path / "theorems").mkdir()
    ev = _theorem_rows(
        tmp_path,
        [
            _row("a", "bls", True, True),
            _row("b", "bls", True, False),  # some optimum violates it
            _row("c", "general", False, False),  # no optimum satisfies it
        ],
    )
    got = {c.claim: c.verdict for c in claims_theorems.necessary_conditions(ev)}
    bls = [v for k, v in got.items() if k.endswith("[bls instances]")]
    general = [v for k, v in got.items() if k.endswith("[general instances]")]
    assert bls and all(v is Verdict.HOLDS_WLOG for v in bls)
    assert general and all(v is Verdict.FAILS for v in general)


def test_remark4_fails_on_a_losing_instance(tmp_path):
    """Tests that dp-paper without reuse below `independent` once fails Remark 4."""
    (tmp_path / "theorems").mkdir()
    extra = {"bruteforce_no_reuse": 3}
    ev = _theorem_rows(
        tmp_path,
        [
            _row("a", "bls", True, True, independent=3, indep_paper=3, **extra),
            _row("b", "bls", True, True, independent=3, indep_paper=2, **extra),
        ],
    )
    assert claims_theorems.remark4(ev).verdict is Verdict.FAILS
    assert claims_theorems.np_hardness(ev).verdict is Verdict.FAILS


def _figure_rows(ratios_by_variant):
    rows = []
    for variant, values in ratios_by_variant.items():
        for x, ratio in enumerate(values):
            for seed in range(2):
                rows.append(
                    {
                        "panel": "a",
                        "variant": variant,
                        "x_value": x,
                        "param_seed": seed,
                        "status": "feasible",
                        "served_ratio": ratio,
                    }
                )
    return rows


def test_gain_outside_tolerance_is_not_reproduced(tmp_path):
    """Tests the figure gain rows: +24 pt reproduced, +68 pt only same direction."""
    (tmp_path / "fig6").mkdir()
    rows = _figure_rows({"spec": [0.84, 0.84], "indep-paper": [0.60, 0.60]})
    rows += _figure_rows({"gen": [0.95, 0.95]})
    write_rows(tmp_path / "fig6" / "results.csv", list(rows[0]), rows)
    ev = Evidence(tmp_path, committed=tmp_path / "none")
    got = {c.claim: c for c in claims_figures.gain_rows(ev, TOL)}
    spec = got["Fig. 6(a): Spec over Independent Loading, about +24%"]
    assert spec.verdict is Verdict.REPRODUCED
    assert "+24.0 pt / +40.0%" in spec.evidence  # both readings shown
    gen = got["Fig. 6(a): Gen over Independent Loading, about +16%"]
    assert gen.verdict is Verdict.SAME_DIRECTION  # +35 pt: outside the tolerance
    assert got["Fig. 7(a): Gen over Independent Loading, about +36%"].verdict is (
        Verdict.NOT_TESTED
    )


def test_paired_means_use_common_seeds():
    """Tests that a comparison pairs the seeds both variants scored."""
    rows = _figure_rows({"a": [0.5], "b": [0.4]})
    rows.append({**rows[0], "param_seed": 7, "served_ratio": 1.0})  # only in A
    data = claims_figures.ratios(rows)
    assert claims_figures.paired(data, "a", "a", "b") == [
        (0, pytest.approx(0.5), pytest.approx(0.4))
    ]


def test_slack_split_keeps_an_optimum_with_a_worse_split(two_models):
    """Tests that a schedule with slack keeps its served count under a split that
    uploads longer than eq. (11) (Proposition 1's first statement is not necessary)."""
    import numpy as np

    from solvers import registry

    best = registry.run("bruteforce", two_models)
    found = claims_runs.slack_split(
        two_models, best.schedule, np.random.default_rng(0), 3
    )
    assert found is (best.served > 0)


def test_runtime_rows_one_per_stated_number(tmp_path):
    """Tests the Fig. 9 rows: a speed-up 100x off is only 'same direction'."""
    (tmp_path / "enumeration").mkdir()
    rows = [
        {
            "panel": p,
            "method": m,
            "median_runtime_s": 0.003,
            "speedup_vs_enumeration": s,
            "speedup_vs_heldkarp": 0.5,
            "n": 100,
            "n_enumeration": 10,
        }
        for p, m, s in (("a", "spec", 3000.0), ("a", "gen", 37.0), ("b", "gen", 0.5))
    ]
    write_rows(tmp_path / "enumeration" / "summary.csv", list(rows[0]), rows)
    ev = Evidence(tmp_path, committed=tmp_path / "none")
    from experiments import claims_measures

    got = {c.claim: c.verdict for c in claims_measures.runtime_rows(ev, TOL)}
    assert len(got) == 5  # three speed-ups, two runtimes
    assert got["Fig. 9(a): spec 3,681x faster than the exhaustive search"] is (
        Verdict.REPRODUCED
    )
    assert got["Fig. 9(a): gen 3,749x faster than the exhaustive search"] is (
        Verdict.SAME_DIRECTION
    )
    assert got["Fig. 9(b): gen 2,478x faster than the exhaustive search"] is (
        Verdict.NOT_REPRODUCED
    )
    assert got["Fig. 9(a): spec runs in about 5.6 ms"] is Verdict.REPRODUCED
    assert got["Fig. 9(b): gen runs in about 12.5 ms"] is Verdict.NOT_REPRODUCED


def test_sensitivity_run_adds_a_measurement_row(tmp_path):
    """Tests that a committed figN-hdd run adds one row without a verdict."""
    (tmp_path / "fig6-hdd").mkdir()
    rows = _figure_rows({"spec": [0.3, 0.3], "indep-paper": [0.2, 0.2]})
    write_rows(tmp_path / "fig6-hdd" / "results.csv", list(rows[0]), rows)
    ev = Evidence(tmp_path, committed=tmp_path / "none")
    from experiments import claims_measures

    got = claims_measures.sensitivity_rows(ev)
    assert [c.claim for c in got] == ["Fig. 6: stated gains on the hdd profile"]
    assert got[0].verdict is None and "+10.0 pt / +50.0%" in got[0].evidence
    assert not ev.missing  # sensitivity runs are optional
