"""The task runner of every experiment: small descriptors in, one CSV row per task out.

A :class:`Task` is a small, picklable descriptor (generator + kwargs, method +
options, experiment tags); each worker builds its own instance from it, so
nothing large crosses process boundaries. :func:`run_tasks` runs tasks in a
local process pool, in this process (``workers == 1``) or on Dask, appends each
finished row to a CSV at once (flushed: Ctrl-C loses no finished row), skips
tasks whose key is already in the CSV (resume), and shows a progress bar with
ETA on stderr. Other kinds of task (the verification campaign's per-instance
analysis) run through the same function with their own ``execute``.

Row schema of a :class:`Task` (long format, one row per instance x method x seed)::

    key, experiment, generator, instance, seed, num_users, num_models, method,
    reuse_blocks, bandwidth, time_limit, status, served, served_ratio, bound,
    gap, runtime_s, build_time_s, error, info,
    param_<name> for every generator kwarg, then every tag, then extra columns.

``status`` is a :class:`solvers.result.Status` value (how the method ended), or
``unsupported`` (the method refused: ``error`` holds its reason) or ``crashed``
(the task raised, incl. a :class:`solvers.registry.SolverBug`: ``error`` holds
the message). ``seed`` is the generator seed, so ``partialloading generate``
with the row's params and ``partialloading solve`` with its method/options
reproduce the row alone.
"""

from __future__ import annotations

import contextlib
import functools
import json
import signal
import sys
import threading
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from experiments.progress import Progress
from experiments.records import Row, Writer, read_rows
from solvers.result import Status

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence

    from experiments.context import RunContext

__all__ = [
    "BASE_COLUMNS",
    "CRASHED",
    "UNSUPPORTED",
    "Row",
    "Task",
    "read_rows",
    "run_one",
    "run_tasks",
]

BASE_COLUMNS = (
    "key", "experiment", "generator", "instance", "seed", "num_users", "num_models",
    "method", "reuse_blocks", "bandwidth", "time_limit", "status", "served",
    "served_ratio", "bound", "gap", "runtime_s", "build_time_s", "error", "info",
)  # fmt: skip

# The two statuses of rows that no method returns: a refusal, and a task that raised.
UNSUPPORTED = Status.UNSUPPORTED.value
CRASHED = Status.CRASHED.value


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


def run_one(
    task: Task, keep: Callable[..., None] | None = None, instance: Any = None
) -> dict[str, Any]:
    """Run one task and return its row. Never raises: failures become rows.

    ``instance``, if given, is the task's instance already built (batches).

    ``keep(task, instance, result)``, if given, receives each result (e.g. to
    save its schedule); it runs in the worker and must be picklable.
    """
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
        instance = build_instance(task) if instance is None else instance
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
        if keep is not None:
            keep(task, instance, result)
    except Exception as error:  # a failed task is a row, not a crash
        message = f"{type(error).__name__}: {error}"
        expected = registry.SolverBug | registry.Unsupported | ValueError
        if not isinstance(error, expected):
            message += " | " + traceback.format_exc(limit=-3).replace("\n", " ")
        status = UNSUPPORTED if isinstance(error, registry.Unsupported) else CRASHED
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


# -- execution ---------------------------------------------------------------------


def _guarded(execute: Callable[[Any], Row], task: Any) -> Row:
    """Return ``execute(task)``; an exception becomes a ``crashed`` row, not a crash."""
    try:
        return execute(task)
    except Exception as error:
        return {
            "key": task.key,
            "status": CRASHED,
            "error": f"{type(error).__name__}: {error}",
        }


def _ignore_sigint() -> None:
    """Workers ignore Ctrl-C: the parent handles it and terminates them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextlib.contextmanager
def sigint_held() -> Iterator[None]:
    """Hold Ctrl-C back while worker processes start, so that they never see it.

    A terminal's Ctrl-C goes to the whole process group, and a process hit
    while it starts (the forkserver importing ``site``, a worker before its
    initializer) dies with a traceback. Processes started here inherit SIGINT
    ignored (a disposition kept across fork and exec; Python then leaves it
    so); this process keeps the signal pending (blocked, so Linux does not
    discard it) and gets it as soon as the block ends.
    """
    if not hasattr(signal, "pthread_sigmask") or (
        threading.current_thread() is not threading.main_thread()
    ):
        yield
        return
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    handler = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, handler)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


@contextlib.contextmanager
def _local_results(
    tasks: list[Any], ctx: RunContext, execute: Callable[[Any], Row]
) -> Iterator[Iterable[Row]]:
    """Yield rows as tasks finish, from this process or a local process pool.

    The pool is a :class:`multiprocessing.pool.Pool`: its ``terminate`` ends
    running tasks at once and, with ``join``, stops its threads and processes
    before this returns. (Killing a ``ProcessPoolExecutor``'s workers instead
    left its manager thread closing pipes while the interpreter exited: an
    ``OSError: Bad file descriptor`` after the interrupt message.)
    """
    work = functools.partial(_guarded, execute)
    workers = min(ctx.workers, len(tasks))
    if workers <= 1:
        yield map(work, tasks)
        return
    import multiprocessing

    # forkserver: workers fork from a clean server, not from a parent that may hold
    # solver threads (OR-Tools, HiGHS) -- forking those can deadlock.
    with sigint_held():
        pool = multiprocessing.get_context("forkserver").Pool(
            workers, initializer=_ignore_sigint
        )
    try:
        yield pool.imap_unordered(work, tasks)
    finally:
        pool.terminate()
        pool.join()


@contextlib.contextmanager
def _dask_results(
    tasks: list[Any], ctx: RunContext, execute: Callable[[Any], Row]
) -> Iterator[Iterable[Row]]:
    """Yield rows as tasks finish on a Dask LocalCluster or a remote scheduler."""
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    with sigint_held():
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
    futures = client.map(functools.partial(_guarded, execute), tasks, pure=False)
    try:
        yield (future.result() for future in as_completed(futures))
    finally:
        client.cancel(futures)
        client.close()
        if cluster is not None:
            cluster.close()


def _columns(tasks: Sequence[Task], extra_columns: Sequence[str]) -> list[str]:
    """Return the header: base columns, then params, tags and extras (first seen)."""
    seen = dict.fromkeys(BASE_COLUMNS)
    for task in tasks:
        seen.update(dict.fromkeys(f"param_{name}" for name in task.params))
    for task in tasks:
        seen.update(dict.fromkeys(name for name in task.tags if name != "experiment"))
    seen.update(dict.fromkeys(extra_columns))
    return list(seen)


def _unique_keys(tasks: list[Any]) -> list[str]:
    """Return the tasks' keys; a key used twice (a config bug) is a ValueError."""
    keys = [task.key for task in tasks]
    if len(set(keys)) != len(keys):
        duplicated = sorted({key for key in keys if keys.count(key) > 1})
        raise ValueError(f"tasks: duplicate keys {duplicated[:3]}")
    return keys


def _completed(row: Row, name: str, extra_columns: Sequence[str]) -> Row:
    """Return ``row`` with its experiment name and the extra info columns filled."""
    row["experiment"] = row.get("experiment") or name
    if extra_columns and row.get("info"):
        info = json.loads(row["info"])
        row.update({column: info.get(column) for column in extra_columns})
    return row


def run_tasks(
    tasks: Sequence[Any],
    csv_path: str | Path,
    ctx: RunContext,
    extra_columns: Sequence[str] = (),
    columns: Sequence[str] | None = None,
    execute: Callable[[Any], Row] | None = None,
) -> list[Row]:
    """Run the tasks not yet in ``csv_path`` and return the rows of all ``tasks``.

    Parameters
    ----------
    tasks
        Tasks with unique ``key`` attributes: :class:`Task` objects, or any
        small picklable records ``execute`` takes. Those whose key is already
        in the CSV are skipped (resume), whatever their status.
    csv_path
        The results CSV; created with a header, or appended to.
    ctx
        ``workers``/``scheduler`` choose where tasks run; ``progress`` the bar;
        ``name`` fills the ``experiment`` column of tasks without that tag.
    extra_columns
        Keys of the method's ``Result.info`` copied into columns of their own
        (also kept in the JSON ``info`` column).
    columns
        The header for tasks other than :class:`Task` (starting with ``key``);
        default: :data:`BASE_COLUMNS`, then params, tags and ``extra_columns``.
    execute
        A module-level function task -> row (it runs in the workers); default
        :func:`run_one`. An exception it raises becomes a ``crashed`` row.

    Returns
    -------
    list of dict
        One row per task, in task order, read back from the CSV (typed),
        old and new alike.

    Raises
    ------
    KeyboardInterrupt
        After Ctrl-C, once the workers are stopped and the count of saved rows
        is printed on stderr.
    """
    tasks = list(tasks)
    keys = _unique_keys(tasks)
    path = Path(csv_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    done = {row["key"] for row in read_rows(path)}
    pending = [task for task in tasks if task.key not in done]

    header = list(columns) if columns else _columns(tasks, extra_columns)
    writer = Writer(path, header)
    progress = Progress(len(pending), ctx.name, ctx.progress)
    results = _dask_results if ctx.scheduler else _local_results
    saved = 0
    try:
        with results(pending, ctx, execute or run_one) as rows:
            for row in rows:
                writer.write(_completed(row, ctx.name, extra_columns))
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
