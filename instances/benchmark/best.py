"""The best-known table of PLIB-1 (``best.csv``): best values, bounds, who found them.

One row per instance::

    instance, class, num_users, num_models, digest,
    best_served, served_method, served_time_s, schedule,
    best_bound, bound_method, bound_time_s, status

``best_served`` is the most users any verified schedule serves; its schedule
file (``schedule``, relative to the library directory) lets anyone check it
with ``partialloading verify``. ``best_bound`` is the smallest proven upper
bound: from an exact method, or ``served_bounds`` (the quick bound of
:func:`instances.info.served_bounds`). ``status`` is ``optimal`` when the two
meet, else ``open``. ``digest`` identifies the instance file the record
was made on (:func:`instances.benchmark.digest`). Times are the finding
method's wall-clock seconds on the machine of the fill run (docs/benchmark.md).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, fields
from pathlib import Path

from instances.benchmark import BEST, ENTRIES

INFO_BOUND = "served_bounds"


@dataclass(frozen=True)
class Record:
    """The best-known facts about one instance."""

    instance: str
    cls: str
    num_users: int
    num_models: int
    digest: str
    best_served: int | None = None
    served_method: str | None = None
    served_time_s: float | None = None
    schedule: str | None = None
    best_bound: int | None = None
    bound_method: str | None = None
    bound_time_s: float | None = None

    def __post_init__(self) -> None:
        served, bound = self.best_served, self.best_bound
        if served is not None and bound is not None and served > bound:
            raise ValueError(
                f"{self.instance}: best_served {served} exceeds best_bound {bound}"
            )

    @property
    def status(self) -> str:
        """``optimal`` when the best value meets the best bound, else ``open``."""
        closed = self.best_served is not None and self.best_served == self.best_bound
        return "optimal" if closed else "open"


_INTS = ("num_users", "num_models", "best_served", "best_bound")
_FLOATS = ("served_time_s", "bound_time_s")
COLUMNS = [f.name for f in fields(Record)]
# The CSV says "class" (a keyword in Python, hence the field ``cls``).
_HEADER = ["class" if name == "cls" else name for name in COLUMNS] + ["status"]


def _value(name: str, text: str):
    if text == "":
        return None
    if name in _INTS:
        return int(text)
    if name in _FLOATS:
        return float(text)
    return text


def read(path: str | Path = BEST) -> dict[str, Record]:
    """Return the table as {instance: Record} ({} if the file does not exist)."""
    path = Path(path)
    if not path.is_file():
        return {}
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    records = {}
    for row in rows:
        row["cls"] = row.pop("class")
        row.pop("status", None)
        records[row["instance"]] = Record(
            **{name: _value(name, row[name]) for name in COLUMNS}
        )
    return records


def write(records: dict[str, Record], path: str | Path = BEST) -> None:
    """Write the table, library instances in library order, then any others."""
    order = {name: n for n, name in enumerate(ENTRIES)}
    ranked = sorted(
        records.values(), key=lambda r: (order.get(r.instance, len(order)), r.instance)
    )
    with Path(path).open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(_HEADER)
        for record in ranked:
            cells = [getattr(record, name) for name in COLUMNS] + [record.status]
            writer.writerow(
                "" if v is None else (f"{v:.4g}" if isinstance(v, float) else v)
                for v in cells
            )
