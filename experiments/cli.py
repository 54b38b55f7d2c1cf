"""Experiments by name: their modules, their configs, and how one is run.

The ``partialloading experiment NAME`` command (``partialloading/commands/
experiment.py``) parses the options, loads ``experiments/configs/NAME.toml`` (or
``--config FILE``) with :func:`load_config`, builds a
:class:`experiments.context.RunContext` and calls :func:`run_experiment`. This
module stays light: the experiment modules import matplotlib, Dask and the
solvers themselves.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from experiments.context import RunContext

# Experiment name -> module exposing run(config, out, ctx).
EXPERIMENTS = {
    "verify-dp": "experiments.verify_dp",
    "fig6": "experiments.figures",
    "fig7": "experiments.figures",
    "fig8": "experiments.figures",
    "fig9": "experiments.figures",
    "scaling": "experiments.scaling",
    "claims": "experiments.claims",
}

CONFIGS = Path(__file__).resolve().parent / "configs"


def load_config(name: str, path: str | None = None) -> dict:
    """Return the TOML config of experiment ``name`` (from ``path`` if given)."""
    import tomllib

    from instances.io import InputError

    file = Path(path) if path else CONFIGS / f"{name}.toml"
    try:
        with file.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise InputError(f"config: no such file {file}") from None
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"config: {file}: {error}") from None


def run_experiment(name: str, config: dict, out: Path, ctx: RunContext) -> None:
    """Create ``out`` and run experiment ``name`` with ``config`` and ``ctx``."""
    out.mkdir(parents=True, exist_ok=True)
    module = importlib.import_module(EXPERIMENTS[name])
    module.run(config, out, ctx)
