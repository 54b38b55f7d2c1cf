"""The record of every experiment: CSV rows appended as tasks finish, read back typed.

Every experiment writes its rows through :class:`Writer` and reads them with
:func:`read_rows`: one writer, one reader, one cell format. A row is a dict of
column name to value; ``None`` is an empty cell, floats keep every digit
(``repr``), lists and dicts are JSON.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

Row = dict[str, Any]

# Columns always read back as text (a key or an instance name may look like a number).
TEXT_COLUMNS = frozenset(
    {"key", "experiment", "generator", "instance", "method", "bandwidth", "status"}
    | {"error", "info"}
)


def cell(value: Any) -> str:
    """Return the CSV text of ``value`` (see the module docstring)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list | tuple | dict):
        return json.dumps(value)
    return str(value)


def parse(text: str) -> Any:
    """Return a CSV cell as None, bool, int, float or str."""
    if text == "":
        return None
    if text in ("True", "False"):
        return text == "True"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def read_rows(csv_path: str | Path) -> list[Row]:
    """Return the rows of a results CSV, typed ('' -> None, numbers, bools)."""
    path = Path(csv_path)
    if not path.exists():
        return []
    with path.open(newline="") as handle:
        return [
            {
                name: (value or None) if name in TEXT_COLUMNS else parse(value or "")
                for name, value in row.items()
            }
            for row in csv.DictReader(handle)
        ]


def header(path: Path) -> list[str]:
    """Return the column names of the CSV at ``path`` ([] if absent or empty)."""
    if not path.exists() or path.stat().st_size == 0:
        return []
    with path.open(newline="") as handle:
        return next(csv.reader(handle), [])


class Writer:
    """Appends rows to a CSV and flushes each; widens the header if needed.

    Columns not in ``columns`` (nor in the file's header) are dropped, so a row
    may carry more than is recorded.
    """

    def __init__(self, path: Path, columns: list[str]) -> None:
        old = header(path)
        names = old + [name for name in columns if name not in old]
        if old and names != old:  # new columns: rewrite the file once, same rows
            rows = read_rows(path)
            with path.open("w", newline="") as handle:
                writer = csv.DictWriter(handle, names)
                writer.writeheader()
                writer.writerows({k: cell(v) for k, v in row.items()} for row in rows)
        self.handle = path.open("a", newline="")
        self.writer = csv.DictWriter(self.handle, names, extrasaction="ignore")
        if not old:
            self.writer.writeheader()
            self.handle.flush()

    def write(self, row: Row) -> None:
        self.writer.writerow({name: cell(value) for name, value in row.items()})
        self.handle.flush()

    def close(self) -> None:
        self.handle.close()


def write_rows(path: Path, columns: list[str], rows: list[Row]) -> None:
    """Write ``rows`` to a new CSV at ``path`` (replacing it) with ``columns``."""
    path.unlink(missing_ok=True)
    writer = Writer(path, columns)
    try:
        for row in rows:
            writer.write(row)
    finally:
        writer.close()
