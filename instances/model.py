"""The problem data: blocks, models, users, and the frozen, validated ``Instance``.

Every record validates itself in ``__post_init__``; the instance checks the
references between records. Error messages name the offending path in the
instance file (``models[3].blocks[2]: unknown block "x"``), so that the same
message serves the library user and the command line.

Derived data that every method needs (upload time per user, block sets and sizes
per model, users of each model sorted by upload time) is computed once, when the
instance is built. Variants are made with :func:`dataclasses.replace`, which
re-runs the validation.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Any

import numpy as np

FORMAT = "partialloading/instance@1"

# The feasibility rule lives in instances.timing; re-exported for old imports.
from instances.timing import DEADLINE_RTOL, meets  # noqa: E402, F401


def _number(path: str, value: Any) -> float:
    """Return ``value`` as a float; refuse bools, strings and non-finite values.

    Numpy scalars are accepted (generators produce them) and stored as floats,
    so every record holds plain Python numbers that JSON can write.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{path}: expected a number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{path}: must be finite, got {value!r}")
    return float(value)


def _positive(path: str, value: Any) -> float:
    number = _number(path, value)
    if number <= 0:
        raise ValueError(f"{path}: must be finite and > 0, got {value!r}")
    return number


def _nonnegative(path: str, value: Any) -> float:
    number = _number(path, value)
    if number < 0:
        raise ValueError(f"{path}: must be finite and >= 0, got {value!r}")
    return number


def _set_numbers(record: Any, check: Any, *names: str) -> None:
    """Validate the numeric fields ``names`` of a frozen record with ``check``."""
    for name in names:
        object.__setattr__(record, name, check(name, getattr(record, name)))


def _identifier(path: str, value: Any) -> None:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{path}: expected a non-empty string, got {value!r}")


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

    def time(self, size_bytes: float) -> float:
        """Return V(S) = V1(S) + V2(S) for ``size_bytes`` bytes."""
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
        _set_numbers(self, _nonnegative, "mu_s", "beta_s")
        if (
            isinstance(self.max_batch, bool)
            or not isinstance(self.max_batch, numbers.Integral)
            or self.max_batch < 1
        ):
            raise ValueError(
                f"max_batch: must be an integer >= 1, got {self.max_batch!r}"
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
            _set_numbers(self, _positive, "deadline_s")

    @property
    def p(self) -> float:
        """Return p_k = D_k / R_k, the upload time with unit bandwidth (Theorem 2.1)."""
        return self.data_bits / self.spectral_efficiency


@dataclass(frozen=True, slots=True)
class Instance:
    """One problem instance of P1/P2 (spec section 1).

    Parameters
    ----------
    name
        Instance name, copied into schedule files.
    deadline_s
        Common latency requirement T-bar of every user, in seconds.
    slot_s
        Slot length Delta-tau; used only by the paper's slotted algorithms.
    bandwidth_hz
        Total uplink bandwidth B.
    loading
        Disk and PCIe rates of the loading time V (eq. 8).
    blocks, models, users
        The records; ids are unique within each kind.

    Raises
    ------
    ValueError
        With the path of the offending field, on any invalid value, duplicate id
        or unknown reference.
    """

    name: str
    deadline_s: float
    slot_s: float
    bandwidth_hz: float
    loading: Loading
    blocks: tuple[Block, ...]
    models: tuple[Model, ...]
    users: tuple[User, ...]

    # Derived data, computed once in __post_init__ (not part of equality).
    block_index: dict[str, int] = field(init=False, repr=False, compare=False)
    model_index: dict[str, int] = field(init=False, repr=False, compare=False)
    user_index: dict[str, int] = field(init=False, repr=False, compare=False)
    block_sizes: np.ndarray = field(init=False, repr=False, compare=False)
    model_blocks: tuple[np.ndarray, ...] = field(init=False, repr=False, compare=False)
    model_bytes: np.ndarray = field(init=False, repr=False, compare=False)
    user_model: np.ndarray = field(init=False, repr=False, compare=False)
    user_p: np.ndarray = field(init=False, repr=False, compare=False)
    upload_s: np.ndarray = field(init=False, repr=False, compare=False)
    user_deadline: np.ndarray = field(init=False, repr=False, compare=False)
    model_users: tuple[np.ndarray, ...] = field(init=False, repr=False, compare=False)
    _cache: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _identifier("name", self.name)
        _set_numbers(self, _positive, "deadline_s", "slot_s", "bandwidth_hz")
        if not isinstance(self.loading, Loading):
            raise ValueError("loading: expected a Loading record")
        for attr in ("blocks", "models", "users"):
            object.__setattr__(self, attr, tuple(getattr(self, attr)))
        set_ = object.__setattr__
        set_(self, "block_index", self._index("blocks", self.blocks))
        set_(self, "model_index", self._index("models", self.models))
        set_(self, "user_index", self._index("users", self.users))

        for i, model in enumerate(self.models):
            seen: set[str] = set()
            for b, block in enumerate(model.blocks):
                if block not in self.block_index:
                    raise ValueError(
                        f'models[{i}].blocks[{b}]: unknown block "{block}"'
                    )
                if block in seen:
                    raise ValueError(
                        f'models[{i}].blocks[{b}]: block "{block}" listed twice'
                    )
                seen.add(block)
        for k, user in enumerate(self.users):
            if user.model not in self.model_index:
                raise ValueError(f'users[{k}].model: unknown model "{user.model}"')

        sizes = np.array([b.size_bytes for b in self.blocks], dtype=float)
        blocks = tuple(
            np.array([self.block_index[b] for b in m.blocks], dtype=np.int64)
            for m in self.models
        )
        umodel = np.array(
            [self.model_index[u.model] for u in self.users], dtype=np.int64
        )
        p = np.array([u.p for u in self.users], dtype=float)
        upload = p / self.bandwidth_hz
        deadline = np.array(
            [
                self.deadline_s if u.deadline_s is None else u.deadline_s
                for u in self.users
            ],
            dtype=float,
        )
        # Users of each model by ascending p_k (Theorem 2.1), ties by index.
        order = np.lexsort((np.arange(len(self.users)), p))
        by_model = tuple(order[umodel[order] == i] for i in range(len(self.models)))
        set_(self, "block_sizes", sizes)
        set_(self, "model_blocks", blocks)
        model_bytes = np.array([sizes[b].sum() for b in blocks], dtype=float)
        set_(self, "model_bytes", model_bytes)
        set_(self, "user_model", umodel)
        set_(self, "user_p", p)
        set_(self, "upload_s", upload)
        set_(self, "user_deadline", deadline)
        set_(self, "model_users", by_model)
        set_(self, "_cache", {})
        for array in (
            sizes,
            model_bytes,
            umodel,
            p,
            upload,
            deadline,
            *blocks,
            *by_model,
        ):
            array.flags.writeable = False

    @staticmethod
    def _index(kind: str, records: tuple) -> dict[str, int]:
        index: dict[str, int] = {}
        for n, record in enumerate(records):
            if record.id in index:
                raise ValueError(f'{kind}[{n}].id: duplicate id "{record.id}"')
            index[record.id] = n
        return index

    # -- sizes ---------------------------------------------------------------
    @property
    def num_blocks(self) -> int:
        return len(self.blocks)

    @property
    def num_models(self) -> int:
        return len(self.models)

    @property
    def num_users(self) -> int:
        return len(self.users)

    @property
    def has_user_deadlines(self) -> bool:
        """Return whether any user overrides the common deadline."""
        return any(u.deadline_s is not None for u in self.users)

    # -- derived structure, computed on first use ------------------------------
    def incidence(self) -> np.ndarray:
        """Return the boolean model x block incidence matrix (I x J)."""
        if "incidence" not in self._cache:
            a = np.zeros((self.num_models, self.num_blocks), dtype=bool)
            for i, blocks in enumerate(self.model_blocks):
                a[i, blocks] = True
            a.flags.writeable = False
            self._cache["incidence"] = a
        return self._cache["incidence"]

    def shared_bytes(self) -> np.ndarray:
        """Return the I x I matrix of bytes that models a and b have in common."""
        if "shared_bytes" not in self._cache:
            a = self.incidence()
            # Only blocks used by two or more models can be in common.
            cols = np.flatnonzero(a.sum(axis=0) >= 2)
            sub = a[:, cols].astype(float)
            common = (sub * self.block_sizes[cols]) @ sub.T
            np.fill_diagonal(common, self.model_bytes)
            common.flags.writeable = False
            self._cache["shared_bytes"] = common
        return self._cache["shared_bytes"]

    def new_bytes(self, reuse_blocks: bool = True) -> np.ndarray:
        """Return the (I+1) x I matrix of bytes loaded when switching models.

        Row 0 is the empty GPU (i_0 = none); row a+1, column b holds the bytes of
        the blocks of model b that are not blocks of model a (eq. 8), or all of
        model b without reuse. The diagonal is 0: the same model stays loaded.
        """
        key = ("new_bytes", reuse_blocks)
        if key not in self._cache:
            full = np.broadcast_to(self.model_bytes, (self.num_models, self.num_models))
            moved = full - self.shared_bytes() if reuse_blocks else full.copy()
            moved = np.maximum(moved, 0.0)
            np.fill_diagonal(moved, 0.0)
            out = np.vstack([self.model_bytes[None, :], moved])
            out.flags.writeable = False
            self._cache[key] = out
        return self._cache[key]

    def users_of(self, model: int) -> np.ndarray:
        """Return the users requesting ``model``, by ascending upload time."""
        return self.model_users[model]

    def active_models(self) -> np.ndarray:
        """Return the indices of models requested by at least one user."""
        return np.array(
            [i for i, users in enumerate(self.model_users) if len(users)],
            dtype=np.int64,
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the instance as a JSON-ready dict in the spec's format."""
        from instances.io import instance_to_dict

        return instance_to_dict(self)
