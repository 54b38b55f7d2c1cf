"""The one task-grid builder of the sweeps (figures and scaling).

A sweep varies one generator parameter ``x`` over ``values`` in a *group* (a
figure's panel, a scaling ladder); at each value it draws ``realizations``
seeds and runs every *line* (a method with its options) on each. All lines and
values share the seeds (paired comparisons).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from experiments.runner import Task

if TYPE_CHECKING:
    from collections.abc import Sequence


@dataclass(frozen=True)
class Line:
    """One method with its options: a line of a plot.

    ``options`` are the JSON options of :class:`experiments.runner.Task` less
    ``seed`` and ``threads`` (set per task); ``realizations`` caps the seeds a
    slow line runs (the first N); ``tags`` are added to its rows.
    """

    id: str
    method: str
    options: dict[str, Any]
    realizations: int | None = None
    tags: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Group:
    """One sweep: generator parameter ``x`` over ``values``; ``tag`` names the group."""

    tag: str
    id: str
    generator: str
    params: dict[str, Any]
    x: str
    values: Sequence[Any]


def digest(*parts: Any) -> str:
    """Return a short stable hash of JSON-able ``parts`` (generator, params, ...)."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:10]


def tasks(
    name: str, group: Group, lines: Sequence[Line], seed: int, realizations: int
) -> list[Task]:
    """Return every task of a group: value x seed x line.

    Seeds are ``seed .. seed + realizations - 1``. The key ends with a digest
    of the generator, its kwargs, the method and the options, so a changed
    config re-runs the rows it changes instead of reusing stale ones.
    """
    out = []
    for value in group.values:
        for r in range(realizations):
            params = {**group.params, group.x: value, "seed": seed + r}
            for line in lines:
                if line.realizations is not None and r >= line.realizations:
                    continue
                options = {**line.options, "seed": seed + r, "threads": 1}
                code = digest(group.generator, params, line.method, options)
                out.append(
                    Task(
                        key=f"{name}|{group.id}|{group.x}={value}|seed={seed + r}|"
                        f"{line.id}|{code}",
                        generator=group.generator,
                        params=params,
                        method=line.method,
                        options=options,
                        tags={
                            "experiment": name,
                            group.tag: group.id,
                            "x": group.x,
                            "x_value": value,
                            **line.tags,
                        },
                    )
                )
    return out
