"""``verify-dp``: is the paper's DP (Algorithms 1-2, ``dp-paper``) optimal for BLS?

The campaign draws random BLS instances from named *instance classes* (each
reproducible from its class name and seed), solves each with ``dp-paper``,
``dp`` and the exact ground truth (``exhaustive``; ``bruteforce`` where K <= 7;
``milp``/``cpsat``/``cpsat-seq`` on a subsample, with the time limit), and then,
per instance:

* compares ``dp-paper`` with the proven optimum, and its own claimed value
  ``f(M, T)`` (Outcome info ``dp_value``) with what its schedule serves;
* on tiny instances, enumerates every optimal schedule and tests Theorems 2.1,
  2.2, 3 and Corollary 1 under both readings (:mod:`experiments.theorems`);
* for every instance where ``dp-paper`` serves fewer users than the optimum,
  diagnoses the cause (:func:`diagnose`), shrinks the instance to the smallest
  one that still shows the gap (:mod:`experiments.shrink`), and saves both under
  ``DIR/counterexamples/`` with an ``index.csv``.

Outputs: ``DIR/results.csv`` (runner rows, long format), ``DIR/instances/``
(every instance file), ``DIR/analysis.csv`` (one row per instance), and
``DIR/report.md``.
"""

from __future__ import annotations

import csv
import dataclasses
import importlib.util
import math
import multiprocessing
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from experiments import shrink as shrinking
from experiments import theorems
from experiments.context import RunContext, resolve
from experiments.runner import Progress, Task, read_rows, run_tasks
from instances.generators import tiny
from instances.io import load_instance, save_instance
from instances.model import Block, Instance
from instances.schedule import evaluate
from instances.structure import analyze
from solvers import registry
from solvers.costs import cost_table
from solvers.result import Options

EXACT = ("bruteforce", "exhaustive", "dp", "cpsat-seq", "cpsat", "milp")
"""Exact methods, most trusted first (the ground truth is the first that proved)."""

SOLVERS = ("milp", "cpsat", "cpsat-seq")

# -- instance classes ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InstanceClass:
    """A family of small random BLS instances with explicit knobs.

    Parameters
    ----------
    models
        ``"few"``: 2-3 clusters of 1-2 models; ``"many"``: 1-2 clusters of 3-5.
    depths
        ``"equal"``: every model of a cluster shares the same depth l_i;
        ``"distinct"``: depths drawn from 1..W_m, not all equal.
    deadline
        ``"tight"``: 15-35 % of the time needed to serve everyone; ``"loose"``:
        50-85 %.
    slots
        T, the deadline in slots (slot_s = deadline_s / T).
    """

    models: str
    depths: str
    deadline: str
    slots: int

    @property
    def name(self) -> str:
        return f"{self.models}-{self.depths}-{self.deadline}-T{self.slots}"


GRID = tuple(
    InstanceClass(m, d, t, s)
    for m in ("few", "many")
    for d in ("equal", "distinct")
    for t in ("tight", "loose")
    for s in (5, 20, 70)
)
CLASSES: dict[str, InstanceClass] = {c.name: c for c in GRID}
GENERATED = {
    # tiny.generate's own BLS instances (1-7 users, 1-4 models).
    "tiny": lambda seed: _tiny(seed),
    # The paper's Fig. 9 scale: K = 20, I = 5, T = 200 ms, 10 ms slots.
    "fig9": lambda seed: _bls(seed, num_users=20, num_models=5, deadline_s=0.2),
    # The paper's default scale (Fig. 6): K = 80, I = 50, T = 700 ms.
    "paper": lambda seed: _bls(seed, num_users=80, num_models=50, deadline_s=0.7),
}


def _tiny(seed: int) -> Instance:
    return tiny.generate(seed, "bls", name=f"vdp-tiny-s{seed}")


def _bls(seed: int, **params: Any) -> Instance:
    from instances.generators import bls

    label = "fig9" if params["num_models"] == 5 else "paper"
    return bls.generate(seed=seed, slot_s=0.01, name=f"vdp-{label}-s{seed}", **params)


def class_names() -> list[str]:
    """Return every known class name: the grid, then the generated ones."""
    return [*CLASSES, *GENERATED]


def build(cls: str, seed: int) -> Instance:
    """Return the instance of class ``cls`` drawn with ``seed`` (deterministic)."""
    if cls in GENERATED:
        return GENERATED[cls](seed)
    if cls not in CLASSES:
        raise ValueError(
            f'class: unknown instance class "{cls}" (known: {class_names()})'
        )
    spec = CLASSES[cls]
    rng = np.random.default_rng([seed, sum(map(ord, cls))])
    if spec.models == "few":
        num_clusters, per_cluster = int(rng.integers(2, 4)), (1, 3)
    else:
        num_clusters, per_cluster = int(rng.integers(1, 3)), (3, 6)

    blocks: list[Block] = []

    def block(prefix: str) -> str:
        blocks.append(Block(f"{prefix}{len(blocks)}", float(rng.uniform(1.0, 10.0))))
        return blocks[-1].id

    model_blocks = []
    for c in range(num_clusters):
        size = int(rng.integers(*per_cluster))
        if spec.depths == "equal":
            trunk = [block(f"w{c}.") for _ in range(int(rng.integers(1, 4)))]
            depths = [len(trunk)] * size
        else:
            trunk = [block(f"w{c}.") for _ in range(int(rng.integers(2, 5)))]
            depths = [int(d) for d in rng.integers(1, len(trunk) + 1, size)]
            if size > 1 and len(set(depths)) == 1:
                depths[0] = depths[0] % len(trunk) + 1
        for depth in depths:
            own = [block("u") for _ in range(int(rng.integers(1, 3)))]
            model_blocks.append(trunk[:depth] + own)

    models, loading, users = tiny.random_parts(rng, model_blocks, (3, 10))
    draft = Instance(
        f"vdp-{cls}-s{seed}",
        1.0,
        1.0,
        tiny.BANDWIDTH_HZ,
        loading,
        tuple(blocks),
        tuple(models),
        tuple(users),
    )
    # Time to serve everyone: load every block once, plus each model's users.
    work = loading.time(draft.block_sizes.sum()) + sum(
        cost_table(draft, i, Options().bandwidth)[-1] for i in range(len(models))
    )
    share = (
        rng.uniform(0.15, 0.35) if spec.deadline == "tight" else rng.uniform(0.5, 0.85)
    )
    deadline = float(work * share)
    return dataclasses.replace(draft, deadline_s=deadline, slot_s=deadline / spec.slots)


# -- ground truth and diagnosis -----------------------------------------------------


def _available(method: str) -> bool:
    return importlib.util.find_spec(registry.METHODS[method].module) is not None


def _served(
    method: str, instance: Instance, options: Options | None = None
) -> int | None:
    """Return what ``method`` serves, or None when it refuses the instance."""
    options = options or Options()
    if not _available(method) or registry.supports(method, instance, options):
        return None
    return registry.run(method, instance, options).served


def shows_gap(instance: Instance) -> bool:
    """Return whether ``dp-paper`` serves fewer users than the exact ``dp``."""
    paper = _served("dp-paper", instance)
    best = _served("dp", instance)
    return paper is not None and best is not None and paper < best


def shows_eq19_loss(instance: Instance) -> bool:
    """Return whether dp-paper serves less than its own slotted optimum (cause eq19)."""
    paper = _served("dp-paper", instance)
    return paper is not None and paper < slotted_optimum(instance)


def _truth(instance: Instance) -> tuple[int, str]:
    """Return the optimum and the exact method that proved it (most trusted first)."""
    for method in ("bruteforce", "exhaustive", "dp"):
        served = _served(method, instance)
        if served is not None:
            return served, method
    raise ValueError(f"{instance.name}: no exact method applies")


def slot_demand(instance: Instance, schedule) -> int:
    """Return the slots a slotted DP needs for ``schedule``: per model run, rounded up.

    Algorithm 2 gives each model a whole number of slots, which must hold the
    model's loading, uploads and computing (eq. 15); a schedule needing more
    than T slots in total is out of the DP's reach, however long its slack.
    """
    timeline = evaluate(instance, schedule).timeline
    runs: list[float] = []
    previous = None
    for batch in timeline:
        duration = batch.end_s - batch.start_s
        if batch.model == previous:
            runs[-1] += duration
        else:
            runs.append(duration)
        previous = batch.model
    return sum(math.ceil(d / instance.slot_s * (1 - 1e-9)) for d in runs)


def paper_value(instance: Instance, eq19_conditions: bool = True) -> int:
    """Return f(M, T) of Algorithm 2, with the two conditions of eq. (19) on or off.

    With the conditions this is dp-paper's own claimed value (``dp_value``);
    without them a predecessor i^ is allowed wherever g_m(i^, .) is defined, so
    the value may count loads a schedule would not have (the conditions are what
    keep the DP sound).
    """
    from solvers.dp_paper import _tables

    return _tables(instance, Options(), eq19_conditions=eq19_conditions).value


def slotted_optimum(instance: Instance) -> int:
    """Return the exact optimum of the paper's own slotted model (BLS, reuse on).

    The model Algorithm 2 optimises: models of a cluster in ascending l_i
    (Corollary 1); model i loaded after the previously used model i^ of its
    cluster (none: l_0 = 0) takes ceil(Phi(i^, i, n) / slot) whole slots for n
    users (eqs. 15-16, same tolerance as dp-paper); the slots of all used
    models add up to at most T. Solved exactly with the last used model as the
    state: S_t[m] = least slots serving m users with model t the last used of its
    cluster; then clusters are min-plus convolved. If dp-paper serves less than
    this, its DP is not optimal even for its own slotted model.
    """
    from solvers.dp import min_plus
    from solvers.paper_costs import SLOT_RTOL, num_slots, paper_cost_table

    slot = instance.slot_s * (1.0 + SLOT_RTOL)
    total = np.zeros(1)
    for cluster in analyze(instance).clusters:
        shared = instance.block_sizes[list(cluster.shared)]
        prefix = np.concatenate(([0.0], np.cumsum(shared)))
        depth = (0, *cluster.depth)
        ends: list[np.ndarray] = []  # S_t for t = 1..I_m
        for model in cluster.models:
            costs = paper_cost_table(instance, model, Options().bandwidth)
            best = np.full(instance.num_users + 1, np.inf)
            for before, last in enumerate([np.array([0.0]), *ends]):  # 0 = first used
                load = instance.loading.seconds_per_byte * (
                    instance.model_bytes[model] - prefix[depth[before]]
                )
                need = np.ceil((costs + load) / slot)
                need[0] = np.inf  # a used model serves someone
                out, _ = min_plus(last, need)
                best[: len(out)] = np.minimum(best[: len(out)], out[: len(best)])
            ends.append(best)
        profile = np.minimum.reduce(
            [np.r_[0.0, np.full(instance.num_users, np.inf)], *ends]
        )
        total, _ = min_plus(total, profile)
    fits = np.flatnonzero(total <= num_slots(instance))
    return int(fits.max()) if len(fits) else 0


def diagnose(instance: Instance, finer: Iterable[int] = (10, 100)) -> dict[str, Any]:
    """Explain why ``dp-paper`` serves fewer users than the optimum on ``instance``.

    Returns a dict of evidence and ``cause``, the ``+``-joined list of:

    ``slot-rounding``  the exact optimum of the paper's own slotted model
                       (:func:`slotted_optimum`: each model's time rounded up to
                       whole slots) is below the continuous optimum;
    ``eq19``           dp-paper serves less than that slotted optimum: its DP is
                       not optimal for its own model, because eq. (19) admits a
                       predecessor i^ only where g_m(i^, .) > g_m(i^-1, .), and
                       so rejects ties where a schedule ending with i^ is as good;
    ``backtracking``   Algorithm 1's schedule serves less than the DP's own
                       value f(M, T);
    ``other``          none of these.

    The evidence also holds dp-paper on finer slots (``slot/10``, ...), the
    slots the optimal schedule needs once each model's time is rounded up, and
    the DP's value f(M, T) with the eq. (19) conditions dropped
    (:func:`paper_value`).
    """
    paper = registry.run("dp-paper", instance)
    best = registry.run("dp", instance)
    slots = math.floor(instance.deadline_s / instance.slot_s + 1e-9)
    evidence: dict[str, Any] = {
        "paper": paper.served,
        "optimum": best.served,
        "dp_value": paper.info.get("dp_value"),
        "slots": slots,
        "slotted_optimum": slotted_optimum(instance),
        "optimum_slot_demand": slot_demand(instance, best.schedule),
        "without_eq19": paper_value(instance, eq19_conditions=False),
    }
    for factor in finer:
        finer_instance = dataclasses.replace(instance, slot_s=instance.slot_s / factor)
        evidence[f"slot/{factor}"] = _served("dp-paper", finer_instance)
    causes = []
    if evidence["slotted_optimum"] < best.served:
        causes.append("slot-rounding")
    if paper.served < evidence["slotted_optimum"]:
        causes.append("eq19")
    value = evidence["dp_value"]
    if value is not None and value > paper.served:
        causes.append("backtracking")
    evidence["cause"] = "+".join(causes) or "other"
    return evidence


def explain(evidence: dict[str, Any]) -> str:
    """Return a few sentences saying where dp-paper loses users, from ``evidence``."""
    e = evidence
    parts = [f"dp-paper serves {e['paper']}, the optimum is {e['optimum']}."]
    if e["slotted_optimum"] < e["optimum"]:
        parts.append(
            f"Slot rounding: the best schedule of the paper's slotted model serves "
            f"{e['slotted_optimum']}; the optimal schedule needs "
            f"{e['optimum_slot_demand']} slots once each model's time is rounded up, "
            f"T = {e['slots']}."
        )
    if e["paper"] < e["slotted_optimum"]:
        parts.append(
            f"eq. (19): the DP serves less than its own slotted optimum "
            f"{e['slotted_optimum']}; it rejects predecessors i^ with g(i^,.) = "
            f"g(i^-1,.) (ties); without the conditions its value f(M,T) would be "
            f"{e['without_eq19']}."
        )
    if e.get("dp_value") is not None and e["dp_value"] != e["paper"]:
        parts.append(
            f"Backtracking: the DP claims f(M,T) = {e['dp_value']} but Algorithm 1's "
            f"schedule serves {e['paper']}."
        )
    finer = {k: v for k, v in e.items() if k.startswith("slot/") and v is not None}
    if finer:
        shown = ", ".join(f"{v} with slot {k[4:]}" for k, v in finer.items())
        parts.append(f"dp-paper on finer slots serves {shown}.")
    return " ".join(parts)


# -- per-instance analysis (runs in a worker) ---------------------------------------

ANALYSIS_COLUMNS = (
    "instance",
    "cls",
    "seed",
    "num_users",
    "num_models",
    "num_clusters",
    "slots",
    "truth",
    "truth_method",
    "exact_agree",
    "dp",
    "paper",
    "dp_value",
    "loss",
    "loss_rel",
    "value_gap",
    "enum_optimum",
    "num_optimal",
    *(f"{r}_{c}" for c in theorems.CONDITIONS for r in ("some", "every")),
    "cause",
    "shrunk",
    "shrunk_users",
    "shrunk_models",
    "shrunk_blocks",
    "shrunk_cause",
    "shrink_checks",
    "explanation",
    "shrunk_explanation",
)


@dataclass(frozen=True)
class Job:
    """What a worker needs to analyse one instance (small and picklable)."""

    path: str
    cls: str
    seed: int
    exact: dict[str, int]  # served by each exact method that proved optimality
    theorem_max_users: int
    counterexamples: str
    finer: tuple[int, ...]


def analyze_instance(job: Job) -> dict[str, Any]:
    """Return the analysis row of one instance (see :data:`ANALYSIS_COLUMNS`)."""
    instance = load_instance(job.path)
    structure = analyze(instance)
    row: dict[str, Any] = {
        "instance": instance.name,
        "cls": job.cls,
        "seed": job.seed,
        "num_users": instance.num_users,
        "num_models": instance.num_models,
        "num_clusters": len(structure.clusters),
        "slots": math.floor(instance.deadline_s / instance.slot_s + 1e-9),
    }
    truth_method = next((m for m in EXACT if m in job.exact), None)
    if truth_method is None:
        truth, truth_method = _truth(instance)
    else:
        truth = job.exact[truth_method]
    paper = registry.run("dp-paper", instance)
    row.update(
        truth=truth,
        truth_method=truth_method,
        exact_agree=len(set(job.exact.values())) <= 1,
        dp=job.exact.get("dp"),
        paper=paper.served,
        dp_value=paper.info.get("dp_value"),
        loss=truth - paper.served,
        loss_rel=(truth - paper.served) / truth if truth else 0.0,
    )
    if row["dp_value"] is not None:
        row["value_gap"] = row["dp_value"] - paper.served

    if instance.num_users <= job.theorem_max_users:
        check = theorems.check(instance)
        row.update(enum_optimum=check.optimum, num_optimal=check.num_optimal)
        for c in theorems.CONDITIONS:
            row[f"some_{c}"], row[f"every_{c}"] = check.some[c], check.every[c]

    if paper.served < truth:
        evidence = diagnose(instance, job.finer)
        row["cause"] = evidence["cause"]
        row["explanation"] = explain(evidence)
        out = Path(job.counterexamples)
        out.mkdir(parents=True, exist_ok=True)
        save_instance(instance, out / f"{instance.name}.json")
        # Shrink keeping the cause: an eq19 loss stays an eq19 loss (which implies
        # a gap, as the slotted optimum is feasible in continuous time).
        keeps = shows_eq19_loss if "eq19" in evidence["cause"] else shows_gap
        if keeps(instance):
            small, checks = shrinking.shrink(instance, keeps)
            small = dataclasses.replace(small, name=f"{instance.name}-shrunk")
            small_evidence = diagnose(small, job.finer)
            save_instance(small, out / f"{small.name}.json")
            (out / f"{small.name}.txt").write_text(explain(small_evidence) + "\n")
            row.update(
                shrunk=f"{small.name}.json",
                shrunk_users=small.num_users,
                shrunk_models=small.num_models,
                shrunk_blocks=small.num_blocks,
                shrunk_cause=small_evidence["cause"],
                shrunk_explanation=explain(small_evidence),
                shrink_checks=checks,
            )
    return row


# -- the campaign --------------------------------------------------------------------


def plan(config: dict[str, Any], out: Path) -> tuple[list[Task], list[Job]]:
    """Return the runner tasks and analysis jobs of a campaign (writes instances)."""
    names = config.get("classes") or class_names()
    total = int(config.get("instances", 200))
    per_class = max(1, math.ceil(total / len(names)))
    seed0 = int(config.get("seed", 0))
    limit = config.get("time_limit")
    every = int(config.get("solver_every", 0))
    solver_users = int(config.get("solver_max_users", 12))
    folder = out / "instances"
    folder.mkdir(parents=True, exist_ok=True)
    tasks: list[Task] = []
    jobs: list[Job] = []
    count = 0
    for j in range(per_class):
        for cls in names:
            if count >= total:
                break
            seed = seed0 + j
            path = folder / f"vdp-{cls}-s{seed}.json"
            if path.exists():
                instance = load_instance(path)
            else:
                instance = dataclasses.replace(build(cls, seed), name=path.stem)
                save_instance(instance, path)
            methods = ["dp-paper", "dp", "exhaustive"]
            if instance.num_users <= 7:
                methods.append("bruteforce")
            if every and count % every == 0 and instance.num_users <= solver_users:
                methods += SOLVERS
            tags = {"cls": cls, "class_seed": seed}
            for method in methods:
                if not _available(method):
                    continue
                options = {"threads": 1}
                if method in SOLVERS and limit:
                    options["time_limit"] = float(limit)
                tasks.append(
                    Task(
                        f"verify-dp|{path.stem}|{method}",
                        "file",
                        {"path": str(path)},
                        method,
                        options,
                        tags,
                    )
                )
            jobs.append(
                Job(
                    str(path),
                    cls,
                    seed,
                    {},
                    int(config.get("theorem_max_users", 6)),
                    str(out / "counterexamples"),
                    tuple(config.get("finer_slots", (10, 100))),
                )
            )
            count += 1
    return tasks, jobs


def run(config: dict[str, Any], out: Path, ctx: RunContext) -> None:
    """Run the campaign into ``out`` (resumable) and write ``out/report.md``."""
    config = resolve(config, ctx)
    tasks, jobs = plan(config, out)
    rows = run_tasks(tasks, out / "results.csv", ctx, extra_columns=("dp_value",))

    exact: dict[str, dict[str, int]] = defaultdict(dict)
    for row in rows:
        if row["method"] in EXACT and row["status"] == "optimal":
            exact[row["instance"]][row["method"]] = int(row["served"])
    jobs = [
        dataclasses.replace(job, exact=exact.get(Path(job.path).stem, {}))
        for job in jobs
    ]
    analysis = _analyse(jobs, out / "analysis.csv", ctx)
    _write_index(analysis, out / "counterexamples")
    (out / "report.md").write_text(report(config, rows, analysis, ctx))


def _analyse(jobs: list[Job], path: Path, ctx: RunContext) -> list[dict[str, Any]]:
    """Run :func:`analyze_instance` on jobs not yet in ``path``; return all rows."""
    done = {row["instance"]: row for row in read_rows(path)}
    pending = [job for job in jobs if Path(job.path).stem not in done]
    new = not path.exists()
    with path.open("a", newline="") as handle:
        writer = csv.DictWriter(handle, ANALYSIS_COLUMNS, extrasaction="ignore")
        if new:
            writer.writeheader()
        progress = Progress(
            len(pending), f"{ctx.name} analysis", ctx.progress and bool(pending)
        )
        if ctx.workers <= 1 or len(pending) <= 1:
            results: Iterable[dict[str, Any]] = map(analyze_instance, pending)
            pool = None
        else:
            pool = multiprocessing.get_context("forkserver").Pool(
                min(ctx.workers, len(pending))
            )
            results = pool.imap_unordered(analyze_instance, pending)
        try:
            for row in results:
                writer.writerow({k: "" if v is None else v for k, v in row.items()})
                handle.flush()
                progress.update()
        finally:
            if pool is not None:
                pool.terminate()
                pool.join()
    by_name = {row["instance"]: row for row in read_rows(path)}
    return [
        by_name[Path(job.path).stem] for job in jobs if Path(job.path).stem in by_name
    ]


def _write_index(analysis: list[dict[str, Any]], folder: Path) -> None:
    """Write ``counterexamples/index.csv``: one row per instance dp-paper loses on."""
    lost = [row for row in analysis if (row.get("loss") or 0) > 0]
    if not lost:
        return
    folder.mkdir(parents=True, exist_ok=True)
    columns = (
        "instance",
        "cls",
        "file",
        "num_users",
        "num_models",
        "truth",
        "paper",
        "loss",
        "cause",
        "shrunk",
        "shrunk_users",
        "shrunk_models",
        "shrunk_blocks",
        "shrunk_cause",
        "explanation",
        "shrunk_explanation",
    )
    with (folder / "index.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, columns, extrasaction="ignore")
        writer.writeheader()
        for row in lost:
            writer.writerow({**row, "file": f"{row['instance']}.json"})


# -- report ---------------------------------------------------------------------------


def summarize(analysis: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Return per-class (and ``all``) loss statistics of dp-paper."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in analysis:
        groups[row["cls"]].append(row)
        groups["all"].append(row)
    out = {}
    for cls, rows in groups.items():
        loss = np.array([r["loss"] for r in rows], dtype=float)
        rel = np.array([r["loss_rel"] for r in rows], dtype=float)
        lost = loss > 0
        out[cls] = {
            "instances": len(rows),
            "lost": int(lost.sum()),
            "lost_share": float(lost.mean()),
            "mean_loss": float(loss.mean()),
            "max_loss": int(loss.max()),
            "mean_rel": float(rel.mean()),
            "mean_rel_lost": float(rel[lost].mean()) if lost.any() else 0.0,
            "max_rel": float(rel.max()),
            "value_gap": int(sum(1 for r in rows if (r.get("value_gap") or 0) != 0)),
        }
    return out


def theorem_summary(analysis: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Return per condition: instances checked, some-fails and every-fails counts."""
    checked = [r for r in analysis if r.get("num_optimal") is not None]
    return {
        c: {
            "checked": len(checked),
            "some_fails": sum(1 for r in checked if r[f"some_{c}"] is False),
            "every_fails": sum(1 for r in checked if r[f"every_{c}"] is False),
        }
        for c in theorems.CONDITIONS
    }


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    from solvers.report import table

    return table(headers, rows, markdown=True)


def report(
    config: dict[str, Any],
    rows: list[dict[str, Any]],
    analysis: list[dict[str, Any]],
    ctx: RunContext,
) -> str:
    """Return the Markdown report of the campaign."""
    stats = summarize(analysis)
    lines = [
        "# verify-dp: is the paper's DP (Algorithm 2) optimal for BLS?",
        "",
        f"{len(analysis)} instances over {len(stats) - 1} classes, base seed "
        f"{config.get('seed', 0)}; ground truth = the first exact method that proved "
        f"optimality in the order {', '.join(EXACT)}. Machine: {ctx.machine()}.",
        "",
    ]
    errors = [r for r in rows if r["status"] == "error"]
    disagree = [r["instance"] for r in analysis if r.get("exact_agree") is False]
    enum_bad = [
        r["instance"]
        for r in analysis
        if r.get("enum_optimum") is not None and r["enum_optimum"] != r["truth"]
    ]
    lines += [
        "## Ground truth consistency",
        "",
        f"- exact methods disagreeing on an instance: {len(disagree)} {disagree[:5]}",
        f"- enumerated optimum != ground truth: {len(enum_bad)} {enum_bad[:5]}",
        f"- runner errors: {len(errors)}"
        + "".join(f"\n  - {r['key']}: {r['error'][:200]}" for r in errors[:5]),
        "",
        "## dp-paper against the optimum, by class",
        "",
        "loss = optimum - served by dp-paper; relative = loss / optimum. 'DP value "
        "!= served' counts instances where the DP's own f(M,T) differs from what its "
        "schedule serves.",
        "",
    ]
    order = [c for c in class_names() if c in stats] + ["all"]
    lines.append(
        _table(
            [
                "class",
                "instances",
                "dp-paper < opt",
                "share",
                "mean loss",
                "max loss",
                "mean rel. loss",
                "mean rel. (losing)",
                "max rel.",
                "DP value != served",
            ],
            [
                [
                    c,
                    s["instances"],
                    s["lost"],
                    f"{s['lost_share']:.1%}",
                    f"{s['mean_loss']:.2f}",
                    s["max_loss"],
                    f"{s['mean_rel']:.1%}",
                    f"{s['mean_rel_lost']:.1%}",
                    f"{s['max_rel']:.1%}",
                    s["value_gap"],
                ]
                for c in order
                for s in [stats[c]]
            ],
        )
    )
    lost = [r for r in analysis if (r.get("loss") or 0) > 0]
    causes: dict[str, int] = defaultdict(int)
    for r in lost:
        causes[r.get("cause") or "?"] += 1
    lines += ["", "## Causes (automatic diagnosis)", ""]
    lines.append(
        _table(["cause", "counterexamples"], sorted(causes.items()))
        if causes
        else "No counterexample."
    )
    lines += [
        "",
        "Causes: `slot-rounding` = the exact optimum of the paper's own slotted "
        "model (each model's time rounded up to whole slots, models in Corollary 1 "
        "order) is below the continuous optimum; `eq19` = dp-paper serves less than "
        "that slotted optimum (its DP rejects tied predecessors, eq. (19)); "
        "`backtracking` = Algorithm 1's schedule serves less than f(M,T); `other` = "
        "none of these.",
        "",
        "## Counterexamples (shrunk)",
        "",
    ]

    # Rarer causes first, then the smallest shrunk instances.
    def rank(r: dict[str, Any]) -> tuple:
        return (
            causes[r.get("cause") or "?"],
            r.get("shrunk_users") or 99,
            r["instance"],
        )

    for r in sorted(lost, key=rank)[:15]:
        lines.append(
            f"- `{r['instance']}` ({r['cls']}): loss {r['loss']}, "
            f"cause {r.get('cause')}; "
            f"shrunk to `{r.get('shrunk')}` (K={r.get('shrunk_users')}, "
            f"I={r.get('shrunk_models')}, J={r.get('shrunk_blocks')}, cause "
            f"{r.get('shrunk_cause')}). Original: {r.get('explanation') or ''} "
            f"Shrunk: {r.get('shrunk_explanation') or '-'}"
        )
    if len(lost) > 15:
        lines.append(f"- ... {len(lost) - 15} more in counterexamples/index.csv")
    summary = theorem_summary(analysis)
    lines += [
        "",
        "## Theorems 2, 3 and Corollary 1 against brute force",
        "",
        "For each tiny instance every optimal schedule is enumerated. 'some fails' = "
        "no optimal schedule satisfies the condition (it is NOT without loss of "
        "optimality); 'every fails' = some optimal schedule violates it (it is not a "
        "necessary condition, as the paper's 'X* must satisfy' states).",
        "",
    ]
    lines.append(
        _table(
            ["condition", "instances", "some fails", "every fails"],
            [
                [c, s["checked"], s["some_fails"], s["every_fails"]]
                for c, s in summary.items()
            ],
        )
    )
    lines.append("")
    return "\n".join(lines)
