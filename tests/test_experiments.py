"""Tests of the experiments: runner (CSV, resume, Ctrl-C, Dask), figures, scaling."""

from __future__ import annotations

import copy
import csv
import math
import multiprocessing
import signal
import subprocess
import sys
import threading

import numpy as np
import pytest

from experiments import figures, records, runner, scaling, stats
from experiments.cli import load_config
from experiments.context import RunContext, resolve
from experiments.runner import BASE_COLUMNS, Task, read_rows, run_one, run_tasks


def ctx_for(name: str, **overrides) -> RunContext:
    """A serial, silent, quick context (workers=1 runs tasks in this process)."""
    return RunContext(
        name=name, **{"quick": True, "workers": 1, "progress": False, **overrides}
    )


def tiny_task(seed: int, method: str = "dp", kind: str = "bls", **tags) -> Task:
    return Task(
        key=f"t|{kind}|{seed}|{method}",
        generator="tiny",
        params={"seed": seed, "kind": kind, "num_users": 4},
        method=method,
        options={"reuse_blocks": True, "bandwidth": "optimal", "threads": 1},
        tags={"x_value": seed, **tags},
    )


def tiny_figure(name: str) -> dict:
    """Return the shipped config of figure ``name`` on tiny instances.

    Methods, panels' method lists and comparisons are kept; each panel's x
    becomes num_users in {3, 4}; a panel on the general generator keeps its
    kind. Two realizations in quick mode.
    """
    config = copy.deepcopy(load_config(name))
    config["defaults"] = {"kind": "bls"}
    for panel in config["panels"]:
        kind = (
            "general"
            if panel.get("generator", config["generator"]) == "general"
            else "bls"
        )
        panel.update(
            x="num_users", values=[3, 4], defaults={"kind": kind}, generator="tiny"
        )
    config["generator"] = "tiny"
    config["time_limit"] = 5.0
    config["quick"] = {"realizations": 2}
    for method in config["methods"]:
        method.pop("realizations", None)
    config.get("quick", {}).pop("methods", None)
    return config


# -- stats: hand-computed numbers ---------------------------------------------------


def test_shifted_geometric_mean_by_hand():
    """Tests that the SGM is exp(mean log(t + s)) - s, unsolved charged the limit."""
    # times 1 and 3, shift 1: sqrt(2 * 4) - 1 = 1.8284...
    assert stats.shifted_geometric_mean([1.0, 3.0], shift=1.0) == pytest.approx(
        8**0.5 - 1
    )
    # an unsolved run (inf) with limit 3 counts as 3: the same value
    assert stats.shifted_geometric_mean([1.0, math.inf], shift=1.0, limit=3.0) == (
        pytest.approx(8**0.5 - 1)
    )
    with pytest.raises(ValueError, match="limit"):
        stats.shifted_geometric_mean([1.0, math.inf])


def test_performance_profile_by_hand():
    """Tests the Dolan-More profile on three problems with one failure."""
    # best = [1, 2, 4]; ratios A = [1, 1, inf], B = [2, 1, 1]
    taus, rho = stats.performance_profile({"A": [1, 2, math.inf], "B": [2, 2, 4]})
    assert list(taus) == [1.0, 2.0]
    assert list(rho["A"]) == pytest.approx([2 / 3, 2 / 3])
    assert list(rho["B"]) == pytest.approx([2 / 3, 1.0])


def test_improvement_exponent_and_ci_by_hand():
    """Tests the mean relative gain, the log-log slope and the normal CI."""
    # 0.5/0.4 - 1 = 0.25, 0.6/0.5 - 1 = 0.2: mean 0.225; a zero baseline is skipped
    assert stats.improvement([0.5, 0.6, 0.3], [0.4, 0.5, 0.0]) == pytest.approx(0.225)
    # y = 3 x^2
    assert stats.fitted_exponent([1, 2, 4], [3, 12, 48]) == pytest.approx(2.0)
    assert math.isnan(stats.fitted_exponent([2, 2], [1, 5]))
    # mean 2, sample std 1: half-width 1.96 / sqrt(3)
    mean, half = stats.mean_ci([1.0, 2.0, 3.0])
    assert (mean, half) == pytest.approx((2.0, stats.Z95 / 3**0.5))


# -- context and runner -------------------------------------------------------------


def test_resolve_applies_quick_table_and_overrides():
    """Tests that [quick] is deep-merged only in quick mode and CLI overrides win."""
    config = {
        "realizations": 1000,
        "defaults": {"a": 1, "b": 2},
        "seed": 5,
        "quick": {"realizations": 3, "defaults": {"b": 9}},
    }
    full = resolve(config, RunContext("x", seed=5))
    assert (full["realizations"], full["defaults"], "quick" in full) == (
        1000,
        {"a": 1, "b": 2},
        False,
    )
    quick = resolve(config, RunContext("x", quick=True, seed=7, realizations=4))
    assert (quick["realizations"], quick["defaults"], quick["seed"]) == (
        4,
        {"a": 1, "b": 9},
        7,
    )


def test_run_one_turns_failures_into_rows():
    """Tests that refusals and exceptions become rows with a status and a message."""
    row = run_one(tiny_task(1, "dp", kind="general"))
    # tiny general instances are usually not BLS; seed 1 is not (dp refuses it)
    assert row["status"] == "unsupported" and "bottom-layer" in row["error"]
    row = run_one(tiny_task(1, "no-such-method"))
    # an exception is its own status, "crashed", not the solver status "error"
    assert row["status"] == runner.CRASHED == "crashed"
    assert "unknown method" in row["error"]
    row = run_one(tiny_task(1, "dp"))
    assert row["status"] == "optimal" and row["served"] == row["bound"]
    assert row["served_ratio"] == row["served"] / 4


def test_run_tasks_schema_resume_and_typing(tmp_path, monkeypatch):
    """Tests the CSV header, typed read-back and that a second run re-runs nothing."""
    tasks = [tiny_task(s, m) for s in range(3) for m in ("dp", "greedy")]
    path = tmp_path / "r.csv"
    rows = run_tasks(tasks, path, ctx_for("unit"))
    with path.open() as handle:
        header = next(csv.reader(handle))
    assert header == [
        *BASE_COLUMNS,
        "param_seed",
        "param_kind",
        "param_num_users",
        "x_value",
    ]
    assert [row["key"] for row in rows] == [task.key for task in tasks]
    assert all(row["experiment"] == "unit" and row["num_users"] == 4 for row in rows)
    assert all(isinstance(row["served"], int) for row in rows)

    def boom(task):
        raise AssertionError("resume must not re-run a finished task")

    monkeypatch.setattr(runner, "run_one", boom)
    again = run_tasks(tasks, path, ctx_for("unit"))
    assert again == rows and len(read_rows(path)) == len(tasks)


def test_run_tasks_widens_header_for_new_columns(tmp_path):
    """Tests that tasks with a new tag rewrite the header and keep the old rows."""
    path = tmp_path / "r.csv"
    run_tasks([tiny_task(0)], path, ctx_for("unit"))
    run_tasks([tiny_task(1, panel="a")], path, ctx_for("unit"))
    rows = read_rows(path)
    assert [row["panel"] for row in rows] == [None, "a"]


def test_ctrl_c_keeps_finished_rows(tmp_path, monkeypatch, capsys):
    """Tests that KeyboardInterrupt propagates after saving the finished rows."""
    calls = []

    def interrupted_on_third(task):
        calls.append(task.key)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return run_one(task)

    monkeypatch.setattr(runner, "run_one", interrupted_on_third)
    with pytest.raises(KeyboardInterrupt):
        run_tasks([tiny_task(s) for s in range(5)], tmp_path / "r.csv", ctx_for("unit"))
    assert len(read_rows(tmp_path / "r.csv")) == 2
    assert "2 new row(s) saved" in capsys.readouterr().err


def test_ctrl_c_with_a_pool_stops_it_before_returning(tmp_path, monkeypatch):
    """Tests that after Ctrl-C no pool process or thread outlives run_tasks."""
    # A pool still shutting down while the interpreter exits wrote to closed
    # pipes: "OSError: Bad file descriptor" after the interrupt message.
    threads = set(threading.enumerate())
    write = records.Writer.write

    def write_then_interrupt(self, row):
        write(self, row)
        signal.raise_signal(signal.SIGINT)  # Ctrl-C once the first row is saved

    monkeypatch.setattr(records.Writer, "write", write_then_interrupt)
    tasks = [tiny_task(s, "bruteforce") for s in range(30)]
    with pytest.raises(KeyboardInterrupt):
        run_tasks(tasks, tmp_path / "r.csv", ctx_for("unit", workers=2))
    assert multiprocessing.active_children() == []
    assert set(threading.enumerate()) <= threads
    assert len(read_rows(tmp_path / "r.csv")) == 1


@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="POSIX only")
def test_processes_started_by_the_runner_never_see_ctrl_c():
    """Tests that a process started while the runner holds Ctrl-C ignores it from
    its first instruction, and that the parent gets the held Ctrl-C afterwards."""
    code = "import signal; print(signal.getsignal(signal.SIGINT) == signal.SIG_IGN)"
    with pytest.raises(KeyboardInterrupt), runner.sigint_held():
        child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
        signal.raise_signal(signal.SIGINT)  # Ctrl-C while the child starts
        out, _ = child.communicate(timeout=60)
    assert out.decode().strip() == "True"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def crash(task) -> dict:
    raise RuntimeError(f"boom on {task.key}")


def test_a_raising_execute_gives_a_crashed_row(tmp_path):
    """Tests that an exception in any task function is a crashed row, not a crash."""
    tasks = [runner.Task("k", "tiny", {"seed": 0}, "dp")]
    path = tmp_path / "r.csv"
    ctx = ctx_for("unit")
    rows = run_tasks(
        tasks, path, ctx, columns=("key", "status", "error"), execute=crash
    )
    assert rows == [
        {"key": "k", "status": "crashed", "error": "RuntimeError: boom on k"}
    ]


def test_progress_bar_only_on_a_terminal_unless_asked(tmp_path, capsys):
    """Tests that the default context draws no bar into a non-terminal stderr,
    and that progress=True draws it anyway."""
    tasks = [tiny_task(0)]
    run_tasks(tasks, tmp_path / "a.csv", RunContext("unit", workers=1))
    assert capsys.readouterr().err == ""
    run_tasks(tasks, tmp_path / "b.csv", RunContext("unit", workers=1, progress=True))
    assert "unit [" in capsys.readouterr().err


def test_duplicate_keys_are_rejected(tmp_path):
    """Tests that two tasks with one key (a config bug) raise before running."""
    with pytest.raises(ValueError, match="duplicate"):
        run_tasks([tiny_task(0), tiny_task(0)], tmp_path / "r.csv", ctx_for("unit"))


# -- experiments --------------------------------------------------------------------


@pytest.mark.parametrize("name", ["fig6", "fig7", "fig8", "fig9"])
def test_figure_quick_on_tiny_settings(name, tmp_path):
    """Tests each figure's shipped methods/comparisons on tiny instances, and resume."""
    config = tiny_figure(name)
    figures.run(config, tmp_path, ctx_for(name))
    rows = read_rows(tmp_path / "results.csv")
    panels = figures.panels_of(resolve(config, ctx_for(name)))
    # 2 x values x 2 realizations x the panel's variants
    assert len(rows) == sum(2 * 2 * len(p.variants) for p in panels)
    assert {row["status"] for row in rows} <= figures.SCORED | {"unsupported"}
    report = (tmp_path / "report.md").read_text()
    assert "## The paper's stated numbers beside ours" in report
    assert all(f"## Panel {p.id}" in report for p in panels)
    assert len(list(tmp_path.glob("*.png"))) >= len(panels)
    before = (tmp_path / "results.csv").read_text()
    figures.run(config, tmp_path, ctx_for(name))
    assert (tmp_path / "results.csv").read_text() == before


def test_figure_exact_counterparts_agree_on_tiny():
    """Tests that on fig6's tiny BLS instances dp >= every other variant, per seed."""
    config = resolve(tiny_figure("fig6"), ctx_for("fig6"))
    rows = [run_one(task) for task in figures.make_tasks(config, "fig6")]
    best = {}
    for row in rows:
        if row["variant"] == "dp":
            best[row["x_value"], row["seed"]] = row["served"]
    for row in rows:
        if row["status"] in figures.SCORED:
            assert row["served"] <= best[row["x_value"], row["seed"]]


def test_scaling_quick_on_tiny_settings(tmp_path):
    """Tests the scaling report: exponents, profile, SGM and gaps on tiny ladders."""
    config = {
        "generator": "tiny",
        "instances": 2,
        "time_limit": 5.0,
        "defaults": {"kind": "bls"},
        "ladders": [
            {
                "id": "K",
                "x": "num_users",
                "values": [3, 6],
                "methods": ["dp", "greedy"],
            },
            {
                "id": "K-exact",
                "x": "num_users",
                "values": [3, 4],
                "exact": True,
                "methods": ["dp", "greedy", "exhaustive", "bruteforce"],
            },
        ],
    }
    scaling.run(config, tmp_path, ctx_for("scaling"))
    rows = read_rows(tmp_path / "results.csv")
    assert len(rows) == 2 * 2 * 2 + 2 * 2 * 4
    report = (tmp_path / "report.md").read_text()
    assert "| exponent |" in report and "SGM runtime" in report
    # exact methods agree with each other, so each has gap 0 on all 4 instances
    for method in ("dp", "exhaustive", "bruteforce"):
        assert f"| {method} | 4/4 |" in report and "| 0.0000 | 0.0000 | 4/4 |" in report
    assert (tmp_path / "scaling_profile.png").exists()


def test_cli_runs_fig9_with_a_process_pool(tmp_path):
    """Tests the CLI end to end: a TOML config, two worker processes, exit 0, files."""
    config = tmp_path / "tiny.toml"
    config.write_text(
        'title = "tiny fig9"\ngenerator = "tiny"\nrealizations = 3\n'
        'methods = [{ id = "dp", label = "dp", method = "dp" },\n'
        '  { id = "ex", label = "exhaustive", method = "exhaustive" }]\n'
        'panels = [{ id = "a", x = "num_users", values = [3] }]\n'
        'comparisons = [{ panel = "a", a = "dp", b = "ex", paper = 0.0 }]\n'
        '[defaults]\nkind = "bls"\n[quick]\nrealizations = 2\n'
    )
    out = tmp_path / "out"
    command = [
        sys.executable,
        "-m",
        "partialloading",
        "experiment",
        "fig9",
        "--config",
        str(config),
        "--quick",
        "--workers",
        "2",
        "--out",
        str(out),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert len(read_rows(out / "results.csv")) == 2 * 2
    assert "| a |  | dp | ex | +0.0% | +0.0% |" in (out / "report.md").read_text()
    assert (out / "fig9_a_served.png").exists() and (
        out / "fig9_a_runtime.png"
    ).exists()


def test_cli_rejects_a_missing_config(tmp_path):
    """Tests that a missing config file exits 2 with one line, no traceback."""
    command = [
        sys.executable,
        "-m",
        "partialloading",
        "experiment",
        "fig6",
        "--config",
        str(tmp_path / "none.toml"),
        "--out",
        str(tmp_path),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "no such file" in done.stderr
    assert "Traceback" not in done.stderr


def test_dask_local_cluster(tmp_path):
    """Tests run_tasks on a Dask LocalCluster: same rows as the serial run."""
    pytest.importorskip("dask.distributed")
    tasks = [tiny_task(s, m) for s in range(3) for m in ("dp", "greedy")]
    serial = run_tasks(tasks, tmp_path / "serial.csv", ctx_for("unit"))
    dask = run_tasks(
        tasks, tmp_path / "dask.csv", ctx_for("unit", workers=2, scheduler="local")
    )
    assert [r["served"] for r in dask] == [r["served"] for r in serial]
    assert np.all(
        [r["status"] == s["status"] for r, s in zip(dask, serial, strict=True)]
    )
