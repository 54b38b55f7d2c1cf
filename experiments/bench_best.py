"""``bench --update-best``: record new best values and bounds in the PLIB-1 table.

A new best value is recorded only after :func:`instances.schedule_io.verify_file`
finds its schedule file feasible and serving exactly the claimed number; the
file is then copied next to the table, so that ``partialloading verify``
checks the claim. A new bound is recorded only from a registered exact method
(a user's method may print any bound), and never below the best value.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from experiments.bench import Target, schedule_file
from experiments.bench_report import is_exact
from instances import benchmark
from instances.benchmark import best as best_table

if TYPE_CHECKING:
    from collections.abc import Sequence


def _fresh(entry: benchmark.Entry, instance, digest: str) -> best_table.Record:
    """Return the first record of an instance: the quick bound only."""
    from instances.info import served_bounds

    return best_table.Record(
        entry.name,
        entry.cls,
        instance.num_users,
        instance.num_models,
        digest,
        best_bound=served_bounds(instance)[1],
        bound_method=best_table.INFO_BOUND,
        bound_time_s=0.0,
    )


def _better(record: best_table.Record, run: dict[str, Any]) -> bool:
    """Whether ``run`` may improve ``record`` (to be confirmed by _improve)."""
    served, bound = run["served"], run["method_bound"]
    return (served is not None and served > (record.best_served or -1)) or (
        bound is not None
        and is_exact(run["method"])
        and (record.best_bound is None or bound < record.best_bound)
    )


def _improve(record, runs, instance, schedules: Path, library: Path, log):
    """Return ``record`` with the best verified value and exact bound of ``runs``."""
    from instances.schedule_io import verify_file

    served = [r for r in runs if r["served"] is not None]
    for run in sorted(served, key=lambda r: (-r["served"], r["time_s"])):
        if record.best_served is not None and run["served"] <= record.best_served:
            break
        source = schedule_file(schedules, run["key"])
        evaluation, problems = verify_file(instance, str(source))
        if problems or evaluation.served != run["served"]:
            log(f"{record.instance}: {run['method']} schedule not verified; ignored")
            continue
        target = library / "schedules" / f"{record.instance}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        record = dataclasses.replace(
            record,
            best_served=run["served"],
            served_method=run["method"],
            served_time_s=run["time_s"],
            schedule=str(target.relative_to(library)),
        )
        break
    floor = record.best_served or 0
    bounded = [
        r for r in runs if r["method_bound"] is not None and is_exact(r["method"])
    ]
    for run in sorted(bounded, key=lambda r: (r["method_bound"], r["time_s"])):
        if record.best_bound is not None and run["method_bound"] >= record.best_bound:
            break
        if run["method_bound"] < floor:
            log(f"{record.instance}: {run['method']} bound below best value; ignored")
            continue
        record = dataclasses.replace(
            record,
            best_bound=run["method_bound"],
            bound_method=run["method"],
            bound_time_s=run["time_s"],
        )
        break
    return record


def update(
    scored: Sequence[dict[str, Any]],
    found: Sequence[Target],
    schedules: Path,
    table: Path = benchmark.BEST,
    log=print,
) -> list[str]:
    """Record the run's verified improvements in ``table``; return what changed."""
    records = best_table.read(table)
    changes = []
    for target in found:
        entry = target.entry
        if entry is None:
            continue  # not a library instance: nothing to record
        runs = [r for r in scored if r["instance"] == target.name]
        old = records.get(target.name)
        digest = benchmark.digest(entry)
        if old is not None and old.digest != digest:
            log(f"{target.name}: the instance changed; its old record is dropped")
            old = None
        if old is not None and not any(_better(old, r) for r in runs):
            continue  # skip loading the instance (seconds at K = 100,000)
        instance = target.instance()
        new = _improve(
            old or _fresh(entry, instance, digest), runs, instance, schedules,
            Path(table).parent, log,
        )  # fmt: skip
        if new != old:
            records[target.name] = new
            changes.append(
                f"{target.name}: served {new.best_served} ({new.served_method}), "
                f"bound {new.best_bound} ({new.bound_method}), {new.status}"
            )
    best_table.write(records, table)
    return changes
