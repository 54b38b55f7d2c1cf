"""The task runner of every experiment: small descriptors in, one CSV row per task out.

A :class:`Task` is a small, picklable descriptor (generator + kwargs, method +
options, experiment tags); each worker builds its own instance from it, so
nothing large crosses process boundaries. :func:`run_tasks` runs tasks in a
local process pool, in this process (``workers == 1``) or on Dask, appends each
finished row to a CSV at once (flushed: Ctrl-C loses no finished row), skips
tasks whose key is already in the CSV (resume), and shows a progress bar with
ETA on stderr.

Row schema (long format, one row per instance x method x seed)::

    key, experiment, generator, instance, seed, num_users, num_models, method,
    reuse_blocks, bandwidth, time_limit, status, served, served_ratio, bound,
    gap, runtime_s, build_time_s, error, info,
    param_<name> for every generator kwarg, then every tag, then extra columns.

``status`` is a :class:`solvers.result.Status` value, or ``unsupported`` (the
method refused: ``error`` holds its reason) or ``error`` (an exception, incl. a
:class:`solvers.registry.SolverBug`: ``error`` holds the message). ``seed`` is
the generator seed, so ``partialloading generate`` with the row's params and
``partialloading solve`` with its method/options reproduce the row alone.
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
import signal
import sys
import time
import traceback
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from experiments.context import RunContext

BASE_COLUMNS = (
    "key", "experiment", "generator", "instance", "seed", "num_users", "num_models",
    "method", "reuse_blocks", "bandwidth", "time_limit", "status", "served",
    "served_ratio", "bound", "gap", "runtime_s", "build_time_s", "error", "info",
)  # fmt: skip

Row = dict[str, Any]

UNSUPPORTED = "unsupported"
ERROR = "error"


@dataclass(frozen=True)
class Task:
    """One method on one generated instance: everything a worker needs, and small.

    Parameters
    ----------
    key
        Unique, stable row id (e.g. ``"fig6|B=1e8|seed=3|dp"``), used for resume.
    generator
        ``"bls"``, ``"general"``, ``"tiny"`` or ``"file"``.
    params
        Generator kwargs including ``seed`` (for ``"file"``: ``{"path": ...}``).
    method
        A name of :data:`solvers.registry.METHODS`.
    options
        JSON form of :class:`solvers.result.Options`: ``reuse_blocks``,
        ``bandwidth`` (``"optimal"``/``"equal:5"``), ``time_limit``, ``seed``,
        ``threads`` (always 1 in sweeps), optionally ``mip_gap``, ``solver``.
    tags
        Experiment columns (figure, panel, x name and value, ...). A tag
        ``experiment`` fills the column of that name.
    """

    key: str
    generator: str
    params: dict[str, Any]
    method: str
    options: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, Any] = field(default_factory=dict)


def build_instance(task: Task):
    """Return the instance a task describes (built inside the worker)."""
    import importlib

    if task.generator == "file":
        from instances.io import load_instance

        return load_instance(task.params["path"])
    if task.generator not in ("bls", "general", "tiny"):
        raise ValueError(f'generator: unknown generator "{task.generator}"')
    module = importlib.import_module(f"instances.generators.{task.generator}")
    return module.generate(**task.params)


def make_options(options: dict[str, Any]):
    """Return the :class:`solvers.result.Options` of a task's JSON options."""
    from instances.timing import Bandwidth
    from solvers.result import Options

    values = dict(options)
    values["bandwidth"] = Bandwidth.parse(str(values.get("bandwidth", "optimal")))
    return Options(**values)


def run_one(task: Task) -> dict[str, Any]:
    """Run one task and return its row. Never raises: failures become rows."""
    from solvers import registry

    params = task.params
    row: dict[str, Any] = {
        "key": task.key,
        "experiment": task.tags.get("experiment", ""),
        "generator": task.generator,
        "seed": params.get("seed"),
        "method": task.method,
        "reuse_blocks": task.options.get("reuse_blocks", True),
        "bandwidth": task.options.get("bandwidth", "optimal"),
        "time_limit": task.options.get("time_limit"),
        **{f"param_{name}": value for name, value in params.items()},
        **{name: value for name, value in task.tags.items() if name != "experiment"},
    }
    try:
        instance = build_instance(task)
        row.update(
            instance=instance.name,
            num_users=instance.num_users,
            num_models=instance.num_models,
        )
        options = make_options(task.options)
        reason = registry.supports(task.method, instance, options)
        if reason is not None:
            return {**row, "status": UNSUPPORTED, "error": reason}
        result = registry.run(task.method, instance, options)
    except Exception as error:  # a failed task is a row, not a crash
        message = f"{type(error).__name__}: {error}"
        expected = registry.SolverBug | registry.Unsupported | ValueError
        if not isinstance(error, expected):
            message += " | " + traceback.format_exc(limit=-3).replace("\n", " ")
        status = UNSUPPORTED if isinstance(error, registry.Unsupported) else ERROR
        return {**row, "status": status, "error": message}
    return {
        **row,
        "status": result.status.value,
        "served": result.served,
        "served_ratio": result.served_ratio,
        "bound": result.bound,
        "gap": result.gap,
        "runtime_s": result.runtime_s,
        "build_time_s": result.build_time_s,
        "info": json.dumps(result.info, sort_keys=True, default=str)
        if result.info
        else None,
    }


# -- CSV ---------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list | tuple | dict):
        return json.dumps(value)
    return str(value)


# Columns always read back as text (a key or an instance name may look like a number).
TEXT_COLUMNS = frozenset(
    {"key", "experiment", "generator", "instance", "method", "bandwidth", "status"}
    | {"error", "info"}
)


def _parse(text: str) -> Any:
    """Return a CSV cell as None, bool, int, float or str."""
    if text == "":
        return None
    if text in ("True", "False"):
        return text == "True"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def read_rows(csv_path: str | Path) -> list[dict[str, Any]]:
    """Return the rows of a results CSV, typed ('' -> None, numbers, bools)."""
    path = Path(csv_path)
    if not path.exists():
        return []
    with path.open(newline="") as handle:
        return [
            {
                name: (value or None) if name in TEXT_COLUMNS else _parse(value or "")
                for name, value in row.items()
            }
            for row in csv.DictReader(handle)
        ]


def _header(path: Path) -> list[str]:
    if not path.exists() or path.stat().st_size == 0:
        return []
    with path.open(newline="") as handle:
        return next(csv.reader(handle), [])


def _columns(tasks: Sequence[Task], extra_columns: Sequence[str]) -> list[str]:
    """Return the header: base columns, then params, tags and extras (first seen)."""
    seen = dict.fromkeys(BASE_COLUMNS)
    for task in tasks:
        seen.update(dict.fromkeys(f"param_{name}" for name in task.params))
    for task in tasks:
        seen.update(dict.fromkeys(name for name in task.tags if name != "experiment"))
    seen.update(dict.fromkeys(extra_columns))
    return list(seen)


class _Writer:
    """Appends rows to the CSV and flushes each; widens the header if needed."""

    def __init__(self, path: Path, columns: list[str]) -> None:
        old = _header(path)
        header = old + [name for name in columns if name not in old]
        if old and header != old:  # new columns: rewrite the file once, same rows
            rows = read_rows(path)
            with path.open("w", newline="") as handle:
                writer = csv.DictWriter(handle, header)
                writer.writeheader()
                writer.writerows({k: _cell(v) for k, v in row.items()} for row in rows)
        self.handle = path.open("a", newline="")
        self.writer = csv.DictWriter(self.handle, header, extrasaction="ignore")
        if not old:
            self.writer.writeheader()
            self.handle.flush()

    def write(self, row: dict[str, Any]) -> None:
        self.writer.writerow({name: _cell(value) for name, value in row.items()})
        self.handle.flush()

    def close(self) -> None:
        self.handle.close()


# -- progress ----------------------------------------------------------------------


def _clock(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "--:--"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


class Progress:
    """A one-line progress bar with ETA on stderr (or nothing when disabled)."""

    def __init__(self, total: int, label: str = "", enabled: bool = True, width=30):
        self.total, self.label, self.enabled, self.width = total, label, enabled, width
        self.done = 0
        self.start = time.perf_counter()
        # Redraw at most every 0.2 s on a terminal and every 10 s into a log file,
        # so that a long run does not write a line per finished row.
        self.every = 0.2 if sys.stderr.isatty() else 10.0
        self.last = -math.inf
        self._draw()

    def update(self, count: int = 1) -> None:
        self.done += count
        self._draw()

    def _draw(self) -> None:
        if not self.enabled or self.total == 0:
            return
        now = time.perf_counter()
        if now - self.last < self.every and self.done < self.total:
            return
        self.last = now
        elapsed = now - self.start
        rate = self.done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - self.done) / rate if rate > 0 else math.inf
        filled = self.width * self.done // self.total
        bar = "#" * filled + "." * (self.width - filled)
        tty = sys.stderr.isatty()
        start = "\r" if tty else ""
        sys.stderr.write(
            f"{start}{self.label} [{bar}] {self.done}/{self.total} "
            f"{100 * self.done / self.total:3.0f}% {_clock(elapsed)} ETA {_clock(eta)} "
        )
        if self.done >= self.total or not tty:
            sys.stderr.write("\n")
        sys.stderr.flush()


# -- execution ---------------------------------------------------------------------


def _ignore_sigint() -> None:
    """Workers ignore Ctrl-C: the parent handles it and terminates them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextlib.contextmanager
def _local_results(tasks: list[Task], ctx: RunContext) -> Iterator[Iterable[Row]]:
    """Yield rows as tasks finish, from this process or a local process pool."""
    workers = min(ctx.workers, len(tasks))
    if workers <= 1:
        yield map(run_one, tasks)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # forkserver: workers fork from a clean server, not from a parent that may hold
    # solver threads (OR-Tools, HiGHS) -- forking those can deadlock.
    executor = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("forkserver"),
        initializer=_ignore_sigint,
    )
    futures = [executor.submit(run_one, task) for task in tasks]
    try:
        yield (future.result() for future in as_completed(futures))
    except BaseException:
        # Ctrl-C: end the running tasks now rather than wait for them (no public
        # API for this before Python 3.14's terminate_workers()).
        processes = list((executor._processes or {}).values())
        executor.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        raise
    finally:
        executor.shutdown(wait=True)


@contextlib.contextmanager
def _dask_results(tasks: list[Task], ctx: RunContext) -> Iterator[Iterable[Row]]:
    """Yield rows as tasks finish on a Dask LocalCluster or a remote scheduler."""
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if ctx.scheduler == "local":
        cluster = LocalCluster(
            n_workers=ctx.workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        )
        client = Client(cluster)
    else:
        client = Client(ctx.scheduler)
    futures = client.map(run_one, tasks, pure=False)
    try:
        yield (future.result() for future in as_completed(futures))
    finally:
        client.cancel(futures)
        client.close()
        if cluster is not None:
            cluster.close()


def run_tasks(
    tasks: Sequence[Task],
    csv_path: str | Path,
    ctx: RunContext,
    extra_columns: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """Run the tasks not yet in ``csv_path`` and return the rows of all ``tasks``.

    Parameters
    ----------
    tasks
        Tasks with unique keys. Those whose key is already in the CSV are
        skipped (resume), whatever their status.
    csv_path
        The results CSV; created with a header, or appended to.
    ctx
        ``workers``/``scheduler`` choose where tasks run; ``progress`` the bar;
        ``name`` fills the ``experiment`` column of tasks without that tag.
    extra_columns
        Keys of the method's ``Result.info`` copied into columns of their own
        (also kept in the JSON ``info`` column).

    Returns
    -------
    list of dict
        One row per task, in task order, read back from the CSV (typed cells:
        see :func:`read_rows`), old and new alike.

    Raises
    ------
    KeyboardInterrupt
        After Ctrl-C, once pending tasks are cancelled and the count of saved
        rows is printed on stderr.
    """
    tasks = list(tasks)
    keys = [task.key for task in tasks]
    if len(set(keys)) != len(keys):
        duplicated = sorted({key for key in keys if keys.count(key) > 1})
        raise ValueError(f"tasks: duplicate keys {duplicated[:3]}")
    path = Path(csv_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    done = {row["key"] for row in read_rows(path)}
    pending = [task for task in tasks if task.key not in done]

    writer = _Writer(path, _columns(tasks, extra_columns))
    progress = Progress(len(pending), ctx.name, ctx.progress and bool(pending))
    results = _dask_results if ctx.scheduler else _local_results
    saved = 0
    try:
        with results(pending, ctx) as rows:
            for row in rows:
                row["experiment"] = row.get("experiment") or ctx.name
                if extra_columns and row.get("info"):
                    info = json.loads(row["info"])
                    row.update({name: info.get(name) for name in extra_columns})
                writer.write(row)
                saved += 1
                progress.update()
    except KeyboardInterrupt:
        sys.stderr.write(
            f"\n{ctx.name}: interrupted; {saved} new row(s) saved "
            f"({len(done) + saved} in total) in {path}; "
            "re-run the same command to resume\n"
        )
        raise
    finally:
        writer.close()
    by_key = {row["key"]: row for row in read_rows(path)}
    return [by_key[key] for key in keys]
