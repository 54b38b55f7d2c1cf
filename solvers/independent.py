"""The paper's Independent Loading baseline, computed exactly.

Without block reuse every model is its own cluster (l_i = 0) and every instance
is BLS, so the exact DP of :mod:`solvers.dp` solves it (the paper's Remark 4).
The method is defined without reuse: its registry entry (``Reuse.NEVER``)
tells :func:`solvers.registry.run` to plan and evaluate with
``reuse_blocks=False`` whatever the caller's options say.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from solvers import dp

if TYPE_CHECKING:
    from instances.model import Instance
    from solvers.result import Options, Outcome


def supports(instance: Instance, options: Options) -> str | None:
    """Return None for every instance with a common deadline, else why not."""
    return dp.supports(instance, replace(options, reuse_blocks=False))


def solve(instance: Instance, options: Options) -> Outcome:
    """Return an optimal schedule under independent loading."""
    return dp.solve(instance, replace(options, reuse_blocks=False))
