"""``partialloading verify INSTANCE SCHEDULE``: check a schedule file.

Exit 0 feasible; 1 a well-formed schedule file that is not a feasible schedule
of the instance (including unknown users or models and empty batches, as spec
section 4 says; the reasons are printed); 2 an unreadable or malformed file.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from partialloading import exits, options

if TYPE_CHECKING:
    import argparse


def add_arguments(sub: argparse._SubParsersAction) -> None:
    """Add the ``verify`` subcommand."""
    parser = sub.add_parser(
        "verify",
        help="check a schedule file (exit 0 feasible, 1 infeasible, 2 bad input)",
        description="Recompute a schedule on an instance and report every violated "
        "constraint. Verdicts: feasible (exit 0); infeasible: the schedule breaks a "
        "constraint, names an unknown user or model, or has an empty batch (exit "
        "1); rejected: feasible, but a figure the file states is wrong (exit 1).",
    )
    parser.add_argument("instance", metavar="INSTANCE")
    parser.add_argument("schedule", metavar="SCHEDULE")
    options.add_json(parser, "the verdict")


def run(args: argparse.Namespace) -> int:
    """Verify, print the verdict, return 0 (feasible) or 1."""
    from instances.io import load_instance
    from instances.schedule_io import verify_file
    from partialloading.display import escape_output

    instance = load_instance(args.instance)
    evaluation, problems = verify_file(instance, args.schedule)
    if problems:
        # Stated figures that disagree make a feasible schedule's file wrong, too.
        verdict = "infeasible" if evaluation.violations else "rejected"
    else:
        verdict = "feasible"
    if args.json:
        document = {
            "verdict": verdict,
            "instance": instance.name,
            "served": evaluation.served,
            "num_users": instance.num_users,
            "batches": len(evaluation.timeline),
            "makespan_s": evaluation.makespan_s,
            "problems": [
                {
                    "constraint": p.constraint,
                    "message": p.message,
                    "batch": p.batch,
                    "user": p.user,
                }
                for p in problems
            ],
        }
        print(json.dumps(document, allow_nan=False))
    elif problems:
        lines = [f"{verdict}: {len(problems)} problem(s)"]
        lines += [f"  {problem}" for problem in problems]
        print(escape_output("\n".join(lines), _ids(instance, problems)))
    else:
        print(
            f"feasible: {evaluation.served} of {instance.num_users} users served, "
            f"{len(evaluation.timeline)} batches, "
            f"makespan {1000 * evaluation.makespan_s:.3f} ms"
        )
    return exits.OK if verdict == "feasible" else exits.INFEASIBLE


def _ids(instance, problems) -> list[str]:
    from partialloading.display import instance_ids

    return [*instance_ids(instance), *(p.user for p in problems if p.user)]
