"""Tests of the command line (spec section 4), run as ``python -m partialloading``.

Exit status: 0 feasible, 1 infeasible (or stated figures wrong), 2 bad input,
with a single line on stderr and never a traceback.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import make_instance

from instances.io import save_instance, write_json
from instances.model import Model
from solvers.registry import METHODS


def cli(*args) -> subprocess.CompletedProcess:
    """Run ``python -m partialloading ARGS`` and return the finished process."""
    return subprocess.run(
        [sys.executable, "-m", "partialloading", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_bad_input(run: subprocess.CompletedProcess, *fragments: str) -> None:
    """Assert exit 2 with one stderr line holding ``fragments`` and no traceback."""
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr
    for fragment in fragments:
        assert fragment in run.stderr


@pytest.fixture
def general_file(tmp_path):
    """A non-BLS variant of two_models: model B = [c, a], so the shared block a
    lies above B's own block c."""
    general = make_instance(
        models=(
            Model("A", ("a", "b"), 0.1, 1.0, 2),
            Model("B", ("c", "a"), 0.2, 0.5, 2),
        )
    )
    path = tmp_path / "general.json"
    save_instance(general, path)
    return path


@pytest.fixture
def schedule_file(tmp_path):
    """Return a writer of minimal schedule files: ``write(("A", "u1"), ...)``."""

    def write(*batches, **top):
        path = tmp_path / "schedule.json"
        doc = {
            "format": "partialloading/schedule@1",
            "batches": [{"model": m, "users": list(users)} for m, *users in batches],
            **top,
        }
        write_json(path, doc)
        return path

    return write


# -- verify ---------------------------------------------------------------------------


def test_verify_feasible(two_models_file, schedule_file):
    """Tests exit 0: A{u1,u2} ends at 10.2 s, B{u3} at 19.9 s <= 20 s."""
    run = cli("verify", two_models_file, schedule_file(("A", "u1", "u2"), ("B", "u3")))
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith("feasible: 3 of 3 users served, 2 batches")
    assert "makespan 19900.000 ms" in run.stdout


def test_verify_infeasible_prints_violation(two_models_file, schedule_file):
    """Tests exit 1: without reuse B loads 400 B (8 s) and ends at 21.9 s > 20 s."""
    path = schedule_file(("A", "u1", "u2"), ("B", "u3"), reuse_blocks=False)
    run = cli("verify", two_models_file, path)
    assert run.returncode == 1
    assert run.stdout.startswith("infeasible: 1 problem(s)")
    assert (
        "batch 2, user u3: (2) batch ends at 21.9 s, after the deadline 20 s"
        in run.stdout
    )


def test_verify_stated_figures_disagree(two_models_file, schedule_file):
    """Tests exit 1 for a feasible schedule whose file states a wrong ``served``."""
    run = cli("verify", two_models_file, schedule_file(("A", "u1"), served=2))
    assert run.returncode == 1
    assert run.stdout.startswith("rejected: 1 problem(s)")
    assert "stated served is 2, recomputed 1" in run.stdout


def test_verify_bad_instance_file(tmp_path, schedule_file):
    """Tests exit 2 naming the path of an unknown block in the instance."""
    bad = make_instance().to_dict()
    bad["models"][1]["blocks"][1] = "r50.layer4.2.conv3"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    run = cli("verify", path, schedule_file(("A", "u1")))
    assert_bad_input(
        run, "bad.json", 'models[1].blocks[1]: unknown block "r50.layer4.2.conv3"'
    )


def test_verify_bad_schedule_file(two_models_file, schedule_file):
    """Tests exit 2 for a schedule batch with a non-string user."""
    run = cli("verify", two_models_file, schedule_file(("A", "u1", 3)))
    assert_bad_input(run, "schedule.json", "batches[0].users[1]: expected a string")


def test_verify_missing_files(tmp_path, two_models_file, schedule_file):
    """Tests exit 2 for a missing instance file and a missing schedule file."""
    run = cli("verify", tmp_path / "none.json", schedule_file(("A", "u1")))
    assert_bad_input(run, "none.json: cannot read file")
    run = cli("verify", two_models_file, tmp_path / "none.json")
    assert_bad_input(run, "none.json: cannot read file")


def test_verify_wrong_formats(two_models_file, schedule_file):
    """Tests exit 2 when the instance and schedule files are swapped."""
    sched = schedule_file(("A", "u1"))
    run = cli("verify", sched, two_models_file)
    assert_bad_input(run, 'schedule.json: format: expected "partialloading/instance@1"')
    run = cli("verify", two_models_file, two_models_file)
    assert_bad_input(
        run, 'two_models.json: format: expected "partialloading/schedule@1"'
    )


def test_verify_malformed_json_and_nan(tmp_path, two_models_file):
    """Tests exit 2 for malformed JSON and for NaN in the instance text."""
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "partialloading/schedule@1", "batches": [')
    assert_bad_input(cli("verify", two_models_file, broken), "malformed JSON at line 1")
    text = two_models_file.read_text().replace(
        '"deadline_s": 20.0', '"deadline_s": NaN'
    )
    nan = tmp_path / "nan.json"
    nan.write_text(text)
    run = cli("verify", nan, broken)
    assert_bad_input(run, "deadline_s: non-finite number is not allowed")


def test_error_message_with_newline_stays_one_line(tmp_path, schedule_file):
    """Tests that an id holding a newline cannot split the error over two lines."""
    bad = make_instance().to_dict()
    bad["users"][0]["model"] = "no\nsuch"
    path = tmp_path / "nl.json"
    path.write_text(json.dumps(bad))
    assert_bad_input(cli("verify", path, schedule_file(("A", "u1"))), "users[0].model")


# -- help, info ----------------------------------------------------------------------


def test_help_lists_every_method():
    """Tests that ``--help`` names every registered method with its summary."""
    run = cli("--help")
    assert run.returncode == 0
    for name, spec in METHODS.items():
        assert f"  {name} " in run.stdout
        assert spec.summary in run.stdout
    assert set(METHODS) >= {
        "dp-paper",
        "dp",
        "greedy",
        "independent",
        "exhaustive",
        "milp",
        "cpsat",
    }  # spec section 4


def test_help_imports_no_heavy_package():
    """Tests that the parser imports no pyomo, ortools, matplotlib or networkx."""
    code = (
        "import sys\n"
        "from partialloading.cli import build_parser\n"
        "build_parser().format_help()\n"
        "heavy = ('pyomo', 'ortools', 'matplotlib', 'networkx', 'highspy')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


def test_info_prints_bls_verdict(two_models_file, general_file):
    """Tests that ``info`` says BLS for two_models and names the model otherwise."""
    run = cli("info", two_models_file)
    assert run.returncode == 0
    assert (
        "structure  bottom-layer sharing (BLS, Definition 2): 1 clusters" in run.stdout
    )
    assert "cluster 1: A, B; shared depths l_i 1-1, W_m has 1 layers" in run.stdout
    run = cli("info", general_file)
    assert run.returncode == 0
    assert (
        'structure  general (not BLS): model "B": shared block "a" at layer 2'
        in run.stdout
    )


def test_info_bad_file(tmp_path):
    """Tests that ``info`` on a bad file exits 2 with one line."""
    path = tmp_path / "empty.json"
    path.write_text("")
    assert_bad_input(cli("info", path), "empty.json: malformed JSON")


# -- solve ---------------------------------------------------------------------------


def test_solve_unknown_method(two_models_file):
    """Tests that an unknown method name exits 2 with one line."""
    assert_bad_input(
        cli("solve", two_models_file, "--method", "magic"), "invalid choice"
    )


def test_solve_missing_method_option(two_models_file):
    """Tests that ``solve`` without --method exits 2 with one line."""
    assert_bad_input(cli("solve", two_models_file), "--method")


def test_no_command_exits_2():
    """Tests that running without a command prints help and exits 2."""
    run = cli()
    assert run.returncode == 2 and "usage:" in run.stdout


def test_solve_dp_then_verify(two_models_file, tmp_path):
    """Tests solve --method dp --out, then verify of the written file: all 3 served."""
    out = tmp_path / "dp.json"
    run = cli("solve", two_models_file, "--method", "dp", "--out", out, "--quiet")
    assert run.returncode == 0, run.stderr
    assert "served     3 / 3 users" in run.stdout  # A{u1,u2} then B{u3} ends at 19.9 s
    written = json.loads(out.read_text())
    assert written["served"] == 3 and written["method"] == "dp"
    run = cli("verify", two_models_file, out)
    assert run.returncode == 0, run.stdout
    assert run.stdout.startswith("feasible: 3 of 3 users served")


def test_solve_bad_options_exit_2(two_models_file, tmp_path):
    """Tests exit 2 for a bad --bandwidth, a bad --time-limit, an unwritable --out."""
    run = cli("solve", two_models_file, "--method", "dp", "--bandwidth", "equal:0")
    assert_bad_input(run, "bandwidth: ")
    run = cli("solve", two_models_file, "--method", "dp", "--time-limit", "-1")
    assert_bad_input(run, "--time-limit")
    run = cli(
        "solve", two_models_file, "--method", "dp", "--out", tmp_path / "no" / "x.json"
    )
    assert_bad_input(run, "x.json")


def test_solve_refusal_exits_2(general_file):
    """Tests that a method refusing the instance (dp on a non-BLS one) exits 2."""
    run = cli("solve", general_file, "--method", "dp")
    assert_bad_input(run, "dp: ", 'model "B"')


def test_registered_but_missing_module_is_unsupported(monkeypatch, two_models):
    """Tests that a registered method whose module is absent is refused, not a crash."""
    from solvers import registry

    spec = registry.MethodSpec("solvers.no_such_method", "placeholder", False)
    monkeypatch.setitem(registry.METHODS, "ghost", spec)
    with pytest.raises(registry.Unsupported, match="ghost: method not available"):
        registry.run("ghost", two_models)
    with pytest.raises(ValueError, match='unknown method "nope"'):
        registry.get("nope")


def test_solve_log_streams_the_solver_progress(two_models_file):
    """Tests that --log shows the CP-SAT search log before the summary."""
    run = cli("solve", str(two_models_file), "--method", "cpsat-seq", "--log")
    assert run.returncode == 0, run.stderr
    assert "CP-SAT solver" in run.stdout
    # two_models serves all 3 users with reuse (12 + 4.2 + 3.7 = 19.9 s <= 20 s).
    assert "served     3 / 3 users" in run.stdout
