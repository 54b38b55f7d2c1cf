"""PLIB-1, the PartialLoading benchmark library: named instances and their recipes.

PLIB-1 ("PartialLoading LIBrary", version 1) is a fixed set of instances that
methods are compared on, like CVRPLIB or PSPLIB. Every instance is a recipe (a
generator, its keyword arguments and a seed); :func:`render` turns a recipe into
the exact text of its file, so ``python -m instances.benchmark`` rebuilds the
library bit for bit and ``python -m instances.benchmark --check`` proves it.

Classes (``CLASSES``):

``tiny``   7 users, 4 models (bruteforce proves them), incl. per-user deadlines;
``fig9``   K=20, I=5, T=200 ms as in the paper's Fig. 9 (SATA SSD profile);
``paper``  K=80, 50 BLS / 25 general models, theta 75/85/95 %, tight (600 ms)
           and loose (1 s) deadlines, the generators' default timing profile
           and the cold-HDD profile ``rtx4090-hdd``;
``x10``    ten times the paper: K=800, 500 BLS / 250 general models;
``huge``   K=100,000 users and I=10,000 models.

Instances of ``tiny``, ``fig9`` and ``paper`` are committed (70-90 KB each at
paper scale). ``x10`` (0.5-0.7 MB each) and ``huge`` (about 27 MB each) are
recipes only: ``python -m instances.benchmark --all`` writes their files (git
ignores them), and ``bench`` builds them from the recipe when no file exists.
The default profile is named by omission (no ``profile`` argument), so a new
generator default changes these instances on the next regeneration.
"""

from __future__ import annotations

import importlib
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

NAME = "PLIB-1"
DIRECTORY = Path(__file__).resolve().parent / NAME
INSTANCES = DIRECTORY / "instances"
SCHEDULES = DIRECTORY / "schedules"
BEST = DIRECTORY / "best.csv"

CLASSES: dict[str, str] = {
    "tiny": "7 users, 4 models; bruteforce proves every one",
    "fig9": "K=20, I=5, T=200 ms (Fig. 9 scale), SATA SSD profile",
    "paper": "K=80, I=50 BLS / 25 general, theta 75-95 %, T 0.6 / 1 s, 2 profiles",
    "x10": "K=800, I=500 BLS / 250 general (recipe only)",
    "huge": "K=100,000, I=10,000 (recipe only; no exact method closes general)",
}
RECIPE_ONLY = frozenset({"x10", "huge"})


@dataclass(frozen=True)
class Entry:
    """One library instance: its class and the recipe that makes it."""

    name: str
    cls: str
    generator: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def committed(self) -> bool:
        """Whether the instance file is in the repository (else recipe only)."""
        return self.cls not in RECIPE_ONLY

    @property
    def path(self) -> Path:
        return INSTANCES / f"{self.name}.json"


# The paper's defaults (Section VII-A): B = 200 MHz, 10 ms slots.
_PAPER = dict(bandwidth_hz=2e8, slot_s=0.01)
_MODELS = {"bls": 50, "general": 25}
_PROFILES = {"def": {}, "hdd": {"profile": "rtx4090-hdd"}}
# Seeds differ between profiles, so that the two subclasses never coincide even
# while the generators' default profile is rtx4090-hdd itself.
_SEEDS = {"def": (0, 1), "hdd": (100, 101)}
_DEADLINES = {"tight": 0.6, "loose": 1.0}


def _tiny() -> list[Entry]:
    entries = []
    for kind, deadlines, seeds in (
        ("bls", False, range(8)),
        ("general", False, range(8)),
        ("deadlines", True, range(4)),
    ):
        for seed in seeds:
            name = f"tiny-{kind}-s{seed:02d}"
            params = dict(
                seed=seed,
                kind="bls" if kind == "deadlines" else kind,
                num_users=7,
                num_models=4,
                per_user_deadlines=deadlines,
                name=name,
            )
            entries.append(Entry(name, "tiny", "tiny", params))
    return entries


def _fig9() -> list[Entry]:
    fig9 = dict(_PAPER, num_users=20, num_models=5, theta=0.85, deadline_s=0.2)
    return [
        Entry(
            f"fig9-{gen}-s{seed}",
            "fig9",
            gen,
            dict(fig9, profile="rtx4090-ssd", seed=seed, name=f"fig9-{gen}-s{seed}"),
        )
        for gen in ("bls", "general")
        for seed in range(8)
    ]


def _paper() -> list[Entry]:
    entries = []
    grid = itertools.product(_MODELS, _PROFILES, _DEADLINES, (75, 85, 95))
    for gen, prof, tight, theta in grid:
        for seed in _SEEDS[prof]:
            name = f"paper-{gen}-{prof}-{tight}-th{theta}-s{seed}"
            params = dict(_PAPER, num_users=80, num_models=_MODELS[gen],
                          theta=theta / 100, deadline_s=_DEADLINES[tight],
                          **_PROFILES[prof], seed=seed, name=name)  # fmt: skip
            entries.append(Entry(name, "paper", gen, params))
    return entries


def _large(cls: str, users: int, models: dict[str, int], cases) -> list[Entry]:
    entries = []
    for gen, prof, theta, seed in cases:
        suffix = "" if theta == 85 else f"-th{theta}"
        name = f"{cls}-{gen}-{prof}{suffix}-s{seed}"
        params = dict(_PAPER, num_users=users, num_models=models[gen],
                      theta=theta / 100, deadline_s=1.0, **_PROFILES[prof],
                      seed=seed, name=name)  # fmt: skip
        entries.append(Entry(name, cls, gen, params))
    return entries


def _entries() -> dict[str, Entry]:
    x10 = [(g, p, 85, s) for g in _MODELS for p in _PROFILES for s in _SEEDS[p]]
    huge = [("bls", "def", 85, 0), ("general", "def", 85, 0),
            ("general", "hdd", 85, 100), ("general", "def", 95, 0)]  # fmt: skip
    entries = [
        *_tiny(),
        *_fig9(),
        *_paper(),
        *_large("x10", 800, {"bls": 500, "general": 250}, x10),
        *_large("huge", 100_000, {"bls": 10_000, "general": 10_000}, huge),
    ]
    return {entry.name: entry for entry in entries}


ENTRIES: dict[str, Entry] = _entries()


def select(names: list[str] | tuple[str, ...]) -> list[Entry]:
    """Return the entries named by classes, instance names, or ``PLIB-1``/``all``.

    Raises
    ------
    ValueError
        Naming the first word that is neither.
    """
    chosen: dict[str, Entry] = {}
    for word in names:
        if word in (NAME, "all"):
            chosen.update(ENTRIES)
        elif word in CLASSES:
            chosen.update((e.name, e) for e in ENTRIES.values() if e.cls == word)
        elif word.removesuffix(".json") in ENTRIES:
            entry = ENTRIES[word.removesuffix(".json")]
            chosen[entry.name] = entry
        else:
            raise ValueError(
                f'instances: "{word}" is neither a {NAME} class '
                f"({', '.join(CLASSES)}) nor one of its instances"
            )
    return list(chosen.values())


def render(entry: Entry) -> str:
    """Return the exact text of ``entry``'s instance file, freshly generated."""
    from instances.io import instance_to_dict

    data = instance_to_dict(build(entry))
    data["description"] = f"{NAME} {entry.cls}: {CLASSES[entry.cls]}"
    data["meta"] = {"generator": entry.generator, "params": entry.params}
    return json.dumps(data, separators=(",", ":"), allow_nan=False) + "\n"


def build(entry: Entry):
    """Return the instance of ``entry``, generated from its recipe."""
    module = importlib.import_module(f"instances.generators.{entry.generator}")
    return module.generate(**entry.params)


def digest(entry: Entry) -> str:
    """Return the first 16 hex digits of the SHA-256 of ``entry``'s file text.

    The best-known table stores it, so that a record made on another version
    of an instance (a changed generator or profile) is recognised as stale.
    """
    import hashlib

    text = entry.path.read_bytes() if entry.path.is_file() else render(entry).encode()
    return hashlib.sha256(text).hexdigest()[:16]


def instance(entry: Entry):
    """Return the instance of ``entry``: from its file if present, else generated."""
    from instances.io import load_instance

    return load_instance(entry.path) if entry.path.is_file() else build(entry)


def regenerate(entries: list[Entry], check: bool = False, log=print) -> list[Entry]:
    """Write the files of ``entries`` (or, with ``check``, compare them).

    Returns the entries whose file is missing or differs from its recipe (with
    ``check``); without ``check`` every file is written and [] is returned.
    """
    INSTANCES.mkdir(parents=True, exist_ok=True)
    stale = []
    for entry in entries:
        text = render(entry)
        if check:
            if not entry.path.is_file() or entry.path.read_text() != text:
                stale.append(entry)
                log(f"differs: {entry.path}")
        else:
            entry.path.write_text(text)
            log(f"wrote {entry.path}")
    return stale
