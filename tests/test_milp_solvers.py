"""Tests of the MILP with solvers other than HiGHS: SCIP on the exports, CBC by name.

SCIP comes from PySCIPOpt (the dev extra); CBC is a system program (Debian:
``apt-get install coinor-cbc``). Tests needing one skip, with the reason, when
it is absent.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
from conftest import make_instance

import instances
from formulations.export import MPS_NOTE, export
from instances.generators import tiny
from instances.io import load_instance
from solvers import registry
from solvers.result import Options, Status

LIBRARY = Path(instances.__file__).parent / "library"
FAST = Options(threads=1, seed=0)
needs_cbc = pytest.mark.skipif(
    shutil.which("cbc") is None,
    reason="CBC not installed (Debian/Ubuntu: apt-get install coinor-cbc)",
)


def scip_optimum(path: Path) -> float:
    """Return SCIP's optimal objective of the model file ``path``, read as it is."""
    pyscipopt = pytest.importorskip("pyscipopt", reason="PySCIPOpt not installed")
    model = pyscipopt.Model()
    model.hideOutput()
    model.readProblem(str(path))
    model.optimize()
    assert model.getStatus() == "optimal"
    return model.getObjVal()


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4, 5])
@pytest.mark.parametrize("fmt", ["lp", "mps"])
def test_scip_solves_exports_to_the_oracle_optimum(tmp_path, seed, fmt):
    """Tests that SCIP reads the LP and MPS exports and reaches bruteforce's optimum."""
    instance = tiny.generate(seed, kind="general" if seed % 2 else "bls")
    path = tmp_path / f"model.{fmt}"
    export(instance, FAST, str(path), fmt)
    served = registry.run("bruteforce", instance, FAST).served
    # LP maximises served; MPS minimises -served (the sign is in a comment line).
    sign = 1 if fmt == "lp" else -1
    assert round(sign * scip_optimum(path)) == served


def test_mps_states_the_negated_objective(tmp_path):
    """Tests that the MPS file minimises neg_served and says so in a comment."""
    path = tmp_path / "model.mps"
    export(make_instance(), FAST, str(path), "mps")
    text = path.read_text()
    assert MPS_NOTE in text and "neg_served" in text and " MIN" in text


def test_exports_keep_names_short(tmp_path):
    """Tests that a 200-character instance name appears in no row, column or NAME."""
    # CBC crashed reading an MPS whose model name (the instance name) had >= 158
    # characters; the model is now "P2" and labels are x(n_k)-style.
    instance = make_instance(name="n" * 200)
    for fmt in ("lp", "mps"):
        path = tmp_path / f"model.{fmt}"
        export(instance, FAST, str(path), fmt)
        tokens = [t for line in path.read_text().splitlines() for t in line.split()]
        assert "n" * 20 not in path.read_text()
        assert max(len(t) for t in tokens) < 40


@needs_cbc
def test_cbc_reads_mps_export(tmp_path):
    """Tests that CBC, which ignores OBJSENSE, finds -3 on two_models' MPS file."""
    import subprocess

    path = tmp_path / "model.mps"
    export(make_instance(name="n" * 200), FAST, str(path), "mps")
    out = subprocess.run(
        ["cbc", str(path), "-solve", "-quit"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # two_models serves all 3 users: the minimum of -served is -3.
    assert "Optimal solution found" in out
    assert "Objective value:                -3.0" in out


@needs_cbc
def test_milp_with_cbc_is_optimal_on_two_models():
    """Tests `milp --solver cbc` (legacy path, minimised -served) on two_models."""
    result = registry.run(
        "milp", make_instance(), dataclasses.replace(FAST, solver="cbc")
    )
    assert (result.status, result.served, result.bound) == (Status.OPTIMAL, 3, 3)


@needs_cbc
@pytest.mark.slow
def test_milp_with_cbc_at_a_time_limit_on_general_default():
    """Tests CBC at 5 s on general-default: time_limit, valid incumbent and bound."""
    # HiGHS and cpsat-seq put the optimum at 21 and the root bound near 30; greedy
    # serves 19, so the answer serves at least 19 and the bound is at least 21.
    instance = load_instance(LIBRARY / "general-default.json")
    options = dataclasses.replace(FAST, solver="cbc", time_limit=5.0)
    result = registry.run("milp", instance, options)  # checks schedule and bound
    assert result.status is Status.TIME_LIMIT
    assert result.served >= 19
    assert result.bound is not None and 21 <= result.bound <= instance.num_users
