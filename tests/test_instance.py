"""Tests of the instance model and instance files (spec section 1).

The fixture ``two_models`` (tests/conftest.py) is the reference: blocks a (100 B),
b (200 B), c (300 B); model A = [a, b] (300 B), model B = [a, c] (400 B); users
u1 -> A (p = 2/2 = 1), u2 -> A (p = 4/2 = 2), u3 -> B (p = 3/1 = 3); B = 1 Hz.
"""

from __future__ import annotations

import copy
import dataclasses
import json

import numpy as np
import pytest
from conftest import make_instance
from hypothesis import given, settings
from hypothesis import strategies as st

from instances import columns
from instances import io as io_module
from instances.generators import tiny
from instances.io import (
    InputError,
    instance_from_dict,
    instance_from_dict_per_item,
    load_instance,
    save_instance,
    write_json,
)
from instances.model import Block, Loading, Model, User


def refused(doc: dict) -> str:
    """Return the message with which ``instance_from_dict`` refuses ``doc``."""
    with pytest.raises(InputError) as info:
        instance_from_dict(doc)
    return str(info.value)


def mutated(doc: dict, path: tuple, value=None, delete: bool = False) -> dict:
    """Return a deep copy of ``doc`` with ``path`` set to ``value`` (or deleted)."""
    out = copy.deepcopy(doc)
    target = out
    for key in path[:-1]:
        target = target[key]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return out


# -- files ----------------------------------------------------------------------


def test_malformed_json_names_file_and_position(tmp_path):
    """Tests that malformed JSON is refused with the file name, line and column."""
    path = tmp_path / "bad.json"
    path.write_text('{"format": \n  "partialloading/instance@1",,}')
    with pytest.raises(InputError, match=r"bad\.json: malformed JSON at line 2 column"):
        load_instance(path)


def test_missing_file_is_input_error(tmp_path):
    """Tests that an unreadable file is an InputError naming the file."""
    with pytest.raises(InputError, match=r"nope\.json: cannot read file"):
        load_instance(tmp_path / "nope.json")


def test_binary_file_is_input_error(tmp_path):
    """Tests that a file that is not UTF-8 text is refused, not a crash."""
    path = tmp_path / "blob.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(InputError, match="not a UTF-8 text file"):
        load_instance(path)


def test_deeply_nested_json_is_input_error(tmp_path):
    """Tests that absurd nesting is refused as bad input, not a RecursionError."""
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(InputError, match="nested too deeply"):
        load_instance(path)


def test_duplicate_json_key_is_input_error(tmp_path, two_models_doc):
    """Tests that a key given twice (JSON would silently keep the last) is refused."""
    text = json.dumps(two_models_doc).replace(
        '"deadline_s": 20.0', '"deadline_s": 20.0, "deadline_s": 5.0'
    )
    path = tmp_path / "dup.json"
    path.write_text(text)
    with pytest.raises(InputError, match=r'dup\.json: duplicate key "deadline_s"'):
        load_instance(path)


def test_content_errors_start_with_file_name(tmp_path, two_models_doc):
    """Tests that load_instance prefixes a content error with the file name."""
    path = tmp_path / "inst.json"
    path.write_text(json.dumps(mutated(two_models_doc, ("users", 1, "data_bits"), -1)))
    with pytest.raises(InputError) as info:
        load_instance(path)
    assert str(info.value) == (
        f"{path}: users[1].data_bits: must be finite and > 0, got -1"
    )


@pytest.mark.parametrize(
    ("literal", "where"),
    [
        ("NaN", "users[0].data_bits"),
        ("Infinity", "users[0].data_bits"),
        ("-Infinity", "users[0].data_bits"),
        ("1e999", "users[0].data_bits"),  # overflows to inf when parsed
    ],
)
def test_non_finite_json_literals_name_their_path(
    tmp_path, two_models_doc, literal, where
):
    """Tests that NaN/Infinity in the JSON text are refused with their path."""
    text = json.dumps(mutated(two_models_doc, ("users", 0, "data_bits"), 12345))
    path = tmp_path / "nan.json"
    path.write_text(text.replace("12345", literal))
    with pytest.raises(InputError) as info:
        load_instance(path)
    assert str(info.value) == f"{path}: {where}: non-finite number is not allowed"


def test_nul_bytes_are_refused_without_reading_on(tmp_path):
    """Tests that /dev/zero (endless NUL bytes) is refused at its first chunk."""
    with pytest.raises(InputError, match=r"^/dev/zero: not a UTF-8 text file \(NUL"):
        load_instance("/dev/zero")


def test_file_size_cap(tmp_path, two_models_doc, monkeypatch):
    """Tests that a file over the read cap is refused with the cap in MiB."""
    path = tmp_path / "big.json"
    path.write_text(json.dumps(two_models_doc))
    monkeypatch.setattr(io_module, "MAX_FILE_BYTES", 100)  # the file is ~900 bytes
    with pytest.raises(InputError, match=r"big\.json: file is larger than 0 MiB"):
        load_instance(path)


def test_integer_literal_too_long_is_input_error(tmp_path, two_models_doc):
    """Tests that a 5000-digit integer (Python refuses to parse it) is bad input."""
    text = json.dumps(mutated(two_models_doc, ("users", 0, "data_bits"), 12345))
    path = tmp_path / "digits.json"
    path.write_text(text.replace("12345", "9" * 5000))
    with pytest.raises(InputError, match=r"digits\.json: malformed JSON \("):
        load_instance(path)


def test_duplicate_key_reported_before_a_later_nan(tmp_path, two_models_doc):
    """Tests that the first problem in the old order wins: a duplicate key."""
    text = json.dumps(mutated(two_models_doc, ("users", 2, "data_bits"), 12345))
    text = text.replace("12345", "NaN").replace(
        '"deadline_s": 20.0', '"deadline_s": 20.0, "deadline_s": 5.0'
    )
    path = tmp_path / "both.json"
    path.write_text(text)
    with pytest.raises(InputError, match=r'both\.json: duplicate key "deadline_s"'):
        load_instance(path)


def test_wrong_format(two_models_doc):
    """Tests that another format string is refused at path ``format``."""
    doc = mutated(two_models_doc, ("format",), "partialloading/instance@2")
    assert refused(doc) == (
        'format: expected "partialloading/instance@1", '
        "got 'partialloading/instance@2'"
    )


def test_top_level_must_be_an_object():
    """Tests that a JSON list is refused with a clear message."""
    assert refused([]) == "expected an object, got list"


# -- missing and unknown fields ----------------------------------------------------


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (("deadline_s",), "deadline_s: missing field"),
        (("loading", "pcie_bytes_per_s"), "loading.pcie_bytes_per_s: missing field"),
        (("blocks", 1, "size_bytes"), "blocks[1].size_bytes: missing field"),
        (("models", 0, "mu_s"), "models[0].mu_s: missing field"),
        (
            ("users", 2, "spectral_efficiency"),
            "users[2].spectral_efficiency: missing field",
        ),
    ],
)
def test_missing_field_names_path(two_models_doc, path, message):
    """Tests that every missing field is refused with its path."""
    assert refused(mutated(two_models_doc, path, delete=True)) == message


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (("extra",), "extra: unknown field"),
        (("loading", "nvme"), "loading.nvme: unknown field"),
        (("blocks", 2, "kind"), "blocks[2].kind: unknown field"),
        (("models", 1, "layers"), "models[1].layers: unknown field"),
        (
            ("users", 0, "deadline"),
            "users[0].deadline: unknown field",
        ),  # typo of deadline_s
    ],
)
def test_unknown_field_names_path(two_models_doc, path, message):
    """Tests that every unknown field (e.g. a typo) is refused with its path."""
    assert refused(mutated(two_models_doc, path, 1)) == message


def test_optional_top_fields_are_accepted(two_models_doc):
    """Tests that ``description`` and ``meta`` are allowed at the top level."""
    doc = {**two_models_doc, "description": "hand-made", "meta": {"seed": 0}}
    assert instance_from_dict(doc) == make_instance()


# -- ids and references -------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "index", "message"),
    [
        ("blocks", 2, 'blocks[2].id: duplicate id "a"'),
        ("models", 1, 'models[1].id: duplicate id "A"'),
        ("users", 2, 'users[2].id: duplicate id "u1"'),
    ],
)
def test_duplicate_ids(two_models_doc, kind, index, message):
    """Tests that a repeated id is refused at the second occurrence."""
    first = two_models_doc[kind][0]["id"]
    assert refused(mutated(two_models_doc, (kind, index, "id"), first)) == message


def test_unknown_block_reference_matches_spec_example(two_models_doc):
    """Tests the spec's example message ``models[3].blocks[2]: unknown block "x"``."""
    doc = copy.deepcopy(two_models_doc)
    extra = {"mu_s": 0.1, "beta_s": 0.0, "max_batch": 1}
    doc["models"] += [
        {"id": "C", "blocks": ["a", "b", "c"], **extra},
        {"id": "D", "blocks": ["a", "b", "x"], **extra},
    ]
    assert refused(doc) == 'models[3].blocks[2]: unknown block "x"'


def test_unknown_model_in_users(two_models_doc):
    """Tests that a user requesting an unknown model is refused with its path."""
    doc = mutated(two_models_doc, ("users", 1, "model"), "Z")
    assert refused(doc) == 'users[1].model: unknown model "Z"'


def test_block_listed_twice(two_models_doc):
    """Tests that a model listing a block twice is refused at the second listing."""
    doc = mutated(two_models_doc, ("models", 1, "blocks"), ["a", "c", "a"])
    assert refused(doc) == 'models[1].blocks[2]: block "a" listed twice'


def test_empty_model(two_models_doc):
    """Tests that a model without blocks is refused."""
    doc = mutated(two_models_doc, ("models", 0, "blocks"), [])
    assert refused(doc) == "models[0].blocks: a model needs at least one block"


def test_model_blocks_must_be_a_list_of_ids(two_models_doc):
    """Tests that a non-list or a non-string block reference is refused."""
    assert refused(mutated(two_models_doc, ("models", 0, "blocks"), "a")) == (
        "models[0].blocks: expected a list, got str"
    )
    assert refused(mutated(two_models_doc, ("models", 0, "blocks"), ["a", 7])) == (
        "models[0].blocks[1]: expected a non-empty string, got 7"
    )


# -- values ------------------------------------------------------------------------

POSITIVE = [
    ("deadline_s",),
    ("slot_s",),
    ("bandwidth_hz",),
    ("loading", "disk_bytes_per_s"),
    ("loading", "pcie_bytes_per_s"),
    ("blocks", 0, "size_bytes"),
    ("users", 1, "data_bits"),
    ("users", 2, "spectral_efficiency"),
]


def dotted(path: tuple) -> str:
    """Return ``("users", 1, "data_bits")`` as ``users[1].data_bits``."""
    out = ""
    for key in path:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else key)
    return out


@pytest.mark.parametrize("path", POSITIVE, ids=dotted)
@pytest.mark.parametrize("value", [0, -1.5, float("nan"), float("inf")])
def test_positive_values(two_models_doc, path, value):
    """Tests that zero, negative and non-finite values are refused where > 0."""
    assert refused(mutated(two_models_doc, path, value)).startswith(
        f"{dotted(path)}: must be"
    )


@pytest.mark.parametrize("path", [*POSITIVE, ("models", 0, "mu_s")], ids=dotted)
@pytest.mark.parametrize("value", [True, "1", None, [1]])
def test_non_numbers_refused(two_models_doc, path, value):
    """Tests that booleans, strings, null and lists are refused as numbers."""
    message = refused(mutated(two_models_doc, path, value))
    assert message == f"{dotted(path)}: expected a number, got {value!r}"


@pytest.mark.parametrize("key", ["mu_s", "beta_s"])
def test_compute_constants_nonnegative(two_models_doc, key):
    """Tests that mu_s/beta_s may be 0 but not negative or infinite."""
    assert instance_from_dict(mutated(two_models_doc, ("models", 1, key), 0)).models[1]
    for value in (-0.1, float("inf")):
        message = refused(mutated(two_models_doc, ("models", 1, key), value))
        assert message.startswith(f"models[1].{key}: must be finite")


@pytest.mark.parametrize("value", [0, -2, 2.5, 2.0, "2", True, None])
def test_max_batch_integer_at_least_one(two_models_doc, value):
    """Tests that max_batch must be an integer >= 1 (JSON 2.0 is a float: refused)."""
    message = refused(mutated(two_models_doc, ("models", 0, "max_batch"), value))
    assert message == f"models[0].max_batch: must be an integer >= 1, got {value!r}"


@pytest.mark.parametrize("value", [0, -1, float("nan"), True])
def test_user_deadline_positive(two_models_doc, value):
    """Tests that a per-user deadline must be a finite number > 0."""
    message = refused(mutated(two_models_doc, ("users", 0, "deadline_s"), value))
    assert message.startswith("users[0].deadline_s: ")


@pytest.mark.parametrize("value", ["", 3, None])
def test_ids_non_empty_strings(two_models_doc, value):
    """Tests that ids and the name must be non-empty strings."""
    assert refused(mutated(two_models_doc, ("blocks", 1, "id"), value)).startswith(
        "blocks[1].id: expected a non-empty string"
    )
    assert refused(mutated(two_models_doc, ("name",), value)).startswith(
        "name: expected a non-empty string"
    )


def test_wrong_container_types(two_models_doc):
    """Tests that records and lists of the wrong JSON type are refused with the path."""
    assert (
        refused(mutated(two_models_doc, ("users",), {}))
        == "users: expected a list, got dict"
    )
    assert refused(mutated(two_models_doc, ("blocks", 0), "a")) == (
        "blocks[0]: expected an object, got str"
    )
    assert refused(mutated(two_models_doc, ("loading",), 5)) == (
        "loading: expected an object, got int"
    )


def test_unused_blocks_and_unrequested_models_allowed(two_models_doc):
    """Tests that a block no model uses and a model with no users are valid."""
    doc = copy.deepcopy(two_models_doc)
    doc["blocks"].append({"id": "spare", "size_bytes": 1})
    doc["models"].append(
        {"id": "C", "blocks": ["c"], "mu_s": 0, "beta_s": 0, "max_batch": 1}
    )
    instance = instance_from_dict(doc)
    assert instance.num_blocks == 4
    assert list(instance.active_models()) == [0, 1]  # C (index 2) has no users


# -- constructors --------------------------------------------------------------------


def test_constructors_raise_value_error_with_path():
    """Tests that records and the instance raise ValueError naming the field."""
    with pytest.raises(ValueError, match=r"^size_bytes: must be finite and > 0"):
        Block("a", 0)
    with pytest.raises(ValueError, match=r"^max_batch: must be an integer >= 1"):
        Model("A", ("a",), 0.1, 0.0, 0)
    with pytest.raises(ValueError, match=r"^spectral_efficiency: must be"):
        User("u", "A", 1.0, -2.0)
    with pytest.raises(ValueError, match=r"^pcie_bytes_per_s: "):
        Loading(1.0, float("nan"))
    with pytest.raises(ValueError, match=r'^users\[0\]\.model: unknown model "Z"$'):
        make_instance(users=(User("u1", "Z", 1.0, 1.0),))
    with pytest.raises(ValueError, match=r'^models\[1\]\.id: duplicate id "A"$'):
        make_instance(models=(Model("A", ("a",), 0, 0, 1), Model("A", ("b",), 0, 0, 1)))


def test_numpy_scalars_stored_as_python_numbers():
    """Tests that numpy numbers (from generators) are accepted and normalised."""
    model = Model("A", ("a",), np.float32(0.5), np.float64(0.0), np.int64(3))
    assert type(model.max_batch) is int and model.max_batch == 3
    assert type(model.mu_s) is float and model.mu_s == 0.5
    assert type(Block("a", np.int64(7)).size_bytes) is float


def test_replace_revalidates_and_rederives(two_models):
    """Tests that dataclasses.replace re-runs validation and recomputes derived data."""
    with pytest.raises(ValueError, match=r"^deadline_s: "):
        dataclasses.replace(two_models, deadline_s=-1.0)
    with pytest.raises(ValueError, match='unknown block "b"'):
        dataclasses.replace(two_models, blocks=(Block("a", 100), Block("c", 300)))
    # Halving the bandwidth doubles every upload time: p / B = [1, 2, 3] / 0.5.
    half = dataclasses.replace(two_models, bandwidth_hz=0.5)
    assert half.upload_s.tolist() == [2.0, 4.0, 6.0]


# -- round trip ---------------------------------------------------------------------


def test_round_trip_two_models(tmp_path, two_models):
    """Tests that save -> load gives an equal instance with an identical to_dict."""
    path = tmp_path / "i.json"
    save_instance(two_models, path)
    loaded = load_instance(path)
    assert loaded == two_models
    assert loaded.to_dict() == two_models.to_dict()
    assert json.loads(path.read_text()) == two_models.to_dict()


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    seed=st.integers(0, 10_000),
    kind=st.sampled_from(["bls", "general"]),
    own_deadlines=st.booleans(),
)
def test_round_trip_tiny(tmp_path_factory, seed, kind, own_deadlines):
    """Tests the JSON round trip on random tiny instances (floats survive exactly)."""
    instance = tiny.generate(seed, kind, per_user_deadlines=own_deadlines)
    path = tmp_path_factory.mktemp("rt") / "i.json"
    save_instance(instance, path)
    loaded = load_instance(path)
    assert loaded == instance
    assert loaded.to_dict() == instance.to_dict()
    assert np.array_equal(loaded.upload_s, instance.upload_s)


# -- derived data --------------------------------------------------------------------


def test_derived_arrays(two_models):
    """Tests upload_s, model_bytes, user_model and user_deadline by hand."""
    assert two_models.user_p.tolist() == [1.0, 2.0, 3.0]  # D/R = 2/2, 4/2, 3/1
    assert two_models.upload_s.tolist() == [1.0, 2.0, 3.0]  # B = 1 Hz
    assert two_models.model_bytes.tolist() == [300.0, 400.0]  # a+b, a+c
    assert two_models.user_model.tolist() == [0, 0, 1]
    assert two_models.user_deadline.tolist() == [20.0, 20.0, 20.0]
    assert not two_models.has_user_deadlines
    assert two_models.loading.time(300) == 6.0  # 300/100 + 300/100
    assert two_models.loading.seconds_per_byte == 0.02


def test_derived_arrays_are_read_only(two_models):
    """Tests that the shared derived arrays cannot be modified by a method."""
    for array in (two_models.upload_s, two_models.model_bytes, two_models.new_bytes()):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 0


def test_users_of_sorted_by_p_ties_by_index():
    """Tests users_of: ascending p_k, ties broken by user index."""
    users = (
        User("k0", "A", 6.0, 2.0),  # p = 3
        User("k1", "A", 1.0, 1.0),  # p = 1
        User("k2", "B", 5.0, 1.0),  # p = 5
        User("k3", "A", 3.0, 3.0),  # p = 1, ties with k1, comes after it
        User("k4", "A", 4.0, 2.0, deadline_s=9.0),  # p = 2
    )
    instance = make_instance(users=users)
    assert instance.users_of(0).tolist() == [1, 3, 4, 0]
    assert instance.users_of(1).tolist() == [2]
    assert instance.user_deadline.tolist() == [20.0, 20.0, 20.0, 20.0, 9.0]
    assert instance.has_user_deadlines


def test_sharing_matrices(two_models):
    """Tests incidence, shared_bytes and new_bytes (with and without reuse) by hand."""
    assert two_models.incidence().tolist() == [[True, True, False], [True, False, True]]
    # A and B share block a (100 B); the diagonal is each model's own size.
    assert two_models.shared_bytes().tolist() == [[300, 100], [100, 400]]
    # Row 0: empty GPU loads everything. A -> B loads c (300); B -> A loads b (200).
    assert two_models.new_bytes(True).tolist() == [[300, 400], [0, 300], [200, 0]]
    # Without reuse a switch reloads the whole model; staying on a model loads nothing.
    assert two_models.new_bytes(False).tolist() == [[300, 400], [0, 400], [300, 0]]


def test_new_bytes_nested_models():
    """Tests new_bytes when one model's blocks are a subset of another's."""
    instance = make_instance(
        models=(Model("A", ("a", "b"), 0, 0, 1), Model("B", ("a",), 0, 0, 1)),
        users=(User("u1", "A", 1.0, 1.0),),
    )
    # A -> B: a is resident, nothing to load. B -> A: load b (200 B).
    assert instance.new_bytes(True).tolist() == [[300, 100], [0, 0], [200, 0]]
    assert instance.active_models().tolist() == [0]


def test_json_writer_accepts_numpy(tmp_path):
    """Tests that write_json writes numpy scalars and arrays as plain JSON values."""
    path = tmp_path / "x.json"
    write_json(path, {"n": np.int64(3), "a": np.arange(2), "f": np.float32(0.5)})
    assert json.loads(path.read_text()) == {"n": 3, "a": [0, 1], "f": 0.5}


# -- valid ranges (issue 10 §1, §4) --------------------------------------------------


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        # 1e9 s is MAX_SECONDS: 1e15 CP-SAT units of 1 us, inside int64.
        (("deadline_s",), 1e308, "deadline_s: must be at most 1e+09 s, got 1e+308"),
        (("slot_s",), 2e9, "slot_s: must be at most 1e+09 s, got 2000000000.0"),
        (("models", 1, "beta_s"), 1e10, "models[1].beta_s: must be at most 1e+09 s"),
        (("users", 2, "deadline_s"), 1e308, "users[2].deadline_s: must be at most"),
        # 20 s / 1e-320 s overflows to inf slots; 20 / 1e-8 = 2e9 > 1e9 slots.
        (("slot_s",), 1e-320, "slot_s: deadline_s / slot_s is inf slots, over the"),
        (("slot_s",), 1e-8, "slot_s: deadline_s / slot_s is 2e+09 slots, over the"),
        (
            ("models", 0, "max_batch"),
            2**64,
            "models[0].max_batch: must be at most 1e+09",
        ),
        # u2: p = 4 / 2 = 2; upload 2 / 1e-308 Hz overflows; 1e308 bits / 2 = 5e307 s.
        (("bandwidth_hz",), 1e-308, "users[0]: upload time data_bits / (spectral_eff"),
        (
            ("users", 1, "data_bits"),
            1e308,
            "users[1]: upload time data_bits / (spectral",
        ),
        (
            ("users", 0, "data_bits"),
            5e-324,
            "users[0]: upload time data_bits / (spectr",
        ),
        # Block a: 1e308 B at 100 B/s (twice) takes 2e306 s.
        (("blocks", 0, "size_bytes"), 1e308, "blocks[0].size_bytes: loading the block"),
        (("loading", "disk_bytes_per_s"), 5e-324, "blocks[0].size_bytes: loading the"),
        (("blocks", 0, "size_bytes"), 10**400, "blocks[0].size_bytes: must be finite"),
    ],
)
def test_values_out_of_range_are_refused(two_models_doc, path, value, message):
    """Tests that values whose times overflow or leave int64 scaling are refused."""
    assert refused(mutated(two_models_doc, path, value)).startswith(message)


def test_model_load_time_limit():
    """Tests that a model whose blocks together load for over 1e9 s is refused."""
    # Each of a, b takes 6e8 s (3e10 B at V(S) = S / 50); model A loads both: 1.2e9 s.
    blocks = (Block("a", 3e10), Block("b", 3e10), Block("c", 300))
    with pytest.raises(ValueError, match=r"^models\[0\]\.blocks: loading them takes"):
        make_instance(blocks=blocks)


def test_huge_integer_message_stays_short(two_models_doc):
    """Tests that a 401-digit integer is refused in one short line."""
    message = refused(mutated(two_models_doc, ("users", 0, "data_bits"), 10**400))
    assert (
        message == "users[0].data_bits: must be finite, got 100000000000...(401 digits)"
    )


# -- the column-wise path agrees with the per-item walk (issue 13) --------------------

BAD_INPUTS = [
    *[(p, None, True) for p in [("deadline_s",), ("loading", "pcie_bytes_per_s")]],
    (("blocks", 1, "size_bytes"), None, True),
    (("models", 0, "mu_s"), None, True),
    (("users", 2, "spectral_efficiency"), None, True),
    *[(p, 1, False) for p in [("extra",), ("loading", "nvme"), ("blocks", 2, "kind")]],
    (("models", 1, "layers"), 1, False),
    (("users", 0, "deadline"), 1, False),
    (("blocks", 2, "id"), "a", False),
    (("models", 1, "id"), "A", False),
    (("users", 2, "id"), "u1", False),
    (("users", 1, "model"), "Z", False),
    (("models", 1, "blocks"), ["a", "c", "a"], False),
    (("models", 1, "blocks"), ["a", "x"], False),
    (("models", 0, "blocks"), [], False),
    (("models", 0, "blocks"), "a", False),
    (("models", 0, "blocks"), ["a", 7], False),
    *[(path, value, False) for path in POSITIVE for value in (0, -1.5, float("nan"))],
    *[(path, value, False) for path in POSITIVE for value in (True, "1", None, [1])],
    *[
        (("models", 1, key), v, False)
        for key in ("mu_s", "beta_s")
        for v in (-0.1, 1e10)
    ],
    *[
        (("models", 0, "max_batch"), v, False)
        for v in (0, -2, 2.5, 2.0, "2", True, None)
    ],
    *[(("users", 0, "deadline_s"), v, False) for v in (0, -1, float("nan"), True, 2e9)],
    *[(("blocks", 1, "id"), v, False) for v in ("", 3, None)],
    *[(("name",), v, False) for v in ("", 3, None)],
    (("users",), {}, False),
    (("blocks", 0), "a", False),
    (("loading",), 5, False),
    (("format",), "partialloading/instance@2", False),
    (("deadline_s",), 1e308, False),
    (("slot_s",), 1e-320, False),
    (("bandwidth_hz",), 1e-308, False),
    (("blocks", 0, "size_bytes"), 10**400, False),
    (("models", 0, "max_batch"), 2**64, False),
]


@pytest.mark.parametrize(("path", "value", "delete"), BAD_INPUTS, ids=str)
def test_vectorized_path_reports_every_per_item_error(
    two_models_doc, path, value, delete
):
    """Tests that the column-wise check refuses each bad input, with the same text."""
    doc = mutated(two_models_doc, path, value, delete)
    assert columns.build(doc) is None  # the fast path never accepts it
    with pytest.raises(InputError) as per_item:
        instance_from_dict_per_item(doc)
    assert refused(doc) == str(per_item.value)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10_000), own_deadlines=st.booleans())
def test_vectorized_path_builds_the_same_instance(seed, own_deadlines):
    """Tests that valid documents take the column-wise path and give equal instances."""
    doc = tiny.generate(seed, "general", per_user_deadlines=own_deadlines).to_dict()
    fast = columns.build(doc)
    assert fast is not None
    slow = instance_from_dict_per_item(doc)
    assert fast == slow and fast.to_dict() == slow.to_dict()
    assert np.array_equal(fast.upload_s, slow.upload_s)
    assert all(
        np.array_equal(a, b)
        for a, b in zip(fast.model_users, slow.model_users, strict=True)
    )
