"""Tests that the committed claims table and the README's findings trace to files."""

from __future__ import annotations

import csv
import re
import subprocess
from pathlib import Path

import pytest

from experiments import claims
from experiments.catalog import load_config
from experiments.claims_evidence import COMMITTED, Evidence
from experiments.context import RunContext, resolve

ROOT = Path(__file__).resolve().parents[1]
NUMBER = re.compile(r"(?<![\w.])[-+]?\d[\d,]*(?:\.\d+)?(?:e[-+]?\d+)?%?")


def _committed_rows() -> list[dict[str, str]]:
    with (COMMITTED / "claims.csv").open() as handle:
        return list(csv.DictReader(handle))


def _tracked() -> set[str] | None:
    """Return the files git tracks, or None outside a git checkout."""
    try:
        out = subprocess.run(
            ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return set(out.stdout.split())


@pytest.fixture(scope="module")
def regenerated() -> list[dict[str, str]]:
    """The rows ``claims`` builds from the committed evidence alone."""
    config = resolve(load_config("claims"), RunContext("claims"))
    rows = claims.build(config, Evidence(None))
    return [
        {
            "claim": c.claim,
            "kind": c.kind,
            "verdict": str(c.verdict or ""),
            "evidence": c.evidence,
            "source": c.source,
        }
        for c in rows
    ]


def test_committed_table_is_regenerated_from_committed_files(regenerated):
    """Tests that docs/results/claims.csv is what the rows build from committed files
    (every number in it comes from a committed file, not from a run)."""
    committed = _committed_rows()
    assert [r["claim"] for r in committed] == [r["claim"] for r in regenerated]
    for mine, theirs in zip(committed, regenerated, strict=True):
        for key in ("kind", "verdict", "evidence", "source"):
            assert mine[key] == theirs[key], (mine["claim"], key)


def test_cited_sources_are_committed_files():
    """Tests that every docs/results file a row cites exists and is tracked by git."""
    tracked = _tracked()
    cited = set()
    for row in _committed_rows():
        cited |= set(
            re.findall(r"(docs/results/[\w./-]+|instances/[\w./-]+)", row["source"])
        )
    assert cited
    for path in cited:
        path = path.rstrip(".,;:")
        assert (ROOT / path).exists(), path
        if tracked is not None:
            assert path in tracked, f"{path} is not committed"


def test_table_counts_match_rows():
    """Tests that the counts at the top of claims.md are those of its rows."""
    text = (COMMITTED / "claims.md").read_text()
    for kind in ("theorem", "quantitative"):
        line = next(
            x for x in text.splitlines() if x.startswith(f"- {kind} statements")
        )
        stated = {
            v.strip(): int(n)
            for n, v in re.findall(r"(\d+) ([a-z.,' ]+?)(?:, (?=\d)|$)", line)
        }
        verdicts = [r["verdict"] for r in _committed_rows() if r["kind"] == kind]
        assert stated == {v: verdicts.count(v) for v in set(verdicts)}


def _findings() -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index("## What the suite found")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def test_readme_findings_cite_claims_rows_and_their_numbers():
    """Tests that every README finding cites claims.md rows that exist, and that each
    of its numbers appears in a cited row (or the cited file names it)."""
    table = (COMMITTED / "claims.md").read_text()
    rows = {
        m.group(1): m.group(0)
        for m in re.finditer(r"^\| ([TQM]\d+) \|.*$", table, re.MULTILINE)
    }
    bullets = [b for b in _findings().split("\n- ")[1:]]
    assert bullets
    for bullet in bullets:
        ids = re.findall(r"\b([TQM]\d+)\b", bullet)
        assert ids, f"no claims.md row cited: {bullet[:60]}"
        cited = " ".join(rows[i] for i in ids)  # KeyError: a row that does not exist
        for number in NUMBER.findall(
            re.sub(r"\b[TQM]\d+\b|\(docs/[^)]*\)", "", bullet)
        ):
            bare = number.rstrip("%").lstrip("+")
            assert bare in cited, f"{number} of '{bullet[:50]}...' not in rows {ids}"
