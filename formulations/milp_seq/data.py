"""The compact MILP's data: candidate models, count tables, switch loads, in ms.

:func:`prepare` reduces an instance with a common deadline to what
:mod:`formulations.milp_seq.model` needs. The deadline row T is stated as in
the batch-position MILP (:func:`formulations.milp.deadlines_ms`): ``proof``
relaxes the evaluator's rule, ``inner`` and ``margin`` tighten it
(docs/formulations-milp.md, section 5).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from formulations.milp.data import MS, deadlines_ms
from solvers.costs import cost_table

if TYPE_CHECKING:
    from instances.model import Instance
    from solvers.result import Options


@dataclass(frozen=True)
class Data:
    """The instance reduced to what the compact MILP needs; times in ms.

    Attributes
    ----------
    models
        Candidate models (global indices): requested models that can serve one
        user at least, loaded cold, within T.
    cost_ms
        ``cost_ms[i][n]`` = c_i(n) for n = 0..nbar_i (upload + compute of the
        n cheapest users of i, loading excluded; ``solvers.costs.cost_table``).
    load_ms
        ``load_ms[a, b]`` = L(a, b), the load of model b after a; a = -1 is the
        depot (empty GPU). Only candidate pairs are stored.
    groups
        ``(V(S_g) in ms, owners)``: blocks with the same set of candidate owners.
    deadline_ms
        The right-hand side T of the deadline row, as ``rows`` states it.
    max_used
        An upper bound on the number of models used together (capacity of the
        flow, see ``model._flow``).
    rows
        One of ``formulations.milp.DEADLINE_ROWS``.
    """

    models: tuple[int, ...]
    cost_ms: dict[int, np.ndarray]
    load_ms: dict[tuple[int, int], float]
    groups: tuple[tuple[float, tuple[int, ...]], ...]
    deadline_ms: float
    max_used: int
    rows: str = "proof"

    @property
    def arcs(self) -> list[tuple[int, int]]:
        """Return the arcs (a, b): depot -1 or a model a, then another model b."""
        return [(a, b) for a in (-1, *self.models) for b in self.models if a != b]

    @property
    def max_served(self) -> int:
        """Return sum_i nbar_i, a trivial upper bound on the number served."""
        return sum(len(table) - 1 for table in self.cost_ms.values())

    @property
    def num_variables(self) -> int:
        """Return the number of variables of the model (x, y, f, h)."""
        num_models = len(self.models)
        arcs = num_models * num_models  # depot arcs + ordered pairs of models
        return self.max_served + 2 * arcs + len(self.groups)


def prepare(instance: Instance, options: Options, rows: str = "proof") -> Data:
    """Return the data of the compact MILP for a common deadline.

    A model i is a candidate with nbar_i = the largest n such that c_i(n) plus
    the cold load of i fits within T: every block of i is loaded before its last
    batch ends, whatever the order, so no schedule serves more users of i.
    """
    deadline = _deadline_ms(instance, rows)
    reuse = options.reuse_blocks
    new_bytes = instance.new_bytes(reuse)  # (I+1) x I, row 0 = the empty GPU

    def load(a: int, b: int) -> float:  # L(a, b) in ms, as the evaluator times it
        return MS * instance.loading.time(float(new_bytes[a + 1, b]))

    models, cost_ms = [], {}
    for i in map(int, instance.active_models()):
        table = MS * cost_table(instance, i, options.bandwidth)
        fits = np.flatnonzero(table + load(-1, i) <= deadline)
        if len(fits) > 1:  # n = 0 always fits
            models.append(i)
            cost_ms[i] = table[: fits[-1] + 1]
    load_ms = {(a, b): load(a, b) for a in (-1, *models) for b in models if a != b}
    groups = _groups(instance, models, reuse)
    return Data(
        models=tuple(models),
        cost_ms=cost_ms,
        load_ms=load_ms,
        groups=groups,
        deadline_ms=deadline,
        max_used=_max_used(cost_ms, groups, deadline),
        rows=rows,
    )


def _deadline_ms(instance: Instance, rows: str) -> float:
    """Return T in ms for ``rows`` (the common deadline of every user)."""
    if instance.num_users == 0:
        return float(instance.deadline_s) * MS
    return deadlines_ms(instance, (0,), rows)[0]


def _groups(
    instance: Instance, models: list[int], reuse: bool
) -> tuple[tuple[float, tuple[int, ...]], ...]:
    """Return the block groups (V(S_g) in ms, owners) among ``models``.

    Blocks with the same set of candidate owners are loaded together or not at
    all by every switch; without reuse every model is its own group.
    """
    if not reuse:
        return tuple(
            (MS * instance.loading.time(float(instance.model_bytes[i])), (i,))
            for i in models
        )
    incidence = instance.incidence()[models]
    found: dict[tuple[int, ...], float] = {}
    for j in np.flatnonzero(incidence.any(axis=0)):
        owners = tuple(models[r] for r in np.flatnonzero(incidence[:, j]))
        found[owners] = found.get(owners, 0.0) + float(instance.block_sizes[j])
    return tuple(
        (MS * instance.loading.time(size), owners) for owners, size in found.items()
    )


def _max_used(cost_ms: dict[int, np.ndarray], groups, deadline_ms: float) -> int:
    """Return an upper bound on how many models one schedule can use.

    A used model i takes at least c_i(1) plus the load of its private blocks
    (no other candidate has them, so they are loaded for i alone). The most
    models that fit is at most the number of these, cheapest first, within T
    (sums shrunk by a relative 1e-9 so that round-off never drops one).
    """
    private = {owners[0]: time for time, owners in groups if len(owners) == 1}
    least = sorted(float(t[1]) + private.get(i, 0.0) for i, t in cost_ms.items())
    total = np.cumsum(least) * (1 - 1e-9)
    return int(np.searchsorted(total, deadline_ms, side="right"))
