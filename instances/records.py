"""The records of an instance: loading rates, blocks, models and users.

Every record validates itself in ``__post_init__`` and names the offending
field in its error; :mod:`instances.model` checks the references between them.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from instances.values import (
    MAX_BATCH,
    _identifier,
    _nonnegative_seconds,
    _positive,
    _positive_seconds,
    _set_numbers,
    _short,
)

# Sizes in bytes: one number, or an array of them (loading times are elementwise).
_Bytes = TypeVar("_Bytes", float, npt.NDArray[np.float64])


@dataclass(frozen=True, slots=True)
class Loading:
    """Loading rates: V(S) = S / disk_bytes_per_s + S / pcie_bytes_per_s (eq. 8)."""

    disk_bytes_per_s: float
    pcie_bytes_per_s: float

    def __post_init__(self) -> None:
        _set_numbers(self, _positive, "disk_bytes_per_s", "pcie_bytes_per_s")

    @property
    def seconds_per_byte(self) -> float:
        """Return dV/dS, the loading time of one byte (V is linear)."""
        return 1.0 / self.disk_bytes_per_s + 1.0 / self.pcie_bytes_per_s

    def time(self, size_bytes: _Bytes) -> _Bytes:
        """Return V(S) = V1(S) + V2(S) for ``size_bytes`` bytes (number or array)."""
        return size_bytes / self.disk_bytes_per_s + size_bytes / self.pcie_bytes_per_s


@dataclass(frozen=True, slots=True)
class Block:
    """A parameter block j (a layer) with size S_j in bytes."""

    id: str
    size_bytes: float

    def __post_init__(self) -> None:
        _identifier("id", self.id)
        _set_numbers(self, _positive, "size_bytes")


@dataclass(frozen=True, slots=True)
class Model:
    """An AI model i: its blocks from bottom to top, compute constants and b_max."""

    id: str
    blocks: tuple[str, ...]
    mu_s: float
    beta_s: float
    max_batch: int

    def __post_init__(self) -> None:
        _identifier("id", self.id)
        object.__setattr__(self, "blocks", tuple(self.blocks))
        if not self.blocks:
            raise ValueError("blocks: a model needs at least one block")
        for b, block in enumerate(self.blocks):
            _identifier(f"blocks[{b}]", block)
        _set_numbers(self, _nonnegative_seconds, "mu_s", "beta_s")
        if (
            isinstance(self.max_batch, bool)
            or not isinstance(self.max_batch, numbers.Integral)
            or self.max_batch < 1
        ):
            raise ValueError(
                f"max_batch: must be an integer >= 1, got {_short(self.max_batch)}"
            )
        if self.max_batch > MAX_BATCH:
            raise ValueError(
                f"max_batch: must be at most {MAX_BATCH:.0e}, got {self.max_batch!r}"
            )
        object.__setattr__(self, "max_batch", int(self.max_batch))

    def compute_time(self, batch_size: int) -> float:
        """Return t_comp = mu * b + beta (eq. 9) for a batch of ``batch_size`` users."""
        return self.mu_s * batch_size + self.beta_s


@dataclass(frozen=True, slots=True)
class User:
    """A user k: the model it requests, its data D_k and spectral efficiency R_k."""

    id: str
    model: str
    data_bits: float
    spectral_efficiency: float
    deadline_s: float | None = None

    def __post_init__(self) -> None:
        _identifier("id", self.id)
        _identifier("model", self.model)
        _set_numbers(self, _positive, "data_bits", "spectral_efficiency")
        if self.deadline_s is not None:
            _set_numbers(self, _positive_seconds, "deadline_s")

    @property
    def p(self) -> float:
        """Return p_k = D_k / R_k, the upload time with unit bandwidth (Theorem 2.1)."""
        return self.data_bits / self.spectral_efficiency
