"""Tests of PLIB-1 and ``partialloading bench`` / ``compare`` (docs/benchmark.md)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import textwrap

import pytest

from experiments import bench
from experiments.context import RunContext
from instances import benchmark
from instances.benchmark import best as best_table
from instances.schedule_io import verify_file

# The tiny class: 20 instances of 7 users and 4 models (8 BLS, 8 general, 4 with
# per-user deadlines); dp and greedy take milliseconds on each.
TWO = ["tiny-bls-s00", "tiny-bls-s01"]


def cli(*args) -> subprocess.CompletedProcess:
    """Run ``python -m partialloading ARGS`` and return the finished process."""
    return subprocess.run(
        [sys.executable, "-m", "partialloading", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def main(capsys):
    """Return a runner of the command line in this process: (status, out, err)."""
    from partialloading.cli import main as cli_main

    def run(*args):
        status = cli_main([str(arg) for arg in args])
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run


@pytest.fixture
def user_methods(tmp_path, monkeypatch):
    """A module ``usermethods`` on sys.path with good, crashing and lying methods."""
    (tmp_path / "usermethods.py").write_text(
        textwrap.dedent(
            """
            import os
            from instances.schedule import Batch, Schedule
            from solvers.result import Outcome, Status

            def empty(instance, options):
                return Schedule((), options.reuse_blocks, options.bandwidth)

            def crash(instance, options):
                raise ZeroDivisionError("boom")

            def leave(instance, options):
                raise SystemExit(3)

            def everyone(instance, options):
                ids = tuple(u.id for u in instance.users)
                batch = Batch(instance.models[0].id, ids)
                return Schedule((batch,), options.reuse_blocks, options.bandwidth)

            def claims_zero(instance, options):
                # A user's "proof" that nobody can be served: never trusted.
                schedule = Schedule((), options.reuse_blocks, options.bandwidth)
                return Outcome(schedule, Status.OPTIMAL, bound=0)

            def interrupted(instance, options):
                with open(os.environ["BENCH_LOG"], "a") as log:
                    log.write(instance.name + "\\n")
                mark = os.environ["BENCH_MARK"]
                if instance.name == "tiny-bls-s02" and not os.path.exists(mark):
                    open(mark, "w").close()
                    raise KeyboardInterrupt
                return empty(instance, options)
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", f"{tmp_path}:{sys.path[-1]}")
    return tmp_path


def run_bench(words, methods, out, table, update_best=False, seeds=1):
    """Run bench in this process (workers=1) and return the BenchRun."""
    settings = bench.Settings(bench.check_methods(methods), seeds, time_limit=10)
    ctx = RunContext(name="bench", workers=1, progress=False)
    return bench.run(words, settings, out, ctx, update_best=update_best, table=table)


def test_tiny_class_end_to_end(tmp_path):
    """Tests that bench on the tiny class prints both tables and writes every file."""
    table = tmp_path / "best.csv"
    run = cli("bench", "tiny", "--methods", "dp,greedy", "--out", tmp_path / "out",
              "--table", table)  # fmt: skip
    assert run.returncode == 0, run.stderr
    out = tmp_path / "out"
    for name in ("results.csv", "runs.csv", "summary.csv", "bench.json",
                 "profile.png", "report.md"):  # fmt: skip
        assert (out / name).stat().st_size > 0, name
    assert "tiny-deadlines-s03" in run.stdout and "sgm_time_s" in run.stdout
    document = json.loads((out / "bench.json").read_text())
    assert len(document["runs"]) == 2 * 20  # 20 instances x 2 methods
    dp = next(s for s in document["summary"] if s["method"] == "dp")
    # dp refuses the 4 per-user-deadline instances and the non-BLS general ones,
    # and proves the rest: gap 0 against its own bound.
    assert dp["refused"] >= 4 and dp["optimal"] == dp["runs"] - dp["refused"]
    assert dp["worst_gap"] == 0
    for record in document["runs"]:
        if record["served"] is not None:  # no method serves above a proven bound
            assert record["served"] <= record["bound"]
    assert (out / "report.md").read_text().count("| tiny-") == 40
    assert not table.exists()  # no --update-best: the table is left alone


def test_update_best_records_verified_schedules(tmp_path):
    """Tests that --update-best records a value with a schedule that verifies."""
    table = tmp_path / "best.csv"
    result = run_bench(TWO, ["greedy", "dp"], tmp_path / "out", table, True)
    assert len(result.changes) == 2
    records = best_table.read(table)
    for name in TWO:
        record = records[name]
        assert record.status == "optimal" and record.bound_method == "dp"
        instance = benchmark.instance(benchmark.ENTRIES[name])
        evaluation, problems = verify_file(instance, tmp_path / record.schedule)
        assert not problems and evaluation.served == record.best_served


def test_update_best_refuses_an_unverified_schedule(tmp_path, capsys):
    """Tests that a schedule file that no longer matches its claim is not recorded."""
    table, out = tmp_path / "best.csv", tmp_path / "out"
    first = run_bench(TWO[:1], ["dp"], out, table)
    assert first.scored[0]["served"] > 0  # tiny-bls-s00 serves 2 (fill run)
    (saved,) = (out / "schedules").glob("*.json")
    document = json.loads(saved.read_text())
    document["batches"] = []  # now serves nobody, but the run claims 2
    saved.write_text(json.dumps(document))
    again = run_bench(TWO[:1], ["dp"], out, table, update_best=True)  # resumes
    assert "not verified" in capsys.readouterr().out
    record = best_table.read(table)[TWO[0]]
    assert record.best_served is None and record.schedule is None
    assert record.best_bound == again.scored[0]["bound"]  # dp's bound is kept


def test_user_method_by_module_function(tmp_path, user_methods):
    """Tests that module:function methods run, are judged, and prove nothing."""
    table = tmp_path / "best.csv"
    result = run_bench(TWO[:1], ["usermethods:empty", "usermethods:claims_zero",
                                 "examples.one_model:solve"],
                       tmp_path / "out", table, update_best=True)  # fmt: skip
    rows = {r["method"]: r for r in result.scored}
    assert rows["usermethods:empty"]["status"] == "feasible"
    assert rows["usermethods:empty"]["served"] == 0
    assert rows["examples.one_model:solve"]["served"] >= 1
    record = best_table.read(table)[TWO[0]]
    assert record.best_bound > 0  # the user's bound 0 was not recorded


def test_crashing_and_infeasible_user_methods_are_rows(tmp_path, user_methods, main):
    """Tests that a crash, SystemExit or infeasible schedule is a row, not fatal."""
    status, _, err = main("bench", *TWO, "--methods",
              "greedy,usermethods:crash,usermethods:leave,usermethods:everyone",
              "--out", tmp_path / "out", "--table", tmp_path / "best.csv")  # fmt: skip
    assert status == 0, err
    with (tmp_path / "out" / "runs.csv").open() as handle:
        status = {(r["instance"], r["method"]): r for r in csv.DictReader(handle)}
    for name in TWO:
        assert status[(name, "usermethods:crash")]["status"] == "crashed"
        assert "ZeroDivisionError: boom" in status[(name, "usermethods:crash")]["error"]
        assert status[(name, "usermethods:leave")]["status"] == "crashed"
        # 7 users in one batch exceed b_max <= 3 of the tiny generator.
        assert status[(name, "usermethods:everyone")]["status"] == "infeasible"
        assert status[(name, "greedy")]["status"] == "feasible"


def test_resume_after_interruption(tmp_path, user_methods, monkeypatch, main):
    """Tests that Ctrl-C keeps finished rows and a re-run does only the rest."""
    log, mark = tmp_path / "calls.log", tmp_path / "interrupted"
    monkeypatch.setenv("BENCH_LOG", str(log))
    monkeypatch.setenv("BENCH_MARK", str(mark))
    words = ["tiny-bls-s00", "tiny-bls-s01", "tiny-bls-s02", "tiny-bls-s03"]
    args = ("bench", *words, "--methods", "usermethods:interrupted",
            "--out", tmp_path / "out", "--table", tmp_path / "best.csv")  # fmt: skip
    status, _, err = main(*args)
    assert status == 130 and "re-run the same command" in err
    status, _, err = main(*args)
    assert status == 0, err
    # s00 and s01 ran once, s02 twice (interrupted, then resumed), s03 once.
    calls = log.read_text().split()
    assert calls == [*words[:3], "tiny-bls-s02", "tiny-bls-s03"]
    assert len(json.loads((tmp_path / "out" / "bench.json").read_text())["runs"]) == 4


def test_compare_prints_one_table(main):
    """Tests that compare runs several methods on one file and prints one table."""
    path = benchmark.ENTRIES["fig9-general-s0"].path
    status, out, err = main("compare", path, "--methods", "exhaustive,greedy,dp")
    assert status == 0, err
    lines = [line for line in out.splitlines() if "fig9-general-s0" in line]
    assert len(lines) == 3
    assert "unsupported" in out  # dp refuses a general instance


@pytest.mark.parametrize(
    "args, fragment",
    [
        (("bench", "tiny", "--methods", "nosuch"), 'unknown method "nosuch"'),
        (("bench", "tiny", "--methods", "nosuchmodule:f"), "cannot import"),
        (("bench", "tiny", "--methods", "examples.one_model:nope"), "no function"),
        (("bench", "tiny", "--methods", "dp,,greedy"), "empty method name"),
        (("bench", "tiny", "--methods", "dp,dp"), "listed twice"),
        (("bench", "nosuchclass", "--methods", "dp"), '"nosuchclass"'),
        (("bench", "tiny", "--methods", "dp", "--seeds", "0"), "--seeds"),
        (("bench", "tiny", "--methods", "dp", "--time-limit", "-1"), "--time-limit"),
        (("bench", "tiny", "--methods", "dp", "--workers", "x"), "--workers"),
        (("bench", "tiny"), "methods: required"),
        (("bench", "--methods", "dp"), "instances:"),
        (("bench", "tiny", "--methods", "dp", "--check"), "--regenerate"),
        (
            ("bench", "tiny", "--methods", "dp", "--dask", "local", "--scheduler", "x"),
            "not allowed with",
        ),
        (("compare", "--methods", "dp"), "INSTANCE"),
    ],
)
def test_bad_bench_options_exit_2(tmp_path, main, args, fragment):
    """Tests that bad bench/compare options give exit 2 and one line naming them."""
    out = ("--out", tmp_path) if args[0] == "bench" else ()
    status, _, err = main(*args, *out)
    assert status == 2, err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert fragment in err


def test_library_regenerates_bit_for_bit():
    """Tests that every committed PLIB-1 file equals what its recipe generates."""
    committed = [e for e in benchmark.ENTRIES.values() if e.committed]
    assert len(committed) == 84  # 20 tiny + 16 fig9 + 48 paper
    assert benchmark.regenerate(committed, check=True, log=lambda _: None) == []


def test_best_known_table_is_verified():
    """Tests that every committed best value has a schedule file that proves it."""
    records = best_table.read()
    assert set(records) == set(benchmark.ENTRIES)
    for record in records.values():
        entry = benchmark.ENTRIES[record.instance]
        if not entry.committed:
            continue  # x10/huge: built from recipes in the slow test below
        instance = benchmark.instance(entry)
        evaluation, problems = verify_file(
            instance, benchmark.DIRECTORY / record.schedule
        )
        assert not problems and evaluation.served == record.best_served


@pytest.mark.slow
def test_recipe_only_best_values_verify():
    """Tests that the x10 and huge best values verify on instances from recipes."""
    records = best_table.read()
    for entry in benchmark.ENTRIES.values():
        if entry.committed:
            continue
        record = records[entry.name]
        instance = benchmark.build(entry)
        evaluation, problems = verify_file(
            instance, benchmark.DIRECTORY / record.schedule
        )
        assert not problems and evaluation.served == record.best_served


def test_stale_record_is_replaced(tmp_path):
    """Tests that a record made on another version of an instance is dropped."""
    table = tmp_path / "best.csv"
    # A fake record claiming all 7 users of tiny-bls-s00 (dp serves 2 on it).
    stale = best_table.Record("tiny-bls-s00", "tiny", 7, 4, "0" * 16, 7, "x", 1.0,
                              "schedules/none.json", 7, "x", 1.0)  # fmt: skip
    best_table.write({stale.instance: stale}, table)
    result = run_bench(TWO[:1], ["dp"], tmp_path / "out", table, update_best=True)
    assert result.scored[0]["best_known"] is None  # the stale value is not used
    record = best_table.read(table)["tiny-bls-s00"]
    assert record.digest == benchmark.digest(benchmark.ENTRIES["tiny-bls-s00"])
    assert (record.best_served, record.served_method) == (2, "dp")
