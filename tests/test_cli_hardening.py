"""Tests of issue 10's command-line cases: every bad input refused with exit 2
and one line naming the option, honest exit codes, output a script can read."""

from __future__ import annotations

import json
import subprocess
import sys
import types
from pathlib import Path

import pytest
from conftest import make_instance

from instances.io import save_instance, write_json
from instances.model import User
from instances.schedule import Schedule
from partialloading import exits
from partialloading.cli import main
from solvers import registry
from solvers.result import Outcome, Status

ROOT = Path(__file__).resolve().parent.parent


def bad(capsys, argv, *fragments) -> None:
    """Assert ``main(argv)`` exits 2 with one stderr line holding ``fragments``."""
    assert main([str(a) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    for fragment in fragments:
        assert fragment in err, err


# -- solver options: ranges and methods that would ignore them ------------------------


@pytest.mark.parametrize(
    ("option", "value", "method"),
    [
        ("--threads", "100000", "milp"),  # aborted HiGHS (exit 134)
        ("--threads", "100000", "cpsat"),  # status error, exit 0
        ("--threads", "0", "cpsat"),
        ("--seed", "18446744073709551616", "cpsat"),  # TypeError in CP-SAT
        ("--seed", "-1", "milp"),
        ("--mip-gap", "1", "milp"),
        ("--mip-gap", "nan", "milp"),
        ("--time-limit", "1e308", "cpsat"),
        ("--time-limit", "nan", "cpsat"),
        ("--time-limit", "inf", "milp"),
        ("--iterations", "0", "search"),
        ("--iterations", "18446744073709551616", "search"),
    ],
)
def test_solver_option_out_of_range(capsys, two_models_file, option, value, method):
    """Tests that a solver option outside its documented range exits 2, naming it."""
    argv = ["solve", two_models_file, "--method", method, option, value]
    bad(capsys, argv, option)


@pytest.mark.parametrize(
    ("method", "extra"),
    [
        ("dp", ["--solver", "glpk"]),
        ("cpsat", ["--solver", "glpk"]),  # CP-SAT is not chosen with --solver
        ("greedy", ["--mip-gap", "0.1"]),
        ("dp", ["--log"]),
        ("dp", ["--threads", "1"]),
        ("cpsat", ["--log", "--json"]),  # the log would break the one JSON object
        ("dp", ["--iterations", "5"]),  # only anytime methods take a budget
        ("cpsat-seq", ["--iterations", "5"]),
    ],
)
def test_solver_option_for_a_method_without_solver(
    capsys, two_models_file, method, extra
):
    """Tests that options a method would silently ignore are refused, named."""
    bad(capsys, ["solve", two_models_file, "--method", method, *extra], extra[0])


def test_search_iterations_make_the_run_reproducible(capsys, tmp_path):
    """Tests that search with the same --seed and --iterations writes the same file."""
    source = str(Path(__file__).parents[1] / "instances/library/general-default.json")
    outs = [tmp_path / "a.json", tmp_path / "b.json"]
    for out in outs:
        argv = ["solve", source, "--method", "search", "--seed", "7"]
        assert main([*argv, "--iterations", "3", "--quiet", "--out", str(out)]) == 0
    first, second = (json.loads(out.read_text()) for out in outs)
    # runtimes differ between runs; the schedule itself must not
    assert first["batches"] == second["batches"] and first["served"] == second["served"]


def test_solver_accepted_by_pyomo_methods(two_models_file):
    """Tests that --solver highs --threads 1 is taken by milp (3 served, exit 0)."""
    argv = ["solve", two_models_file, "--method", "milp", "--solver", "highs"]
    assert main([str(a) for a in [*argv, "--threads", "1", "--quiet"]]) == 0


# -- output paths ---------------------------------------------------------------------


def test_solve_out_empty(capsys, two_models_file):
    """Tests that ``solve --out ""`` is refused instead of writing nothing."""
    bad(capsys, ["solve", two_models_file, "--method", "dp", "--out", ""], "--out")


def test_solve_out_is_the_input(capsys, two_models_file):
    """Tests that ``solve X --out X`` is refused and leaves X as it was."""
    before = two_models_file.read_text()
    argv = ["solve", two_models_file, "--method", "dp", "--out", two_models_file]
    bad(capsys, argv, "--out", "is the input file")
    assert two_models_file.read_text() == before


def test_export_out_is_the_input(capsys, two_models_file):
    """Tests that ``export X -o X`` is refused and leaves X as it was."""
    before = two_models_file.read_text()
    argv = ["export", two_models_file, "-o", two_models_file, "--format", "lp"]
    bad(capsys, argv, "--out", "is the input file")
    assert two_models_file.read_text() == before


@pytest.mark.parametrize("command", ["solve", "export", "generate"])
def test_unwritable_out_is_worded(capsys, tmp_path, two_models_file, command):
    """Tests that a missing directory gives "--out: cannot write ..." not raw errno."""
    target = tmp_path / "no" / "x.lp"
    argv = {
        "solve": ["solve", two_models_file, "--method", "dp", "--out", target],
        "export": ["export", two_models_file, "-o", target],
        "generate": ["generate", "tiny", "-o", target],
    }[command]
    bad(capsys, argv, f"--out: cannot write {target} (No such file or directory)")
    assert not any(tmp_path.rglob("*.part-*"))


def test_experiment_out_on_a_file(capsys, tmp_path):
    """Tests that ``experiment --out FILE`` says it cannot create the directory."""
    file = tmp_path / "file"
    file.write_text("")
    argv = ["experiment", "fig9", "--quick", "--out", file]
    bad(capsys, argv, f"--out: cannot create {file}")


def test_export_refuses_a_huge_model_without_force(capsys, monkeypatch, tmp_path):
    """Tests the export size guard: refused above the limit, written with --force."""
    from partialloading.commands import export

    # two_models' MILP has 18 variables (test_milp.test_export_reads_back) > 10.
    monkeypatch.setattr(export, "MAX_VARIABLES", 10)
    source = tmp_path / "in.json"
    save_instance(make_instance(), source)
    out = tmp_path / "m.lp"
    bad(capsys, ["export", source, "-o", out], "18 variables, over the export limit")
    assert not out.exists()
    assert main(["export", str(source), "-o", str(out), "--force"]) == 0
    assert out.read_text().startswith("\\* Source Pyomo model")


def test_export_leaves_no_partial_file(capsys, monkeypatch, tmp_path):
    """Tests that a write failing halfway leaves neither the file nor a part."""
    import formulations.export

    def half_written(instance, options, path, fmt):
        Path(path).write_text("half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(formulations.export, "export", half_written)
    source = tmp_path / "in.json"
    save_instance(make_instance(), source)
    out = tmp_path / "m.lp"
    bad(capsys, ["export", source, "-o", out], "--out: cannot write", "No space left")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.json"]


# -- generate -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["tiny", "--models", "0"], "--models: must be >= 1"),  # gave 4 models
        (["tiny", "--name", ""], "--name: must not be empty"),
        (["bls", "--library-seed", "-3"], "--library-seed: must be in 0.."),
        (["bls", "--bandwidth-hz", "0"], "--bandwidth-hz: must be finite and > 0"),
    ],
)
def test_generate_refuses(capsys, tmp_path, options, message):
    """Tests generate's bad options: exit 2, the option named, no file written."""
    out = tmp_path / "x.json"
    bad(capsys, ["generate", *options, "-o", out], message)
    assert not out.exists()


def test_generate_bandwidth_hz_and_its_deprecated_spelling(capsys, tmp_path):
    """Tests --bandwidth-hz, and --bandwidth still working with a deprecation note."""
    new, old = tmp_path / "new.json", tmp_path / "old.json"
    assert main(["generate", "bls", "--bandwidth-hz", "1e8", "-o", str(new)]) == 0
    assert "deprecated" not in capsys.readouterr().err
    assert main(["generate", "bls", "--bandwidth", "1e8", "-o", str(old)]) == 0
    assert "--bandwidth is deprecated; use --bandwidth-hz" in capsys.readouterr().err
    assert json.loads(new.read_text())["bandwidth_hz"] == 1e8
    assert new.read_text() == old.read_text()


# -- names printed escaped ------------------------------------------------------------


@pytest.fixture
def evil_file(tmp_path):
    """two_models named with an escape code and a newline, and a user id with one."""
    users = (
        User("u1\nforged", "A", 2.0, 2.0),
        User("u2", "A", 4.0, 2.0),
        User("u3", "B", 3.0, 1.0),
    )
    path = tmp_path / "evil.json"
    save_instance(make_instance(name="evil\x1b[2J\nline", users=users), path)
    return path


def test_names_are_printed_escaped(capsys, evil_file):
    """Tests that info and solve show \\x1b and \\n escaped, never raw."""
    assert main(["info", str(evil_file)]) == 0
    out = capsys.readouterr().out
    assert "instance   evil\\x1b[2J\\nline\n" in out and "\x1b" not in out
    assert main(["solve", str(evil_file), "--method", "dp", "--show-users"]) == 0
    out = capsys.readouterr().out
    assert "u1\\nforged u2" in out and "\x1b" not in out
    assert "\nforged" not in out


# -- exit codes of solve --------------------------------------------------------------


def _fake(monkeypatch, status: Status, crash: bool = False) -> None:
    """Register method "fake" returning the empty schedule with ``status``."""
    module = types.ModuleType("fake_method")
    module.supports = lambda instance, options: None

    def solve(instance, options):
        if crash:
            raise ZeroDivisionError("boom")
        return Outcome(Schedule(), status, info={"error": "solver said no"})

    module.solve = solve
    monkeypatch.setitem(sys.modules, "fake_method", module)
    spec = registry.MethodSpec("fake_method", "test double", False, solver="cp-sat")
    monkeypatch.setitem(registry.METHODS, "fake", spec)


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (Status.FEASIBLE, 0),
        (Status.TIME_LIMIT, 0),
        (Status.NO_SOLUTION, 4),
        (Status.ERROR, 5),
        (Status.INFEASIBLE, 6),
    ],
)
def test_solve_exit_code_per_status(capsys, monkeypatch, two_models_file, status, code):
    """Tests that solve's exit status tells the status (0 only with a schedule)."""
    _fake(monkeypatch, status)
    argv = ["solve", str(two_models_file), "--method", "fake"]
    assert main(argv) == code
    err = capsys.readouterr().err
    if code:
        assert f"fake ended {status.value}: solver said no" in err


def test_solve_exit_code_of_a_crash(capsys, monkeypatch, two_models_file):
    """Tests that a method that raises exits 3 (a bug) with one line."""
    _fake(monkeypatch, Status.FEASIBLE, crash=True)
    assert main(["solve", str(two_models_file), "--method", "fake"]) == exits.BUG
    err = capsys.readouterr().err
    assert "BUG: fake crashed: ZeroDivisionError: boom" in err and err.count("\n") == 1


def test_missing_package_is_one_line(capsys, monkeypatch, two_models_file):
    """Tests that a method whose package is not installed exits 2, naming it."""
    ghost = registry.MethodSpec(
        "solvers.dp", "needs a package", True, requires=("no_such_package_xyz",)
    )
    monkeypatch.setitem(registry.METHODS, "ghost", ghost)
    argv = ["solve", two_models_file, "--method", "ghost"]
    bad(capsys, argv, "ghost: needs the package(s) no_such_package_xyz")


# -- JSON, version, users -------------------------------------------------------------


def test_solve_json_is_the_schedule_document(capsys, two_models_file, tmp_path):
    """Tests that solve --json prints exactly what --out writes, and nothing else."""
    out = tmp_path / "s.json"
    argv = [
        "solve",
        str(two_models_file),
        "--method",
        "dp",
        "--json",
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    printed = json.loads(capsys.readouterr().out)  # one object, nothing else
    assert printed == json.loads(out.read_text())
    assert printed["served"] == 3 and printed["format"] == "partialloading/schedule@1"


def test_info_json(capsys, two_models_file):
    """Tests info --json: two_models is BLS with one cluster {A, B}, 3 users."""
    assert main(["info", str(two_models_file), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["bls"] is True and doc["clusters"] == [["A", "B"]]
    assert (doc["num_users"], doc["num_models"], doc["num_blocks"]) == (3, 2, 3)


def test_verify_json(capsys, two_models_file, tmp_path):
    """Tests verify --json on a feasible and an infeasible schedule (no reuse)."""
    path = tmp_path / "s.json"
    doc = {
        "format": "partialloading/schedule@1",
        "batches": [
            {"model": "A", "users": ["u1", "u2"]},
            {"model": "B", "users": ["u3"]},
        ],
    }
    write_json(path, doc)
    assert main(["verify", str(two_models_file), str(path), "--json"]) == 0
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["verdict"] == "feasible" and verdict["served"] == 3
    assert verdict["problems"] == []
    write_json(path, {**doc, "reuse_blocks": False})  # B then ends at 21.9 s > 20
    assert main(["verify", str(two_models_file), str(path), "--json"]) == 1
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["verdict"] == "infeasible"
    assert [p["user"] for p in verdict["problems"]] == ["u3"]


@pytest.mark.parametrize(
    "batches",
    [
        [{"model": "A", "users": ["nobody"]}],  # unknown user
        [{"model": "Z", "users": ["u1"]}],  # unknown model
        [{"model": "A", "users": []}],  # empty batch
    ],
)
def test_verify_unknown_references_are_infeasible(
    capsys, two_models_file, tmp_path, batches
):
    """Tests that verify exits 1 (spec section 4) for unknown ids and empty batches."""
    path = tmp_path / "s.json"
    write_json(path, {"format": "partialloading/schedule@1", "batches": batches})
    assert main(["verify", str(two_models_file), str(path)]) == exits.INFEASIBLE
    assert capsys.readouterr().out.startswith("infeasible: ")


def test_version(capsys):
    """Tests that --version prints the package version and exits 0."""
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("partialloading ")


def test_show_users(capsys, two_models_file):
    """Tests --show-users: dp serves A{u1,u2} then B{u3}."""
    argv = ["solve", str(two_models_file), "--method", "dp", "--show-users", "--quiet"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "  batch 1 (A): u1 u2\n  batch 2 (B): u3" in out


# -- progress bar, pipes, repository --------------------------------------------------


def test_progress_only_on_a_terminal(monkeypatch):
    """Tests that the experiment progress bar is on for a terminal or when asked."""
    import argparse

    from partialloading.commands.experiment import show_progress

    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    assert not show_progress(argparse.Namespace(progress=None))
    assert show_progress(argparse.Namespace(progress=True))
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert show_progress(argparse.Namespace(progress=None))
    assert not show_progress(argparse.Namespace(progress=False))


def test_closed_stdout_is_quiet(two_models_file):
    """Tests ``info X | head -0``: no "Broken pipe" message, not exit 2 (SIGPIPE)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "partialloading", "info", str(two_models_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    process.stdout.close()  # the reader goes away before the command writes
    err = process.stderr.read()
    assert process.wait(timeout=60) == exits.BROKEN_PIPE
    assert err == ""


def test_runs_directory_is_ignored():
    """Tests that runs/ (the README's experiment output) is in .gitignore."""
    assert "/runs/" in (ROOT / ".gitignore").read_text().split()
