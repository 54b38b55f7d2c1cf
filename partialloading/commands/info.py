"""``partialloading info INSTANCE``: sizes, clusters, BLS test, sharing, bounds."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from partialloading import exits, options

if TYPE_CHECKING:
    import argparse


def add_arguments(sub: argparse._SubParsersAction) -> None:
    """Add the ``info`` subcommand."""
    parser = sub.add_parser(
        "info", help="sizes, clusters, BLS test and sharing of an instance"
    )
    parser.add_argument("instance", metavar="INSTANCE")
    options.add_json(parser, "the description")


def run(args: argparse.Namespace) -> int:
    """Print the description of the instance."""
    from instances.info import describe
    from instances.io import load_instance
    from partialloading.display import escape_output, instance_ids

    instance = load_instance(args.instance)
    if args.json:
        print(json.dumps(document(instance), allow_nan=False))
    else:
        print(escape_output(describe(instance), instance_ids(instance)))
    return exits.OK


def document(instance) -> dict[str, Any]:
    """Return the ``info --json`` object of ``instance`` (schema in docs/cli.md)."""
    from instances.info import served_bounds
    from instances.structure import analyze

    structure = analyze(instance)
    lower, upper = served_bounds(instance)
    return {
        "instance": instance.name,
        "num_users": instance.num_users,
        "num_models": instance.num_models,
        "num_requested_models": len(instance.active_models()),
        "num_blocks": instance.num_blocks,
        "deadline_s": instance.deadline_s,
        "user_deadlines": instance.has_user_deadlines,
        "slot_s": instance.slot_s,
        "bandwidth_hz": instance.bandwidth_hz,
        "bls": structure.is_bls,
        "not_bls_reason": None if structure.is_bls else structure.reason,
        "clusters": [
            [instance.models[t].id for t in cluster.models]
            for cluster in structure.clusters
        ],
        "served_bounds": [lower, upper],
    }
