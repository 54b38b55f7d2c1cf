"""search: an anytime improvement heuristic for P2 on any common-deadline instance.

An iterated local search in the manner of PyVRP (docs/search.md):

1. construction: the best of greedy, gemel, a continuous-time rate greedy, the
   exact order DP over each of their orders, and dp when the instance is BLS
   (then proven optimal);
2. each iteration perturbs the current route (an operator drawn by adaptive
   weights: toggle models near a random one, ruin a segment and recreate, a
   double bridge, or the order DP over a randomised full order), improves it by
   local search (``solvers.search_moves``), and accepts it by late-acceptance
   hill climbing (Burke and Bykov 2017);
3. a new best route is polished: every unused model is put at its cheapest place
   and the order DP picks the best subsequence of that order;
4. after ``RESTART`` iterations without a new best the search restarts from it.

Stops after ``Options.iterations`` iterations (default ``DEFAULT_ITERATIONS`` when
no time limit is given) or at the time limit, whichever is first; a given seed and
iteration budget without a binding time limit give the same schedule. Status
``optimal`` only when the best meets a proven bound (all users served, the
knapsack bound of ``Problem.upper_bound``, ``instances.info.served_bounds``, or
dp's optimum on a BLS instance).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np

from instances.info import served_bounds
from instances.schedule import evaluate
from solvers import dp, gemel, greedy
from solvers.result import Options, Outcome, Status
from solvers.search_core import Problem
from solvers.search_moves import (
    Route,
    insertion_costs,
    local_search,
    make_route,
    try_insert,
    try_remove,
)

if TYPE_CHECKING:
    from instances.model import Instance
    from instances.schedule import Schedule

DEFAULT_ITERATIONS = 25
HISTORY = 20  # late-acceptance history length
RESTART = 60  # iterations without a new best before restarting from it
HEAVY_USERS = 20_000  # above this many users or models, skip greedy, gemel, dp
HEAVY_MODELS = 2_000
OPERATORS = ("toggle", "ruin", "bridge", "dp")


def supports(instance: Instance, options: Options) -> str | None:
    """Return None for common-deadline instances."""
    if instance.has_user_deadlines:
        return (
            "per-user deadlines are not supported: the route representation "
            "assumes a common deadline (use bruteforce, milp or cpsat)"
        )
    return None


def neighbours_of(problem: Problem) -> np.ndarray:
    """Return, per candidate, the candidates cheapest to switch with (granular)."""
    return problem.neighbours


def full_order(problem: Problem, order: list[int], rng=None) -> list[int]:
    """Return ``order`` with every other candidate put at its cheapest place.

    With ``rng`` the others come in a random order and each takes one of its
    three cheapest places at random (the "dp" perturbation).
    """
    order = list(order)
    inside = set(order)
    others = [
        int(u) for u in problem.near(order, problem.neighbours) if int(u) not in inside
    ]
    if rng is not None:
        others = [others[i] for i in rng.permutation(len(others))]
    for u in others:
        costs = insertion_costs(problem, order, u, u)
        if rng is None or len(costs) == 1:
            p = int(costs.argmin())
        else:
            top = np.argsort(costs, kind="stable")[:3]
            p = int(top[rng.integers(len(top))])
        order.insert(p, u)
    return order


def polish(problem: Problem, route: Route) -> Route:
    """Return the better of ``route`` and the order DP over its full order."""
    cand = make_route(problem, problem.order_dp(full_order(problem, route.order)))
    return cand if cand.score > route.score else route


def starting_schedules(
    instance: Instance, options: Options, use_dp: bool
) -> list[tuple[str, Schedule, int | None]]:
    """Return (name, schedule, proven bound or None) of the methods search starts from.

    Greedy and gemel (and dp on BLS instances) build the instance's I x I load
    matrix or do O(K^2) work, so they are skipped on huge instances.
    """
    if instance.num_users > HEAVY_USERS or instance.num_models > HEAVY_MODELS:
        return []
    runs: list[tuple[str, Outcome, int | None]] = [
        ("greedy", greedy.solve(instance, options), None)
    ]
    runs.append(("gemel", gemel.solve(instance, options), None))
    if use_dp and dp.supports(instance, options) is None:
        outcome = dp.solve(instance, options)
        runs.append(("dp", outcome, outcome.bound))
    return [(name, o.schedule, b) for name, o, b in runs if o.schedule is not None]


def _constructions(problem: Problem, starts: list):
    """Yield (name, route, proven bound or None) of the starting solutions."""
    for name, schedule, bound in starts:
        route = problem.route_of(schedule)
        yield name, make_route(problem, route), bound
        if name != "dp":
            dp_route = problem.order_dp(full_order(problem, route))
            yield f"{name}+dp", make_route(problem, dp_route), None
    route = rate_greedy(problem)
    yield "rate", make_route(problem, route), None
    dp_route = problem.order_dp(full_order(problem, route))
    yield "rate+dp", make_route(problem, dp_route), None


def rate_greedy(problem: Problem) -> list[int]:
    """Return a route built by appending the model of best users per second.

    Continuous-time Algorithm 3: from the last model, pick the (model, n) with the
    largest n / (load + c(n)) that still fits; O(n * max |K_i|) per step.
    """
    n = problem.n
    width = max((len(t) for t in problem.tables), default=1)
    cost = np.full((n, width), np.inf)
    for t, table in enumerate(problem.tables):
        cost[t, : len(table)] = table
    count = np.arange(width)[None, :]
    left, row, clock, order = np.ones(n, dtype=bool), 0, 0.0, []
    while left.any():
        total = problem.load[row, :n][:, None] + cost
        fits = (clock + total <= problem.limit) & left[:, None] & (count > 0)
        if not fits.any():
            break
        rate = np.where(fits, count / np.maximum(total, 1e-300), -1.0)
        t_, k = np.unravel_index(rate.argmax(), rate.shape)
        t = int(t_)
        clock += float(total[t, k])
        order.append(t)
        left[t], row = False, t + 1
    return order


def perturb(problem, route, rng, neighbours, operator) -> Route:
    """Return ``route`` perturbed by ``operator`` (see module docstring)."""
    order = route.order
    if operator == "dp":
        return make_route(problem, problem.order_dp(full_order(problem, order, rng)))
    if operator == "bridge" and len(order) >= 4:
        a, b, c = sorted(rng.choice(np.arange(1, len(order)), 3, replace=False))
        return make_route(problem, order[:a] + order[c:] + order[b:c] + order[a:b])
    if operator == "ruin" and len(order) >= 2:
        size = int(rng.integers(1, min(4, len(order)) + 1))
        start = int(rng.integers(0, len(order) - size + 1))
        cut = make_route(problem, order[:start] + order[start + size :])
        for t in rng.permutation(problem.n):
            if not cut.key >> int(t) & 1 and int(t) not in order[start : start + size]:
                cand = try_insert(problem, cut, int(t))
                if cand is not None and cand.score > cut.score:
                    cut = cand
        return cut
    seed = int(rng.integers(problem.n))
    pool = [seed, *(int(u) for u in neighbours[seed])]
    for t in pool[: int(rng.integers(1, len(pool) + 1))]:
        if route.key >> t & 1:
            route = try_remove(problem, route, route.order.index(t))
        else:
            cand = try_insert(problem, route, t)
            route = cand if cand is not None and cand.m >= 0 else route
    return route


def iterate(problem, start, rng, budget, stop_at, bound, clock) -> tuple:
    """Run the iterated local search from ``start``; return (best, iterations, trace).

    Stops after ``budget`` iterations (None: no budget), at time ``stop_at`` (a
    ``time.perf_counter`` value, None: no limit), or when the best meets ``bound``.
    ``clock`` is the start time that trace times are measured from.
    """
    neighbours = neighbours_of(problem)
    best = current = start
    history, trace = [best.score] * HISTORY, []
    weights = np.ones(len(OPERATORS))
    iterations = stale = 0
    while problem.n and best.m < bound and (budget is None or iterations < budget):
        if stop_at is not None and time.perf_counter() >= stop_at:
            break
        op = int(rng.choice(len(OPERATORS), p=weights / weights.sum()))
        cand = perturb(problem, current, rng, neighbours, OPERATORS[op])
        cand = local_search(problem, cand, rng, neighbours, stop_at)
        reward = 0.0
        if cand.score > best.score + 1e-12:
            cand = polish(problem, cand)
            cand = local_search(problem, cand, rng, neighbours, stop_at)
            best, stale, reward = cand, 0, 3.0
            trace.append((round(time.perf_counter() - clock, 4), best.m))
        else:
            stale += 1
        # Late acceptance (Burke and Bykov 2017, with both enhancements of 4.2).
        slot = iterations % HISTORY
        if cand.score >= history[slot] or cand.score >= current.score:
            reward = max(reward, 1.0 if cand.score > current.score else 0.5)
            current = cand
        if current.score > history[slot]:
            history[slot] = current.score
        weights[op] = 0.9 * weights[op] + 0.1 * max(reward, 0.05)
        if stale >= RESTART:
            current, stale = best, 0
        iterations += 1
    return best, iterations, trace


def solve(
    instance: Instance,
    options: Options,
    use_dp: bool = True,
    granular_inserts: bool = False,
) -> Outcome:
    """Run the iterated local search and return the best schedule found.

    ``use_dp=False`` leaves dp out of the starting solutions on BLS instances
    (the benchmark uses it to measure the search itself there).
    ``granular_inserts`` tries only inserts near the route above
    ``search_core.GRANULAR`` candidates: weaker, and kept for the fast start of
    the CP-SAT models (``formulations.common.best_fast_schedule``).
    """
    start = time.perf_counter()
    starts = starting_schedules(instance, options, use_dp)
    keep = [instance.model_index[b.model] for _, sch, _ in starts for b in sch.batches]
    problem = Problem(instance, options, keep, granular_inserts)
    rng = np.random.default_rng(options.seed)
    budget = options.iterations
    if budget is None and options.time_limit is None:
        budget = DEFAULT_ITERATIONS
    stop_at = None if options.time_limit is None else start + options.time_limit

    bound, best, origin, trace = instance.num_users, None, "", []
    for name, route, proven in _constructions(problem, starts):
        if proven is not None:
            bound = min(bound, proven)
        if best is None or route.score > best.score:
            best, origin = route, name
            trace.append((round(time.perf_counter() - start, 4), best.m))
    if problem.complete:
        bound = min(bound, problem.upper_bound())
    if instance.num_users <= HEAVY_USERS:  # served_bounds loops over the users
        bound = min(bound, served_bounds(instance)[1])
    best, iterations, more = iterate(problem, best, rng, budget, stop_at, bound, start)
    trace += more

    served = max(best.m, 0)
    schedule = problem.schedule(best.order, served)
    while served and not evaluate(instance, schedule).feasible:
        served -= 1  # a float tie at the deadline the evaluator decides otherwise
        schedule = problem.schedule(best.order, served)
    info = {
        "start": origin,
        "iterations": iterations,
        "models": problem.n,
        "trace": trace,
    }
    status = Status.OPTIMAL if served >= bound else Status.FEASIBLE
    return Outcome(schedule, status, bound=bound, info=info)
