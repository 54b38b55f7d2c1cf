"""The catalogue of experiments: names, the module that runs each, kinds, configs.

Kept apart from the command line so that the experiments themselves (claims
gathers the others) and the CLI read one list. Each experiment module exposes
``run(config, out, ctx)``; its *kind* names the config schema it takes
(:mod:`experiments.schema`).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from instances.io import InputError

# Experiment name -> module exposing run(config, out, ctx).
EXPERIMENTS = {
    "verify-dp": "experiments.verify_dp",
    "fig6": "experiments.figures",
    "fig7": "experiments.figures",
    "fig8": "experiments.figures",
    "fig9": "experiments.figures",
    "scaling": "experiments.scaling",
    "complexity": "experiments.complexity",
    "enumeration": "experiments.enumeration",
    "claims": "experiments.claims",
}

# Module -> the kind of config it takes.
KINDS = {
    "experiments.verify_dp": "verify-dp",
    "experiments.figures": "figure",
    "experiments.scaling": "scaling",
    "experiments.complexity": "scaling",
    "experiments.enumeration": "enumeration",
    "experiments.claims": "claims",
}

CONFIGS = Path(__file__).resolve().parent / "configs"


def kind_of(name: str) -> str:
    """Return the config kind of experiment ``name``.

    Raises
    ------
    ValueError
        If ``name`` is not an experiment.
    """
    if name not in EXPERIMENTS:
        raise ValueError(
            f'experiment: unknown experiment "{name}" (known: {", ".join(EXPERIMENTS)})'
        )
    return KINDS[EXPERIMENTS[name]]


def load_config(name: str, path: str | Path | None = None) -> dict[str, Any]:
    """Return the TOML config of experiment ``name`` (from ``path`` if given).

    Raises
    ------
    instances.io.InputError
        If the file is missing, unreadable or not TOML (a ``ValueError``).
    """
    file = Path(path) if path else CONFIGS / f"{name}.toml"
    try:
        with file.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise InputError(f"config: no such file {file}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise InputError(f"config: {file}: {error}") from None
    except OSError as error:
        raise InputError(f"config: {file}: {error.strerror or error}") from None
