"""Column-wise validation of instance documents (``instance_from_dict``'s fast path).

:func:`build` checks a parsed instance document one *column* at a time (all
block sizes, all user ids, ...) with numpy and C-level ``map``/``set`` work, and
builds the records without re-running their per-record checks. It never words
an error: at the first sign of one it returns None, and
:func:`instances.io.instance_from_dict` walks the document item by item to name
the offending path with the message it always gave. So every rule is enforced
twice over: here to decide quickly that a document is valid, there to explain
why one is not (tests/test_instance.py checks both agree on every bad input).
"""

from __future__ import annotations

from itertools import chain, repeat
from operator import itemgetter
from typing import Any

import numpy as np

from instances.model import FORMAT, Block, Instance, Loading, Model, User
from instances.values import MAX_BATCH, MAX_SECONDS, trusted

_TOP = {"format", "name", "deadline_s", "slot_s", "bandwidth_hz", "loading"}
_TOP |= {"blocks", "models", "users"}
_TOP_OPTIONAL = {"description", "meta"}
_LOADING = {"disk_bytes_per_s", "pcie_bytes_per_s"}
_BLOCK = {"id", "size_bytes"}
_MODEL = {"id", "blocks", "mu_s", "beta_s", "max_batch"}
_USER = {"id", "model", "data_bits", "spectral_efficiency"}
_USER_DEADLINE = _USER | {"deadline_s"}
_NUMBER_TYPES = {int, float}


def build(data: Any) -> Instance | None:
    """Return the instance of a valid document, or None if anything looks wrong."""
    try:
        return _build(data)
    except (ValueError, TypeError, OverflowError):
        return None  # let the per-item walk word it


def _build(data: Any) -> Instance | None:
    if type(data) is not dict or data.get("format") != FORMAT:
        return None
    if not _TOP <= data.keys() <= _TOP | _TOP_OPTIONAL:
        return None
    loading, blocks, models, users = (
        data[key] for key in ("loading", "blocks", "models", "users")
    )
    if type(loading) is not dict or loading.keys() != _LOADING:
        return None
    if not all(type(x) is list for x in (blocks, models, users)):
        return None
    block_records = _blocks(blocks)
    model_records = _models(models)
    user_records = _users(users)
    if block_records is None or model_records is None or user_records is None:
        return None
    return Instance(
        name=data["name"],
        deadline_s=data["deadline_s"],
        slot_s=data["slot_s"],
        bandwidth_hz=data["bandwidth_hz"],
        loading=Loading(**loading),
        blocks=block_records,
        models=model_records,
        users=user_records,
    )


def _records_with(rows: list, keys: set) -> bool:
    """Return whether every row is a JSON object with exactly ``keys``."""
    return all(type(row) is dict and row.keys() == keys for row in rows)


def _column(rows: list, key: str) -> list:
    """Return ``row[key]`` of every row (a C-level loop)."""
    return list(map(itemgetter(key), rows))


def _ids(values: list) -> bool:
    """Return whether every value is a non-empty string."""
    return not values or (set(map(type, values)) == {str} and all(values))


def _numbers(
    values: list, low: float, strict: bool, high: float = np.inf
) -> list[float] | None:
    """Return ``values`` as floats if all are finite numbers in range, else None.

    The range is ``(low, high]`` if ``strict`` else ``[low, high]``.
    """
    if not values:
        return []
    if not set(map(type, values)) <= _NUMBER_TYPES:  # refuses bool, str, None
        return None
    array = np.array(values, dtype=float)  # OverflowError on huge ints
    above = array > low if strict else array >= low
    if not (np.isfinite(array).all() and above.all() and (array <= high).all()):
        return None
    return array.tolist()


def _blocks(rows: list) -> tuple | None:
    if not _records_with(rows, _BLOCK):
        return None
    ids = _column(rows, "id")
    sizes = _numbers(_column(rows, "size_bytes"), 0.0, strict=True)
    if not _ids(ids) or sizes is None:
        return None
    return trusted(Block, ids, sizes)


def _models(rows: list) -> tuple | None:
    if not _records_with(rows, _MODEL):
        return None
    ids, blocks = _column(rows, "id"), _column(rows, "blocks")
    if not all(type(b) is list and b for b in blocks):
        return None
    if not _ids(ids) or not _ids(list(chain.from_iterable(blocks))):
        return None
    max_batch = _column(rows, "max_batch")
    if max_batch and (
        set(map(type, max_batch)) != {int}
        or min(max_batch) < 1
        or max(max_batch) > MAX_BATCH
    ):
        return None
    mu = _numbers(_column(rows, "mu_s"), 0.0, strict=False, high=MAX_SECONDS)
    beta = _numbers(_column(rows, "beta_s"), 0.0, strict=False, high=MAX_SECONDS)
    if mu is None or beta is None:
        return None
    return trusted(Model, ids, list(map(tuple, blocks)), mu, beta, max_batch)


def _users(rows: list) -> tuple | None:
    if not all(type(row) is dict for row in rows):
        return None
    if not all(row.keys() == _USER for row in rows) and not all(
        row.keys() in (_USER, _USER_DEADLINE) for row in rows
    ):
        return None
    ids, models = _column(rows, "id"), _column(rows, "model")
    bits = _numbers(_column(rows, "data_bits"), 0.0, strict=True)
    rates = _numbers(_column(rows, "spectral_efficiency"), 0.0, strict=True)
    if not _ids(ids) or not _ids(models) or bits is None or rates is None:
        return None
    deadlines = list(map(dict.get, rows, repeat("deadline_s")))
    own = [d for d in deadlines if d is not None]
    if own:
        if _numbers(own, 0.0, strict=True, high=MAX_SECONDS) is None:
            return None
        # Stored as floats, as User stores them; None means the common deadline.
        deadlines = [None if d is None else float(d) for d in deadlines]
    return trusted(User, ids, models, bits, rates, deadlines)
