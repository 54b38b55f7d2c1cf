"""Tests that experiment configs and output directories are checked before any run."""

from __future__ import annotations

import copy
import json
import re

import pytest

from experiments import figures, records, scaling, schema
from experiments.catalog import CONFIGS, load_config
from experiments.context import RunContext
from partialloading.cli import main


def toml(text: str, tmp_path, name: str = "config.toml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def refused(capsys, *argv) -> str:
    """Run the CLI; assert exit 2 with one line and no traceback; return the line."""
    assert main(["experiment", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    return err


FIG9 = (CONFIGS / "fig9.toml").read_text()


def edited(name: str, line: str) -> str:
    """NAME.toml with the first line setting ``line``'s key replaced by ``line``."""
    key = line.split(" = ")[0]
    text = (CONFIGS / f"{name}.toml").read_text()
    return re.sub(rf"^{key} = .*$", line, text, count=1, flags=re.MULTILINE)


def fig9_with(line: str) -> str:
    return edited("fig9", line)


@pytest.mark.parametrize(
    ("name", "text", "field"),
    [
        ("fig9", fig9_with("title = 5"), "title"),
        ("fig9", "", "empty"),
        ("fig9", FIG9.replace('method = "greedy"', 'method = "greedy2"'), "method"),
        ("fig9", fig9_with('realizations = "x"'), "realizations"),
        ("fig9", FIG9 + "colour = 1\n", "colour: unknown key"),
        ("fig9", FIG9.replace("realizations = 50", "realizations = 0"), "quick."),
        ("fig9", FIG9.replace("num_users = 20", "users = 20"), "users"),
        ("scaling", "generator = 'bls'\nladders = []\n", "ladders"),
        ("claims", edited("claims", "experiments = ['fig10']"), "experiments[0]"),
        ("verify-dp", FIG9, "figure config"),
        ("verify-dp", "instances = 3\nclasses = ['no-such']\n", "classes[0]"),
    ],
    ids=[
        "title-5",
        "empty",
        "unknown-method",
        "wrong-type",
        "unknown-key",
        "bad-quick",
        "unknown-generator-param",
        "bad-scaling",
        "bad-claims",
        "another-experiments-config",
        "unknown-class",
    ],
)
def test_bad_configs_are_refused_before_any_run(name, text, field, tmp_path, capsys):
    """Tests each bad config: exit 2, one line naming the field, nothing run."""
    out = tmp_path / "out"
    err = refused(capsys, name, "--config", toml(text, tmp_path), "--out", str(out))
    assert "config: " in err and field in err
    assert not (out / "results.csv").exists()


def test_a_negative_seed_is_refused(tmp_path, capsys):
    """Tests that --seed -1 is refused with the option named, nothing run."""
    err = refused(capsys, "fig9", "--seed", "-1", "--out", str(tmp_path / "o"))
    assert "seed" in err
    assert not (tmp_path / "o" / "results.csv").exists()
    # The same from the API: a run context refuses the seed before any run.
    with pytest.raises(ValueError, match="seed: must be >= 0"):
        RunContext("fig9", seed=-1)


def test_shipped_configs_are_valid():
    """Tests that every shipped config passes its experiment's schema."""
    kinds = {"fig": "figure", "scaling": "scaling", "complexity": "scaling",
             "enumeration": "enumeration",
             "verify-dp": "verify-dp"}  # fmt: skip
    for path in CONFIGS.glob("*.toml"):
        kind = next((k for p, k in kinds.items() if path.stem.startswith(p)), "claims")
        schema.validate(kind, load_config(path.stem, path), path.stem)


def tiny_fig9() -> dict:
    """fig9's methods on tiny BLS instances of 3 users, one realization."""
    return {
        "generator": "tiny",
        "realizations": 1,
        "defaults": {"kind": "bls"},
        "methods": [{"id": "dp", "label": "dp", "method": "dp"}],
        "panels": [{"id": "a", "x": "num_users", "values": [3]}],
    }


def ctx(name: str) -> RunContext:
    return RunContext(name, workers=1, progress=False)


def test_an_output_directory_belongs_to_one_experiment(tmp_path):
    """Tests the manifest: same experiment resumes and records each config;
    another experiment's directory is refused before anything is written."""
    figures.run(tiny_fig9(), tmp_path, ctx("fig9"))
    manifest = json.loads((tmp_path / records.MANIFEST).read_text())
    assert manifest["experiment"] == "fig9" and len(manifest["configs"]) == 1
    edited = copy.deepcopy(tiny_fig9())
    edited["realizations"] = 2
    figures.run(edited, tmp_path, ctx("fig9"))
    manifest = json.loads((tmp_path / records.MANIFEST).read_text())
    assert len(manifest["configs"]) == 2
    before = (tmp_path / "results.csv").read_text()
    with pytest.raises(ValueError, match='holds results of experiment "fig9"'):
        figures.run(tiny_fig9(), tmp_path, ctx("fig8"))
    scaling_config = {
        "generator": "tiny",
        "defaults": {"kind": "bls"},
        "ladders": [{"id": "K", "x": "num_users", "values": [3], "methods": ["dp"]}],
    }
    with pytest.raises(ValueError, match='not "scaling"'):
        scaling.run(scaling_config, tmp_path, ctx("scaling"))
    assert (tmp_path / "results.csv").read_text() == before


def test_a_foreign_results_file_is_refused(tmp_path):
    """Tests that a results.csv this suite did not write is never appended to."""
    (tmp_path / "results.csv").write_text("name,value\na,1\n")
    with pytest.raises(ValueError, match="not a results file of this suite"):
        figures.run(tiny_fig9(), tmp_path, ctx("fig9"))
    assert (tmp_path / "results.csv").read_text() == "name,value\na,1\n"


def test_a_directory_without_manifest_is_adopted_by_its_experiment(tmp_path):
    """Tests that a results.csv whose rows are all this experiment's is resumed
    (directories written before manifests existed), and gets a manifest."""
    figures.run(tiny_fig9(), tmp_path, ctx("fig9"))
    (tmp_path / records.MANIFEST).unlink()
    figures.run(tiny_fig9(), tmp_path, ctx("fig9"))
    assert (tmp_path / records.MANIFEST).exists()
    (tmp_path / records.MANIFEST).unlink()
    with pytest.raises(ValueError, match='holds results of experiment "fig9"'):
        figures.run(tiny_fig9(), tmp_path, ctx("fig7"))
