"""The shipped instance library, ``instances/library/*.json``, and how it is made.

Every file records how it was generated in its optional ``meta`` field
(``{"generator": "bls", "params": {...}}``), so that anyone can rebuild it.
Regenerate the whole library (or check it) with::

    python -m instances.generators.library [--check]

and find a file with :func:`path` (``path("bls-default")``).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path

DIRECTORY = Path(__file__).resolve().parent.parent / "library"
GENERATORS = ("bls", "general", "tiny")

# The paper's defaults (Section VII-A, Fig. 6): K = 80, B = 200 MHz, T = 700 ms,
# theta = 85 %, 10 ms slots; 50 BLS models or 25 general ones.
_PAPER = dict(
    num_users=80, theta=0.85, bandwidth_hz=2e8, deadline_s=0.7, slot_s=0.01, seed=0
)
# Fig. 9 (exhaustive search): K = 20, I = 5, T = 200 ms.
_FIG9 = dict(_PAPER, num_users=20, num_models=5, deadline_s=0.2, profile="rtx4090-ssd")
# The cold-HDD reading of V1 (200 MB/s): a named sensitivity profile.
_HDD = dict(_PAPER, profile="rtx4090-hdd")

SPECS: dict[str, tuple[str, dict, str]] = {
    "bls-default": (
        "bls",
        dict(_PAPER, num_models=50),
        "Paper defaults (Fig. 6), BLS: 50 fine-tuned ResNets, calibrated profile.",
    ),
    "general-default": (
        "general",
        dict(_PAPER, num_models=25),
        "Paper defaults (Fig. 7), general: 25 ResNet-50 models, calibrated profile.",
    ),
    "bls-hdd": (
        "bls",
        dict(_HDD, num_models=50),
        "bls-default with the models read cold from the SATA HDD (200 MB/s).",
    ),
    "general-hdd": (
        "general",
        dict(_HDD, num_models=25),
        "general-default with the models read cold from the SATA HDD (200 MB/s).",
    ),
    "bls-pagecache": (
        "bls",
        dict(_PAPER, num_models=50, profile="rtx4090-pagecache"),
        "bls-default with the model files in a warm page cache (2 GB/s, not 200 MB/s).",
    ),
    "general-pagecache": (
        "general",
        dict(_PAPER, num_models=25, profile="rtx4090-pagecache"),
        "general-default with the model files in a warm page cache (2 GB/s).",
    ),
    "fig9-bls": (
        "bls",
        dict(_FIG9, name="fig9-bls"),
        "Fig. 9 scale (K=20, I=5, T=200 ms), BLS, SATA SSD (none served on HDD).",
    ),
    "fig9-general": (
        "general",
        dict(_FIG9, name="fig9-general"),
        "Fig. 9 scale (K=20, I=5, T=200 ms), general sharing, SATA SSD profile.",
    ),
    "scale-k1000": (
        "bls",
        dict(_PAPER, num_users=1000, num_models=50, deadline_s=0.9),
        "Scaling: 1,000 users on the 50 BLS models, T=900 ms, default profile.",
    ),
    # Tiny seeds picked so that 0 < served < K and, except 6x4, block reuse serves
    # one more user than independent loading (checked with dp, exhaustive and
    # bruteforce): small cases where the methods' answers mean something.
    "tiny-bls": (
        "tiny",
        dict(seed=15, kind="bls"),
        "Tiny BLS instance (5 users, 4 models).",
    ),
    "tiny-general": (
        "tiny",
        dict(seed=10, kind="general"),
        "Tiny general (not BLS) instance (7 users, 4 models).",
    ),
    "tiny-bls-6x4": (
        "tiny",
        dict(seed=3, kind="bls", num_users=6, num_models=4),
        "Tiny BLS instance, 6 users, 4 models.",
    ),
    "tiny-deadlines": (
        "tiny",
        dict(seed=6, kind="bls", num_users=6, num_models=3, per_user_deadlines=True),
        "Tiny BLS instance with per-user deadlines.",
    ),
}


def build(generator: str, params: dict):
    """Return ``instances.generators.<generator>.generate(**params)``."""
    if generator not in GENERATORS:
        raise ValueError(
            f'generator: expected one of {", ".join(GENERATORS)}, got "{generator}"'
        )
    module = importlib.import_module(f"instances.generators.{generator}")
    return module.generate(**params)


def document(
    instance, generator: str, params: dict, description: str | None = None
) -> dict:
    """Return the instance file's JSON with ``meta`` (and ``description``) added."""
    from instances.io import instance_to_dict

    data = instance_to_dict(instance)
    if description:
        data["description"] = description
    data["meta"] = {"generator": generator, "params": params}
    return data


def path(name: str) -> Path:
    """Return the packaged file of library instance ``name`` (``"bls-default"``)."""
    stem = name.removesuffix(".json")
    if stem not in SPECS:
        raise ValueError(f'library: no instance "{name}" (have: {", ".join(SPECS)})')
    return DIRECTORY / f"{stem}.json"


def render(name: str) -> str:
    """Return the exact text of library file ``name``, freshly generated."""
    generator, params, description = SPECS[name]
    params = dict(params)
    params.setdefault("name", name)
    data = document(build(generator, params), generator, params, description)
    return json.dumps(data, indent=1, allow_nan=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Regenerate the library, or with ``--check`` report files that differ."""
    parser = argparse.ArgumentParser(prog="python -m instances.generators.library")
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    DIRECTORY.mkdir(exist_ok=True)
    stale = []
    for name in SPECS:
        text, file = render(name), path(name)
        if args.check:
            if not file.is_file() or file.read_text() != text:
                stale.append(name)
        else:
            file.write_text(text)
            print(f"wrote {file}")
    for name in stale:
        print(f"differs: {path(name)}", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
