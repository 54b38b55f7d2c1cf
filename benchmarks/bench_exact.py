"""Time the exact methods at the scales their docs promise (medians of repeats).

    python benchmarks/bench_exact.py [--repeats 7]

Rows: dp at the paper scale (K=80, I=50) and at K=10,000, I=1,000 with a tight
and a loose deadline (the loose one keeps the DP arrays ~K long, the worst case);
independent at the same sizes; exhaustive at the paper's Fig. 9 scale (K=20,
I=5) and at its limit of 16 models. "wall" is ``Result.runtime_s`` (the solve,
without evaluation); "cpu" is the process time of the solve alone, which is
steadier on a shared machine.
"""

from __future__ import annotations

import argparse
import statistics
import time

from instances.generators import bls, general
from solvers import registry
from solvers.report import table
from solvers.result import Options

CASES = [
    ("dp", "bls", 80, 50, 0.7),
    ("dp", "bls", 80, 50, 5.0),
    ("dp", "bls", 10_000, 1_000, 0.7),
    ("dp", "bls", 10_000, 1_000, 300.0),
    ("independent", "bls", 80, 50, 0.7),
    ("independent", "bls", 10_000, 1_000, 300.0),
    ("exhaustive", "bls", 20, 5, 0.7),
    ("exhaustive", "general", 20, 5, 0.7),
    ("exhaustive", "general", 200, 16, 2.0),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    rows = []
    for method, kind, users, models, deadline in CASES:
        generate = bls.generate if kind == "bls" else general.generate
        instance = generate(
            num_users=users, num_models=models, deadline_s=deadline, seed=0
        )
        wall, cpu = [], []
        for _ in range(args.repeats):
            result = registry.run(method, instance, Options())
            wall.append(result.runtime_s)
            start = time.process_time()
            registry.get(method).solve(instance, Options())
            cpu.append(time.process_time() - start)
        rows.append(
            (
                method,
                kind,
                users,
                models,
                deadline,
                result.served,
                1000 * statistics.median(wall),
                1000 * statistics.median(cpu),
            )
        )
    headers = ("method", "kind", "K", "I", "T s", "served", "wall ms", "cpu ms")
    print(table(headers, rows, markdown=True))


if __name__ == "__main__":
    main()
