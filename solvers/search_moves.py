"""Local search of ``search``: route moves and set moves on a route (docs/search.md).

A :class:`Route` holds the used candidates in order, the bit mask of its set, its
load, m* and time. Moves are evaluated without building a schedule:

* route moves keep the set, so only the load changes: or-opt (a segment of 1-3
  models moved elsewhere) and 2-opt (a segment reversed), each evaluated for
  every position at once with numpy, best move applied;
* set moves change the profile: insert any unused model at its cheapest position,
  remove a model, replace a model by one of its granular neighbours.

The search is first-improvement over the set moves in a random order (as in
PyVRP's local search) and best-improvement over the route moves.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from solvers.search_core import Problem

EPS = 1e-12


@dataclass(slots=True)
class Route:
    """A route: used candidates in order, with its mask, load, m* and time."""

    order: list[int]
    key: int
    load: float
    m: int
    time: float
    score: float


def make_route(problem: Problem, order: list[int]) -> Route:
    """Return the evaluated route of ``order``."""
    key = 0
    for t in order:
        key |= 1 << t
    load = problem.route_load(order)
    m, time = problem.served(problem.profile(order), load, len(order))
    return Route(list(order), key, load, m, time, problem.score(m, time))


def _evaluated(problem: Problem, order, key, load, prof) -> Route:
    m, time = problem.served(prof, load, len(order))
    return Route(order, key, load, m, time, problem.score(m, time))


def insertion_costs(problem: Problem, order: list[int], first: int, last: int):
    """Return the extra load of putting the chain first..last at each position.

    Position p puts it before ``order[p]`` (p = len(order): at the end).
    """
    arr = np.array(order, dtype=np.int64)
    prev = np.concatenate(([0], arr + 1))
    nxt = np.concatenate((arr, [problem.end]))
    load = problem.load
    return load[prev, first] + load[last + 1, nxt] - load[prev, nxt]


def _link(problem: Problem, order: list[int], p: int) -> tuple[int, int]:
    """Return the (row, column) around position p of ``order``."""
    prev = 0 if p == 0 else order[p - 1] + 1
    nxt = problem.end if p == len(order) else order[p]
    return prev, nxt


def removal_gain(problem: Problem, order: list[int], i: int, j: int) -> float:
    """Return the load saved by cutting ``order[i:j]`` out (its inner arcs kept)."""
    prev, _ = _link(problem, order, i)
    _, nxt = _link(problem, order, j)
    load = problem.load
    return load[prev, order[i]] + load[order[j - 1] + 1, nxt] - load[prev, nxt]


def best_or_opt(problem: Problem, route: Route) -> tuple[float, list[int]] | None:
    """Return the best (load change, order) moving a segment of 1-3 models.

    Moving order[i:i+s] between order[p-1] and order[p], p outside [i, i+s],
    changes the load by insert(first, last, p) - removal_gain(i, i+s), computed
    for every (i, p) at once.
    """
    order, best = route.order, None
    n = len(order)
    arr = np.array(order, dtype=np.int64)
    prev = np.concatenate(([0], arr + 1))
    nxt = np.concatenate((arr, [problem.end]))
    load = problem.load
    base = load[prev, nxt]  # the arc a chain would be put into, per position
    p = np.arange(n + 1)[None, :]
    for size in (1, 2, 3):
        if size > n - 1:
            break
        i = np.arange(n - size + 1)
        first, last = arr[i], arr[i + size - 1]
        gain = load[prev[i], first] + load[last + 1, nxt[i + size]]
        gain = gain - load[prev[i], nxt[i + size]]
        delta = load[prev[None, :], first[:, None]] + load[last[:, None] + 1, nxt]
        delta = delta - base[None, :] - gain[:, None]
        delta[(p >= i[:, None]) & (p <= i[:, None] + size)] = np.inf
        k = int(delta.argmin())
        if delta.flat[k] < -EPS and (best is None or delta.flat[k] < best[0]):
            a, q = divmod(k, n + 1)
            seg = order[a : a + size]
            rest: list[int | list[int] | None] = [*order[:a], *[None] * size]
            rest += order[a + size :]
            rest.insert(q, seg)
            new = []
            for x in rest:
                if isinstance(x, list):
                    new += x
                elif x is not None:
                    new.append(x)
            best = (float(delta.flat[k]), new)
    return best


def best_two_opt(problem: Problem, route: Route) -> tuple[float, list[int]] | None:
    """Return the best (load change, order) reversing a segment order[i..j]."""
    order = route.order
    n = len(order)
    if n < 2:
        return None
    r = np.array(order, dtype=np.int64)
    load = problem.load
    prev = np.concatenate(([0], r[:-1] + 1))
    nxt = np.concatenate((r[1:], [problem.end]))
    fwd = np.concatenate(([0.0], np.cumsum(load[r[:-1] + 1, r[1:]])))
    bwd = np.concatenate(([0.0], np.cumsum(load[r[1:] + 1, r[:-1]])))
    i, j = np.triu_indices(n, 1)
    delta = (
        load[prev[i], r[j]]
        + load[r[i] + 1, nxt[j]]
        - load[prev[i], r[i]]
        - load[r[j] + 1, nxt[j]]
        + (bwd[j] - bwd[i])
        - (fwd[j] - fwd[i])
    )
    k = int(delta.argmin())
    if delta[k] >= -EPS:
        return None
    a, b = int(i[k]), int(j[k])
    return float(delta[k]), order[:a] + order[a : b + 1][::-1] + order[b + 1 :]


def try_insert(problem: Problem, route: Route, u: int) -> Route | None:
    """Return ``route`` with u at its cheapest position, or None if nothing fits."""
    costs = insertion_costs(problem, route.order, u, u)
    p = int(costs.argmin())
    prof = problem.profile_with(route.key, route.order, u)
    if not np.isfinite(prof[-1]):
        return None
    order = [*route.order[:p], u, *route.order[p:]]
    return _evaluated(problem, order, route.key | 1 << u, route.load + costs[p], prof)


def try_remove(problem: Problem, route: Route, i: int) -> Route:
    """Return ``route`` without its i-th model."""
    t = route.order[i]
    order = route.order[:i] + route.order[i + 1 :]
    load = route.load - removal_gain(problem, route.order, i, i + 1)
    return _evaluated(problem, order, route.key ^ 1 << t, load, problem.profile(order))


def try_replace(problem: Problem, route: Route, i: int, u: int) -> Route | None:
    """Return ``route`` with its i-th model replaced by u at u's cheapest position."""
    t = route.order[i]
    rest = route.order[:i] + route.order[i + 1 :]
    load = route.load - removal_gain(problem, route.order, i, i + 1)
    costs = insertion_costs(problem, rest, u, u)
    p = int(costs.argmin())
    prof = problem.profile_with(route.key ^ 1 << t, rest, u)
    if not np.isfinite(prof[-1]):
        return None
    order = [*rest[:p], u, *rest[p:]]
    return _evaluated(
        problem, order, route.key ^ 1 << t | 1 << u, load + costs[p], prof
    )


def apply_route_moves(problem: Problem, route: Route) -> Route:
    """Return ``route`` after or-opt and 2-opt moves until none lowers the load."""
    while True:
        found = (best_or_opt(problem, route), best_two_opt(problem, route))
        moves = [m for m in found if m is not None]
        if not moves:
            return route
        _, order = min(moves, key=lambda m: m[0])
        prof = problem.profile(order)
        route = _evaluated(problem, order, route.key, problem.route_load(order), prof)


def best_set_move(problem: Problem, route: Route, neighbours: np.ndarray) -> Route:
    """Return the best route one insert, remove or replace away (or ``route``).

    Load changes are computed for every move at once; each move that passes
    :func:`_may_reach` then costs one (cached) profile and one m* look-up.
    Inserts try every unused candidate (granular neighbours miss the models
    worth adding on large instances, docs/search.md section 4), or only those
    near the route with ``problem.granular_inserts``; replacements are
    limited to the granular neighbours of the model replaced.
    """
    order, key, load = route.order, route.key, problem.load
    arr = np.array(order, dtype=np.int64)
    prev = np.concatenate(([0], arr + 1))
    nxt = np.concatenate((arr, [problem.end]))
    base = load[prev, nxt]
    best = route
    pool = problem.insert_pool(order, neighbours)
    unused = np.array([u for u in pool if not key >> u & 1], dtype=int)
    if len(unused):
        extra = load[prev][:, unused] + load[unused + 1][:, nxt].T - base[:, None]
        where = extra.argmin(axis=0)
        own = problem.profile(order)
        for c, (u, p) in enumerate(zip(unused.tolist(), where.tolist(), strict=True)):
            cand_load = route.load + extra[p, c]
            if not _may_reach(problem, own, len(order), cand_load, u, best.m):
                continue
            prof = problem.profile_with(key, order, u)
            m, time = problem.served(prof, cand_load, len(order) + 1)
            if problem.score(m, time) > best.score + EPS:
                best = _evaluated(
                    problem, [*order[:p], u, *order[p:]], key | 1 << u, cand_load, prof
                )
    if not len(arr):
        return best
    gain = load[prev[:-1], arr] + load[arr + 1, nxt[1:]] - load[prev[:-1], nxt[1:]]
    removed = problem.removal_profiles(order, key)
    for i, t in enumerate(order):
        rest = order[:i] + order[i + 1 :]
        rest_load = route.load - gain[i]
        prof = removed[i]
        m, time = problem.served(prof, rest_load, len(rest))
        if problem.score(m, time) > best.score + EPS:
            best = _evaluated(problem, rest, key ^ 1 << t, rest_load, prof)
        near = [int(u) for u in neighbours[t] if not key >> int(u) & 1]
        if not near:
            continue
        costs = insertion_matrix(problem, rest, np.array(near))
        where = costs.argmin(axis=0)
        for c, (u, p) in enumerate(zip(near, where.tolist(), strict=True)):
            cand_load = rest_load + costs[p, c]
            if not _may_reach(problem, prof, len(rest), cand_load, u, best.m):
                continue
            prof_u = problem.profile_with(key ^ 1 << t, rest, u)
            m, time = problem.served(prof_u, cand_load, len(order))
            if problem.score(m, time) > best.score + EPS:
                best = _evaluated(
                    problem,
                    [*rest[:p], u, *rest[p:]],
                    key ^ 1 << t | 1 << u,
                    cand_load,
                    prof_u,
                )
    return best


def _may_reach(
    problem: Problem, prof: np.ndarray, size: int, load: float, u: int, target: int
) -> bool:
    """Return False only if adding model u to a set S cannot serve ``target`` users.

    ``prof`` is K_S (|S| = ``size``) and ``load`` the load with u inserted. Every
    model serves at least one user and K_S is non-decreasing from |S| on, so
    K_{S+u}[m] >= K_S[max(m - n_u, |S|)] + c_u(1) (n_u = u's longest count):
    m*(S + u) <= m*_S(load + c_u(1)) + n_u, and no m fits when m*_S finds none.
    A relative 1e-9 of slack keeps float rounding from cutting a tie.
    """
    table = problem.tables[u]
    m, _ = problem.served(prof, load + table[1] - 1e-9 * problem.limit, size)
    return m >= 0 and m + len(table) - 1 >= target


def insertion_matrix(problem: Problem, order: list[int], models: np.ndarray):
    """Return the extra load of inserting each of ``models`` at each position."""
    arr = np.array(order, dtype=np.int64)
    prev = np.concatenate(([0], arr + 1))
    nxt = np.concatenate((arr, [problem.end]))
    load = problem.load
    return load[prev][:, models] + load[models + 1][:, nxt].T - load[prev, nxt][:, None]


def local_search(
    problem: Problem,
    route: Route,
    rng: np.random.Generator,
    neighbours: np.ndarray,
    stop_at: float | None = None,
) -> Route:
    """Return a local optimum of ``route`` under the route and set moves.

    Stops early (with the best route so far) at ``time.perf_counter() >= stop_at``.
    """
    route = apply_route_moves(problem, route)
    while stop_at is None or time.perf_counter() < stop_at:
        better = best_set_move(problem, route, neighbours)
        if better is route:
            return route
        route = apply_route_moves(problem, better)
    return route
