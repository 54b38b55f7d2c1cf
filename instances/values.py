"""Value checks of the instance records, and the valid ranges (docs/scale.md).

Each check takes the field's path and value and returns the value as a plain
Python number, or raises ValueError naming the path.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections import deque
from itertools import repeat
from typing import Any

# Valid ranges beyond "finite and > 0" (spec section 1, docs/instances.md). They keep
# every derived number finite in float64 and every time, scaled to CP-SAT's 1 us
# units, inside int64: 1e9 s is 1e15 units, below the 2**50 horizon it accepts.
MAX_SECONDS = 1e9
"""Largest deadline, slot, compute constant, upload time or model load time (s)."""
MAX_SLOTS = 10**9
"""Largest slot count T = deadline_s / slot_s (slotted methods count in int64)."""
MAX_BATCH = 10**9
"""Largest max_batch (numpy batch counts are int64)."""

# Up to this many models the I x I sharing matrices are built (at most 32 MB each);
# beyond, methods ask for one row at a time (Instance.new_bytes_row).
DENSE_MODELS = 2000


def _number(path: str, value: Any) -> float:
    """Return ``value`` as a float; refuse bools, strings and non-finite values.

    Numpy scalars are accepted (generators produce them) and stored as floats,
    so every record holds plain Python numbers that JSON can write.
    """
    kind = type(value)
    # float and int first: the ABC test of numbers.Real is slow.
    if (kind is not float and kind is not int) and (
        isinstance(value, bool) or not isinstance(value, numbers.Real)
    ):
        raise ValueError(f"{path}: expected a number, got {value!r}")
    try:
        number = float(value)
    except OverflowError:  # an integer too large for a float
        number = math.inf
    if not math.isfinite(number):
        raise ValueError(f"{path}: must be finite, got {_short(value)}")
    return number


def _short(value: Any) -> str:
    """Return ``repr(value)``, shortened for huge integers (one readable line)."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:12]}...({len(text)} digits)"


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


def _seconds(check: Any) -> Any:
    """Return ``check`` with the upper bound MAX_SECONDS added (times in seconds)."""

    def bounded(path: str, value: Any) -> float:
        number = check(path, value)
        if number > MAX_SECONDS:
            raise ValueError(
                f"{path}: must be at most {MAX_SECONDS:g} s, got {value!r}"
            )
        return number

    return bounded


_positive_seconds = _seconds(_positive)
_nonnegative_seconds = _seconds(_nonnegative)


def _set_numbers(record: Any, check: Any, *names: str) -> None:
    """Validate the numeric fields ``names`` of a frozen record with ``check``."""
    for name in names:
        object.__setattr__(record, name, check(name, getattr(record, name)))


def _identifier(path: str, value: Any) -> None:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{path}: expected a non-empty string, got {value!r}")


def trusted(cls: type, *columns: list) -> tuple:
    """Return records of ``cls`` built from field ``columns`` without their checks.

    Only for values already checked and normalised column-wise
    (:mod:`instances.columns`): floats as ``float``, ids as ``str``, a model's
    blocks as a tuple, ``max_batch`` as ``int``. Each field is set through its
    slot with one C-level ``map`` per column.
    """
    count = len(columns[0]) if columns else 0
    records: list[Any] = list(map(object.__new__, repeat(cls, count)))
    names = dataclasses.fields(cls)  # in __init__ order, as the columns are
    for name, column in zip((f.name for f in names), columns, strict=True):
        deque(map(getattr(cls, name).__set__, records, column), maxlen=0)
    return tuple(records)
