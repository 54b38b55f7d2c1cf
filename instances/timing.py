"""Timing semantics of spec section 2, in one place.

A batch n of model i_n with user set U_n takes

    t_n = upload_n + load_n + compute_n,

where, with the optimal bandwidth split of Proposition 1,

    upload_n  = sum_{k in U_n} D_k / (R_k B)                       (eq. 11)
    share_k   = (D_k / R_k) / sum_{k' in U_n} D_k' / R_k'          (eq. 12)

and with the paper's equal-bandwidth ablation (Fig. 8: B cut into r equal
sub-channels, one user each, so at most r users per batch)

    upload_n  = max_{k in U_n} D_k / (R_k B / r),

    load_n    = V(bytes of i_n not in i_{n-1})                     (eq. 8)
              = V(all bytes of i_n) if i_n != i_{n-1} and blocks are not reused
    compute_n = mu_{i_n} |U_n| + beta_{i_n}                        (eq. 9)

with i_0 = none, so the first batch loads its whole model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from instances.model import Instance


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

    def upload_time(self, instance: Instance, users: np.ndarray) -> float:
        """Return the upload time of a batch holding ``users`` (user indices)."""
        if len(users) == 0:
            return 0.0
        if self.channels is None:
            return float(instance.upload_s[users].sum())
        return float(instance.upload_s[users].max()) * self.channels

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


def compute_time(instance: Instance, model: int, batch_size: int) -> float:
    """Return compute_n = mu_i b + beta_i (eq. 9)."""
    return instance.models[model].compute_time(batch_size)
