"""Why does ``dp-paper`` lose users? Diagnosis, and the per-instance analysis task.

:func:`diagnose` compares dp-paper with the continuous optimum (``dp``) and with
the exact optimum of the paper's own slotted model
(:func:`solvers.dp_paper.dp_value` with ``predecessors="last-used"``), and
names the cause. :class:`AnalysisTask` is one instance of the verify-dp
campaign; :func:`analyze` (run by :func:`experiments.runner.run_tasks`, like
any task) returns its row of :data:`COLUMNS`: the ground truth, dp-paper's
loss, the theorem checks on tiny instances, and for every loss the diagnosis
and a shrunk counterexample saved under the campaign's ``counterexamples/``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from experiments import shrink as shrinking
from experiments import theorems
from instances.io import load_instance, save_instance
from instances.schedule import evaluate
from instances.structure import analyze as structure_of
from solvers import registry
from solvers.dp_paper import dp_value
from solvers.paper_costs import num_slots
from solvers.result import Options

if TYPE_CHECKING:
    from collections.abc import Iterable

    from instances.model import Instance

EXACT = ("bruteforce", "exhaustive", "dp", "cpsat-seq", "cpsat", "milp")
"""Exact methods, most trusted first (the ground truth is the first that proved)."""


def _served(
    method: str, instance: Instance, options: Options | None = None
) -> int | None:
    """Return what ``method`` serves, or None when it refuses the instance."""
    options = options or Options()
    if registry.supports(method, instance, options):
        return None
    return registry.run(method, instance, options).served


def shows_gap(instance: Instance) -> bool:
    """Return whether ``dp-paper`` serves fewer users than the exact ``dp``."""
    paper = _served("dp-paper", instance)
    best = _served("dp", instance)
    return paper is not None and best is not None and paper < best


def slotted_optimum(instance: Instance) -> int:
    """Return the exact optimum of the paper's own slotted model (BLS, reuse on)."""
    return dp_value(instance, predecessors="last-used")


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
    runs: list[float] = []
    previous = None
    for batch in evaluate(instance, schedule).timeline:
        duration = batch.end_s - batch.start_s
        if batch.model == previous:
            runs[-1] += duration
        else:
            runs.append(duration)
        previous = batch.model
    return sum(math.ceil(d / instance.slot_s * (1 - 1e-9)) for d in runs)


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
    the DP's value f(M, T) with the eq. (19) conditions dropped.
    """
    paper = registry.run("dp-paper", instance)
    best = registry.run("dp", instance)
    evidence: dict[str, Any] = {
        "paper": paper.served,
        "optimum": best.served,
        "dp_value": paper.info.get("dp_value"),
        "slots": num_slots(instance),
        "slotted_optimum": slotted_optimum(instance),
        "optimum_slot_demand": slot_demand(instance, best.schedule),
        "without_eq19": dp_value(instance, predecessors="any"),
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


# -- the per-instance analysis task -----------------------------------------------

COLUMNS = (
    "key", "instance", "cls", "seed", "num_users", "num_models", "num_clusters",
    "slots", "truth", "truth_method", "exact_agree", "dp", "paper", "dp_value",
    "loss", "loss_rel", "value_gap", "enum_optimum", "num_optimal",
    *(f"{r}_{c}" for c in theorems.CONDITIONS for r in ("some", "every")),
    "cause", "shrunk", "shrunk_users", "shrunk_models", "shrunk_blocks",
    "shrunk_cause", "shrink_checks", "explanation", "shrunk_explanation",
    "status", "error",
)  # fmt: skip
"""Columns of ``analysis.csv``, one row per instance; ``status`` is empty, or
``crashed`` when the analysis raised (``error`` holds the message)."""


@dataclass(frozen=True)
class AnalysisTask:
    """What a worker needs to analyse one instance (small and picklable)."""

    key: str
    path: str
    cls: str
    seed: int
    exact: dict[str, int]  # served by each exact method that proved optimality
    theorem_max_users: int
    counterexamples: str
    finer: tuple[int, ...]


def analyze(task: AnalysisTask) -> dict[str, Any]:
    """Return the analysis row of one instance (see :data:`COLUMNS`)."""
    instance = load_instance(task.path)
    row: dict[str, Any] = {
        "key": task.key,
        "instance": instance.name,
        "cls": task.cls,
        "seed": task.seed,
        "num_users": instance.num_users,
        "num_models": instance.num_models,
        "num_clusters": len(structure_of(instance).clusters),
        "slots": num_slots(instance),
    }
    truth_method = next((m for m in EXACT if m in task.exact), None)
    if truth_method is None:
        truth, truth_method = _truth(instance)
    else:
        truth = task.exact[truth_method]
    paper = registry.run("dp-paper", instance)
    row.update(
        truth=truth,
        truth_method=truth_method,
        exact_agree=len(set(task.exact.values())) <= 1,
        dp=task.exact.get("dp"),
        paper=paper.served,
        dp_value=paper.info.get("dp_value"),
        loss=truth - paper.served,
        loss_rel=(truth - paper.served) / truth if truth else 0.0,
    )
    if row["dp_value"] is not None:
        row["value_gap"] = row["dp_value"] - paper.served
    if instance.num_users <= task.theorem_max_users:
        check = theorems.check(instance)
        row.update(enum_optimum=check.optimum, num_optimal=check.num_optimal)
        for c in theorems.CONDITIONS:
            row[f"some_{c}"], row[f"every_{c}"] = check.some[c], check.every[c]
    if paper.served < truth:
        row.update(_counterexample(instance, task))
    return row


def _counterexample(instance: Instance, task: AnalysisTask) -> dict[str, Any]:
    """Diagnose a loss, save the instance and its shrunk form; return the columns."""
    evidence = diagnose(instance, task.finer)
    row = {"cause": evidence["cause"], "explanation": explain(evidence)}
    out = Path(task.counterexamples)
    out.mkdir(parents=True, exist_ok=True)
    save_instance(instance, out / f"{instance.name}.json")
    # Shrink keeping the cause: an eq19 loss stays an eq19 loss (which implies a
    # gap, as the slotted optimum is feasible in continuous time).
    keeps = shows_eq19_loss if "eq19" in evidence["cause"] else shows_gap
    if not keeps(instance):
        return row
    small, checks = shrinking.shrink(instance, keeps)
    small = dataclasses.replace(small, name=f"{instance.name}-shrunk")
    small_evidence = diagnose(small, task.finer)
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
