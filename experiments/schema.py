"""Config schemas of the experiments: a config is checked whole before any run.

:func:`validate` checks a TOML config (as a dict) against the schema of its
experiment's kind (``figure``, ``scaling``, ``verify-dp``, ``claims``): types,
required keys, unknown keys (a typo is an error, not a silent default), method
names against :data:`solvers.registry.METHODS`, references between tables
(panels to variants, comparisons to panels), generator parameters (each sweep
point is drawn once with the first seed), and that the config is of the
experiment's kind at all. The ``[quick]`` table is checked merged in. The
schemas are pydantic models in strict mode (no silent coercion: ``title = 5``
is refused, ``realizations = 2.5`` too).

The first problem raises ``ValueError("config: FIELD: what is wrong")``.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from experiments.context import merge

PositiveInt = Annotated[int, Field(ge=1)]
Count = Annotated[int, Field(ge=0)]
PositiveFloat = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Generator = Literal["bls", "general", "tiny"]
Values = Annotated[list[int | float | str | bool], Field(min_length=1)]


def _method(field: str, name: str) -> str:
    from solvers.registry import METHODS

    if name not in METHODS:
        raise ValueError(
            f'{field}: unknown method "{name}" (known: {", ".join(METHODS)})'
        )
    return name


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Variant(_Table):
    id: str
    label: str
    method: str
    reuse_blocks: bool = True
    bandwidth: str = "optimal"
    time_limit: PositiveFloat | None = None
    realizations: PositiveInt | None = None

    @model_validator(mode="after")
    def _known(self) -> Variant:
        from instances.timing import Bandwidth

        _method("method", self.method)
        Bandwidth.parse(self.bandwidth)  # "bandwidth: ..." on error
        return self


class Panel(_Table):
    id: str
    x: str
    values: Values
    xlabel: str | None = None
    xscale: float = 1.0
    generator: Generator | None = None
    defaults: dict[str, Any] = {}
    methods: list[str] | None = None
    title: str | None = None


class Comparison(_Table):
    panel: str
    a: str
    b: str | None = None
    kind: Literal["gain", "speedup", "runtime_ms"] = "gain"
    figure: str | None = None
    text: str | None = None
    paper: float | None = None


class FigureConfig(_Table):
    generator: Generator
    realizations: PositiveInt
    methods: Annotated[list[Variant], Field(min_length=1)]
    panels: Annotated[list[Panel], Field(min_length=1)]
    title: str = ""
    seed: Count = 0
    time_limit: PositiveFloat | None = None
    defaults: dict[str, Any] = {}
    comparisons: list[Comparison] = []
    notes: str = ""

    @model_validator(mode="after")
    def _references(self) -> FigureConfig:
        ids = _unique("methods", [v.id for v in self.methods])
        panels = _unique("panels", [p.id for p in self.panels])
        for p in self.panels:
            for vid in p.methods or ():
                _known(f"panels[{p.id}].methods", vid, ids)
        for n, c in enumerate(self.comparisons):
            _known(f"comparisons[{n}].panel", c.panel, panels)
            for side in ("a", "b") if c.kind != "runtime_ms" else ("a",):
                _known(f"comparisons[{n}].{side}", getattr(c, side), ids)
        return self


class Ladder(_Table):
    id: str
    x: str
    values: Values
    methods: Annotated[list[str], Field(min_length=1)]
    defaults: dict[str, Any] = {}
    generator: Generator | None = None
    exact: bool = False

    @model_validator(mode="after")
    def _known(self) -> Ladder:
        for n, method in enumerate(self.methods):
            _method(f"methods[{n}]", method)
        return self


class ScalingConfig(_Table):
    generator: Generator
    ladders: Annotated[list[Ladder], Field(min_length=1)]
    title: str = ""
    instances: PositiveInt = 1
    seed: Count = 0
    time_limit: PositiveFloat | None = None
    shift: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 10.0
    defaults: dict[str, Any] = {}

    @model_validator(mode="after")
    def _limit(self) -> ScalingConfig:
        _unique("ladders", [ladder.id for ladder in self.ladders])
        if self.time_limit is None and any(ladder.exact for ladder in self.ladders):
            raise ValueError("time_limit: required when a ladder has exact = true")
        return self


class VerifyConfig(_Table):
    instances: PositiveInt
    seed: Count = 0
    classes: list[str] = []
    solver_every: Count = 0
    solver_max_users: PositiveInt = 12
    time_limit: PositiveFloat | None = None
    theorem_max_users: Annotated[int, Field(ge=0, le=7)] = 6
    finer_slots: list[PositiveInt] = [10, 100]

    @model_validator(mode="after")
    def _classes(self) -> VerifyConfig:
        from instances.generators.classes import class_names

        for n, name in enumerate(self.classes):
            _known(f"classes[{n}]", name, class_names())
        return self


class EnumerationConfig(_Table):
    instances: PositiveInt
    generators: Annotated[list[Literal["bls", "general"]], Field(min_length=1)]
    loop_seeds: Count = 0
    time_budget: PositiveFloat = 60.0
    seed: Count = 0
    title: str = ""
    defaults: dict[str, Any] = {}
    notes: str = ""


class Proposition1(_Table):
    batches: PositiveInt = 200
    splits: PositiveInt = 200


class Theorem1(_Table):
    instances: PositiveInt = 50
    schedules: PositiveInt = 10


Ladder2 = Annotated[list[PositiveInt], Field(min_length=2)]


class Timing(_Table):
    dp_paper_slots: Ladder2
    dp_paper_users: Ladder2
    greedy_users: Ladder2
    greedy_models: Ladder2
    greedy_slots: Ladder2
    repeats: PositiveInt = 3


class FigureColumns(_Table):
    panel_column: str = "panel"
    x_column: str = "x_value"


class ClaimsTolerance(_Table):
    points: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 5.0
    relative: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 0.25
    zero_band: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 0.5
    factor: Annotated[float, Field(ge=1, allow_inf_nan=False)] = 2.0


class ClaimsTheorems(_Table):
    bls_instances: Count = 100
    general_instances: Count = 100
    max_users: Annotated[int, Field(ge=1, le=7)] = 6
    split_trials: PositiveInt = 5
    remark3_instances: PositiveInt = 40
    remark3_trials: PositiveInt = 50


class ClaimsGreedyGap(_Table):
    deadlines: Annotated[list[PositiveFloat], Field(min_length=1)] = [0.7]
    realizations: PositiveInt = 10
    time_limit: PositiveFloat = 20.0
    saturated: Annotated[float, Field(gt=0, le=1)] = 0.95


class ClaimsComplexity(_Table):
    slack: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 0.25


class ClaimsConfig(_Table):
    experiments: Annotated[list[str], Field(min_length=1)]
    timing: Timing | None = None
    tolerance: ClaimsTolerance = ClaimsTolerance()
    theorems: ClaimsTheorems = ClaimsTheorems()
    greedy_gap: ClaimsGreedyGap = ClaimsGreedyGap()
    complexity: ClaimsComplexity = ClaimsComplexity()
    estimates: dict[str, PositiveFloat] = {}
    seed: Count = 0
    proposition1: Proposition1 = Proposition1()
    theorem1: Theorem1 = Theorem1()
    figures: FigureColumns = FigureColumns()

    @model_validator(mode="after")
    def _experiments(self) -> ClaimsConfig:
        from experiments.catalog import EXPERIMENTS

        others = [name for name in EXPERIMENTS if name != "claims"]
        for n, name in enumerate(self.experiments):
            _known(f"experiments[{n}]", name, others)
        return self


SCHEMAS: dict[str, type[_Table]] = {
    "figure": FigureConfig,
    "scaling": ScalingConfig,
    "verify-dp": VerifyConfig,
    "claims": ClaimsConfig,
    "enumeration": EnumerationConfig,
}

# Keys only one kind has: a config holding one is of that kind.
DISTINCTIVE = {
    "figure": ("panels", "comparisons", "realizations"),
    "scaling": ("ladders", "shift"),
    "verify-dp": ("classes", "solver_every", "theorem_max_users", "finer_slots"),
    "claims": ("experiments", "timing", "proposition1", "theorem1"),
    "enumeration": ("generators", "loop_seeds", "time_budget"),
}


def _unique(field: str, ids: list[str]) -> list[str]:
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise ValueError(f"{field}: duplicate id {duplicated[0]!r}")
    return ids


def _known(field: str, value: Any, known: list[str]) -> None:
    if value not in known:
        raise ValueError(f"{field}: unknown {value!r} (known: {', '.join(known)})")


def _message(error: ValidationError) -> str:
    """Return the first problem of ``error`` as ``FIELD: what is wrong``."""
    first = error.errors()[0]
    field = ""
    for part in first["loc"]:
        field += f"[{part}]" if isinstance(part, int) else f".{part}"
    field = field.lstrip(".")
    if first["type"] == "extra_forbidden":
        return f"{field}: unknown key"
    if first["type"] == "missing":
        return f"{field}: missing (required)"
    text = str(first["msg"]).removeprefix("Value error, ")
    if first["type"] == "value_error":  # ours: "FIELD: ..." within the table
        return f"{field}.{text}" if field else text
    return f"{field}: {text}, got {first['input']!r}"


def _kind(kind: str, config: dict[str, Any], name: str) -> None:
    """Refuse a config of another kind (a figure's for verify-dp, ...)."""
    if not config:
        raise ValueError("config: empty (no keys)")
    for other, keys in DISTINCTIVE.items():
        found = [key for key in keys if key in config]
        if other != kind and found and not any(k in config for k in DISTINCTIVE[kind]):
            raise ValueError(
                f"config: a {other} config (it has {found[0]}), not one for "
                f"{name or kind}"
            )


def _check_points(kind: str, model: Any, config: dict[str, Any]) -> None:
    """Draw each sweep point once (first seed): generator parameters are valid."""
    groups = model.panels if kind == "figure" else model.ladders
    label = "panels" if kind == "figure" else "ladders"
    for group in groups:
        generator = group.generator or model.generator
        module = importlib.import_module(f"instances.generators.{generator}")
        known = set(inspect.signature(module.generate).parameters) - {"seed"}
        params = {**model.defaults, **group.defaults}
        for key in [*params, group.x]:
            if key not in known:
                raise ValueError(
                    f"config: {label}[{group.id}]: {key}: not a parameter of the "
                    f"{generator} generator (known: {', '.join(sorted(known))})"
                )
        for value in group.values:
            try:
                module.generate(**{**params, group.x: value, "seed": model.seed})
            except (ValueError, TypeError) as error:
                raise ValueError(
                    f"config: {label}[{group.id}]: {group.x} = {value!r}: {error}"
                ) from None


def _moves(quick: dict[str, Any]) -> bool:
    """Return whether ``[quick]`` changes the sweep points (not only their count)."""
    return bool(set(quick) & {"panels", "ladders", "defaults", "generator", "seed"})


def validate(kind: str, config: dict[str, Any], name: str = "") -> None:
    """Check ``config`` whole against the schema of ``kind``, ``[quick]`` merged in.

    Parameters
    ----------
    kind
        ``"figure"``, ``"scaling"``, ``"verify-dp"`` or ``"claims"``.
    config
        The config as read from TOML.
    name
        The experiment's name, for messages.

    Raises
    ------
    ValueError
        ``config: FIELD: what is wrong`` for the first problem found.
    """
    _kind(kind, config, name)
    quick = config.get("quick", {})
    if not isinstance(quick, dict):
        raise ValueError(f"config: quick: must be a table, got {quick!r}")
    base = {key: value for key, value in config.items() if key != "quick"}
    for label, version in (("", base), ("quick.", merge(base, quick))):
        try:
            model = SCHEMAS[kind].model_validate(version)
        except ValidationError as error:
            raise ValueError(f"config: {label}{_message(error)}") from None
        if kind in ("figure", "scaling") and (not label or _moves(quick)):
            _check_points(kind, model, version)
    if kind == "claims":
        from experiments.catalog import kind_of, load_config

        for other in base["experiments"]:
            validate(kind_of(other), load_config(other), other)
