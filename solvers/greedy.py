"""greedy: Algorithm 3 of the paper (section VI, eqs. 22-23), as published.

Slotted time, T = floor(deadline / slot). State: the last loaded model i'
(i' = 0: empty GPU) and the slots used so far tau'. Each iteration picks

    {i^*, tau^*} = argmax over remaining i, tau in 1..T - tau' of v(i', i, tau)
    v(i', i, tau) = max{k / tau : phi(i', i, k) <= tau slot}                (22)
    phi(i', i, k) = upload(k) + V(bytes of i not in i') + compute(k)        (23)

serves k^* = v^* tau^* users of i^* in ceil(k^* / b) batches (first batches
full), removes i^*, sets i' = i^* and tau' += tau^*, and stops when no model
can serve anyone in the slots left (v^* = 0) or no model remains. The upload
term is read as in dp-paper (reading (b) of docs/paper-methods.md).

Vectorised over every (model, k) pair at once: for k users of model i the
fewest slots are s = ceil(phi / slot), and max over tau of v is attained at
tau = s of some k (a longer tau serving the same k has a lower rate). So one
iteration is O(K) numpy work over the K (model, k) pairs, and there are at most
min(I, T) iterations. Ties: highest v, then fewer slots, then lowest model index.

``info["ops"]`` holds machine-independent operation counts (docs/experiments.md,
"Complexity study"): ``iterations`` (passes of the while loop that evaluate line 6,
the last failing one included), ``argmax_evaluations`` ((model, k) pairs scored
by line 6 over all passes, as implemented), ``line6_terms`` (the range of line 6
as printed: remaining models times remaining slots T - tau', summed over passes)
and ``scheduled`` (users placed into batches by lines 12-15).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from instances.schedule import Schedule
from solvers.paper_costs import (
    SLOT_RTOL,
    num_slots,
    paper_batches,
    paper_cost_table,
)
from solvers.result import Options, Outcome, Status

if TYPE_CHECKING:
    from instances.model import Instance


def supports(instance: Instance, options: Options) -> str | None:
    """Return None unless users have their own deadlines."""
    if instance.has_user_deadlines:
        return (
            "per-user deadlines are not supported "
            "(Algorithm 3 assumes a common deadline)"
        )
    return None


def solve(instance: Instance, options: Options) -> Outcome:
    """Run Algorithm 3 and return its schedule (status feasible)."""
    slots = num_slots(instance)
    active = instance.active_models()
    tables = [paper_cost_table(instance, int(i), options.bandwidth)[1:] for i in active]
    # One entry per (model, k >= 1) pair, models in ascending index order.
    cost = np.concatenate(tables) if tables else np.zeros(0)
    owner = np.repeat(np.arange(len(active)), [len(t) for t in tables])
    count = (
        np.concatenate([np.arange(1, len(t) + 1) for t in tables]) if tables else owner
    )
    per_byte = instance.loading.seconds_per_byte
    slot = instance.slot_s * (1.0 + SLOT_RTOL)

    remaining = np.ones(len(active), dtype=bool)
    previous, used, iterations = None, 0, 0
    ops = dict.fromkeys(("iterations", "argmax_evaluations", "line6_terms"), 0)
    ops["scheduled"] = 0
    batches: list[tuple[int, np.ndarray]] = []
    while used < slots and remaining.any():
        ops["iterations"] += 1
        ops["argmax_evaluations"] += len(cost)
        ops["line6_terms"] += int(remaining.sum()) * (slots - used)
        # One row of the switch loads at a time: no I x I matrix (issue 13).
        load = per_byte * instance.new_bytes_row(previous, options.reuse_blocks)
        phi = cost + load[active][owner]
        need = np.maximum(np.ceil(phi / slot), 1.0)
        ok = remaining[owner] & (need <= slots - used)
        if not ok.any():  # v^* = 0: nobody can be served in the slots left
            break
        rate = np.where(ok, count / need, -1.0)
        pick = rate == rate.max()
        pick &= need == need[pick].min()
        best = int(np.flatnonzero(pick)[0])  # lowest model index, then its k
        a, model = owner[best], int(active[owner[best]])
        batches += paper_batches(instance, model, int(count[best]), options.bandwidth)
        ops["scheduled"] += int(count[best])
        remaining[a] = False
        previous, used = model, used + int(need[best])
        iterations += 1
    schedule = Schedule.from_indices(
        instance, batches, options.reuse_blocks, options.bandwidth
    )
    info = {"slots": slots, "slots_used": used, "iterations": iterations, "ops": ops}
    return Outcome(schedule, Status.FEASIBLE, None, 0.0, info)
