"""``partialloading bench``: run methods on PLIB-1 (or instance files) and compare them.

:func:`run` turns (instances x methods x solver seeds) into runner tasks, runs
them with :func:`experiments.runner.run_tasks` (resumable, parallel, Dask), keeps
every schedule in ``OUT/schedules/``, scores each row against the best-known
table (:mod:`instances.benchmark.best`) and writes the tables, the performance
profile and ``report.md`` (:mod:`experiments.bench_report`). ``--update-best``
(:func:`experiments.bench_best.update`) then records new best values, each only
after the evaluator confirms its schedule file.

Row scoring (docs/benchmark.md): the reference bound of an instance is the
best-known bound, lowered by any bound proven in this run by a registered exact
method; ``gap = (bound - served) / max(1, served)``, the formula of
:attr:`solvers.result.Result.gap`. A user's method may print any bound, so its
bounds are shown but never trusted.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from experiments.runner import Task, run_one, run_tasks
from instances import benchmark
from instances.benchmark import best as best_table

if TYPE_CHECKING:
    from experiments.context import RunContext


@dataclass(frozen=True)
class Target:
    """One instance to bench on: a library entry, or an instance file."""

    name: str
    cls: str
    entry: benchmark.Entry | None = None
    path: Path | None = None
    record: best_table.Record | None = None

    def instance(self):
        """Return the instance (loaded, or generated from the library recipe)."""
        from instances.io import load_instance

        if self.entry is not None:
            return benchmark.instance(self.entry)
        return load_instance(self.path)


@dataclass(frozen=True)
class Settings:
    """What to run: methods, solver seeds and the time limit per run."""

    methods: tuple[str, ...]
    seeds: int = 1
    time_limit: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.methods:
            raise ValueError("methods: give at least one method")
        if self.seeds < 1:
            raise ValueError(f"seeds: must be >= 1, got {self.seeds!r}")
        if self.time_limit is not None and not self.time_limit > 0:
            raise ValueError(f"time_limit: must be > 0, got {self.time_limit!r}")


def check_methods(methods: list[str]) -> tuple[str, ...]:
    """Return the method names, after checking each (user methods are imported).

    Raises
    ------
    ValueError
        Naming the first unknown method or unloadable ``module:function``.
    """
    from solvers import registry, user

    for name in methods:
        if ":" in name:
            user.load(name)
        elif name not in registry.METHODS:
            known = ", ".join(registry.METHODS)
            raise ValueError(
                f'methods: unknown method "{name}" (known: {known}, '
                "or package.module:function)"
            )
    if len(set(methods)) != len(methods):
        raise ValueError(f"methods: listed twice in {','.join(methods)}")
    return tuple(methods)


def targets(words: list[str], table: str | Path | None = None) -> list[Target]:
    """Return the targets named by ``words``: library classes/instances or files.

    A word that is an existing file is an instance file; anything else must name
    a PLIB-1 class, a PLIB-1 instance, or ``PLIB-1``/``all``.
    """
    records = best_table.read(table or benchmark.BEST)
    found: dict[str, Target] = {}
    for word in words:
        if Path(word).is_file():
            from instances.io import load_instance

            name = load_instance(word).name
            found[name] = Target(name, "file", path=Path(word))
            continue
        for entry in benchmark.select([word]):
            record = records.get(entry.name)
            if record and entry.committed and record.digest != benchmark.digest(entry):
                record = None  # made on another version of the file: stale
            found[entry.name] = Target(entry.name, entry.cls, entry, record=record)
    if not found:
        raise ValueError("instances: give at least one instance, class or PLIB-1")
    return list(found.values())


def tasks(found: list[Target], settings: Settings) -> list[Task]:
    """Return one runner task per target x method x solver seed."""
    result = []
    for target in found:
        if target.entry is not None and not target.entry.path.is_file():
            generator, params = target.entry.generator, target.entry.params
        else:
            path = target.entry.path if target.entry else target.path
            generator, params = "file", {"path": str(path)}
        for method in settings.methods:
            for seed in range(settings.seeds):
                limit = settings.time_limit
                options = dict(time_limit=limit, seed=seed, threads=1, **settings.extra)
                key = f"{target.name}|{method}|seed={seed}|limit={limit}"
                tags = dict(experiment="bench", cls=target.cls, target=target.name)
                result.append(Task(key, generator, params, method, options, tags))
    return result


def schedule_file(directory: Path, key: str) -> Path:
    """Return where the schedule of the run ``key`` is kept."""
    return directory / (re.sub(r"[^A-Za-z0-9._=-]+", "_", key) + ".json")


def keep_schedule(task: Task, instance, result, directory: str) -> None:
    """Write the schedule file of a finished run (in the worker)."""
    from instances.io import write_json

    write_json(schedule_file(Path(directory), task.key), result.to_dict(instance))


def execute(
    found: list[Target], settings: Settings, out: Path, ctx: RunContext
) -> list[dict[str, Any]]:
    """Run the tasks not yet in ``out/results.csv``; return the rows of all of them."""
    schedules = out / "schedules"
    schedules.mkdir(parents=True, exist_ok=True)
    keep = functools.partial(keep_schedule, directory=str(schedules))
    work = functools.partial(run_one, keep=keep)
    return run_tasks(tasks(found, settings), out / "results.csv", ctx, execute=work)


@dataclass(frozen=True)
class BenchRun:
    """What a bench run produced: scored runs, per-method summary, table changes."""

    scored: list[dict[str, Any]]
    summary: list[dict[str, Any]]
    changes: list[str]


def run(
    words: list[str],
    settings: Settings,
    out: Path | None,
    ctx: RunContext,
    update_best: bool = False,
    table: Path | None = None,
    command: str = "",
) -> BenchRun:
    """Run ``settings.methods`` on the instances named by ``words``.

    With ``out`` None (``compare``), results go to a temporary directory and no
    report is written. ``table`` is the best-known table (default PLIB-1's).
    """
    import tempfile

    from experiments import bench_best, bench_report

    table = Path(table or benchmark.BEST)
    found = targets(words, table)
    with tempfile.TemporaryDirectory() as scratch:
        where = Path(scratch) if out is None else out
        rows = execute(found, settings, where, ctx)
        for row in rows:
            row["target"] = str(row["target"])
        scored = bench_report.score(rows, found)
        records = bench_report.summary(scored, settings)
        if out is not None:
            header = dict(
                command=command,
                machine=ctx.machine(),
                instances=" ".join(words),
                methods=list(settings.methods),
                time_limit=settings.time_limit,
                seeds=settings.seeds,
                table=str(table),
            )
            bench_report.write(out, scored, settings, header)
        changes = (
            bench_best.update(scored, found, where / "schedules", table)
            if update_best
            else []
        )
    return BenchRun(scored, records, changes)
