"""``partialloading generate {bls,general,tiny} [options] -o FILE``.

This module is imported whenever the command line starts, so it imports the
generators (numpy) only inside :func:`run`.
"""

from __future__ import annotations

import argparse

# Generator parameter -> command-line option, per generator. An option the
# chosen generator does not take is refused rather than silently ignored.
_OPTIONS = {
    "users": "num_users",
    "models": "num_models",
    "theta": "theta",
    "bandwidth": "bandwidth_hz",
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
_PAPER = ("theta", "bandwidth", "deadline", "slot", "zipf", "profile", "library_seed")
_ACCEPTS = {
    "bls": (*_COMMON, *_PAPER),
    "general": (*_COMMON, *_PAPER, "arch"),
    "tiny": (*_COMMON, "structure", "user_deadlines"),
}


def add_arguments(sub) -> None:
    """Add the ``generate`` subcommand to the ``partialloading`` parser."""
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
    p.add_argument("--users", type=int, metavar="K", help="number of users")
    p.add_argument(
        "--models", type=int, metavar="I", help="number of fine-tuned models"
    )
    p.add_argument("--theta", type=float, help="average share of layers, in (0, 1)")
    p.add_argument(
        "--bandwidth", type=float, metavar="HZ", help="total uplink bandwidth B"
    )
    p.add_argument(
        "--deadline", type=float, metavar="S", help="common deadline T in seconds"
    )
    p.add_argument("--slot", type=float, metavar="S", help="slot length in seconds")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument(
        "--zipf",
        type=float,
        metavar="S",
        help="Zipf exponent of model popularity (default: uniform requests)",
    )
    p.add_argument(
        "--profile",
        metavar="FILE|NAME",
        help="timing profile file or shipped name (default rtx4090-fig1)",
    )
    p.add_argument(
        "--library-seed",
        type=int,
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
    p.add_argument("--name", help="instance name (default: describes the parameters)")


def params(args: argparse.Namespace) -> dict:
    """Return the generator keyword arguments of the parsed options.

    Raises
    ------
    ValueError
        ``"--theta: not used by the tiny generator"`` for an option the chosen
        generator does not take.
    """
    out = {}
    for option, key in _OPTIONS.items():
        value = getattr(args, option)
        if value is None or value is False:
            continue
        flag = "--" + option.replace("_", "-")
        if option not in _ACCEPTS[args.kind]:
            raise ValueError(f"{flag}: not used by the {args.kind} generator")
        out[key] = value
    return out


def run(args: argparse.Namespace) -> int:
    """Generate the instance and write it to ``args.out``; return 0."""
    from instances.generators.library import build, document
    from instances.io import write_json
    from instances.structure import analyze

    kwargs = params(args)
    try:
        instance = build(args.kind, kwargs)
    except ValueError as error:
        # Generators name their parameter ("theta: ..."); say the option instead.
        message = str(error)
        for option, key in _OPTIONS.items():
            if message.startswith(f"{key}:"):
                message = "--" + option.replace("_", "-") + message[len(key) :]
                break
        raise ValueError(message) from None
    try:
        write_json(args.out, document(instance, args.kind, kwargs))
    except OSError as error:
        raise ValueError(f"--out: cannot write {args.out} ({error.strerror})") from None
    structure = analyze(instance)
    kind = "BLS" if structure.is_bls else "not BLS"
    print(
        f"wrote {args.out}: {instance.name}, {instance.num_users} users, "
        f"{instance.num_models} model(s), {instance.num_blocks} blocks ({kind})"
    )
    return 0
