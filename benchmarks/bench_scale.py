"""Time the instance layer and the fast methods on very large instances (issue 13).

Usage::

    python benchmarks/bench_scale.py [--users 100000] [--models 10000] [--runs 3]
                                     [--dir DIR] [--huge] [--skip-general]

Steps, each the median wall and CPU time of ``--runs`` runs on a BLS instance
(``instances.generators.bls``) and a general one (``instances.generators.general``)
of K users and I models:

* ``generate`` and ``save`` (once; the file is kept in ``--dir`` for reuse),
* ``json.load`` of the file, ``load_instance`` (parse + every validation rule),
  ``validate`` (``instance_from_dict`` on the parsed document),
* ``dp`` and ``greedy`` (their ``solve`` only, on a fresh load so that no cache
  of the instance helps), ``verify`` (:func:`instances.schedule.evaluate` of the
  greedy schedule), ``verify-all`` (of a schedule of every user), ``info``
  (``partialloading info`` in process),
* ``peak MB``: the peak resident memory of a fresh process that loads the file
  and runs dp and greedy (``resource.getrusage``, Linux reports kB).

``--huge`` adds one run at 10x the users and models (1,000,000 / 100,000 by
default): generate, save, load, dp and greedy, timed once. A script, not a test:
the numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from instances.generators import bls, general
from instances.io import instance_from_dict, load_instance, save_instance
from instances.schedule import Schedule, evaluate
from solvers import dp, greedy
from solvers.result import Options

# Peak memory of load + dp + greedy, measured in a fresh interpreter.
_PEAK = """
import resource, sys
from instances.io import load_instance
from solvers import dp, greedy
from solvers.result import Options
inst = load_instance(sys.argv[1])
if dp.supports(inst, Options()) is None:
    dp.solve(inst, Options())
greedy.solve(inst, Options())
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def timed(action, runs: int) -> tuple[float, float, object]:
    """Return the median wall and CPU seconds of ``runs`` calls, and the result.

    On a shared machine the CPU time (``time.process_time``) is the steadier
    figure: the wall time also counts the time other processes held the cores.
    """
    wall, cpu, result = [], [], None
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = action()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu), result


def make_file(
    kind: str, users: int, models: int, folder: Path
) -> tuple[Path, float, float]:
    """Generate (or reuse) the instance file; return it and the wall and CPU time."""
    path = folder / f"scale-{kind}-k{users}-i{models}.json"
    if path.exists():
        return path, float("nan"), float("nan")
    gen = bls if kind == "bls" else general

    def make() -> None:
        save_instance(gen.generate(num_users=users, num_models=models, seed=0), path)

    wall, cpu, _ = timed(make, 1)
    return path, wall, cpu


def all_users(instance) -> Schedule:
    """Return a schedule of every user, in full batches model by model.

    It misses the deadline for most users: the evaluator's worst case (every
    user checked, most of them reported).
    """
    batches = []
    for i, users in enumerate(instance.model_users):
        size = instance.models[i].max_batch
        batches += [(i, users[s : s + size]) for s in range(0, len(users), size)]
    return Schedule.from_indices(instance, batches)


def info_cli(path: Path) -> None:
    """Run ``partialloading info`` in process, discarding its output."""
    from partialloading.cli import main

    with contextlib.redirect_stdout(io.StringIO()):
        status = main(["info", str(path)])
    if status != 0:
        raise SystemExit(f"info failed on {path} with status {status}")


def peak_mb(path: Path) -> float:
    """Return the peak RSS (MB) of a fresh process loading and solving ``path``."""
    out = subprocess.run(
        [sys.executable, "-c", _PEAK, str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.split()[-1])


def bench_case(kind: str, path: Path, runs: int) -> list[tuple[str, float, float]]:
    """Return (step, median, min) rows for one instance file."""
    rows = []

    def parse():
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)

    med, low, data = timed(parse, runs)
    rows.append(("json.load", med, low))
    med, low, _ = timed(lambda: instance_from_dict(data), runs)
    rows.append(("validate", med, low))
    med, low, instance = timed(lambda: load_instance(path), runs)
    rows.append(("load_instance", med, low))
    options = Options()
    if dp.supports(instance, options) is None:
        # A fresh instance per run: the structure analysis is cached on it.
        fresh = [load_instance(path) for _ in range(runs)]
        med, low, _ = timed(lambda: dp.solve(fresh.pop(), options), runs)
        rows.append(("dp", med, low))
    fresh = [load_instance(path) for _ in range(runs)]
    med, low, outcome = timed(lambda: greedy.solve(fresh.pop(), options), runs)
    rows.append(("greedy", med, low))
    med, low, _ = timed(lambda: evaluate(instance, outcome.schedule), runs)
    rows.append(("verify", med, low))
    everyone = all_users(instance)
    med, low, _ = timed(lambda: evaluate(instance, everyone), runs)
    rows.append(("verify-all", med, low))
    med, low, _ = timed(lambda: info_cli(path), runs)
    rows.append(("info", med, low))
    rows.append(("peak MB", peak_mb(path), float("nan")))
    return rows


def huge(users: int, models: int, folder: Path) -> list[tuple[str, float, float]]:
    """Time generate+save, load, dp and greedy once at 10x the size."""
    rows = []
    path, wall, cpu = make_file("bls", users, models, folder)
    rows.append(("generate+save", wall, cpu))
    wall, cpu, instance = timed(lambda: load_instance(path), 1)
    rows.append(("load_instance", wall, cpu))
    rows.append(("dp", *timed(lambda: dp.solve(instance, Options()), 1)[:2]))
    rows.append(("greedy", *timed(lambda: greedy.solve(instance, Options()), 1)[:2]))
    rows.append(("peak MB", peak_mb(path), float("nan")))
    return rows


def print_rows(title: str, rows: list[tuple[str, float, float]]) -> None:
    """Print wall and CPU medians, and the CPU time relative to json.load."""
    base = dict((step, cpu) for step, _, cpu in rows).get("json.load")
    print(f"\n{title}")
    print(f"  {'step':<15} {'wall':>10} {'cpu':>10} {'cpu / json.load':>16}")
    for step, wall, cpu in rows:
        if step == "peak MB":
            print(f"  {step:<15} {wall:>10.0f}")
            continue
        ratio = f"{cpu / base:>14.1f}x" if base else ""
        print(f"  {step:<15} {wall:>8.3f} s {cpu:>8.3f} s {ratio}")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Time load, validation, dp, greedy, verify and info at scale."
    )
    parser.add_argument("--users", type=int, default=100_000, help="K (100000)")
    parser.add_argument("--models", type=int, default=10_000, help="I (10000)")
    parser.add_argument("--runs", type=int, default=3, help="runs per step (3)")
    parser.add_argument("--dir", type=Path, help="where instance files are kept")
    parser.add_argument("--huge", action="store_true", help="also 10x K and I once")
    parser.add_argument("--skip-general", action="store_true", help="BLS instance only")
    args = parser.parse_args(argv)
    folder = args.dir or Path(tempfile.gettempdir()) / "partialloading-bench-scale"
    folder.mkdir(parents=True, exist_ok=True)
    kinds = ("bls",) if args.skip_general else ("bls", "general")
    for kind in kinds:
        path, wall, cpu = make_file(kind, args.users, args.models, folder)
        size = path.stat().st_size / 1e6
        rows = [("generate+save", wall, cpu), *bench_case(kind, path, args.runs)]
        print_rows(f"{kind}: K={args.users}, I={args.models}, {size:.0f} MB", rows)
    if args.huge:
        users, models = 10 * args.users, 10 * args.models
        print_rows(f"bls: K={users}, I={models}", huge(users, models, folder))
    return 0


if __name__ == "__main__":
    sys.exit(main())
