"""The test oracle: every schedule of a tiny instance, no theorem of the paper used.

A schedule is any sequence of batches; a batch is any non-empty set of not yet
scheduled users of one model, at most ``bandwidth.batch_limit(max_batch)`` of
them, in any order and any partition (no contiguity, no sorting by p_k). A depth-
first search appends a batch only when all its users meet their own deadline at
the batch's end (later batches never move earlier end times), and keeps the
largest set of users scheduled.

Batch times are computed here with the plainest code (sums over records, block-id
set differences), on purpose not with ``solvers.costs`` or the instance's
matrices, so that a bug there cannot hide in the oracle.

One pruning is used, and it needs no theorem: two search states with the same
scheduled users and the same last model differ only in the clock, and an earlier
clock admits every continuation a later one admits. So a state reached no earlier
than before is not expanded again.
"""

from __future__ import annotations

import math
from itertools import combinations
from typing import TYPE_CHECKING

from instances.schedule import Schedule
from instances.timing import meets
from solvers.result import Options, Outcome, Status

if TYPE_CHECKING:
    from instances.model import Instance

MAX_USERS = 7


def supports(instance: Instance, options: Options) -> str | None:
    """Return None for instances of at most ``MAX_USERS`` users, else why not."""
    if instance.num_users > MAX_USERS:
        return (
            f"enumerates every schedule and is limited to {MAX_USERS} "
            f"users; this instance has {instance.num_users}"
        )
    return None


def batch_end(
    instance: Instance,
    clock: float,
    previous: int | None,
    model: int,
    users: tuple[int, ...],
    options: Options,
) -> float:
    """Return the end of a batch of ``users`` starting at ``clock`` after ``previous``.

    The end is ((clock + upload) + load) + compute, with exactly rounded sums
    (``math.fsum``): the evaluator's order of operations, so that at the very
    edge of the feasibility rule (an end within a rounding error of
    deadline (1 + 1e-9)) the oracle and the evaluator give the same verdict.
    """
    spec = instance.models[model]
    if options.reuse_blocks:
        resident = set() if previous is None else set(instance.models[previous].blocks)
        new = set(spec.blocks) - resident
    else:
        new = set() if previous == model else set(spec.blocks)
    size = {block.id: block.size_bytes for block in instance.blocks}
    load = instance.loading.time(math.fsum(size[j] for j in new))
    records = [instance.users[k] for k in users]
    alone = [
        u.data_bits / u.spectral_efficiency / instance.bandwidth_hz for u in records
    ]
    channels = options.bandwidth.channels
    upload = math.fsum(alone) if channels is None else max(alone) * channels
    return clock + upload + load + (spec.mu_s * len(users) + spec.beta_s)


def solve(instance: Instance, options: Options) -> Outcome:
    """Return a schedule serving the most users, found by exhaustive search."""
    deadline = [
        instance.deadline_s if user.deadline_s is None else user.deadline_s
        for user in instance.users
    ]
    by_model = [
        [k for k, user in enumerate(instance.users) if user.model == model.id]
        for model in instance.models
    ]
    limits = [options.bandwidth.batch_limit(m.max_batch) for m in instance.models]
    earliest: dict[tuple[frozenset[int], int | None], float] = {}
    best: list[tuple[int, tuple[int, ...]]] = []
    visited = 0

    def search(
        done: frozenset[int], last: int | None, clock: float, path: list
    ) -> None:
        nonlocal best, visited
        key = (done, last)
        if earliest.get(key, float("inf")) <= clock:
            return
        earliest[key] = clock
        visited += 1
        if len(done) > sum(len(users) for _, users in best):
            best = list(path)
        for model, users in enumerate(by_model):
            free = [k for k in users if k not in done]
            for size in range(1, min(limits[model], len(free)) + 1):
                for batch in combinations(free, size):
                    end = batch_end(instance, clock, last, model, batch, options)
                    if all(meets(end, deadline[k]) for k in batch):
                        path.append((model, batch))
                        search(done | set(batch), model, end, path)
                        path.pop()

    search(frozenset(), None, 0.0, [])
    served = sum(len(users) for _, users in best)
    schedule = Schedule.from_indices(
        instance, best, options.reuse_blocks, options.bandwidth
    )
    return Outcome(schedule, Status.OPTIMAL, bound=served, info={"states": visited})
