"""An example user method, benchmarked against ours with::

    python -m partialloading bench tiny --methods dp,greedy,examples.one_model:solve


It serves one model only, the one most users request: its users are added
shortest upload first, in batches of at most ``max_batch``, for as long as the
evaluator finds the schedule feasible. Any function with this signature can be
benchmarked; see docs/benchmark.md for the contract.
"""

from instances.schedule import Batch, Schedule, evaluate
from solvers.result import Outcome, Status


def solve(instance, options):
    """Return an :class:`Outcome` (a bare :class:`Schedule` would do as well)."""
    i = max(range(instance.num_models), key=lambda m: len(instance.model_users[m]))
    model = instance.models[i]
    users = sorted(instance.model_users[i], key=lambda k: instance.upload_s[k])
    ids = [instance.users[k].id for k in users]
    best = Schedule((), options.reuse_blocks, options.bandwidth)
    size = model.max_batch
    for n in range(1, len(ids) + 1):
        batches = [Batch(model.id, tuple(ids[s:n][:size])) for s in range(0, n, size)]
        schedule = Schedule(tuple(batches), options.reuse_blocks, options.bandwidth)
        if not evaluate(instance, schedule).feasible:
            break
        best = schedule
    return Outcome(best, Status.FEASIBLE, info={"model": model.id})
