"""Reading and writing instance files (``partialloading/instance@1``, spec section 1).

Parsing is strict: missing and unknown fields are errors, and every error names
its path in the file, e.g. ``users[4].spectral_efficiency: must be finite and >
0, got -1``. All errors are raised as :class:`InputError` (a ``ValueError``), which
the command line turns into one line on stderr and exit status 2.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from instances.model import FORMAT, Block, Instance, Loading, Model, User


class InputError(ValueError):
    """Bad input: the message names the offending path."""


def _fields(
    path: str, obj: Any, required: tuple[str, ...], optional: tuple[str, ...] = ()
) -> dict:
    where = f"{path}: " if path else ""
    if not isinstance(obj, dict):
        raise InputError(f"{where}expected an object, got {type(obj).__name__}")
    for key in required:
        if key not in obj:
            raise InputError(f"{path + '.' if path else ''}{key}: missing field")
    unknown = sorted(set(obj) - set(required) - set(optional))
    if unknown:
        raise InputError(f"{path + '.' if path else ''}{unknown[0]}: unknown field")
    return obj


def check_format(data: Any, expected: str) -> None:
    """Refuse a document whose ``format`` is not ``expected`` (checked first, so that
    a schedule passed as an instance says so, rather than listing missing fields)."""
    if isinstance(data, dict) and "format" in data and data["format"] != expected:
        raise InputError(f'format: expected "{expected}", got {data["format"]!r}')


def _list(path: str, obj: Any) -> list:
    if not isinstance(obj, list):
        raise InputError(f"{path}: expected a list, got {type(obj).__name__}")
    return obj


def _build(path: str, make: Callable[[], Any]) -> Any:
    """Run a record constructor, prefixing its error with the record's path."""
    try:
        return make()
    except ValueError as error:
        raise InputError(f"{path}.{error}") from None
    except TypeError as error:  # wrong type where a constructor does arithmetic
        raise InputError(f"{path}: {error}") from None


def instance_from_dict(data: Any) -> Instance:
    """Build an :class:`Instance` from a parsed JSON document.

    Raises
    ------
    InputError
        Naming the offending path, on any malformed or invalid content.
    """
    top = ("format", "name", "deadline_s", "slot_s", "bandwidth_hz", "loading")
    check_format(data, FORMAT)
    _fields("", data, (*top, "blocks", "models", "users"), ("description", "meta"))
    loading = data["loading"]
    _fields("loading", loading, ("disk_bytes_per_s", "pcie_bytes_per_s"))
    blocks = []
    for j, raw in enumerate(_list("blocks", data["blocks"])):
        _fields(f"blocks[{j}]", raw, ("id", "size_bytes"))
        blocks.append(_build(f"blocks[{j}]", lambda raw=raw: Block(**raw)))
    models = []
    for i, raw in enumerate(_list("models", data["models"])):
        _fields(f"models[{i}]", raw, ("id", "blocks", "mu_s", "beta_s", "max_batch"))
        _list(f"models[{i}].blocks", raw["blocks"])
        models.append(_build(f"models[{i}]", lambda raw=raw: Model(**raw)))
    users = []
    for k, raw in enumerate(_list("users", data["users"])):
        _fields(
            f"users[{k}]",
            raw,
            ("id", "model", "data_bits", "spectral_efficiency"),
            ("deadline_s",),
        )
        users.append(_build(f"users[{k}]", lambda raw=raw: User(**raw)))
    try:
        return Instance(
            name=data["name"],
            deadline_s=data["deadline_s"],
            slot_s=data["slot_s"],
            bandwidth_hz=data["bandwidth_hz"],
            loading=_build("loading", lambda: Loading(**loading)),
            blocks=tuple(blocks),
            models=tuple(models),
            users=tuple(users),
        )
    except InputError:
        raise
    except (ValueError, TypeError) as error:
        raise InputError(str(error)) from None


def _number(x: float) -> float | int:
    """Write integral floats as ints, so files stay readable and round-trip exactly."""
    if isinstance(x, float) and x.is_integer() and abs(x) < 2**53:
        return int(x)
    return x


def instance_to_dict(instance: Instance) -> dict[str, Any]:
    """Return ``instance`` as a JSON-ready dict in the spec's format."""
    users = []
    for u in instance.users:
        row = {
            "id": u.id,
            "model": u.model,
            "data_bits": _number(u.data_bits),
            "spectral_efficiency": u.spectral_efficiency,
        }
        if u.deadline_s is not None:
            row["deadline_s"] = u.deadline_s
        users.append(row)
    return {
        "format": FORMAT,
        "name": instance.name,
        "deadline_s": instance.deadline_s,
        "slot_s": instance.slot_s,
        "bandwidth_hz": _number(instance.bandwidth_hz),
        "loading": {
            "disk_bytes_per_s": _number(instance.loading.disk_bytes_per_s),
            "pcie_bytes_per_s": _number(instance.loading.pcie_bytes_per_s),
        },
        "blocks": [
            {"id": b.id, "size_bytes": _number(b.size_bytes)} for b in instance.blocks
        ],
        "models": [
            {
                "id": m.id,
                "blocks": list(m.blocks),
                "mu_s": m.mu_s,
                "beta_s": m.beta_s,
                "max_batch": m.max_batch,
            }
            for m in instance.models
        ],
        "users": users,
    }


def read_json(path: str | Path) -> Any:
    """Read a JSON file, turning I/O and syntax errors into :class:`InputError`.

    ``NaN``, ``Infinity`` and overflowing literals such as ``1e999`` are refused
    with their path in the document (JSON itself has no non-finite numbers).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(f"{path}: cannot read file ({error.strerror})") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a UTF-8 text file") from None
    try:
        data = json.loads(text, object_pairs_hook=_unique_keys)
        where = _non_finite(data, "")
    except InputError as error:
        raise InputError(f"{path}: {error}") from None
    except json.JSONDecodeError as error:
        raise InputError(
            f"{path}: malformed JSON at line {error.lineno} column {error.colno} "
            f"({error.msg})"
        ) from None
    except RecursionError:
        raise InputError(f"{path}: JSON nested too deeply") from None
    if where is not None:
        raise InputError(f"{path}: {where}: non-finite number is not allowed")
    return data


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict:
    """Build a JSON object, refusing a key given twice (JSON would keep the last)."""
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise InputError(f'duplicate key "{key}" in a JSON object')
        seen.add(key)
    return dict(pairs)


def _non_finite(obj: Any, path: str) -> str | None:
    """Return the path of the first non-finite float in ``obj``, or None."""
    if isinstance(obj, float):
        return None if math.isfinite(obj) else path or "(top)"
    if isinstance(obj, dict):
        prefix = f"{path}." if path else ""
        children = ((f"{prefix}{key}", value) for key, value in obj.items())
    elif isinstance(obj, list):
        children = ((f"{path}[{n}]", value) for n, value in enumerate(obj))
    else:
        return None
    for sub, value in children:
        where = _non_finite(value, sub)
        if where is not None:
            return where
    return None


def load_instance(path: str | Path) -> Instance:
    """Read an instance file.

    Raises
    ------
    InputError
        On unreadable files, malformed JSON or invalid content; the message starts
        with the file name, then the path in the document.
    """
    data = read_json(path)
    try:
        return instance_from_dict(data)
    except InputError as error:
        raise InputError(f"{path}: {error}") from None


def write_json(path: str | Path, data: Any) -> None:
    """Write ``data`` as indented JSON; refuses NaN and infinity.

    Numpy scalars and arrays (e.g. in a method's ``info``) are written as plain
    numbers and lists.
    """
    text = json.dumps(data, indent=1, allow_nan=False, default=_plain)
    Path(path).write_text(text + "\n")


def _plain(obj: Any) -> Any:
    if hasattr(obj, "tolist"):  # numpy scalar or array
        return obj.tolist()
    raise TypeError(f"cannot write {type(obj).__name__} as JSON")


def save_instance(instance: Instance, path: str | Path) -> None:
    """Write ``instance`` to ``path`` in the spec's format."""
    write_json(path, instance_to_dict(instance))


def is_finite_number(x: Any) -> bool:
    """Return whether ``x`` is a finite int or float (not a bool)."""
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
