"""dp-paper: Algorithms 1 and 2 of the paper (section V), exactly as published.

Slotted time: T = floor(deadline / slot) slots. For each BLS cluster m, with its
models 1..I_m in ascending shared depth l_i (Corollary 1):

    q_m(i^, i, tau)  = max{k : Phi_m(i^, i, k) <= tau slot}, 0 if tau = 0   (15)
    Phi_m(i^, i, k)  = upload(k) + V(bytes of layers l_{i^}+1 .. L_i of i)
                       + compute(k)                                          (16-17)
    g_m(i, tau2)     = max{ gamma_m(i, tau2), q_m(0, i, tau2), g_m(i-1, tau2) }  (18-19)
    gamma_m(i, tau2) = max over i^ in 1..i-1, tau^ in 1..tau2 with
                       g_m(i^, tau2 - tau^) > 0 and
                       g_m(i^, tau2 - tau^) != g_m(i^ - 1, tau2 - tau^)
                       of g_m(i^, tau2 - tau^) + q_m(i^, i, tau^)
    f(m, tau1)       = max over tau~ in 0..tau1 of f(m-1, tau1 - tau~)
                       + g_m(I_m, tau~)                                      (20)

and U = f(M, T) (21). Algorithm 1 walks the argmaxes back to a schedule. The
readings forced by the paper's own definitions, the tie-breaking and the spots
where the printed Algorithm 1 is inconsistent are in docs/paper-methods.md:

(a) model i loaded after i^ loads layers l_{i^}+1 .. L_i (l_0 = 0), not l_i+1;
(b) the upload time is eq. (11) summed over the users (optimal split), or the
    printed sum of batch maxima times r / B (r equal sub-channels);
(c) the second case of eq. (15) reads "i = 0 or tau = 0": read literally
    ("i^ = 0"), q_m(0, i, .) = 0 and the DP serves nobody
    (``_tables(..., literal_eq15=True)`` shows it).

Everything else is as printed, including the per-model slot rounding and the
two conditions of eq. (19). Status ``feasible``: the slotted optimum proves
nothing about continuous time. ``info["dp_value"]`` is the DP's own claim f(M, T).

``info["ops"]`` holds machine-independent operation counts (docs/experiments.md,
"Complexity study"): ``cost_entries`` (entries of the Phi tables, eqs. 16-17),
``q_entries`` (entries of q_m, eq. 15, as computed: one row per predecessor depth),
``gamma_terms`` (terms g + q evaluated by the max-plus products of eq. 19),
``gamma_terms_printed`` (the terms eq. 19 ranges over as printed: i^ in 1..i-1,
tau^ in 1..tau2, for every tau2), ``f_terms`` (terms of eq. 20), ``backtrack_terms``
(candidates compared by Algorithm 1) and ``total`` (the sum of the evaluated ones:
every count but ``gamma_terms_printed``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.lib.stride_tricks import as_strided

from instances.schedule import Schedule
from instances.structure import Cluster, analyze
from solvers.paper_costs import num_slots, paper_batches, paper_cost_table, slot_budget
from solvers.result import Options, Outcome, Status

if TYPE_CHECKING:
    from instances.model import Instance

# Stand-in for "no candidate" in max-plus tables (served counts are >= 0).
_NEG = -(1 << 40)
# Largest T the vectorised recurrences accept: one (T+1) x (T+1) window per
# preceding model is built at a time.
MAX_SLOTS = 4000


def supports(instance: Instance, options: Options) -> str | None:
    """Return None for a BLS instance with a common deadline, else why not."""
    if instance.has_user_deadlines:
        return "per-user deadlines are not supported (the DP assumes a common deadline)"
    structure = analyze(instance, reuse_blocks=options.reuse_blocks)
    if not structure.is_bls:
        return f"not a bottom-layer-sharing (BLS) instance: {structure.reason}"
    slots = num_slots(instance)
    if slots > MAX_SLOTS:
        return f"too many slots (T = {slots} > {MAX_SLOTS}); use a coarser slot_s"
    return None


def solve(instance: Instance, options: Options) -> Outcome:
    """Run Algorithm 2 (tables) and Algorithm 1 (backtracking)."""
    tables = _tables(instance, options)
    batches = tables.backtrack(instance, options)
    ops = tables.ops
    ops["total"] = sum(v for k, v in ops.items() if k != "gamma_terms_printed")
    schedule = Schedule.from_indices(
        instance, batches, options.reuse_blocks, options.bandwidth
    )
    info = {
        "slots": tables.slots,
        "dp_value": tables.value,
        "clusters": len(tables.clusters),
        "models_used": len({i for i, _ in batches}),
        "ops": ops,
    }
    return Outcome(schedule, Status.FEASIBLE, None, 0.0, info)


PREDECESSORS = ("eq19", "any", "last-used")


def dp_value(
    instance: Instance, options: Options | None = None, predecessors: str = "eq19"
) -> int:
    """Return f(M, T) of Algorithm 2 under a rule for the predecessors i^ of eq. (19).

    ``"eq19"``       as printed: dp-paper's own claim (``info["dp_value"]``);
    ``"any"``        the two conditions of eq. (19) dropped: any i^ may precede
                     i, so the value may count loads no schedule has;
    ``"last-used"``  i^ is the last model used before i, and a used model serves
                     someone: the exact optimum of the paper's own slotted model
                     (per-model slot rounding, Corollary 1 order), what the
                     conditions of eq. (19) try to enforce.
    """
    if predecessors not in PREDECESSORS:
        raise ValueError(
            f'predecessors: expected one of {PREDECESSORS}, got "{predecessors}"'
        )
    return _tables(instance, options or Options(), predecessors=predecessors).value


@dataclass
class _ClusterTables:
    """q_m and g_m of one cluster; position t = 1..I_m is model ``models[t-1]``."""

    models: tuple[int, ...]
    level: np.ndarray  # level[t]: index of l_i among the cluster's distinct depths
    q0: np.ndarray  # (I_m + 1, T + 1): q_m(0, i, .)
    q: list[np.ndarray]  # q[t][d]: q_m(i^, i, .) for any i^ of depth level d
    g: np.ndarray  # (I_m + 1, T + 1), row 0 = g_m(0, .) = 0
    valid: np.ndarray  # (I_m + 1, T + 1): the two conditions of eq. (19)
    ops: dict[str, int]  # operation counts, shared by all tables (module docstring)

    def choose(self, t: int, tau2: int) -> tuple[int, int, int]:
        """Return (i^*, tau^*, k^*) of Algorithm 1, line 12, at (t, tau2).

        Ties go to the first maximiser in the printed order of eq. (19): the
        gamma term (ascending i^, then ascending tau^), then q_m(0, i, tau2),
        then g_m(i-1, tau2) (read as i^* = i-1, tau^* = 0, k^* = 0).
        """
        best = self.g[t, tau2]
        if t > 1:
            prev = tau2 - np.arange(1, tau2 + 1)  # tau2 - tau^ for tau^ = 1..tau2
            a = np.where(self.valid[1:t, prev], self.g[1:t, prev], _NEG)
            q = self.q[t][self.level[1:t], 1 : tau2 + 1]  # one row per i^ = 1..t-1
            values = a + q
            self.ops["backtrack_terms"] += values.size
            flat = int(np.argmax(values))
            if values.flat[flat] == best:
                ihat, tauhat = divmod(flat, tau2)
                return ihat + 1, tauhat + 1, int(q[ihat, tauhat])
        if self.q0[t, tau2] == best:
            return 0, tau2, int(self.q0[t, tau2])
        if self.g[t - 1, tau2] == best:
            return t - 1, 0, 0
        raise AssertionError("g_m(i, tau2) matches none of the terms of eq. (19)")


@dataclass
class _Tables:
    """All tables of Algorithm 2: per-cluster q and g, and f across clusters."""

    slots: int
    clusters: list[_ClusterTables]
    f: np.ndarray  # (M + 1, T + 1)
    ops: dict[str, int]  # operation counts (module docstring)

    @property
    def value(self) -> int:
        """Return U = f(M, T), the DP's claimed optimum (eq. 21)."""
        return int(self.f[-1, -1])

    def backtrack(
        self, instance: Instance, options: Options
    ) -> list[tuple[int, np.ndarray]]:
        """Return Algorithm 1's schedule as (model, users) batches, in order.

        Batches found later are put in front (lines 15-20 shift the batches
        already found back by N'_i(k^*)), so clusters come out in ascending m
        and each cluster's models in ascending l_i.
        """
        out: list[tuple[int, np.ndarray]] = []
        tau1 = self.slots
        for m in range(len(self.clusters), 0, -1):  # lines 2-28
            if tau1 <= 0:
                break
            cluster = self.clusters[m - 1]
            tt = np.arange(tau1 + 1)
            tau_tilde = int(np.argmax(self.f[m - 1, tau1 - tt] + cluster.g[-1, tt]))
            self.ops["backtrack_terms"] += tau1 + 1
            t, tau2 = len(cluster.models), tau_tilde  # line 7
            while t > 0 and tau2 > 0:  # lines 8-11
                ihat, tauhat, k = cluster.choose(t, tau2)  # lines 12-13
                model = cluster.models[t - 1]
                out[:0] = paper_batches(instance, model, k, options.bandwidth)
                t, tau2 = ihat, tau2 - tauhat  # line 27
            # Missing from the printed listing: without these the loop never ends.
            tau1 -= tau_tilde
        return out


def _max_plus(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Return c[..., s] = max over u in 0..s of a[..., s - u] + b[..., u].

    ``a`` and ``b`` have the same shape (..., T+1); entries equal to ``_NEG``
    stand for "no candidate". Vectorised with a sliding window: one
    (..., T+1, T+1) array.
    """
    n = a.shape[-1]
    pad = np.full((*a.shape[:-1], n - 1), _NEG, dtype=np.int64)
    padded = np.concatenate((pad, a), axis=-1)
    # windows[..., s, j] = a[..., s + j - (n-1)], paired with b[..., (n-1) - j]
    # (a read-only strided view: sliding_window_view costs more on small arrays).
    step = padded.strides[-1]
    windows = as_strided(
        padded, (*a.shape, n), (*padded.strides[:-1], step, step), writeable=False
    )
    return (windows + b[..., None, ::-1]).max(axis=-1)


def _cluster_tables(
    instance: Instance,
    cluster: Cluster,
    options: Options,
    slots: int,
    literal_eq15: bool,
    predecessors: str = "eq19",
    ops: dict[str, int] | None = None,
) -> _ClusterTables:
    """Compute q_m (eqs. 15-17) and g_m (eqs. 18-19) of one cluster.

    ``predecessors`` is the rule for i^ in gamma (see :func:`dp_value`);
    ``ops`` receives the operation counts (module docstring).
    """
    ops = _new_ops() if ops is None else ops
    pairs = (slots + 1) * (slots + 2) // 2  # terms of one max-plus row, tau2 = 0..T
    size = len(cluster.models)
    budget = slot_budget(instance, np.arange(slots + 1))
    # Reading (a): after i^ the layers above l_{i^} are loaded; l_0 = 0.
    prefix = np.concatenate(
        ([0.0], np.cumsum(instance.block_sizes[list(cluster.shared)]))
    )
    # q_m(i^, i, .) depends on i^ only through l_{i^}: group predecessors by
    # depth (same values, far fewer max-plus products when I_m is large).
    depths, level = np.unique(cluster.depth, return_inverse=True)
    level = np.concatenate(([-1], level))  # position 0 is the empty GPU
    shared_bytes = np.concatenate(([0.0], prefix[depths]))  # row 0: l_0 = 0
    g = np.zeros((size + 1, slots + 1), dtype=np.int64)
    valid = np.zeros_like(g, dtype=bool)
    q0 = np.zeros_like(g)
    q: list[np.ndarray] = [q0[:0]]
    by_level = np.full((len(depths), slots + 1), _NEG, dtype=np.int64)
    for t, model in enumerate(cluster.models, start=1):
        costs = paper_cost_table(instance, model, options.bandwidth)
        rows = level[t] + 2  # the empty GPU, then depth levels 0..level[t]
        load_bytes = instance.model_bytes[model] - shared_bytes[:rows]
        load = instance.loading.seconds_per_byte * load_bytes  # V is linear
        budgets = budget[None, :] - load[:, None]
        counts = np.maximum(np.searchsorted(costs, budgets, side="right") - 1, 0)
        counts[:, 0] = 0  # q_m(., i, 0) = 0
        ops["cost_entries"] += len(costs)
        ops["q_entries"] += counts.size
        ops["gamma_terms_printed"] += (t - 1) * slots * (slots + 1) // 2
        if literal_eq15:
            counts[0] = 0  # the printed second case of eq. (15): "0 if i^ = 0"
        q0[t] = counts[0]
        q.append(counts[1:])

        last = predecessors == "last-used"
        # "last-used": h(i, .) = the best with i the last used model, which serves
        # someone (a model serving nobody is not loaded, so it cannot be i^).
        best = np.where(q0[t] > 0, q0[t], _NEG) if last else np.maximum(q0[t], g[t - 1])
        seen = np.flatnonzero(by_level.max(axis=1) > _NEG)  # levels with a valid i^
        if len(seen):
            b = counts[1:][seen]
            b[:, 0] = _NEG  # tau^ >= 1 in gamma
            if last:
                b[b == 0] = _NEG
            best = np.maximum(best, _max_plus(by_level[seen], b).max(axis=0))
            ops["gamma_terms"] += len(seen) * pairs
        candidates = best
        if last:
            best = np.maximum(best, g[t - 1])
        best[0] = 0
        g[t] = best
        valid[t] = (best > 0) & (best != g[t - 1])
        if predecessors == "eq19":
            candidates = np.where(valid[t], best, _NEG)
        elif predecessors == "any":
            candidates = best
        by_level[level[t]] = np.maximum(by_level[level[t]], candidates)
    return _ClusterTables(cluster.models, level, q0, q, g, valid, ops)


def _new_ops() -> dict[str, int]:
    """Return zeroed operation counters (module docstring)."""
    names = ("cost_entries", "q_entries", "gamma_terms", "gamma_terms_printed")
    return dict.fromkeys((*names, "f_terms", "backtrack_terms"), 0)


def _tables(
    instance: Instance,
    options: Options,
    literal_eq15: bool = False,
    predecessors: str = "eq19",
) -> _Tables:
    """Run Algorithm 2, lines 1-23: q, g for every cluster, then f (eq. 20).

    ``literal_eq15`` applies the second case of eq. (15) as printed (q = 0 when
    i^ = 0), to show that reading (c) is forced. ``predecessors`` other than
    ``"eq19"`` (:func:`dp_value`) serve the verification campaign's diagnosis;
    the tables are then no longer the ones Algorithm 1 backtracks.
    """
    slots = num_slots(instance)
    structure = analyze(instance, reuse_blocks=options.reuse_blocks)
    ops = _new_ops()
    clusters = [
        _cluster_tables(instance, c, options, slots, literal_eq15, predecessors, ops)
        for c in structure.clusters
    ]
    f = np.zeros((len(clusters) + 1, slots + 1), dtype=np.int64)
    for m, cluster in enumerate(clusters, start=1):
        f[m] = _max_plus(f[m - 1], cluster.g[-1])
    ops["f_terms"] = len(clusters) * (slots + 1) * (slots + 2) // 2
    return _Tables(slots, clusters, f, ops)
