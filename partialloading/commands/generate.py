"""``partialloading generate {bls,general,tiny} [options] -o FILE``.

Options map one to one onto the generators' keyword arguments
(:func:`instances.generators.library.build`); an option the chosen generator
does not take is refused rather than silently ignored.
"""

from __future__ import annotations

import argparse
import sys

from partialloading import exits, options

# Namespace attribute -> generator parameter.
PARAMS = {
    "users": "num_users",
    "models": "num_models",
    "theta": "theta",
    "bandwidth_hz": "bandwidth_hz",
    "deadline": "deadline_s",
    "slot": "slot_s",
    "seed": "seed",
    "zipf": "zipf",
    "profile": "profile",
    "name": "name",
    "library_seed": "library_seed",
    "arch": "arch",
    "structure": "kind",
    "user_deadlines": "per_user_deadlines",
}
_COMMON = ("users", "models", "seed", "name")
_PAPER = (
    "theta",
    "bandwidth_hz",
    "deadline",
    "slot",
    "zipf",
    "profile",
    "library_seed",
)
ACCEPTS = {
    "bls": (*_COMMON, *_PAPER),
    "general": (*_COMMON, *_PAPER, "arch"),
    "tiny": (*_COMMON, "structure", "user_deadlines"),
}
DEPRECATED = {"--bandwidth": "--bandwidth-hz"}


class _Flag(argparse.Action):
    """Store the value and remember the spelling used (for messages)."""

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, values)
        spelled = dict(getattr(namespace, "spelled", None) or {})
        spelled[self.dest] = option_string
        namespace.spelled = spelled


def add_arguments(sub: argparse._SubParsersAction) -> None:
    """Add the ``generate`` subcommand."""
    p = sub.add_parser(
        "generate",
        help="generate an instance (bls, general, tiny)",
        description="Write a random instance file. bls and general follow the paper's "
        "setup (Section VII-A; defaults K=80, theta=0.85, B=200 MHz, T=0.7 s, 10 ms "
        "slots, 50 or 25 models); tiny makes a few users and models for tests.",
    )
    p.add_argument("kind", choices=("bls", "general", "tiny"), help="which generator")
    p.add_argument(
        "-o", "--out", required=True, metavar="FILE", help="instance file to write"
    )
    p.add_argument(
        "--users", type=options.at_least(0), metavar="K", help="number of users"
    )
    p.add_argument(
        "--models",
        type=options.at_least(1),
        metavar="I",
        help="number of fine-tuned models (>= 1)",
    )
    p.add_argument("--theta", type=float, help="average share of layers, in (0, 1)")
    p.add_argument(
        "--bandwidth-hz",
        "--bandwidth",
        dest="bandwidth_hz",
        type=float,
        action=_Flag,
        metavar="HZ",
        help="total uplink bandwidth B in Hz (--bandwidth: deprecated spelling)",
    )
    p.add_argument(
        "--deadline", type=float, metavar="S", help="common deadline T in seconds"
    )
    p.add_argument("--slot", type=float, metavar="S", help="slot length in seconds")
    p.add_argument(
        "--seed",
        type=options.generator_seed,
        default=0,
        help="random seed (default 0)",
    )
    p.add_argument(
        "--zipf",
        type=float,
        metavar="S",
        help="Zipf exponent of model popularity (default: uniform requests)",
    )
    p.add_argument(
        "--profile",
        metavar="FILE|NAME",
        help="timing profile file or shipped name (default: the generator's)",
    )
    p.add_argument(
        "--library-seed",
        type=options.generator_seed,
        metavar="N",
        help="draw the model library from its own seed",
    )
    p.add_argument(
        "--arch",
        choices=("resnet18", "resnet34", "resnet50"),
        help="general: the backbone (default resnet50)",
    )
    p.add_argument(
        "--structure",
        choices=("bls", "general"),
        help="tiny: sharing structure (default bls)",
    )
    p.add_argument(
        "--user-deadlines",
        action="store_true",
        help="tiny: give every user its own deadline",
    )
    p.add_argument(
        "--name",
        type=options.non_empty,
        help="instance name (default: describes the parameters)",
    )


def _flag(args: argparse.Namespace, attr: str) -> str:
    spelled = getattr(args, "spelled", None) or {}
    return spelled.get(attr) or "--" + attr.replace("_", "-")


def params(args: argparse.Namespace) -> dict:
    """Return the generator keyword arguments of the parsed options.

    Raises
    ------
    ValueError
        ``"--theta: not used by the tiny generator"`` for an option the chosen
        generator does not take.
    """
    out = {}
    for attr, key in PARAMS.items():
        value = getattr(args, attr)
        if value is None or value is False:
            continue
        if attr not in ACCEPTS[args.kind]:
            raise ValueError(
                f"{_flag(args, attr)}: not used by the {args.kind} generator"
            )
        out[key] = value
    return out


def run(args: argparse.Namespace) -> int:
    """Generate the instance and write it to ``args.out``; return 0."""
    from instances.generators.library import build, document
    from instances.io import write_json
    from instances.structure import analyze
    from partialloading.display import escape

    out = options.output_path("--out", args.out)
    kwargs = params(args)
    try:
        instance = build(args.kind, kwargs)
    except ValueError as error:
        # Generators name their parameter ("theta: ..."); say the option instead.
        message = str(error)
        for attr, key in PARAMS.items():
            if message.startswith(f"{key}:"):
                message = _flag(args, attr) + message[len(key) :]
                break
        raise ValueError(message) from None
    doc = document(instance, args.kind, kwargs)
    options.write_output("--out", out, lambda tmp: write_json(tmp, doc))
    structure = analyze(instance)
    kind = "BLS" if structure.is_bls else "not BLS"
    print(
        f"wrote {escape(args.out)}: {escape(instance.name)}, {instance.num_users} "
        f"users, {instance.num_models} model(s), {instance.num_blocks} blocks ({kind})"
    )
    for old, new in DEPRECATED.items():
        if old in (getattr(args, "spelled", None) or {}).values():
            note = f"partialloading: note: {old} is deprecated; use {new}"
            print(note, file=sys.stderr)
    return exits.OK
