"""The problem data: the frozen, validated ``Instance``.

Every record validates itself in ``__post_init__`` (:mod:`instances.records`);
the instance checks the references between records. Error messages name the
offending path in the instance file (``models[3].blocks[2]: unknown block
"x"``), so that the same message serves the library user and the command line.

Derived data that every method needs (upload time per user, block sets and sizes
per model, users of each model sorted by upload time) is computed once, when the
instance is built. Variants are made with :func:`dataclasses.replace`, which
re-runs the validation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from instances import derive
from instances.records import Block, Loading, Model, User
from instances.values import (
    DENSE_MODELS,
    MAX_SECONDS,
    MAX_SLOTS,
    _identifier,
    _positive,
    _positive_seconds,
    _set_numbers,
)

FORMAT = "partialloading/instance@1"

# The feasibility rule lives in instances.timing; re-exported for old imports.
from instances.timing import DEADLINE_RTOL, meets  # noqa: E402, F401

if TYPE_CHECKING:
    from collections.abc import Callable, Hashable


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
    _active: np.ndarray = field(init=False, repr=False, compare=False)
    _any_deadline: bool = field(init=False, repr=False, compare=False)
    _cache: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Vectorised (issue 13): a problem found column-wise is worded by the
        # per-record walk of ``_reference_error``, so messages name the path.
        _identifier("name", self.name)
        _set_numbers(self, _positive_seconds, "deadline_s", "slot_s")
        _set_numbers(self, _positive, "bandwidth_hz")
        if self.deadline_s > MAX_SLOTS * self.slot_s:
            raise ValueError(
                f"slot_s: deadline_s / slot_s is {self.deadline_s / self.slot_s:.3g}"
                f" slots, over the limit of {MAX_SLOTS:.0e}"
            )
        if not isinstance(self.loading, Loading):
            raise ValueError("loading: expected a Loading record")
        for attr in ("blocks", "models", "users"):
            object.__setattr__(self, attr, tuple(getattr(self, attr)))
        set_ = object.__setattr__
        for attr, kind in (("block_index", "blocks"), ("model_index", "models")):
            ids = [record.id for record in getattr(self, kind)]
            table = derive.index(ids)
            if table is None:
                raise ValueError(derive.first_duplicate(kind, ids))
            set_(self, attr, table)
        found = derive.model_block_indices(
            [m.blocks for m in self.models], self.block_index
        )
        if found is None:
            raise ValueError(self._reference_error())
        flat, starts = found
        user_ids = [u.id for u in self.users]
        user_index = derive.index(user_ids)
        if user_index is None:
            raise ValueError(derive.first_duplicate("users", user_ids))
        set_(self, "user_index", user_index)
        umodel = derive.lookup([u.model for u in self.users], self.model_index)
        if len(umodel) and umodel.min() < 0:
            raise ValueError(self._reference_error())
        self._derive(flat, starts, umodel)

    def _reference_error(self) -> str:
        """Return the message of the first unknown or repeated reference."""
        for i, model in enumerate(self.models):
            seen: set[str] = set()
            for b, block in enumerate(model.blocks):
                if block not in self.block_index:
                    return f'models[{i}].blocks[{b}]: unknown block "{block}"'
                if block in seen:
                    return f'models[{i}].blocks[{b}]: block "{block}" listed twice'
                seen.add(block)
        for k, user in enumerate(self.users):
            if user.model not in self.model_index:
                return f'users[{k}].model: unknown model "{user.model}"'
        raise AssertionError("_reference_error called on valid references")

    def _derive(self, flat: np.ndarray, starts: np.ndarray, umodel: np.ndarray) -> None:
        """Compute the derived arrays and refuse times beyond MAX_SECONDS."""
        set_ = object.__setattr__
        users = self.users
        sizes = np.array([b.size_bytes for b in self.blocks], dtype=float)
        bits = np.array([u.data_bits for u in users], dtype=float)
        rate = np.array([u.spectral_efficiency for u in users], dtype=float)
        own = [u.deadline_s for u in users]
        any_own = any(d is not None for d in own)
        common = self.deadline_s
        deadline = (
            np.array([common if d is None else d for d in own], dtype=float)
            if any_own
            else np.full(len(users), common)
        )
        with np.errstate(over="ignore", invalid="ignore"):
            p = bits / rate  # the same float as User.p
            upload = p / self.bandwidth_hz
            per_byte = self.loading.seconds_per_byte
            model_bytes = derive.segment_sums(sizes[flat], starts)
            block_load = sizes * per_byte
            model_load = model_bytes * per_byte
        self._refuse_long(upload, block_load, model_load)
        tiny = np.flatnonzero((p <= 0) | (upload <= 0))
        if len(tiny):  # bandwidth shares p / sum(p) would be 0 / 0
            raise ValueError(
                f"users[{tiny[0]}]: upload time data_bits / (spectral_efficiency * "
                "bandwidth_hz) underflows to 0 s"
            )
        by_model, counts = derive.users_by_model(umodel, p, len(self.models))
        set_(self, "block_sizes", sizes)
        set_(self, "model_blocks", derive.split(flat, starts))
        set_(self, "model_bytes", model_bytes)
        set_(self, "user_model", umodel)
        set_(self, "user_p", p)
        set_(self, "upload_s", upload)
        set_(self, "user_deadline", deadline)
        set_(self, "model_users", by_model)
        set_(self, "_active", np.flatnonzero(counts).astype(np.int64))
        set_(self, "_any_deadline", any_own)
        set_(self, "_cache", {})
        for array in (sizes, model_bytes, umodel, p, upload, deadline, self._active):
            array.flags.writeable = False

    def _refuse_long(
        self, upload: np.ndarray, block_load: np.ndarray, model_load: np.ndarray
    ) -> None:
        """Refuse an upload or load time over MAX_SECONDS, naming the record."""
        k = derive.first_over(upload, MAX_SECONDS)
        if k is not None:
            raise ValueError(
                f"users[{k}]: upload time data_bits / (spectral_efficiency * "
                f"bandwidth_hz) is {upload[k]:.3g} s, over the limit of "
                f"{MAX_SECONDS:g} s"
            )
        j = derive.first_over(block_load, MAX_SECONDS)
        if j is not None:
            raise ValueError(
                f"blocks[{j}].size_bytes: loading the block takes "
                f"{block_load[j]:.3g} s at the loading rates, over the limit of "
                f"{MAX_SECONDS:g} s"
            )
        i = derive.first_over(model_load, MAX_SECONDS)
        if i is not None:
            raise ValueError(
                f"models[{i}].blocks: loading them takes {model_load[i]:.3g} s, "
                f"over the limit of {MAX_SECONDS:g} s"
            )

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
        return self._any_deadline

    # -- derived structure, computed on first use ------------------------------
    def memo(self, key: Hashable, make: Callable[[], Any]) -> Any:
        """Return the derived value stored under ``key``, computing it once.

        The instance is immutable, so analyses of it (its clusters, say) can be
        kept on it; other modules use this rather than the private cache.
        """
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

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

    def new_bytes_row(self, previous: int | None, reuse_blocks: bool = True):
        """Return ``new_bytes(reuse_blocks)[previous + 1]`` without the I x I matrix.

        The bytes each model loads after ``previous`` (None: the empty GPU), from
        the models sharing ``previous``'s blocks: O(size of those blocks' model
        lists) per call instead of O(I^2) memory (issue 13). Up to DENSE_MODELS
        models the row of the (cached) matrix is returned: the two agree exactly
        for integer block sizes, but may differ in the last bit for fractional
        ones (the matrix product adds in another order).
        """
        if self.num_models <= DENSE_MODELS:
            return self.new_bytes(reuse_blocks)[0 if previous is None else previous + 1]
        if previous is None:
            return self.model_bytes.copy()
        if not reuse_blocks:
            out = self.model_bytes.copy()
            out[previous] = 0.0
            return out
        if "block_owners" not in self._cache:
            flat = np.concatenate(self.model_blocks)
            starts = np.concatenate(([0], np.cumsum(list(map(len, self.model_blocks)))))
            self._cache["block_owners"] = derive.block_owners(
                flat, starts, self.num_blocks
            )
        owners, ptr = self._cache["block_owners"]
        blocks = self.model_blocks[previous]
        counts = ptr[blocks + 1] - ptr[blocks]
        # Positions ptr[j] .. ptr[j+1]-1 of every block j of ``previous``.
        at = np.repeat(ptr[blocks] - np.cumsum(counts) + counts, counts)
        at += np.arange(len(at))
        common = np.bincount(
            owners[at],
            weights=np.repeat(self.block_sizes[blocks], counts),
            minlength=self.num_models,
        )
        out = np.maximum(self.model_bytes - common, 0.0)
        out[previous] = 0.0
        return out

    def users_of(self, model: int) -> np.ndarray:
        """Return the users requesting ``model``, by ascending upload time."""
        return self.model_users[model]

    def active_models(self) -> np.ndarray:
        """Return the indices of models requested by at least one user."""
        return self._active.copy()

    def to_dict(self) -> dict[str, Any]:
        """Return the instance as a JSON-ready dict in the spec's format."""
        from instances.io import instance_to_dict

        return instance_to_dict(self)
