"""Safe terminal output: ids with newlines or escape codes are printed escaped.

Ids come from input files and may hold any character. Printed raw, a newline
would forge a line of output and an escape sequence would drive the terminal;
so every character of Unicode category C (controls, format characters,
unassigned) is shown as its Python escape (``\\n``, ``\\x1b``, ``\\u200b``).
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable


def _escaped(char: str) -> str:
    if unicodedata.category(char).startswith("C"):
        return repr(char)[1:-1] if char != "'" else char
    return char


def escape(text: str) -> str:
    """Return ``text`` with every control or format character escaped."""
    return "".join(map(_escaped, text))


def escape_output(text: str, ids: Iterable[str] = ()) -> str:
    """Return multi-line ``text`` safe to print, escaping ``ids`` within it.

    The lines of ``text`` are kept; an id holding a newline (or another control
    character) is replaced by its escaped form first, so it cannot split a line.
    """
    for raw in sorted({i for i in ids if escape(i) != i}, key=len, reverse=True):
        text = text.replace(raw, escape(raw))
    return "\n".join(escape(line) for line in text.split("\n"))


def instance_ids(instance) -> list[str]:
    """Return every id of ``instance`` that output may quote (name, models, ...)."""
    return [
        instance.name,
        *(m.id for m in instance.models),
        *(u.id for u in instance.users),
        *(b.id for b in instance.blocks),
    ]
