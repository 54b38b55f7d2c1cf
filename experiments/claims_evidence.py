"""Where the claims' evidence lives: a run folder first, then the committed results.

A row of ``claims.md`` names the files it rests on by a path relative to a
results folder (``fig6/results.csv``, ``theorems/theorems.csv``). :class:`Evidence`
looks each one up in the run folder (``--out DIR``) and then in the committed
``docs/results/``; a file found in neither makes the row "not tested (evidence
missing: <file>)". Nothing here computes evidence: it only reads files.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from experiments.records import read_rows
from experiments.verdicts import Verdict

COMMITTED = Path(__file__).resolve().parents[1] / "docs" / "results"
"""The committed results folder (``docs/results``)."""

THEOREM = "theorem"
QUANTITATIVE = "quantitative"
MEASUREMENT = "measurement"


@dataclass(frozen=True, slots=True)
class Claim:
    """One row of the claims table.

    ``kind`` is :data:`THEOREM` or :data:`QUANTITATIVE` (which verdicts apply),
    or :data:`MEASUREMENT` (a number of the suite, no claim of the paper: no
    verdict); ``source`` names the files the row rests on and the runs that
    made them.
    """

    claim: str
    kind: str
    how: str
    verdict: Verdict | None
    evidence: str
    source: str


@dataclass
class Evidence:
    """The evidence files of one claims run: ``run`` folder, then ``committed``."""

    run: Path | None
    committed: Path = COMMITTED
    used: set[str] = field(default_factory=set)
    missing: set[str] = field(default_factory=set)
    _rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def path(self, rel: str, required: bool = True) -> Path | None:
        """Return the file ``rel`` from the run folder, else the committed one.

        A ``required`` file found in neither is listed in :attr:`missing`.
        """
        for root in (self.run, self.committed):
            if root is not None and (root / rel).exists():
                self.used.add(rel)
                return root / rel
        if required:
            self.missing.add(rel)
        return None

    def shown(self, rel: str) -> str:
        """Return how a row names file ``rel``: its path under the repository if
        committed (``docs/results/...``), else ``DIR/...``."""
        found = self.path(rel)
        if found is None:
            return rel
        try:
            return str(found.resolve().relative_to(self.committed.parents[1]))
        except ValueError:
            return f"DIR/{rel}"

    def rows(self, rel: str, required: bool = True) -> list[dict[str, Any]]:
        """Return the typed rows of CSV ``rel`` (empty if it is missing)."""
        found = self.path(rel, required)
        if rel not in self._rows:
            self._rows[rel] = read_rows(found) if found else []
        return self._rows[rel]

    def manifest(self, rel: str) -> dict[str, Any]:
        """Return ``run.json`` beside file ``rel`` (empty if there is none)."""
        found = self.path(rel)
        if found is None or not (found.parent / "run.json").exists():
            return {}
        return json.loads((found.parent / "run.json").read_text())

    def run_of(self, rel: str) -> str:
        """Return "<file>: <run>" for the source column of a row."""
        found = self.path(rel)
        if found is None:
            return f"{rel}: missing"
        info = self.manifest(rel)
        if info:
            size = ", ".join(f"{k} {v}" for k, v in info.get("size", {}).items())
            mode = "quick" if info.get("quick") else "full"
            run = f"{mode} run, seed {info.get('seed')}"
            return f"{self.shown(rel)}: {run}" + (f", {size}" if size else "")
        return f"{self.shown(rel)}: {figure_run(found)}"


def figure_run(csv_path: Path) -> str:
    """Return "quick/full, N realizations, profile P" of a run's evidence file.

    For a results.csv, realizations are the most seeds of one (panel, variant,
    x) point and the profile the ``param_profile`` column; otherwise (and for
    what the CSV lacks) both are read from the folder's report.md or README.md
    ("full config", "1000 realizations", "3 seeds", a profile name ``rtx4090-*``);
    a figure's profile only from its ``param_profile`` column or the "default
    parameters" its report states, never from the report's prose.
    """
    text = "".join(
        (csv_path.parent / name).read_text()
        for name in ("README.md", "report.md")
        if (csv_path.parent / name).exists()
    )
    mode = re.search(r"\b(quick|full)\b(?:\*\*)? (?:config|run)", text)
    count = re.search(r"(\d[\d,]*)\*{0,2} (realizations|seeds|instances)", text)
    profiles = sorted(set(re.findall(r"rtx4090-[a-z0-9-]*[a-z0-9]", text)))
    realizations = f"{count.group(1)} {count.group(2)}" if count else None
    span = re.search(r"seeds (\d+)\.\.(\d+)", text)
    if span:  # "seeds 0..999" names every seed of the run
        realizations = f"{int(span.group(2)) - int(span.group(1)) + 1} seeds"
    if csv_path.name == "results.csv":
        rows = read_rows(csv_path)
        seeds: dict[tuple, set] = {}
        named = set()
        for row in rows:
            key = (row.get("panel"), row.get("variant"), row.get("x_value"))
            seeds.setdefault(key, set()).add(row.get("param_seed", row.get("seed")))
            named.add(row.get("param_profile"))
        most = max((len(s) for s in seeds.values()), default=0)
        realizations = f"{most} realizations"
        stated = re.search(r"default parameters: `(\{.*?\})`", text)
        default = json.loads(stated.group(1)).get("profile") if stated else None
        profiles = sorted(str(p) for p in named if p) or ([default] if default else [])
    profile = (
        "profile " + "/".join(profiles)
        if profiles
        else "profile not recorded (generator default at run time)"
    )
    size = realizations or "size not recorded"
    return f"{mode.group(1) if mode else 'quick/full not recorded'}, {size}, {profile}"


def missing_text(rel: str) -> str:
    """Return the evidence text of a row whose file ``rel`` is missing."""
    return f"not tested (evidence missing: {rel})"


def untested(claim: str, kind: str, how: str, rel: str) -> Claim:
    """Return the "not tested" row of a claim whose evidence file is missing."""
    verdict = None if kind == MEASUREMENT else Verdict.NOT_TESTED
    return Claim(claim, kind, how, verdict, missing_text(rel), rel)


def pct(x: float, digits: int = 1) -> str:
    """Return ``x`` (a fraction) as a percentage with ``digits`` decimals."""
    return f"{100 * x:.{digits}f}%"
