"""``cpsat-seq``: the compact CP-SAT model (model order as a circuit, counts per model).

With a common deadline T (Theorem 2.1/2.2, docs/model.md), an optimal schedule runs the
batches of each used model i consecutively and serves its n_i cheapest users at cost
c_i(n_i) (``solvers.costs.cost_table``, loading excluded). P2 is then: choose counts
n_i, and an order of the used models, to

    maximise  sum_i n_i
    s.t.      sum_i c_i(n_i) + sum_{arcs a->b of the order} L(a, b) <= T,

where L(0, b) loads all of model b (the GPU starts empty, node 0 is the depot) and
L(a, b) the bytes of b not in a (or all of b without reuse). The order is an
``add_circuit`` over nodes {0} + models: an unused model i takes its self-loop
(i, i, ~used_i) and the depot takes its self-loop (0, 0, empty) when no model is used
(without it an instance where nobody can be served would be INFEASIBLE).

Counts are one-hot (``pick[i, n]``) rather than ``add_element``: the LP relaxation then
sees the convex hull of each model's (n, c_i(n)) table. A redundant *union* constraint
strengthens the loads: starting from an empty GPU every block of every used model is
loaded at least once, so the loads are at least V(bytes of the union of used blocks)
(docs/formulations-cpsat.md); so do the cheapest-entry row and the knapsack cap of
``formulations.seq_bound``. CP-SAT runs at linearization level 2 (the circuit's cuts in
the LP; :data:`SOLVER_PARAMETERS`). Times are integers (``formulations.cpsat_base``).

Layout (PyJobShop's backends): :func:`seq_data`, :func:`add_variables`, one function
per constraint family, called from :func:`build` in one commented order, then the
objective; :func:`decode` and :func:`hint` read and write solutions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from itertools import pairwise
from typing import TYPE_CHECKING

import numpy as np
from ortools.sat.python import cp_model

from formulations.cpsat_base import (
    Built,
    Rounding,
    horizon_reason,
    solve_sandwich,
    union_load,
)
from formulations.seq_bound import cheapest_entry, knapsack_bound
from instances.schedule import Schedule
from solvers.costs import cost_table, model_batches

if TYPE_CHECKING:
    from instances.model import Instance
    from solvers.result import Options, Outcome

MAX_MODELS = 600
"""Largest number of requested models accepted (the circuit has I^2 arc literals)."""

ENTRY_BOUND = True
"""Add the cheapest-entry row ``entry_loads`` (measured: docs/formulations-cpsat.md)."""

SOLVER_PARAMETERS: dict[str, object] = {"linearization_level": 2}
"""CP-SAT parameters of every solve: level 2 adds the circuit's cuts to the LP
(measured: 400 x 100 cold-HDD bound 251 -> 246, docs/formulations-cpsat.md)."""

TWO_CYCLE_CUTS = False
"""Add ``two_cycle_cuts`` (measured: docs/formulations-cpsat.md)."""

KNAPSACK_CAP = True
"""Cap the objective at the knapsack bound of ``formulations.seq_bound``."""

UNION_BOUND = True
"""Add the union bound ``union_bound`` (measured: docs/formulations-cpsat.md)."""

REVERSAL_CUT = False
"""Add ``reversal_cut`` (measured: docs/formulations-cpsat.md)."""


def supports(instance: Instance, options: Options) -> str | None:
    """Refuse per-user deadlines (Theorem 2.1 needs a common one) and huge instances."""
    if instance.has_user_deadlines:
        return "per-user deadlines break Theorem 2.1 (use cpsat or milp)"
    if len(instance.active_models()) > MAX_MODELS:
        return f"more than {MAX_MODELS} requested models"
    return horizon_reason(instance)


@dataclass(frozen=True)
class SeqData:
    """The compact model's data in time units of one :class:`Rounding`.

    Attributes
    ----------
    models
        Candidate model indices (node a + 1 of the circuit is ``models[a]``).
    tables
        ``tables[a][n]`` = c_i(n) for n = 0..n̄_i (``solvers.costs.cost_table``).
    load
        (I + 1) x I load times: row 0 the empty GPU, row j + 1 model j.
    deadline
        The common deadline T.
    """

    models: list[int]
    tables: list[np.ndarray]
    load: np.ndarray
    deadline: int


@dataclass
class SeqVars:
    """The decision variables and the expressions built from them."""

    picks: list[list[cp_model.IntVar]]  # pick[a][n]: model a serves n users
    used: list  # used[a] = not pick[a][0]
    empty: cp_model.IntVar  # no model is used (the depot's self-loop)
    succ: dict[tuple[int, int], cp_model.IntVar]  # arc literals (tail, head)
    arc_load: cp_model.LinearExpr | int = 0  # 0 until the circuit is built
    counts: list = field(default_factory=list)


def seq_data(instance: Instance, options: Options, rounding: Rounding) -> SeqData:
    """Return the candidate models and their count tables in units.

    A table is cut where c_i(n) plus loading all of i (every block of i is
    loaded before its last batch ends) cannot fit: c_i(n) + L(0, i) <= T. The
    cut uses the optimistic rounding in every build, so that builds of both
    roundings have the same variables.
    """
    new_bytes = instance.new_bytes(options.reuse_blocks)
    load = rounding.cost(instance.loading.seconds_per_byte * new_bytes)
    relaxed = rounding.relaxed()
    low_load = relaxed.cost(instance.loading.seconds_per_byte * new_bytes)
    limit = relaxed.deadline(instance.deadline_s)
    models, tables = [], []
    for i in instance.active_models():
        seconds = cost_table(instance, int(i), options.bandwidth)
        fits = np.flatnonzero(relaxed.cost(seconds) + int(low_load[0, i]) <= limit)
        if len(fits) > 1:  # n = 0 always fits
            models.append(int(i))
            tables.append(rounding.cost(seconds[: fits[-1] + 1]))
    return SeqData(models, tables, load, int(rounding.deadline(instance.deadline_s)))


def add_variables(m: cp_model.CpModel, d: SeqData) -> SeqVars:
    """Add pick[i, n] (one-hot count), the arc literals a_ij and ``empty``.

    Nodes: 0 is the depot (empty GPU), a + 1 is ``models[a]``. Arcs (b, a + 1)
    for every b != a + 1 (b = 0 included) and (a + 1, 0); used_a = not
    pick[a, 0] is the literal of the self-loop's complement.
    """
    picks = [
        [m.new_bool_var(f"pick[{i},{n}]") for n in range(len(table))]
        for i, table in zip(d.models, d.tables, strict=True)
    ]
    succ: dict[tuple[int, int], cp_model.IntVar] = {}
    nodes = [-1, *d.models]  # node b is nodes[b]; -1 = the depot
    for a, i in enumerate(d.models):
        for b, j in enumerate(nodes):
            if b != a + 1:
                succ[b, a + 1] = m.new_bool_var(f"arc[{j},{i}]")
        succ[a + 1, 0] = m.new_bool_var(f"arc[{i},depot]")
    counts = [sum(n * p[n] for n in range(1, len(p))) for p in picks]
    used = [~p[0] for p in picks]
    return SeqVars(picks, used, m.new_bool_var("empty"), succ, counts=counts)


def one_count_per_model(m: cp_model.CpModel, v: SeqVars) -> None:
    r"""Each candidate model serves exactly one count.

    .. math:: \sum_n \mathrm{pick}_{i,n} = 1, \qquad
              \mathrm{used}_i = \neg\,\mathrm{pick}_{i,0}.

    One-hot rather than ``add_element``: the LP relaxation then sees the convex
    hull of each model's points (n, c_i(n)).
    """
    for pick in v.picks:
        m.add_exactly_one(pick)


def order_circuit(m: cp_model.CpModel, d: SeqData, v: SeqVars) -> None:
    r"""The used models form one cycle through the depot; sets the arc load.

    ``add_circuit`` over arcs (0, 0, empty), (i, i, not used_i), (0, i, a_0i),
    (i, 0, a_i0), (i, j, a_ij); ``empty`` is tied both ways to the models
    (used_i => not empty; empty or some used_i), so the depot is on the cycle
    exactly when some model is used. The load of the order is

    .. math:: \mathrm{load} = \sum_i L(0, i)\, a_{0i}
              + \sum_{i \ne j} L(i, j)\, a_{ij}.
    """
    arcs = [(0, 0, v.empty)]
    for a, used in enumerate(v.used):
        m.add_implication(used, ~v.empty)
        arcs.append((a + 1, a + 1, ~used))
    arcs += [(tail, head, lit) for (tail, head), lit in v.succ.items()]
    if v.used:
        m.add_bool_or([v.empty, *v.used])
    m.add_circuit(arcs)
    rows = [0] + [i + 1 for i in d.models]  # load row of node b
    v.arc_load = sum(
        int(d.load[rows[tail], d.models[head - 1]]) * lit
        for (tail, head), lit in v.succ.items()
        if head != 0
    )


def union_bound(
    m: cp_model.CpModel,
    instance: Instance,
    options: Options,
    rounding: Rounding,
    d: SeqData,
    v: SeqVars,
) -> None:
    r"""Redundant: every block of a used model is loaded at least once.

    .. math:: \mathrm{load} \ge V\Big(S\big(\textstyle\bigcup_{i\,
              \mathrm{used}} J_i\big)\Big)

    (``formulations.cpsat_base.union_load``; without reuse the sum of the used
    models' sizes).
    """
    union = union_load(
        m, instance, d.models, v.used, options.reuse_blocks, rounding.resolution_s
    )
    m.add(v.arc_load >= union)


def entry_loads(m: cp_model.CpModel, v: SeqVars, entry: np.ndarray) -> None:
    r"""Redundant: a used model is entered by one arc of at least its cheapest load.

    .. math:: \mathrm{load} \ge \sum_i e_i\, \mathrm{used}_i

    (``formulations.seq_bound.cheapest_entry``).
    """
    m.add(v.arc_load >= sum(int(e) * u for e, u in zip(entry, v.used, strict=True)))


def two_cycle_cuts(m: cp_model.CpModel, v: SeqVars) -> None:
    r"""Redundant: no 2-cycle between two models (subtour elimination, |S| = 2).

    .. math:: a_{ij} + a_{ji} \le \mathrm{used}_i \quad (i \ne j \text{ models})

    Valid: on one cycle through the depot, i and j cannot be each other's
    successor. In the LP it removes the cheap fractional 2-cycles of similar
    models.
    """
    for (tail, head), arc in v.succ.items():
        back = v.succ.get((head, tail))
        if tail and head and tail < head and back is not None:
            m.add(arc + back <= v.used[tail - 1])
            m.add(arc + back <= v.used[head - 1])


def reversal_cut(m: cp_model.CpModel, v: SeqVars) -> None:
    r"""Symmetry breaking: the first model's node is at most the last one's.

    .. math:: \sum_i i\, a_{0i} \le \sum_i i\, a_{i0}

    Valid for the continuous problem: around a closed tour through the empty
    depot every block is loaded as often as it is evicted, so
    :math:`\sum L(a, b) = \tfrac12 \sum V(J_a \triangle J_b)` and the reversed
    order has the same load (without reuse both are the sum of the used models'
    sizes); the counts do not depend on the order. Of a truly feasible order
    and its reverse, one meets the cut, and the optimistic rounding admits it.
    """
    nodes = range(1, len(v.used) + 1)
    m.add(sum(b * v.succ[0, b] for b in nodes) <= sum(b * v.succ[b, 0] for b in nodes))


def deadline(m: cp_model.CpModel, d: SeqData, v: SeqVars) -> None:
    r"""The whole schedule ends by T.

    .. math:: \sum_i \sum_n c_i(n)\, \mathrm{pick}_{i,n} + \mathrm{load} \le T.
    """
    cost = sum(
        int(table[n]) * pick[n]
        for table, pick in zip(d.tables, v.picks, strict=True)
        for n in range(1, len(table))
    )
    m.add(cost + v.arc_load <= d.deadline)


def build(instance: Instance, options: Options, rounding: Rounding) -> Built:
    """Build the compact model for one rounding of the times."""
    m = cp_model.CpModel()
    d = seq_data(instance, options, rounding)
    v = add_variables(m, d)

    # Constraints, in this order:
    one_count_per_model(m, v)
    order_circuit(m, d, v)  # sets v.arc_load, used by the next two
    if UNION_BOUND:
        union_bound(m, instance, options, rounding, d, v)
    entry = cheapest_entry(d.load, d.models)
    if ENTRY_BOUND:
        entry_loads(m, v, entry)
    if TWO_CYCLE_CUTS:
        two_cycle_cuts(m, v)
    if REVERSAL_CUT:
        reversal_cut(m, v)
    deadline(m, d, v)

    # Objective: maximise the users served, at most the knapsack bound.
    objective = sum(v.counts)
    cap = knapsack_bound(d.tables, entry, d.deadline) if KNAPSACK_CAP else None
    if cap is not None:
        m.add(objective <= cap)
    m.maximize(objective)
    decisions = [x for pick in v.picks for x in pick] + [*v.succ.values(), v.empty]
    return Built(
        m,
        objective,
        decisions,
        partial(decode, instance, options, d, v),
        partial(hint, instance, m, d, v),
        cap,
    )


def decode(
    instance: Instance, options: Options, d: SeqData, v: SeqVars, solver
) -> Schedule:
    """Return the schedule of a solution: follow the arcs from the depot.

    Model i gets the batches of ``solvers.costs.model_batches`` for its count
    (the cheapest n_i users, Theorem 2.2).
    """
    after = {
        tail: head for (tail, head), x in v.succ.items() if solver.boolean_value(x)
    }
    order, node = [], after.get(0, 0)
    while node != 0:  # follow the cycle from the depot back to it
        order.append(node - 1)
        node = after[node]
    batches = []
    for a in order:
        n = round(solver.value(v.counts[a]))
        users = model_batches(instance, d.models[a], n, options.bandwidth)
        batches += [(d.models[a], group) for group in users]
    return Schedule.from_indices(
        instance, batches, options.reuse_blocks, options.bandwidth
    )


def hint(
    instance: Instance, m: cp_model.CpModel, d: SeqData, v: SeqVars, schedule: Schedule
) -> None:
    """Add ``schedule``'s counts and model order (by first batch) as a hint."""
    count = np.zeros(instance.num_models, dtype=np.int64)
    order: list[int] = []  # candidate positions a, by first batch
    where = {i: a for a, i in enumerate(d.models)}
    for batch in schedule.batches:
        i = instance.model_index[batch.model]
        count[i] += len(batch.users)
        if where.get(i) is not None and where[i] not in order:
            order.append(where[i])
    for a, pick in enumerate(v.picks):
        n = min(int(count[d.models[a]]), len(pick) - 1)
        for value, var in enumerate(pick):
            m.add_hint(var, value == n)
    nodes = [0] + [a + 1 for a in order] + [0]
    chosen = set(pairwise(nodes)) if order else set()
    for key, var in v.succ.items():
        m.add_hint(var, key in chosen)
    m.add_hint(v.empty, not order)


def solve(
    instance: Instance, options: Options, deterministic_time: float | None = None
) -> Outcome:
    """Solve from the fast start, re-checked exactly (``cpsat_base.solve_sandwich``)."""
    return solve_sandwich(
        instance, options, build, deterministic_time, SOLVER_PARAMETERS
    )
