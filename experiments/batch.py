"""Run a sweep's tasks with each worker building an instance once for all its methods.

A figure's tasks come as value x seed x variant; the variants of one (value,
seed) share the generator and its kwargs, hence the instance, and they are
consecutive in the task list. :func:`run_cached` (the ``execute`` of
:func:`experiments.runner.run_tasks`) keeps the last few instances a worker
built, so an instance is built once per worker that runs one of its methods
(at most twice with two workers) instead of once per method: building a
paper-scale instance costs about as much as running a method on it. Rows, keys,
resume and every reader are those of :func:`experiments.runner.run_tasks`.

The cached instance is shared by the methods, so its lazily derived matrices
(``Instance.new_bytes`` and the like, microseconds at paper scale) are derived
by the first method that needs them.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from experiments import runner

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from experiments.context import RunContext
    from experiments.runner import Row, Task

# Instances a worker keeps (the tasks of one instance are consecutive, and two
# workers interleave, so a few suffice).
KEEP = 4
_BUILT: OrderedDict[str, Any] = OrderedDict()


def instance_key(task: Task) -> str:
    """Return the identity of a task's instance: its generator and kwargs."""
    return json.dumps([task.generator, task.params], sort_keys=True, default=str)


def run_cached(task: Task) -> Row:
    """Run one task on its instance, built by this worker at most once.

    A build that fails is not cached: :func:`experiments.runner.run_one` then
    builds again and reports the error in the task's row.
    """
    key = instance_key(task)
    instance = _BUILT.get(key)
    if instance is None:
        try:
            instance = runner.build_instance(task)
        except Exception:
            return runner.run_one(task)
        _BUILT[key] = instance
        while len(_BUILT) > KEEP:
            _BUILT.popitem(last=False)
    return runner.run_one(task, instance=instance)


def run_bundled(
    tasks: Sequence[Task], csv_path: str | Path, ctx: RunContext
) -> list[Row]:
    """Return :func:`experiments.runner.run_tasks` with :func:`run_cached`."""
    return runner.run_tasks(tasks, csv_path, ctx, execute=run_cached)
