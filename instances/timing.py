"""Timing semantics of spec section 2, in one place.

Every method, formulation, the evaluator and ``info`` take the timing rules from
here, so that a change of the model (a new bandwidth policy, a setup overhead)
is made once. Only :mod:`solvers.bruteforce` recomputes them on purpose, as an
independent second implementation (tests/test_evaluator.py checks both agree).

A batch n of model i_n with user set U_n takes

    t_n = upload_n + load_n + compute_n,

where, with the optimal bandwidth split of Proposition 1,

    upload_n  = sum_{k in U_n} D_k / (R_k B)                       (eq. 11)
    share_k   = (D_k / R_k) / sum_{k' in U_n} D_k' / R_k'          (eq. 12)

and with the paper's equal-bandwidth ablation (Fig. 8: B cut into r equal
sub-channels, one user each, so at most r users per batch)

    upload_n  = max_{k in U_n} D_k / (R_k B / r) = r max_{k in U_n} D_k / (R_k B),

    load_n    = V(bytes of i_n not in i_{n-1})                     (eq. 8)
              = V(all bytes of i_n) if i_n != i_{n-1} and blocks are not reused
    compute_n = mu_{i_n} |U_n| + beta_{i_n}                        (eq. 9)

with i_0 = none, so the first batch loads its whole model.

Feasibility: a user is served when its batch ends by its deadline up to the
spec's relative tolerance, end <= deadline (1 + 1e-9) (:func:`meets`). Every
exact method and formulation models exactly this set, through
:func:`effective_deadline`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar, overload

import numpy as np

if TYPE_CHECKING:
    from instances.model import Instance

# Relative tolerance of a deadline (spec section 2): the one feasibility rule.
DEADLINE_RTOL = 1e-9
# Relative tolerance of "a duration fits in tau slots" of the slotted methods;
# num_slots keeps tau slots plus this tolerance inside the effective deadline.
SLOT_RTOL = 1e-10

Seconds = TypeVar("Seconds", float, np.ndarray)


# Methods compute a batch end with their own sums (cumulative tables, matrices),
# which can differ from the evaluator's in the last bits (about 1e-15 relative).
# They decide with the rule widened by EDGE_RTOL (:func:`fits`), so that they
# never rule out a schedule the evaluator accepts: their optimum is a bound of
# the evaluator's problem. A user the evaluator then finds late by no more than
# EDGE_RTOL is a rounding difference, taken out by the registry (status
# feasible, the method's count as the bound), not a bug.
EDGE_RTOL = 1e-12


@overload
def fits(end_s: float, deadline_s: float) -> bool: ...
@overload
def fits(end_s: np.ndarray, deadline_s: float | np.ndarray) -> np.ndarray: ...
def fits(end_s, deadline_s):
    """Return whether a method's own ``end_s`` may meet ``deadline_s`` (see above)."""
    return end_s <= effective_deadline(deadline_s) * (1.0 + EDGE_RTOL)


def effective_deadline(deadline_s: Seconds) -> Seconds:
    """Return the latest end that meets ``deadline_s``: deadline (1 + 1e-9)."""
    return deadline_s * (1.0 + DEADLINE_RTOL)


@overload
def meets(end_s: float, deadline_s: float) -> bool: ...
@overload
def meets(end_s: np.ndarray, deadline_s: float | np.ndarray) -> np.ndarray: ...
@overload
def meets(end_s: float, deadline_s: np.ndarray) -> np.ndarray: ...
def meets(end_s, deadline_s):
    """Return whether a batch ending at ``end_s`` meets ``deadline_s`` (spec §2).

    Works on floats and, elementwise, on arrays.
    """
    return end_s <= effective_deadline(deadline_s)


def num_slots(deadline_s: float, slot_s: float) -> int:
    """Return T, the deadline in whole slots, for the slotted methods.

    T is the largest integer whose slot budget ``T slot (1 + SLOT_RTOL)`` (see
    :func:`slot_budget`) meets the deadline, so a schedule that fits in T slots
    is feasible for the evaluator; 0.7 s / 0.01 s gives 70 despite float error.
    """
    return math.floor(effective_deadline(deadline_s) / (slot_s * (1.0 + SLOT_RTOL)))


def slot_budget(slot_s: float, slots):
    """Return the seconds available in ``slots`` slots, tolerance included."""
    return np.asarray(slots) * slot_s * (1.0 + SLOT_RTOL)


@dataclass(frozen=True, slots=True)
class Bandwidth:
    """How the uplink bandwidth B is split within a batch.

    ``channels is None`` is the optimal split of eq. (12); ``channels = r`` is the
    equal split into r sub-channels of the paper's Fig. 8 ablation.
    """

    channels: int | None = None

    def __post_init__(self) -> None:
        if self.channels is not None and (
            isinstance(self.channels, bool)
            or not isinstance(self.channels, int)
            or self.channels < 1
        ):
            raise ValueError(
                "bandwidth: sub-channels must be an integer >= 1, "
                f"got {self.channels!r}"
            )

    @classmethod
    def parse(cls, text: str) -> Bandwidth:
        """Parse ``"optimal"`` or ``"equal:R"``."""
        if text == "optimal":
            return cls()
        kind, _, r = text.partition(":")
        if kind == "equal" and r.isdigit() and int(r) >= 1:
            return cls(int(r))
        raise ValueError(
            f'bandwidth: expected "optimal" or "equal:R" with R >= 1, got "{text}"'
        )

    @property
    def is_optimal(self) -> bool:
        return self.channels is None

    def __str__(self) -> str:
        return "optimal" if self.channels is None else f"equal:{self.channels}"

    def batch_limit(self, max_batch: int) -> int:
        """Return the largest admissible batch: b_max, and at most r users if equal."""
        return max_batch if self.channels is None else min(max_batch, self.channels)

    def alone(self, upload_s: Seconds) -> Seconds:
        """Return each user's upload time in a batch of its own.

        ``upload_s`` holds p_k / B (full bandwidth). With r equal sub-channels a
        user gets B / r, so r p_k / B; the equal split's batch upload is the
        largest of these (:meth:`batch_upload`).
        """
        return upload_s * (self.channels or 1)

    def batch_upload(self, upload_s: np.ndarray) -> float:
        """Return upload_n from the batch's full-bandwidth times p_k / B.

        The sum (eq. 11) with the optimal split, r times the largest with r
        equal sub-channels.
        """
        if len(upload_s) == 0:
            return 0.0
        if self.channels is None:  # fsum: exactly rounded, whatever the order
            return math.fsum(upload_s.tolist())
        return float(self.alone(np.max(upload_s)))

    def upload_time(self, instance: Instance, users: np.ndarray) -> float:
        """Return the upload time of a batch holding ``users`` (user indices)."""
        return self.batch_upload(instance.upload_s[users])

    def shares(self, instance: Instance, users: np.ndarray) -> np.ndarray:
        """Return each user's share y_{n,k} of B: eq. (12), or 1/r if equal."""
        if self.channels is not None:
            return np.full(len(users), 1.0 / self.channels)
        p = instance.user_p[users]
        return p / p.sum()


OPTIMAL = Bandwidth()


def load_bytes(
    instance: Instance, previous: int | None, model: int, reuse_blocks: bool
) -> float:
    """Return the bytes loaded for ``model`` after ``previous`` (None = empty GPU)."""
    row = 0 if previous is None else previous + 1
    return float(instance.new_bytes(reuse_blocks)[row, model])


def load_time(
    instance: Instance, previous: int | None, model: int, reuse_blocks: bool
) -> float:
    """Return load_n = V(bytes of ``model`` not resident after ``previous``) (eq. 8)."""
    return instance.loading.time(load_bytes(instance, previous, model, reuse_blocks))


def batch_time(
    instance: Instance,
    previous: int | None,
    model: int,
    users: np.ndarray,
    bandwidth: Bandwidth,
    reuse_blocks: bool,
) -> float:
    """Return t_n = upload_n + load_n + compute_n of a batch after ``previous``."""
    return (
        bandwidth.upload_time(instance, users)
        + load_time(instance, previous, model, reuse_blocks)
        + instance.models[model].compute_time(len(users))
    )


def cold_load_s(instance: Instance) -> np.ndarray:
    """Return, per model, V(all its bytes): the load of a batch on an empty GPU."""
    return np.array([instance.loading.time(float(b)) for b in instance.model_bytes])


def alone_end_s(instance: Instance, bandwidth: Bandwidth) -> np.ndarray:
    """Return, per user, the earliest end of any batch that serves it.

    A batch of model i holding user k ends no earlier than

        V(bytes of i) + upload of k alone + mu_i + beta_i,

    because every block of i was loaded in that batch or an earlier one (once
    each, with or without reuse), the batch uploads at least k's data and
    computes at least one user.
    """
    model = instance.user_model
    cold = cold_load_s(instance)
    mu = np.array([m.mu_s for m in instance.models])
    beta = np.array([m.beta_s for m in instance.models])
    upload = bandwidth.alone(instance.upload_s)
    return cold[model] + upload + mu[model] + beta[model]


def fits_alone(instance: Instance, bandwidth: Bandwidth) -> np.ndarray:
    """Return a (K,) bool mask of the users that some feasible schedule could serve.

    A user whose :func:`alone_end_s` misses its deadline is served by no schedule.
    Widened (:func:`fits`): a filter must not drop a user whose end the
    evaluator's own sums put just inside the rule.
    """
    ends = alone_end_s(instance, bandwidth)
    return np.asarray(fits(ends, instance.user_deadline), dtype=bool)
