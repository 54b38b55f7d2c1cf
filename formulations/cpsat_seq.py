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
(docs/formulations-cpsat.md). Times are integers (see ``formulations.cpsat_base``).
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
from ortools.sat.python import cp_model

from formulations.cpsat_base import (
    Built,
    Rounding,
    horizon_reason,
    solve_sandwich,
    union_load,
)
from instances.model import Instance
from instances.schedule import Schedule
from solvers.costs import cost_table, model_batches
from solvers.result import Options, Outcome

MAX_MODELS = 400
"""Largest number of requested models accepted (the circuit has I^2 arc literals)."""


def supports(instance: Instance, options: Options) -> str | None:
    """Refuse per-user deadlines (Theorem 2.1 needs a common one) and huge instances."""
    if instance.has_user_deadlines:
        return "per-user deadlines break Theorem 2.1 (use cpsat or milp)"
    if len(instance.active_models()) > MAX_MODELS:
        return f"more than {MAX_MODELS} requested models"
    return horizon_reason(instance)


def build(instance: Instance, options: Options, rounding: Rounding) -> Built:
    """Build the compact model for one rounding of the times."""
    m = cp_model.CpModel()
    deadline = rounding.deadline(instance.deadline_s)
    new_bytes = instance.new_bytes(options.reuse_blocks)
    load = rounding.cost(instance.loading.seconds_per_byte * new_bytes)  # (I+1) x I

    # Candidate models and their count tables, cut where c_i(n) plus loading all of
    # i (every block of i is loaded before its last batch ends) cannot fit. The cut
    # uses the optimistic rounding in both builds, so that the two models have the
    # same variables.
    relaxed = rounding.relaxed()
    low_load = relaxed.cost(instance.loading.seconds_per_byte * new_bytes)
    models, tables = [], []
    for i in instance.active_models():
        seconds = cost_table(instance, int(i), options.bandwidth)
        full = int(low_load[0, i])
        fits = np.flatnonzero(
            relaxed.cost(seconds) + full <= relaxed.deadline(instance.deadline_s)
        )
        if len(fits) > 1:  # n = 0 always fits
            models.append(int(i))
            tables.append(rounding.cost(seconds[: fits[-1] + 1]))

    picks, counts, costs, used = [], [], [], []
    for i, table in zip(models, tables, strict=True):
        pick = [m.new_bool_var(f"pick[{i},{n}]") for n in range(len(table))]
        m.add_exactly_one(pick)
        picks.append(pick)
        counts.append(sum(n * pick[n] for n in range(1, len(table))))
        costs.append(sum(int(table[n]) * pick[n] for n in range(1, len(table))))
        used.append(~pick[0])

    # The order: a circuit through the depot 0 and the used models (node j + 1).
    empty = m.new_bool_var("empty")
    arcs = [(0, 0, empty)]
    loads = []
    succ: dict[tuple[int, int], cp_model.IntVar] = {}
    for a, i in enumerate(models):
        m.add_implication(used[a], ~empty)
        arcs.append((a + 1, a + 1, ~used[a]))
        out = m.new_bool_var(f"arc[{i},depot]")
        arcs.append((a + 1, 0, out))
        for b, j in enumerate([-1, *models]):  # -1 = the depot (empty GPU)
            if b == a + 1:
                continue
            arc = m.new_bool_var(f"arc[{j},{i}]")
            arcs.append((b, a + 1, arc))
            succ[b, a + 1] = arc
            loads.append(int(load[j + 1, i]) * arc)
        succ[a + 1, 0] = out
    if models:
        m.add_bool_or([empty, *used])  # some model is used iff the depot is left
    m.add_circuit(arcs)
    arc_load = sum(loads)

    # Redundant: every block of a used model is loaded at least once.
    m.add(arc_load >= union_load(m, instance, models, used, options.reuse_blocks))
    m.add(sum(costs) + arc_load <= deadline)
    m.maximize(sum(counts))

    def decode(solver: cp_model.CpSolver) -> Schedule:
        after = {
            tail: head for (tail, head), v in succ.items() if solver.boolean_value(v)
        }
        order, node = [], after.get(0, 0)
        while node != 0:  # follow the cycle from the depot back to it
            order.append(node - 1)
            node = after[node]
        batches = []
        for a in order:
            n = round(solver.value(counts[a]))
            batches += [
                (models[a], users)
                for users in model_batches(instance, models[a], n, options.bandwidth)
            ]
        return Schedule.from_indices(
            instance, batches, options.reuse_blocks, options.bandwidth
        )

    def hint(schedule: Schedule) -> None:
        count = np.zeros(instance.num_models, dtype=np.int64)
        order: list[int] = []  # candidate positions a, by first batch
        where = {i: a for a, i in enumerate(models)}
        for batch in schedule.batches:
            i = instance.model_index[batch.model]
            count[i] += len(batch.users)
            if where.get(i) is not None and where[i] not in order:
                order.append(where[i])
        for a, pick in enumerate(picks):
            n = min(int(count[models[a]]), len(pick) - 1)
            for value, var in enumerate(pick):
                m.add_hint(var, value == n)
        nodes = [0] + [a + 1 for a in order] + [0]
        chosen = set(pairwise(nodes)) if order else set()
        for key, var in succ.items():
            m.add_hint(var, key in chosen)
        m.add_hint(empty, not order)

    decisions = [v for pick in picks for v in pick] + list(succ.values()) + [empty]
    return Built(m, decisions, decode, hint)


def solve(
    instance: Instance, options: Options, deterministic_time: float | None = None
) -> Outcome:
    """Solve with the rounding sandwich (``formulations.cpsat_base.solve_sandwich``)."""
    return solve_sandwich(instance, options, build, deterministic_time)
