"""The run context of an experiment: command-line settings shared by every experiment.

The CLI builds one :class:`RunContext` from its options and passes it, with the
TOML config and the output directory, to ``module.run(config, out, ctx)``. The
config says *what* to run; the context says *how* (workers, scheduler) and holds
the few overrides of the config given on the command line.
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass, field
from typing import Any


def _cpu_count() -> int:
    return os.cpu_count() or 1


@dataclass(frozen=True)
class RunContext:
    """How to run an experiment.

    Parameters
    ----------
    name
        Experiment name (``fig6``, ``verify-dp``, ...); figures.run reads it.
    quick
        Use the config's ``[quick]`` table overrides (a minute or two per run).
    workers
        Local worker processes (or Dask workers for ``scheduler="local"``);
        1 runs every task in this process.
    scheduler
        None = local process pool; ``"local"`` = a Dask LocalCluster; anything
        else = the address of a running Dask scheduler.
    seed
        Base seed: realization ``r`` uses generator seed ``seed + r``.
    instances, time_limit, realizations
        Command-line overrides of the config (None = keep the config's value).
    progress
        Show a progress bar with ETA on stderr: True always, False never, None
        (default) only when stderr is a terminal.
    run_missing
        ``claims`` only: run the campaigns whose evidence is missing (else it
        only gathers and lists them).
    """

    name: str
    quick: bool = False
    workers: int = field(default_factory=_cpu_count)
    scheduler: str | None = None
    seed: int = 0
    instances: int | None = None
    time_limit: float | None = None
    realizations: int | None = None
    progress: bool | None = None
    run_missing: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ValueError(f"seed: must be an integer, got {self.seed!r}")
        if self.seed < 0:
            raise ValueError(f"seed: must be >= 0, got {self.seed!r}")
        if self.workers < 1:
            raise ValueError(f"workers: must be >= 1, got {self.workers!r}")
        for name in ("instances", "realizations"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name}: must be >= 1, got {value!r}")
        if self.time_limit is not None and not self.time_limit > 0:
            raise ValueError(f"time_limit: must be > 0, got {self.time_limit!r}")

    def machine(self) -> str:
        """Return a one-line description of the machine and how the run was spread."""
        where = {None: "local process pool", "local": "Dask LocalCluster"}.get(
            self.scheduler, f"Dask scheduler {self.scheduler}"
        )
        return (
            f"{platform.processor() or platform.machine()}, {_cpu_count()} cores, "
            f"Python {platform.python_version()}; {self.workers} worker(s), {where}"
        )


def merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Return ``base`` updated by ``overrides``, merging nested tables key by key."""
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def resolve(config: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
    """Return the config an experiment should use under ``ctx``.

    The ``[quick]`` table (deep-merged when ``ctx.quick``) is removed, and the
    command-line overrides replace the top-level keys ``realizations``,
    ``instances`` and ``time_limit`` when given; ``seed`` is always ``ctx.seed``
    (the CLI sets it from ``--seed``, else from the config).
    """
    config = dict(config)
    quick = config.pop("quick", {})
    if ctx.quick:
        config = merge(config, quick)
    for key in ("realizations", "instances", "time_limit"):
        if getattr(ctx, key) is not None:
            config[key] = getattr(ctx, key)
    config["seed"] = ctx.seed
    return config
