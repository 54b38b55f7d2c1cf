r"""The compact MILP of P2 (``milp-seq``) in Pyomo: variables, rows, objective.

With a common deadline T an optimal schedule runs each used model's batches
consecutively and serves its n_i cheapest users at cost c_i(n_i) (Theorem
2.1/2.2, docs/model.md; the same reduction as ``cpsat-seq``). P2 is then: pick
counts n_i and an order of the used models (a path from the empty-GPU depot 0)
minimising nothing but fitting in T:

    max  sum_i n_i   s.t.  sum_i c_i(n_i) + sum_{arcs a->b of the path} L(a, b) <= T.

Sets (after pruning, ``data.prepare``): candidate models i in M with counts
n = 1..nbar_i; arcs A = {(0, b)} u {(a, b): a != b} for a, b in M (0 = depot);
block groups g with load V_g (ms) and owners M_g. Times are in milliseconds.

Variables
---------
x[i,n] in {0,1}   model i serves its n cheapest users (one-hot count)
y[a,b] in {0,1}   model b runs right after a (a = 0: b runs first)
f[a,b] >= 0       flow on arc (a, b) (subtour elimination)
h[g]   in [0,1]   group g is loaded at least once (union bound)

Expressions: used_i = sum_n x[i,n];  served = sum_{i,n} n x[i,n];
compute = sum_{i,n} c_i(n) x[i,n];  load = sum_{(a,b) in A} L(a,b) y[a,b].
The one-hot x makes the LP see the convex hull of each table (n, c_i(n)).

Constraints (in the order they are added)
-----------------------------------------
one_count[i]       sum_n x[i,n] <= 1
enter[b]           sum_a y[a,b] = used_b          (a used model has one predecessor)
leave[a]           sum_b y[a,b] <= used_a         (at most one successor)
depot              sum_b y[0,b] <= 1              (one path leaves the empty GPU)
flow_source        sum_b f[0,b] = sum_i used_i
flow_balance[i]    sum_a f[a,i] - sum_b f[i,b] = used_i
flow_capacity[a,b] f[a,b] <= U_a y[a,b],  U_0 = U, U_a = U - 1 for a model a
group_loaded[g,i]  h[g] >= used_i  for i in M_g                        (valid)
union              load >= sum_g V_g h[g]                               (valid)
group_entered[g]   sum_{a not in M_g, b in M_g} y[a,b] >= h[g]          (valid)
    written as sum_{b in M_g} used_b - sum_{a,b in M_g} y[a,b] >= h[g] when
    that has fewer terms (the two sides are equal by enter[b])
deadline           compute + load <= T
at_least           served >= s + 1       (optional: the "one user more" cut)

Objective: max served (or min -served for legacy solvers and the MPS export).

Subtour elimination (single-commodity flow, Gavish-Graves). The depot sends one
unit of flow to every used model, which keeps it (flow_source, flow_balance);
flow moves only on chosen arcs (flow_capacity). Without the flow, enter/leave/
depot admit a path from the depot plus disjoint cycles of used models. Let C
be such a cycle: each model of C has its one predecessor in C (enter), so no
chosen arc enters C from outside and no flow does (capacity); summing
flow_balance over C gives  -(flow leaving C) = |C| > 0,  impossible with f >= 0.
So the chosen arcs form one path 0 -> i_1 -> ... -> i_m through exactly the
used models (out-degree <= 1 everywhere), which is the order; conversely every
order with f[a,b] = number of used models after a on the path satisfies all
rows. U (``Data.max_used``) bounds the number of models any schedule uses, so
the flow on an arc never exceeds U, or U - 1 on an arc leaving a used model.

The union row: starting from an empty GPU, every block of every used model is
loaded at least once, so the loads are at least V(union of used blocks); a
switch loads whole groups, so the bound is a sum over groups (each V_g shrunk by
a relative 1e-12 so that round-off never makes it exceed the true load). It is
implied for integer points and tightens the LP (as in ``cpsat-seq``).

The group_entered rows: if a model of M_g is used, the path enters M_g from
outside at least once (the depot is outside; the first model of M_g on the
path has its predecessor outside), so the arcs entering M_g sum to at least
h[g] (h[g] = 1 then; with no model of M_g used h[g] may be 0). As h[g] >=
used_k for every k in M_g, this is the subtour elimination cut of the set M_g,
one row per group. Each group is loaded once per entry, so the loads equal
sum_g V_g (arcs entering M_g): the rows bound the group's loads directly. They
are implied by the flow for integer points; in the LP they cut fractional
cycles inside the groups (general 80 x 50 on the cold-HDD profile: proven in
24 s instead of 16 <= 20 after 30 s, docs/formulations-milp-seq.md).

Size: sum_i nbar_i binaries x, |M|^2 binaries y, |M|^2 flows f, |G| h;
4|M| + |M|^2 + sum_g |M_g| + |G| + 4 rows (one more with at_least).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from formulations.milp_seq.data import Data, prepare

if TYPE_CHECKING:
    from instances.model import Instance
    from solvers.result import Options

DEPOT = -1  # node 0 of the docstring: the empty GPU before the first batch


def build_model(
    instance: Instance,
    options: Options,
    data: Data | None = None,
    minimise: bool = False,
    at_least: int | None = None,
):
    """Return the Pyomo ``ConcreteModel`` of the compact MILP (module docstring).

    ``minimise`` states the objective as min -served; ``at_least`` adds the row
    served >= at_least. The model is named "P2" (short portable names).
    """
    import pyomo.environ as pyo

    d = data or prepare(instance, options)
    m = pyo.ConcreteModel(name="P2")
    _variables(m, d)
    _expressions(m, d)
    # Constraints, in the order of the module docstring.
    _one_count(m, d)
    _degrees(m, d)  # enter, leave, depot
    _flow(m, d)  # flow_source, flow_balance, flow_capacity
    _union(m, d)  # group_loaded, union
    _group_entered(m, d)
    _deadline(m, d)
    if at_least is not None:
        m.at_least = pyo.Constraint(expr=m.served_count >= at_least)
    _objective(m, minimise)
    return m


def _variables(m, d: Data) -> None:
    """Add x, y (binary), f >= 0 and h in [0, 1]."""
    import pyomo.environ as pyo

    m.M = pyo.Set(initialize=d.models, ordered=True)
    m.X = pyo.Set(
        initialize=[(i, n) for i in d.models for n in range(1, len(d.cost_ms[i]))],
        dimen=2,
        ordered=True,
    )
    m.A = pyo.Set(initialize=d.arcs, dimen=2, ordered=True)
    m.G = pyo.RangeSet(0, len(d.groups) - 1)
    m.x = pyo.Var(m.X, within=pyo.Binary)
    m.y = pyo.Var(m.A, within=pyo.Binary)
    m.f = pyo.Var(m.A, bounds=(0, d.max_used))
    m.h = pyo.Var(m.G, bounds=(0, 1))


def _expressions(m, d: Data) -> None:
    """Add used[i], served_count, compute_time and load_time."""
    import pyomo.environ as pyo

    counts = {i: range(1, len(d.cost_ms[i])) for i in d.models}
    m.used = pyo.Expression(m.M, rule=lambda m, i: sum(m.x[i, n] for n in counts[i]))
    m.served_count = pyo.Expression(expr=sum(n * m.x[i, n] for i, n in m.X))
    m.compute_time = pyo.Expression(
        expr=sum(float(d.cost_ms[i][n]) * m.x[i, n] for i, n in m.X)
    )
    m.load_time = pyo.Expression(expr=sum(d.load_ms[a] * m.y[a] for a in m.A))


def _one_count(m, d: Data) -> None:
    """one_count[i]: sum_n x[i,n] <= 1."""
    import pyomo.environ as pyo

    m.one_count = pyo.Constraint(m.M, rule=lambda m, i: m.used[i] <= 1)


def _degrees(m, d: Data) -> None:
    """enter[b] = used_b, leave[a] <= used_a, depot <= 1."""
    import pyomo.environ as pyo

    into = {b: [a for a in (DEPOT, *d.models) if a != b] for b in d.models}
    out = {a: [b for b in d.models if b != a] for a in (DEPOT, *d.models)}
    m.enter = pyo.Constraint(
        m.M, rule=lambda m, b: sum(m.y[a, b] for a in into[b]) == m.used[b]
    )
    m.leave = pyo.Constraint(
        m.M, rule=lambda m, a: sum(m.y[a, b] for b in out[a]) <= m.used[a]
    )
    if d.models:
        m.depot = pyo.Constraint(expr=sum(m.y[DEPOT, b] for b in out[DEPOT]) <= 1)


def _flow(m, d: Data) -> None:
    """flow_source, flow_balance[i], flow_capacity[a,b] (single-commodity flow)."""
    import pyomo.environ as pyo

    into = {b: [a for a in (DEPOT, *d.models) if a != b] for b in d.models}
    out = {a: [b for b in d.models if b != a] for a in (DEPOT, *d.models)}
    if d.models:
        m.flow_source = pyo.Constraint(
            expr=sum(m.f[DEPOT, b] for b in out[DEPOT]) == sum(m.used[i] for i in m.M)
        )

    def balance(m, i):
        inflow = sum(m.f[a, i] for a in into[i])
        return inflow - sum(m.f[i, b] for b in out[i]) == m.used[i]

    def capacity(m, a, b):
        cap = d.max_used if a == DEPOT else d.max_used - 1
        return m.f[a, b] <= cap * m.y[a, b]

    m.flow_balance = pyo.Constraint(m.M, rule=balance)
    m.flow_capacity = pyo.Constraint(m.A, rule=capacity)


def _union(m, d: Data) -> None:
    """group_loaded[g,i]: h[g] >= used_i; union: load >= sum_g V_g h[g]."""
    import pyomo.environ as pyo

    pairs = [(g, i) for g, (_, owners) in enumerate(d.groups) for i in owners]
    m.group_loaded = pyo.Constraint(pairs, rule=lambda m, g, i: m.h[g] >= m.used[i])
    shrink = 1.0 - 1e-12
    if not d.models:
        return
    m.union = pyo.Constraint(
        expr=m.load_time >= sum(shrink * d.groups[g][0] * m.h[g] for g in m.G)
    )


def _group_entered(m, d: Data) -> None:
    """group_entered[g]: the arcs entering M_g from outside sum to >= h[g]."""
    import pyomo.environ as pyo

    def rule(m, g):
        owners = d.groups[g][1]
        inside = set(owners)
        if len(owners) ** 2 <= (len(d.models) - len(owners) + 1) * len(owners):
            within = sum(m.y[a, b] for a in owners for b in owners if a != b)
            return sum(m.used[b] for b in owners) - within >= m.h[g]
        entering = [(a, b) for a, b in d.arcs if b in inside and a not in inside]
        return sum(m.y[a] for a in entering) >= m.h[g]

    m.group_entered = pyo.Constraint(m.G, rule=rule)


def _deadline(m, d: Data) -> None:
    """deadline: compute + load <= T (T as the data's rows state it)."""
    import pyomo.environ as pyo

    if d.models:
        m.deadline = pyo.Constraint(expr=m.compute_time + m.load_time <= d.deadline_ms)


def _objective(m, minimise: bool) -> None:
    """max served, or min -served (``minimise``; see formulations.milp.model)."""
    import pyomo.environ as pyo

    if minimise:
        m.neg_served = pyo.Objective(expr=-m.served_count, sense=pyo.minimize)
    else:
        m.served = pyo.Objective(expr=m.served_count, sense=pyo.maximize)
