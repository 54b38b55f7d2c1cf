"""Column-wise checks and derived arrays of :class:`instances.model.Instance`.

Everything here is O(total size) numpy or C-level work (dict lookups through
``map``), so that an instance of a million users is built in about a second.
A check that finds a problem does not word it: it returns a flag and the
instance walks its records one by one to name the first offending path, as it
always did (the messages stay those of the per-item walk).
"""

from __future__ import annotations

from itertools import chain, pairwise, repeat
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Sequence


def index(ids: Sequence[str]) -> dict[str, int] | None:
    """Return ``{id: position}``, or None if an id repeats."""
    out = dict(zip(ids, range(len(ids)), strict=True))
    return out if len(out) == len(ids) else None


def first_duplicate(kind: str, ids: Sequence[str]) -> str:
    """Return the message naming the second occurrence of the first repeated id."""
    seen: set[str] = set()
    for n, key in enumerate(ids):
        if key in seen:
            return f'{kind}[{n}].id: duplicate id "{key}"'
        seen.add(key)
    raise AssertionError("first_duplicate called without a duplicate")


def lookup(keys: Sequence[str], table: dict[str, int]) -> np.ndarray:
    """Return ``table[key]`` for every key, -1 where a key is unknown."""
    return np.fromiter(
        map(table.get, keys, repeat(-1)), dtype=np.int64, count=len(keys)
    )


def model_block_indices(
    blocks_per_model: Sequence[tuple[str, ...]], block_index: dict[str, int]
) -> tuple[np.ndarray, np.ndarray] | None:
    """Return (flat block indices, start offsets) of every model's blocks.

    None if a model names an unknown block or lists a block twice. ``starts``
    has one more entry than there are models (the total at the end).
    """
    lengths = np.fromiter(
        map(len, blocks_per_model), dtype=np.int64, count=len(blocks_per_model)
    )
    starts = np.concatenate(([0], np.cumsum(lengths)))
    flat = lookup(list(chain.from_iterable(blocks_per_model)), block_index)
    if len(flat) and flat.min() < 0:
        return None
    owner = np.repeat(np.arange(len(lengths)), lengths)
    key = np.sort(owner * max(len(block_index), 1) + flat)
    if len(key) and not np.diff(key).all():  # a model lists a block twice
        return None
    return flat, starts


def segment_sums(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Return the sum of ``values[starts[i]:starts[i+1]]`` for every segment.

    Equal to summing each segment with ``ndarray.sum`` (as earlier versions did):
    ``np.add.reduceat`` adds in order, which gives the same float whenever the
    values are integers with an exact total (byte counts always are); otherwise
    each segment is summed on its own.
    """
    if len(starts) == 1:
        return np.zeros(0)
    exact = bool(np.all(values == np.floor(values))) and values.sum() < 2.0**53
    if exact and len(values):
        return np.add.reduceat(values, starts[:-1])
    return np.array(
        [values[a:b].sum() for a, b in pairwise(starts)],
        dtype=float,
    )


def split(values: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, ...]:
    """Return the segments ``values[starts[i]:starts[i+1]]`` as read-only views."""
    values.flags.writeable = False
    bounds = starts.tolist()
    return tuple(values[a:b] for a, b in pairwise(bounds))


def users_by_model(
    user_model: np.ndarray, p: np.ndarray, num_models: int
) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """Return the users of each model by ascending ``p`` (ties by index), and counts."""
    order = np.lexsort((np.arange(len(p)), p, user_model))
    counts = np.bincount(user_model, minlength=num_models)
    starts = np.concatenate(([0], np.cumsum(counts)))
    return split(order, starts), counts


def first_over(values: np.ndarray, limit: float) -> int | None:
    """Return the first position whose value is above ``limit`` (or NaN), or None."""
    bad = np.flatnonzero(~(values <= limit))
    return int(bad[0]) if len(bad) else None


def block_owners(
    flat: np.ndarray, starts: np.ndarray, num_blocks: int
) -> tuple[np.ndarray, np.ndarray]:
    """Return a CSR index: block j is in models ``models[ptr[j]:ptr[j+1]]``."""
    lengths = np.diff(starts)
    owner = np.repeat(np.arange(len(lengths)), lengths)
    order = np.argsort(flat, kind="stable")
    ptr = np.concatenate(([0], np.cumsum(np.bincount(flat, minlength=num_blocks))))
    return owner[order], ptr
