"""``verify-dp``: is the paper's DP (Algorithms 1-2, ``dp-paper``) optimal for BLS?

The campaign draws random BLS instances from named *instance classes*
(:mod:`instances.generators.classes`, each reproducible from its class name and
seed), and runs two stages of ordinary runner tasks
(:func:`experiments.runner.run_tasks`: resumable, local pool or Dask):

1. every instance solved by ``dp-paper``, ``dp`` and the exact ground truth
   (``exhaustive``; ``bruteforce`` where K <= 7; ``milp``/``cpsat``/``cpsat-seq``
   on a subsample, with the time limit) -> ``DIR/results.csv``;
2. one analysis task per instance (:mod:`experiments.dp_analysis`): dp-paper
   against the proven optimum and against its own claimed value ``f(M, T)``;
   on tiny instances every optimal schedule enumerated against Theorems 2.1,
   2.2, 3 and Corollary 1 under both readings (:mod:`experiments.theorems`);
   for every loss, the diagnosed cause and the instance shrunk to the smallest
   one that still shows it (:mod:`experiments.shrink`), saved under
   ``DIR/counterexamples/`` -> ``DIR/analysis.csv``.

Outputs: ``DIR/results.csv``, ``DIR/instances/`` (every instance file),
``DIR/analysis.csv``, ``DIR/counterexamples/index.csv`` and ``DIR/report.md``
(:mod:`experiments.verify_report`).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from pathlib import Path
from typing import Any

from experiments import dp_analysis, schema
from experiments.context import RunContext, resolve
from experiments.records import Row, claim_directory, header, read_rows, write_rows
from experiments.runner import Task, run_tasks
from experiments.verify_report import report
from instances.generators.classes import build, class_names
from instances.io import load_instance, save_instance

SOLVERS = ("milp", "cpsat", "cpsat-seq")

INDEX_COLUMNS = [
    "instance", "cls", "file", "num_users", "num_models", "truth", "paper", "loss",
    "cause", "shrunk", "shrunk_users", "shrunk_models", "shrunk_blocks",
    "shrunk_cause", "explanation", "shrunk_explanation",
]  # fmt: skip


def _instance(folder: Path, cls: str, seed: int) -> Path:
    """Return the file of class ``cls``, seed ``seed`` (written unless present)."""
    path = folder / f"vdp-{cls}-s{seed}.json"
    if not path.exists():
        save_instance(dataclasses.replace(build(cls, seed), name=path.stem), path)
    return path


def _solve_tasks(
    path: Path, cls: str, seed: int, solvers: bool, limit: float | None
) -> list[Task]:
    """Return the stage-1 tasks of one instance file."""
    instance = load_instance(path)
    methods = ["dp-paper", "dp", "exhaustive"]
    if instance.num_users <= 7:
        methods.append("bruteforce")
    if solvers:
        methods += SOLVERS
    tasks = []
    for method in methods:
        options: dict[str, Any] = {"threads": 1}
        if method in SOLVERS and limit:
            options["time_limit"] = float(limit)
        tags = {"cls": cls, "class_seed": seed}
        key = f"verify-dp|{path.stem}|{method}"
        tasks.append(Task(key, "file", {"path": str(path)}, method, options, tags))
    return tasks


def plan(
    config: dict[str, Any], out: Path
) -> tuple[list[Task], list[dp_analysis.AnalysisTask]]:
    """Return the solve and analysis tasks of a campaign (writes the instances)."""
    names = config.get("classes") or class_names()
    total = int(config.get("instances", 200))
    seed0 = int(config.get("seed", 0))
    every = int(config.get("solver_every", 0))
    solver_users = int(config.get("solver_max_users", 12))
    folder = out / "instances"
    folder.mkdir(parents=True, exist_ok=True)
    tasks: list[Task] = []
    jobs: list[dp_analysis.AnalysisTask] = []
    for count in range(total):  # round-robin over the classes
        j, cls = divmod(count, len(names))
        seed = seed0 + j
        path = _instance(folder, names[cls], seed)
        solvers = bool(every) and count % every == 0
        solvers = solvers and load_instance(path).num_users <= solver_users
        tasks += _solve_tasks(path, names[cls], seed, solvers, config.get("time_limit"))
        jobs.append(
            dp_analysis.AnalysisTask(
                f"verify-dp|{path.stem}|analysis",
                str(path),
                names[cls],
                seed,
                {},
                int(config.get("theorem_max_users", 6)),
                str(out / "counterexamples"),
                tuple(config.get("finer_slots", (10, 100))),
            )
        )
    return tasks, jobs


def run(config: dict[str, Any], out: Path, ctx: RunContext) -> None:
    """Run the campaign into ``out`` (resumable) and write ``out/report.md``."""
    schema.validate("verify-dp", config, ctx.name)
    config = resolve(config, ctx)
    claim_directory(out, ctx.name, config)
    tasks, jobs = plan(config, out)
    rows = run_tasks(tasks, out / "results.csv", ctx, extra_columns=("dp_value",))
    exact: dict[str, dict[str, int]] = defaultdict(dict)
    for row in rows:
        if row["method"] in dp_analysis.EXACT and row["status"] == "optimal":
            exact[row["instance"]][row["method"]] = int(row["served"])
    jobs = [
        dataclasses.replace(job, exact=exact.get(Path(job.path).stem, {}))
        for job in jobs
    ]
    _add_keys(out / "analysis.csv")
    analysis = run_tasks(
        jobs,
        out / "analysis.csv",
        dataclasses.replace(ctx, name=f"{ctx.name} analysis"),
        columns=dp_analysis.COLUMNS,
        execute=dp_analysis.analyze,
    )
    _write_index(analysis, out / "counterexamples")
    (out / "report.md").write_text(report(config, rows, analysis, ctx))


def _add_keys(path: Path) -> None:
    """Give an analysis.csv of an older run (no ``key`` column) the runner's keys,
    so that a resumed campaign skips the instances it already analysed."""
    if path.exists() and "key" not in header(path):
        rows = [
            {**row, "key": f"verify-dp|{row['instance']}|analysis"}
            for row in read_rows(path)
        ]
        write_rows(path, list(dp_analysis.COLUMNS), rows)


def _write_index(analysis: list[Row], folder: Path) -> None:
    """Write ``counterexamples/index.csv``: one row per instance dp-paper loses on."""
    lost = [row for row in analysis if (row.get("loss") or 0) > 0]
    if not lost:
        return
    folder.mkdir(parents=True, exist_ok=True)
    rows = [{**row, "file": f"{row['instance']}.json"} for row in lost]
    write_rows(folder / "index.csv", INDEX_COLUMNS, rows)
