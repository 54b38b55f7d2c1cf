"""Fuzz tests of the command line on mutated instance and schedule files (issue 10).

Hypothesis mutates the files of the ``two_models`` fixture (tests/conftest.py)
and a greedy schedule of it: any field set to a number at or beyond the valid
ranges (1e308, 0, -1, 2**64, a 401-digit integer, 5e-324), a string such as
"NaN", null, a bool, an empty or wrong container, another record's id, a
deleted field, a duplicated or emptied list. Whatever the mutation, ``info``,
``solve --method greedy`` and ``verify`` must either give a result (exit 0, or
1 for a schedule ``verify`` rejects) or exit 2 with exactly one line on stderr
naming the problem; never a traceback, a warning, or exit 0 on an invalid file.

The command line runs in process (``partialloading.cli.main``) to keep the test
fast; the examples are derandomised and bounded.
"""

from __future__ import annotations

import contextlib
import copy
import json
import warnings

import pytest
from conftest import make_instance
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from instances.io import InputError, instance_from_dict_per_item
from partialloading.cli import main
from solvers.registry import run

VALUES = [
    1e308,
    -1e308,
    0,
    -1,
    1,
    0.5,
    2**64,
    10**400,
    5e-324,
    "NaN",
    "Infinity",
    "",
    "x",
    None,
    True,
    False,
    [],
    {},
    [1],
    {"id": "a"},
    "a",  # ids of existing records: references and duplicates
    "A",
    "B",
    "u1",
    "c",
]
ACTIONS = ["delete", "duplicate", "empty"]
SETTINGS = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def paths(doc, prefix=()) -> list[tuple]:
    """Return the path of every value in ``doc``, containers included."""
    out = [prefix] if prefix else []
    if isinstance(doc, dict):
        for key, value in doc.items():
            out += paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for n, value in enumerate(doc):
            out += paths(value, (*prefix, n))
    return out


def mutate(doc, path: tuple, change) -> object:
    """Return a copy of ``doc`` with ``change`` applied at ``path``."""
    out = copy.deepcopy(doc)
    parent = out
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    if change == "delete":
        del parent[key]
    elif change == "duplicate":
        value = parent[key]
        if isinstance(value, list) and value:
            value.append(copy.deepcopy(value[0]))
        else:
            parent[key] = [value, value]
    elif change == "empty":
        parent[key] = type(parent[key])() if isinstance(parent[key], list) else []
    else:
        parent[key] = change
    return out


def write(path, doc) -> None:
    """Write ``doc`` as JSON (NaN and huge integers included, as a file may hold)."""
    path.write_text(json.dumps(doc))


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    """Run the command line in process; return (status, stdout, stderr)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        status = main(list(argv))
    out, err = capsys.readouterr()
    assert not caught, f"warning: {caught[0].message}"
    return status, out, err


def refused_in_one_line(status: int, err: str) -> bool:
    """Return whether the command refused its input the documented way."""
    lines = err.splitlines()
    assert "Traceback" not in err
    if status == 2:
        assert len(lines) == 1 and lines[0].startswith("partialloading: error: ")
        assert ": " in lines[0][len("partialloading: error: ") :]  # names a field
        return True
    assert not err, f"exit {status} with stderr {err!r}"
    return False


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The ``two_models`` instance file, its documents and a greedy schedule file."""
    folder = tmp_path_factory.mktemp("fuzz")
    instance = make_instance()
    doc = instance.to_dict()
    schedule = run("greedy", instance).to_dict(instance)
    write(folder / "instance.json", doc)
    write(folder / "schedule.json", schedule)
    return folder, doc, schedule


INSTANCE_PATHS = paths(make_instance().to_dict())


@SETTINGS
@given(
    changes=st.lists(
        st.tuples(st.sampled_from(INSTANCE_PATHS), st.sampled_from(VALUES + ACTIONS)),
        min_size=1,
        max_size=2,
    )
)
def test_mutated_instance_files(files, capsys, changes):
    """Tests that info and solve on a mutated instance give a result or exit 2."""
    folder, doc, _ = files
    for path, change in changes:
        # An earlier change may have removed or replaced the path.
        with contextlib.suppress(KeyError, IndexError, TypeError):
            doc = mutate(doc, path, change)
    target = folder / "mutated.json"
    write(target, doc)
    try:
        instance_from_dict_per_item(json.loads(target.read_text()))
        valid = True
    except (InputError, ValueError):
        valid = False  # json.loads keeps NaN: the per-item walk refuses it
    status, _, err = cli(capsys, "info", str(target))
    assert refused_in_one_line(status, err) != valid  # exit 0 only if valid
    status, _, err = cli(capsys, "solve", str(target), "--method", "greedy")
    assert status in (0, 2)
    assert refused_in_one_line(status, err) or valid


@SETTINGS
@given(
    path=st.sampled_from(
        paths(run("greedy", make_instance()).to_dict(make_instance()))
    ),
    change=st.sampled_from(VALUES + ACTIONS),
)
def test_mutated_schedule_files(files, capsys, path, change):
    """Tests that verify on a mutated schedule gives a verdict or exits 2."""
    folder, _, schedule = files
    target = folder / "mutated-schedule.json"
    write(target, mutate(schedule, path, change))
    status, out, err = cli(capsys, "verify", str(folder / "instance.json"), str(target))
    assert status in (0, 1, 2)
    if not refused_in_one_line(status, err):
        assert out.startswith("feasible" if status == 0 else ("infeasible", "rejected"))


@pytest.mark.parametrize(
    "argv",
    [
        ["info", "/dev/zero"],
        ["solve", "/dev/zero", "--method", "greedy"],
        ["verify", "INSTANCE", "/dev/zero"],
    ],
)
def test_endless_input_is_refused_at_once(files, capsys, argv):
    """Tests that /dev/zero is refused after one chunk, in one line (issue 10 §7)."""
    folder, _, _ = files
    argv = [str(folder / "instance.json") if a == "INSTANCE" else a for a in argv]
    status, _, err = cli(capsys, *argv)
    assert status == 2
    assert err == "partialloading: error: /dev/zero: not a UTF-8 text file (NUL byte)\n"
