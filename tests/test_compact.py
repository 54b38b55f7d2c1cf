"""Tests of the compaction of figure results for committing."""

from __future__ import annotations

import json

import pytest

from experiments import claims_evidence, claims_figures, compact, figures
from experiments.context import RunContext
from tests.test_experiments import tiny_figure


@pytest.fixture(scope="module")
def fig6_rows(tmp_path_factory):
    out = tmp_path_factory.mktemp("fig6")
    ctx = RunContext(name="fig6", quick=True, workers=1, progress=False)
    figures.run(tiny_figure("fig6"), out, ctx)
    return out, compact.read_rows(out / "results.csv")


def test_compact_rows_summarise_each_point(fig6_rows):
    """Tests one row per panel x variant x x with the mean, n and seeds."""
    _, rows = fig6_rows
    small = compact.compact(rows)
    points = {(r["panel"], r["variant"], r["x_value"]) for r in rows}
    assert len(small) == len(points)
    for row in small:
        mine = [
            r["served_ratio"]
            for r in rows
            if (r["panel"], r["variant"], r["x_value"])
            == (row["panel"], row["variant"], row["x_value"])
        ]
        assert row["served_ratio"] == pytest.approx(sum(mine) / len(mine))
        assert row["n"] == row["n_rows"] == len(mine) and row["param_seed"] is None


def test_the_claims_reader_gets_the_same_paired_means(fig6_rows, tmp_path):
    """Tests that the claims reader pairs compact rows as it pairs the full rows."""
    out, rows = fig6_rows
    small = compact.compact_file(out / "results.csv", tmp_path / "results.csv")
    compact.write_run(tmp_path / "run.json", small, True, 0, "test")
    full = claims_figures.ratios(rows)
    mine = claims_figures.ratios(compact.read_rows(tmp_path / "results.csv"))
    for panel in "abcd":
        want = claims_figures.paired(full, panel, "spec", "indep-paper")
        got = claims_figures.paired(mine, panel, "spec", "indep-paper")
        assert [x for x, _, _ in got] == [x for x, _, _ in want]
        assert [a for _, a, _ in got] == pytest.approx([a for _, a, _ in want])
    info = json.loads((tmp_path / "run.json").read_text())
    assert info["size"]["realizations"] == 2
    ev = claims_evidence.Evidence(run=tmp_path.parent, committed=tmp_path)
    assert "realizations 2" in ev.run_of("results.csv")
