"""``claims``: a verdict on every claim of the paper, from evidence files.

    partialloading experiment claims --out DIR [--run-missing] [--quick]

By default the campaign only *gathers*: every row reads its evidence files from
``DIR/`` and then from the committed ``docs/results/``
(:class:`experiments.claims_evidence.Evidence`), and the campaign prints (and
writes into claims.md) the files it found in neither; those rows are "not
tested (evidence missing: <file>)". No campaign is started. With
``--run-missing`` it prints an estimate per missing campaign (``[estimates]``
of the config), runs them into ``DIR/<name>/`` (the claims' own campaigns of
:mod:`experiments.claims_runs`, or the experiment of that name), and gathers
again. ``DIR/claims.md`` and ``DIR/claims.csv`` hold one row per claim: the
statement, how it was tested, the verdict (:mod:`experiments.verdicts`), the
evidence and the run it rests on. Rows come from
:mod:`experiments.claims_theorems`, :mod:`experiments.claims_figures` and
:mod:`experiments.claims_measures`.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import sys
from collections import Counter
from typing import TYPE_CHECKING, Any

import numpy as np

from experiments import (
    claims_figures,
    claims_measures,
    claims_runs,
    claims_theorems,
    schema,
)
from experiments.claims_evidence import COMMITTED, MEASUREMENT, Claim, Evidence
from experiments.context import resolve
from experiments.records import claim_directory, write_rows
from experiments.verdicts import Tolerance

if TYPE_CHECKING:
    from pathlib import Path

    from experiments.context import RunContext

# The claims' own campaigns (experiments/claims_runs.py) and the files they write.
CAMPAIGNS = {
    "theorems": ("proposition1.csv", "theorem1.csv", "theorems.csv", "remark3.csv"),
    "greedy-gap": ("greedy-gap.csv",),
}


def build(config: dict[str, Any], ev: Evidence) -> list[Claim]:
    """Return every row of the table from the evidence files of ``ev``."""
    tol = Tolerance(**config.get("tolerance", {}))
    slack = float(config.get("complexity", {}).get("slack", 0.25))
    saturated = float(config.get("greedy_gap", {}).get("saturated", 0.95))
    return [
        *claims_theorems.rows(ev),
        *claims_measures.complexity_rows(ev, slack),
        *claims_figures.rows(ev, tol),
        *claims_measures.runtime_rows(ev, tol),
        *claims_measures.greedy_gap_rows(ev, saturated),
        *claims_measures.reuse_rows(ev),
        *claims_measures.exact_rows(ev),
        *claims_measures.sensitivity_rows(ev),
    ]


def producer(rel: str) -> str | None:
    """Return the campaign or experiment that writes evidence file ``rel``."""
    from experiments.catalog import EXPERIMENTS

    first = rel.split("/")[0]
    if first in CAMPAIGNS or (first in EXPERIMENTS and first != "claims"):
        return first
    return None


def run(
    config: dict[str, Any], out: Path, ctx: RunContext, committed: Path = COMMITTED
) -> None:
    """Gather the evidence (run what is missing only if asked); write the table."""
    schema.validate("claims", config, ctx.name)
    config = resolve(config, ctx)
    claim_directory(out, ctx.name, config)
    ev = Evidence(out, committed)
    claims = build(config, ev)
    missing = sorted(ev.missing)
    if missing and ctx.run_missing:
        allowed = {*CAMPAIGNS, *config["experiments"]}
        names = sorted({p for p in map(producer, missing) if p is not None} & allowed)
        estimates = config.get("estimates", {})
        for name in names:
            minutes = float(estimates.get(name, 0)) / 60
            print(
                f"claims: running {name} (estimate {minutes:.0f} min)", file=sys.stderr
            )
        for name in names:
            run_campaign(name, out, config, ctx)
        ev = Evidence(out, committed)
        claims = build(config, ev)
        missing = sorted(ev.missing)
    for rel in missing:
        print(
            f"claims: missing {rel} (run by: {producer(rel) or 'no campaign here'}; "
            "--run-missing runs it)",
            file=sys.stderr,
        )
    write(claims, out, missing)


def run_campaign(name: str, out: Path, config: dict[str, Any], ctx: RunContext) -> None:
    """Run campaign or experiment ``name`` into ``out/name``."""
    folder = out / name
    folder.mkdir(parents=True, exist_ok=True)
    if name not in CAMPAIGNS:
        from experiments.catalog import EXPERIMENTS, load_config

        module = importlib.import_module(EXPERIMENTS[name])
        sub = dataclasses.replace(ctx, name=name, instances=None, realizations=None)
        module.run(load_config(name), folder, sub)
        return
    from instances.generators import profile

    seed = int(config["seed"])
    size: dict[str, Any] = {}
    if name == "theorems":
        size = _theorems(folder, config, seed)
        # tiny and grid instances carry their own constants; Remark 3 uses bytes only.
        size["profile"] = "none (tiny and grid instances have their own timings)"
    else:
        table = config.get("greedy_gap", {})
        rows = claims_runs.greedy_gap(table, seed)
        _write(folder / "greedy-gap.csv", rows)
        size = {"instances": len(rows), "deadlines": table.get("deadlines")}
        size["profile"] = profile.DEFAULT
    manifest = {"quick": ctx.quick, "seed": seed, "size": size}
    (folder / "run.json").write_text(json.dumps(manifest, indent=1) + "\n")


def _theorems(folder: Path, config: dict[str, Any], seed: int) -> dict[str, Any]:
    """Run the theorem campaigns into ``folder``; return their sizes."""
    from instances.io import instance_to_dict

    prop, thm1 = config.get("proposition1", {}), config.get("theorem1", {})
    table = config.get("theorems", {})
    _write(
        folder / "proposition1.csv",
        claims_runs.proposition1(
            int(prop.get("batches", 200)), int(prop.get("splits", 200)), seed
        ),
    )
    _write(
        folder / "theorem1.csv",
        claims_runs.theorem1(
            int(thm1.get("instances", 50)), int(thm1.get("schedules", 10)), seed
        ),
    )
    rng = np.random.default_rng(seed)
    rows, kept = [], 0
    for kind, cls, instance in claims_runs.theorem_instances(
        int(table.get("bls_instances", 100)),
        int(table.get("general_instances", 100)),
        int(table.get("max_users", 6)),
        seed,
    ):
        row = claims_runs.theorem_row(
            kind, cls, instance, rng, int(table.get("split_trials", 5))
        )
        rows.append(row)
        if kept < 3 and row["indep_paper"] < row["independent"]:
            kept += 1
            path = folder / f"remark4-{instance.name}.json"
            path.write_text(json.dumps(instance_to_dict(instance), indent=1) + "\n")
    _write(folder / "theorems.csv", rows)
    r3 = claims_runs.remark3(
        int(table.get("remark3_instances", 40)),
        int(table.get("remark3_trials", 50)),
        seed,
    )
    _write(folder / "remark3.csv", r3)
    return {"instances": len(rows), "remark3 instances": len(r3)}


def _write(path: Path, rows: list[dict[str, Any]]) -> None:
    """Write ``rows`` as CSV, NumPy scalars as Python numbers (their repr is not)."""
    columns = list(rows[0]) if rows else []
    plain = [
        {k: v.item() if isinstance(v, np.generic) else v for k, v in row.items()}
        for row in rows
    ]
    write_rows(path, columns, plain)


def _table(
    rows: list[Claim], header: list[str], prefix: str, with_verdict: bool
) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for n, c in enumerate(rows, start=1):
        cells = [f"{prefix}{n}", c.claim, c.how]
        if with_verdict:
            cells.append(f"**{c.verdict}**")
        cells += [c.evidence, c.source]
        lines.append("| " + " | ".join(x.replace("|", "/") for x in cells) + " |")
    return lines


def write(claims: list[Claim], out: Path, missing: list[str]) -> None:
    """Write ``claims.md`` (tables and counts) and ``claims.csv``."""
    columns = ["claim", "kind", "how tested", "verdict", "evidence", "source"]
    _write(
        out / "claims.csv",
        [
            dict(zip(columns, dataclasses.astuple(c), strict=True))
            | {"verdict": str(c.verdict or "")}
            for c in claims
        ],
    )
    verdicted = [c for c in claims if c.kind != MEASUREMENT]
    lines = ["# The paper's claims, tested", ""]
    for kind in ("theorem", "quantitative"):
        counts = Counter(str(c.verdict) for c in verdicted if c.kind == kind)
        lines.append(
            f"- {kind} statements: "
            + ", ".join(f"{n} {v}" for v, n in sorted(counts.items()))
        )
    lines += ["", "Verdicts are defined once in docs/verification.md (section 2)."]
    header = ["#", "claim", "how tested", "verdict", "evidence", "source (run)"]
    for kind, prefix, title in (
        ("theorem", "T", "Theorems, propositions, remarks"),
        ("quantitative", "Q", "Numbers and trends of the figures"),
    ):
        lines += ["", f"## {title}", ""]
        lines += _table([c for c in claims if c.kind == kind], header, prefix, True)
    lines += ["", "## Measurements of the suite (no claim of the paper)", ""]
    measured = [c for c in claims if c.kind == MEASUREMENT]
    lines += _table(measured, [h for h in header if h != "verdict"], "M", False)
    lines += ["", "## Missing evidence", ""]
    lines += [f"- {rel}" for rel in missing] or ["- none"]
    (out / "claims.md").write_text("\n".join(lines) + "\n")
