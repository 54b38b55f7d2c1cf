"""Reading and writing instance files (``partialloading/instance@1``, spec section 1).

Parsing is strict: missing and unknown fields are errors, and every error names
its path in the file, e.g. ``users[4].spectral_efficiency: must be finite and >
0, got -1``. All errors are raised as :class:`InputError` (a ``ValueError``), which
the command line turns into one line on stderr and exit status 2.
"""

from __future__ import annotations

import functools
import gc
import json
import math
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from instances import columns
from instances.model import FORMAT, Block, Instance, Loading, Model, User

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator


class InputError(ValueError):
    """Bad input: the message names the offending path."""


def check_fields(
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


def check_list(path: str, obj: Any) -> list:
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

    Valid documents are checked column-wise (:mod:`instances.columns`, fast);
    anything else goes through the per-item walk, which names the offending
    path.

    Raises
    ------
    InputError
        Naming the offending path, on any malformed or invalid content.
    """
    with _no_gc():
        instance = columns.build(data)
    return instance if instance is not None else instance_from_dict_per_item(data)


def instance_from_dict_per_item(data: Any) -> Instance:
    """Build an :class:`Instance` record by record (the reference validation).

    Raises
    ------
    InputError
        Naming the offending path, on any malformed or invalid content.
    """
    top = ("format", "name", "deadline_s", "slot_s", "bandwidth_hz", "loading")
    check_format(data, FORMAT)
    check_fields("", data, (*top, "blocks", "models", "users"), ("description", "meta"))
    loading = data["loading"]
    check_fields("loading", loading, ("disk_bytes_per_s", "pcie_bytes_per_s"))
    blocks = []
    for j, raw in enumerate(check_list("blocks", data["blocks"])):
        check_fields(f"blocks[{j}]", raw, ("id", "size_bytes"))
        blocks.append(_build(f"blocks[{j}]", functools.partial(Block, **raw)))
    models = []
    for i, raw in enumerate(check_list("models", data["models"])):
        check_fields(
            f"models[{i}]", raw, ("id", "blocks", "mu_s", "beta_s", "max_batch")
        )
        check_list(f"models[{i}].blocks", raw["blocks"])
        models.append(_build(f"models[{i}]", functools.partial(Model, **raw)))
    users = []
    for k, raw in enumerate(check_list("users", data["users"])):
        check_fields(
            f"users[{k}]",
            raw,
            ("id", "model", "data_bits", "spectral_efficiency"),
            ("deadline_s",),
        )
        users.append(_build(f"users[{k}]", functools.partial(User, **raw)))
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


MAX_FILE_BYTES = 512 * 2**20
"""Largest instance or schedule file read (512 MiB: a million users take ~300 MB)."""

_CHUNK = 2**24


def read_json(path: str | Path) -> Any:
    """Read a JSON file, turning I/O and syntax errors into :class:`InputError`.

    ``NaN``, ``Infinity`` and overflowing literals such as ``1e999`` are refused
    with their path in the document (JSON itself has no non-finite numbers).
    Files over :data:`MAX_FILE_BYTES` and files with NUL bytes (``/dev/zero``)
    are refused without reading further.
    """
    path = Path(path)
    text = _read_text(path)
    try:
        try:
            data = json.loads(
                text,
                object_pairs_hook=_unique_keys,
                parse_constant=_refuse_constant,
                parse_float=_finite_float,
            )
        except _NonFinite:
            # Parse again, keeping non-finite numbers, to name the first one's path.
            data = json.loads(text, object_pairs_hook=_unique_keys)
            where = _non_finite(data, "")
            raise InputError(f"{where}: non-finite number is not allowed") from None
    except InputError as error:
        raise InputError(f"{path}: {error}") from None
    except json.JSONDecodeError as error:
        raise InputError(
            f"{path}: malformed JSON at line {error.lineno} column {error.colno} "
            f"({error.msg})"
        ) from None
    except ValueError as error:  # e.g. an integer literal of over 4300 digits
        raise InputError(f"{path}: malformed JSON ({error})") from None
    except RecursionError:
        raise InputError(f"{path}: JSON nested too deeply") from None
    return data


def _read_text(path: Path) -> str:
    """Return the file's text; refuse more than MAX_FILE_BYTES, NUL bytes, non-UTF-8."""
    chunks = []
    size = 0
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                size += len(chunk)
                if size > MAX_FILE_BYTES:
                    raise InputError(
                        f"{path}: file is larger than {MAX_FILE_BYTES >> 20} MiB, "
                        "the limit for instance and schedule files"
                    )
                if b"\0" in chunk:
                    raise InputError(f"{path}: not a UTF-8 text file (NUL byte)")
                chunks.append(chunk)
    except OSError as error:
        raise InputError(f"{path}: cannot read file ({error.strerror})") from None
    try:
        return b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a UTF-8 text file") from None


class _NonFinite(Exception):
    """A NaN, Infinity or overflowing number literal was parsed."""


def _refuse_constant(name: str) -> float:
    raise _NonFinite(name)


def _finite_float(text: str) -> float:
    value = float(text)
    if value - value != 0.0:  # inf (NaN literals go to _refuse_constant)
        raise _NonFinite(text)
    return value


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
    with _no_gc():
        data = read_json(path)
        try:
            return instance_from_dict(data)
        except InputError as error:
            raise InputError(f"{path}: {error}") from None


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many acyclic objects.

    Parsing and building an instance allocates millions of dicts, lists and
    records and no reference cycles; without the pause the collector scans the
    growing heap again and again (about half the load time at 100,000 users).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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
