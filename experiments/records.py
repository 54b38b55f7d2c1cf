"""The record of every experiment: CSV rows appended as tasks finish, read back typed.

Every experiment writes its rows through :class:`Writer` and reads them with
:func:`read_rows`: one writer, one reader, one cell format. A row is a dict of
column name to value; ``None`` is an empty cell, floats keep every digit
(``repr``), lists and dicts are JSON.
"""

from __future__ import annotations

import csv
import hashlib
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


# -- the manifest: which experiment and config wrote a directory --------------------

MANIFEST = "manifest.json"


def _config_digest(config: dict[str, Any]) -> str:
    text = json.dumps(config, sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:10]


def _owner(out: Path) -> str | None:
    """Return the experiment that wrote ``out``, from its manifest or results.csv.

    Raises
    ------
    ValueError
        If ``out`` holds a results.csv no experiment of this suite wrote.
    """
    manifest = out / MANIFEST
    if manifest.exists():
        try:
            data = json.loads(manifest.read_text())
            return str(data["experiment"])
        except (ValueError, KeyError, TypeError):
            raise ValueError(
                f"out: {manifest} is not a manifest of this suite"
            ) from None
    results = out / "results.csv"
    if not results.exists():
        return None
    if not {"key", "experiment"} <= set(header(results)):
        raise ValueError(
            f"out: {results} is not a results file of this suite; use another --out"
        )
    names = {row["experiment"] for row in read_rows(results)}
    if len(names) > 1:
        raise ValueError(f"out: {results} mixes experiments {sorted(map(str, names))}")
    return str(names.pop()) if names else None


def claim_directory(out: Path, experiment: str, config: dict[str, Any]) -> None:
    """Record in ``out/manifest.json`` that ``experiment`` with ``config`` writes here.

    A directory another experiment wrote (its manifest, or the ``experiment``
    column of its results.csv) or holding a foreign results.csv is refused; a
    directory of the same experiment is resumed, and each new config (edited,
    or ``--quick``) is added to the manifest's ``configs``.

    Raises
    ------
    ValueError
        ``out: ...`` naming the directory and the experiment that owns it.
    """
    out.mkdir(parents=True, exist_ok=True)
    owner = _owner(out)
    if owner is not None and owner != experiment:
        raise ValueError(
            f'out: {out} holds results of experiment "{owner}", not "{experiment}"; '
            "use another --out"
        )
    path = out / MANIFEST
    data = json.loads(path.read_text()) if path.exists() else {}
    configs = data.get("configs", {})
    configs.setdefault(_config_digest(config), config)
    text = json.dumps(
        {"experiment": experiment, "configs": configs},
        indent=1,
        sort_keys=True,
        default=str,
    )
    partial = path.with_suffix(".tmp")
    partial.write_text(text + "\n")
    partial.replace(path)
