"""Tests of the cached runner (each worker builds an instance once for its methods)."""

from __future__ import annotations

from experiments import batch, records, runner
from experiments.context import RunContext
from experiments.runner import Task, run_tasks


def tasks_of(seeds: range, methods=("dp", "greedy", "dp-paper")) -> list[Task]:
    return [
        Task(
            key=f"b|{seed}|{method}|{reuse}",
            generator="tiny",
            params={"seed": seed, "kind": "bls", "num_users": 4},
            method=method,
            options={"reuse_blocks": reuse, "bandwidth": "optimal", "threads": 1},
            tags={"x_value": seed},
        )
        for seed in seeds
        for method in methods
        for reuse in (True, False)
    ]


def ctx() -> RunContext:
    return RunContext(name="t", workers=1, progress=False)


def test_an_instance_is_built_once_for_its_methods(monkeypatch):
    """Tests that consecutive tasks of one instance build it once in a worker."""
    built = []
    original = runner.build_instance

    def counting(task):
        built.append(task.params["seed"])
        return original(task)

    monkeypatch.setattr(runner, "build_instance", counting)
    batch._BUILT.clear()
    for task in tasks_of(range(3)):
        batch.run_cached(task)
    assert built == [0, 1, 2]


def test_bundled_rows_equal_one_task_per_instance(tmp_path):
    """Tests that bundling changes no row: same keys, statuses and served counts."""
    tasks = tasks_of(range(4))
    plain = run_tasks(tasks, tmp_path / "plain.csv", ctx())
    bundled = batch.run_bundled(tasks, tmp_path / "bundled.csv", ctx())
    fields = ("key", "method", "reuse_blocks", "status", "served", "num_users")
    assert [[r[f] for f in fields] for r in bundled] == [
        [r[f] for f in fields] for r in plain
    ]
    assert records.header(tmp_path / "bundled.csv") == records.header(
        tmp_path / "plain.csv"
    )


def test_a_failing_build_gives_one_row_per_task(tmp_path):
    """Tests that an instance that cannot be built fails each of its tasks."""
    bad = [
        Task(f"x|{m}", "tiny", {"seed": 0, "kind": "nope"}, m, {"threads": 1})
        for m in ("dp", "greedy")
    ]
    rows = batch.run_bundled(bad, tmp_path / "x.csv", ctx())
    assert [r["status"] for r in rows] == ["crashed", "crashed"]
    assert all("kind" in r["error"] for r in rows)
