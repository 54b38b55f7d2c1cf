"""The ``bench`` and ``compare`` commands (docs/benchmark.md).

``partialloading bench [INSTANCES] --methods a,b,...`` runs methods on PLIB-1
classes, PLIB-1 instances or instance files and compares them against the
best-known table; ``partialloading compare INSTANCE --methods a,b,...`` is the
same on one instance, printing one table and writing nothing.
``bench --regenerate [--check] [--all]`` rebuilds the library files.

:func:`add_arguments` adds both commands to the main parser's subparsers;
:func:`run` handles both. Heavy modules are imported inside :func:`run`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from partialloading import options


def _methods(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"empty method name in {text!r}")
    return names


def _add_run_options(parser: argparse.ArgumentParser, workers: int) -> None:
    parser.add_argument(
        "--methods",
        type=_methods,
        metavar="A,B,...",
        help="registered methods and/or package.module:function (a user's method)",
    )
    parser.add_argument(
        "--time-limit", type=options.time_limit, metavar="S", help="limit per run"
    )
    parser.add_argument(
        "--seeds",
        type=options.at_least(1),
        default=1,
        metavar="N",
        help="run each method with solver seeds 0..N-1 (default 1)",
    )
    parser.add_argument(
        "--workers",
        type=options.at_least(1),
        default=workers,
        metavar="N",
        help=f"worker processes (default {workers}; 1 = this process)",
    )


def add_arguments(sub) -> None:
    """Add the ``bench`` and ``compare`` commands to the subparsers ``sub``."""
    bench = sub.add_parser(
        "bench",
        help="compare methods on PLIB-1 or instance files (gaps, times, profile)",
        description="Run methods on PLIB-1 classes (tiny, fig9, paper, x10, huge), "
        "PLIB-1 instances or instance files; print per-run and per-method tables "
        "and write DIR/{results.csv,runs.csv,summary.csv,bench.json,profile.png,"
        "report.md}. Re-running the same command resumes.",
    )
    bench.add_argument("instances", nargs="*", metavar="INSTANCES")
    _add_run_options(bench, workers=1)
    where = bench.add_mutually_exclusive_group()
    where.add_argument("--dask", choices=["local"], help="run on a Dask LocalCluster")
    where.add_argument("--scheduler", metavar="ADDRESS", help="a Dask scheduler")
    bench.add_argument("--out", default="runs/bench", metavar="DIR")
    bench.add_argument(
        "--update-best",
        action="store_true",
        help="record verified new best values and exact bounds in the table",
    )
    bench.add_argument(
        "--table", metavar="CSV", help="best-known table (default PLIB-1's best.csv)"
    )
    bench.add_argument("--no-progress", action="store_true", help="no progress bar")
    bench.add_argument(
        "--regenerate",
        action="store_true",
        help="rewrite the PLIB-1 instance files from their recipes and exit",
    )
    bench.add_argument(
        "--check", action="store_true", help="with --regenerate: compare, write nothing"
    )
    compare = sub.add_parser(
        "compare",
        help="run several methods on one instance and print one table",
    )
    compare.add_argument("instances", nargs=1, metavar="INSTANCE")
    _add_run_options(compare, workers=1)


def _regenerate(args: argparse.Namespace) -> int:
    from instances import benchmark

    entries = (
        benchmark.select(args.instances)
        if args.instances
        else [e for e in benchmark.ENTRIES.values() if e.committed]
    )
    stale = benchmark.regenerate(entries, check=args.check)
    return 1 if stale else 0


def run(args: argparse.Namespace) -> int:
    """Run ``bench`` or ``compare``; return the exit status."""
    from experiments import bench, bench_report
    from experiments.context import RunContext

    if args.command == "bench" and args.regenerate:
        return _regenerate(args)
    if args.command == "bench" and args.check:
        raise ValueError("check: only with --regenerate")
    if not args.methods:
        raise ValueError("methods: required (e.g. --methods dp,greedy)")
    if not args.instances:
        raise ValueError("instances: give instance files, PLIB-1 classes or PLIB-1")
    settings = bench.Settings(
        bench.check_methods(args.methods), args.seeds, args.time_limit
    )
    is_bench = args.command == "bench"
    ctx = RunContext(
        name=args.command,
        workers=args.workers,
        scheduler=(args.scheduler or args.dask) if is_bench else None,
        progress=sys.stderr.isatty() and not getattr(args, "no_progress", False),
    )
    out = Path(args.out) if is_bench else None
    result = bench.run(
        args.instances,
        settings,
        out,
        ctx,
        update_best=is_bench and args.update_best,
        table=Path(args.table) if is_bench and args.table else None,
        command="partialloading " + " ".join(sys.argv[1:]),
    )
    print(bench_report.run_table(result.scored))
    print()
    print(bench_report.summary_table(result.summary))
    for change in result.changes:
        print(f"best-known: {change}")
    if out is not None:
        print(f"\nresults in {out} (report.md, profile.png, runs.csv, bench.json)")
    return 0
