"""Experiments by name: their configs, checked, and how one is run.

The ``partialloading experiment NAME`` command (``partialloading/commands/
experiment.py``) parses the options, loads ``experiments/configs/NAME.toml`` (or
``--config FILE``) with :func:`load_config`, which checks it whole
(:mod:`experiments.schema`), builds a :class:`experiments.context.RunContext`
and calls :func:`run_experiment`. This module stays light: the experiment
modules import matplotlib, Dask and the solvers themselves.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from experiments import catalog
from experiments.catalog import CONFIGS, EXPERIMENTS

if TYPE_CHECKING:
    from pathlib import Path

    from experiments.context import RunContext

__all__ = ["CONFIGS", "EXPERIMENTS", "load_config", "run_experiment"]


def load_config(name: str, path: str | Path | None = None) -> dict[str, Any]:
    """Return the TOML config of experiment ``name`` (from ``path`` if given), checked.

    Raises
    ------
    ValueError
        One line naming the problem: a missing or unreadable file
        (:class:`instances.io.InputError`), or the first field that breaks the
        experiment's schema (``config: FIELD: ...``), including a config of
        another experiment's kind.
    """
    from experiments.schema import validate

    config = catalog.load_config(name, path)
    validate(catalog.kind_of(name), config, name)
    return config


def run_experiment(name: str, config: dict, out: Path, ctx: RunContext) -> None:
    """Create ``out`` and run experiment ``name`` with ``config`` and ``ctx``."""
    out.mkdir(parents=True, exist_ok=True)
    module = importlib.import_module(EXPERIMENTS[name])
    module.run(config, out, ctx)
