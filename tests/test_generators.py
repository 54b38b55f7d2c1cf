"""Tests of the ResNet layer tables, profiles, the bls/general generators, the
shipped library and the ``generate`` command.

Hand numbers: P / N0 = 5e-9 W/Hz / 10^(-20.4) W/Hz = 1.25594e12. A conv+BN layer
has c_in c_out k^2 + 2 c_out parameters; the fc head 512 e C + C.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from instances.generators import bls, common, general, library, profile, resnet
from instances.io import InputError, instance_to_dict, load_instance
from instances.structure import analyze, sharing_stats
from partialloading.cli import main


@pytest.fixture(scope="module")
def bls_default():
    return bls.generate()


@pytest.fixture(scope="module")
def general_default():
    return general.generate()


def kept_share(instance) -> np.ndarray:
    """Return, per model, the fraction of its layers that are pre-trained blocks."""
    return np.array(
        [
            np.mean([b.startswith(m.id.split("-")[0] + ".") for b in m.blocks])
            for m in instance.models
        ]
    )


# -- ResNet layer tables -----------------------------------------------------------


@pytest.mark.parametrize(
    ("arch", "count", "total", "total_1000"),
    [
        # 10-class totals from the domain notes' calculator; 1000-class totals are
        # torchvision's published num_params.
        ("resnet18", 21, 11_181_642, 11_689_512),
        ("resnet34", 37, 21_289_802, 21_797_672),
        ("resnet50", 54, 23_528_522, 25_557_032),
    ],
)
def test_resnet_totals(arch, count, total, total_1000):
    """Tests that layer counts and parameter totals match torchvision exactly."""
    table = resnet.layers(arch)
    assert len(table) == count
    assert sum(p for _, p in table) == total
    assert sum(p for _, p in resnet.layers(arch, num_classes=1000)) == total_1000
    assert [b for _, b in resnet.layer_bytes(arch)] == [4 * p for _, p in table]


def test_resnet_layer_names_and_sizes():
    """Tests layer names, order and a few sizes derived by hand."""
    r18 = dict(resnet.layers("resnet18"))
    names = [n for n, _ in resnet.layers("resnet18")]
    assert names[0] == "conv1" and names[-1] == "fc"
    assert names.index("layer2.0.conv2") < names.index("layer2.0.downsample")
    assert r18["conv1"] == 3 * 64 * 49 + 128  # 9,536
    assert r18["layer4.1.conv2"] == 512 * 512 * 9 + 1024  # 2,360,320
    assert r18["layer2.0.downsample"] == 64 * 128 + 256  # 8,448
    assert r18["fc"] == 512 * 10 + 10
    r50 = dict(resnet.layers("resnet50"))
    assert r50["layer1.0.downsample"] == 64 * 256 + 512  # R50 only: width 64 -> 256
    assert "layer1.0.downsample" not in r18
    assert r50["fc"] == 2048 * 10 + 10
    with pytest.raises(ValueError, match="arch"):
        resnet.layers("resnet101")


# -- profiles --------------------------------------------------------------------------


def test_default_profile_numbers():
    """Tests the cold-HDD profile's constants and b_max = floor((Q - ctx - W) / act)."""
    prof = profile.load("rtx4090-hdd")  # the default is calibrated: test_calibration.py
    assert prof.name == "rtx4090-hdd"
    assert (prof.disk_bytes_per_s, prof.pcie_bytes_per_s) == (2e8, 2.5e10)
    assert prof.family("resnet34").mu_s == 8e-5
    # R50: (24e9 - 0.4e9 - 94,114,088) / 3.25e6 = 7232.6 -> 7232.
    assert prof.max_batch("resnet50", 4 * 23_528_522) == 7232
    # R18: (23.6e9 - 44,726,568) / 2e6 = 11777.6 -> 11777.
    assert prof.max_batch("resnet18", 4 * 11_181_642) == 11777
    with pytest.raises(ValueError, match="no GPU memory"):
        prof.max_batch("resnet18", 24e9)


SHIPPED_PROFILES = sorted(p.stem for p in profile.DIRECTORY.glob("*.json"))


@pytest.mark.parametrize("name", SHIPPED_PROFILES)
def test_shipped_profiles_have_sources(name):
    """Tests that every shipped profile loads and cites a source for each number."""
    prof = profile.load(name)
    for key in ("disk_bytes_per_s", "pcie_bytes_per_s", "gpu_memory_bytes"):
        assert prof.sources.get(key), key
    for key in ("mu_s", "beta_s", "activation_bytes_per_image"):
        assert prof.sources.get(key), key
    assert set(prof.families) == set(resnet.ARCHS)


def test_bad_profile_is_refused(tmp_path):
    """Tests that a bad or unknown profile names the file and the offending field."""
    data = json.loads(profile.path("rtx4090-hdd").read_text())
    data["families"]["resnet50"]["mu_s"] = -1
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    with pytest.raises(InputError, match=r"bad\.json: families\.resnet50\.mu_s"):
        profile.load(bad)
    with pytest.raises(InputError, match="no file and no shipped profile"):
        profile.load("no-such-profile")


# -- users and channels --------------------------------------------------------------


def test_spectral_efficiency_by_hand():
    """Tests eq. (6) with path loss d^-4 on hand-computed cases."""
    # d = 100 m, h = 1: SNR = 1.25594e12 * 1e-8 = 12559.4 -> log2(12560.4) = 13.6166.
    assert common.spectral_efficiency(100.0, 1.0) == pytest.approx(13.6166, abs=1e-4)
    # d = 50 m, h = 0.5: SNR = 1.25594e12 * 0.5 / 6.25e6 = 100475 -> 16.6165.
    assert common.spectral_efficiency(50.0, 0.5) == pytest.approx(16.6165, abs=1e-4)
    # Cell edge, d = 250 m: SNR = 321.5 -> 8.3333 (25 dB): farther is slower.
    assert common.spectral_efficiency(250.0, 1.0) == pytest.approx(8.3333, abs=1e-4)


def test_users_are_a_prefix_of_a_larger_draw():
    """Tests that the first K users of K' > K users (same seed) are the same users."""
    small = bls.generate(num_users=10, seed=7)
    large = bls.generate(num_users=30, seed=7)
    assert small.users == large.users[:10]
    assert all(u.data_bits == 393_216 for u in large.users)


def test_zipf_concentrates_requests():
    """Tests that Zipf s = 2 puts most requests on one model, uniform does not."""
    # Top model share under Zipf(2) over 50 models: 1 / sum r^-2 = 0.61, so ~245
    # of 400; uniform: 8 per model on average.
    top = {}
    for zipf in (None, 2.0):
        instance = bls.generate(num_users=400, seed=1, zipf=zipf)
        top[zipf] = np.bincount(instance.user_model).max()
    assert top[2.0] > 180
    assert top[None] < 30


# -- generators ----------------------------------------------------------------------


@pytest.mark.parametrize("gen", [bls, general])
def test_same_seed_same_json(gen):
    """Tests that one seed gives byte-identical JSON and another seed does not."""
    text = [json.dumps(instance_to_dict(gen.generate(seed=s))) for s in (4, 4, 5)]
    assert text[0] == text[1]
    assert text[0] != text[2]


@pytest.mark.parametrize("gen", [bls, general])
def test_library_seed_fixes_the_models(gen):
    """Tests that library_seed keeps the models while seed redraws the users."""
    a = gen.generate(seed=1, library_seed=9)
    b = gen.generate(seed=2, library_seed=9)
    assert a.models == b.models and a.blocks == b.blocks
    assert a.users != b.users


def test_bls_default_library(bls_default):
    """Tests the default BLS library: 17/17/16 models, sizes, clusters, b_max."""
    ids = [m.id for m in bls_default.models]
    assert len(ids) == 50
    counts = [sum(i.startswith(p) for i in ids) for p in ("r18", "r34", "r50")]
    assert counts == [17, 17, 16]
    sizes = {4 * 11_181_642, 4 * 21_289_802, 4 * 23_528_522}
    assert set(bls_default.model_bytes.astype(int)) == sizes
    assert all(m.max_batch >= bls_default.num_users for m in bls_default.models)
    structure = analyze(bls_default, models=np.arange(50))
    assert structure.is_bls and len(structure.clusters) == 3


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    num_models=st.integers(1, 12),
    theta=st.floats(0.02, 0.98),
    seed=st.integers(0, 2**32),
)
def test_bls_instances_are_bls(num_models, theta, seed):
    """Tests that every bls instance passes Definition 2 over all its models."""
    instance = bls.generate(num_users=5, num_models=num_models, theta=theta, seed=seed)
    structure = analyze(instance, models=np.arange(num_models))
    assert structure.is_bls, structure.reason
    # No model shares its head; every model shares at least its first layer.
    share = kept_share(instance)
    assert np.all((share > 0) & (share < 1))


@pytest.mark.parametrize("seed", range(5))
def test_general_instances_are_not_bls(seed):
    """Tests that general instances fail the BLS test and say why."""
    structure = analyze(general.generate(seed=seed))
    assert not structure.is_bls
    assert "lies above" in structure.reason or "shared layer" in structure.reason


@pytest.mark.parametrize("theta", [0.75, 0.8, 0.85, 0.9])
@pytest.mark.parametrize("gen", [bls, general])
def test_layer_share_is_close_to_theta(gen, theta):
    """Tests that models keep theta of their layers on average (layers, not bytes)."""
    instance = gen.generate(num_users=0, num_models=60, theta=theta, seed=3)
    # theta_i ~ U(theta +- 0.05): the mean of 60 has sd 0.029 / sqrt(60) = 0.004,
    # plus rounding to whole layers.
    assert kept_share(instance).mean() == pytest.approx(theta, abs=0.015)


def test_bls_shares_fewer_bytes_than_layers(bls_default, general_default):
    """Tests the theta-by-layers vs by-bytes gap: large in BLS, small in general."""
    b, g = sharing_stats(bls_default), sharing_stats(general_default)
    # BLS keeps the small bottom layers: ~57 % of bytes at theta = 85 % of layers.
    assert b["byte_share"].mean() < b["layer_share"].mean() - 0.2
    # General keeps a random subset: bytes about track layers.
    assert abs(g["byte_share"].mean() - g["layer_share"].mean()) < 0.05


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(theta=1.0), "theta: must be in"),
        (dict(theta=0.0), "theta: must be in"),
        (dict(num_models=0), "num_models"),
        (dict(num_users=-1), "num_users"),
        (dict(bandwidth_hz=float("nan")), "bandwidth_hz"),
        (dict(deadline_s=0.0), "deadline_s"),
        (dict(zipf=-1.0), "zipf"),
        (dict(seed=-1), "seed"),
        # Caps (issue 10 §1, §7): sizes, 1e9 s, 1e9 slots; 0.7 s / 1e-320 s = inf.
        (dict(num_users=10**10), "num_users: must be at most 1,000,000"),
        (dict(num_models=100_001), "num_models: must be at most 100,000"),
        (dict(deadline_s=1e308), "deadline_s: must be at most 1e"),
        (dict(slot_s=1e-320), "slot_s: deadline_s / slot_s is inf slots"),
        (dict(bandwidth_hz=1e-308, num_users=2), "bandwidth_hz: too small"),
    ],
)
def test_generator_rejects_bad_parameters(kwargs, message):
    """Tests that out-of-range parameters raise ValueError naming the parameter."""
    with pytest.raises(ValueError, match=message):
        bls.generate(**kwargs)
    with pytest.raises(ValueError, match=message):
        general.generate(**kwargs)


# -- library ---------------------------------------------------------------------


@pytest.mark.parametrize("name", list(library.SPECS))
def test_library_file_matches_regeneration(name):
    """Tests that each shipped file loads and equals its regeneration, byte for byte."""
    file = library.path(name)
    instance = load_instance(file)
    assert instance.name == name
    assert file.read_text() == library.render(name)


def test_library_contents():
    """Tests the library's file set, the paper's sizes and its path helper."""
    assert {p.stem for p in library.DIRECTORY.glob("*.json")} == set(library.SPECS)
    fig9 = load_instance(library.path("fig9-bls.json"))
    assert (fig9.num_users, fig9.num_models, fig9.deadline_s) == (20, 5, 0.2)
    default = load_instance(library.path("bls-default"))
    assert (default.num_users, default.num_models, default.deadline_s) == (80, 50, 0.7)
    assert not analyze(load_instance(library.path("general-default"))).is_bls
    with pytest.raises(ValueError, match="no instance"):
        library.path("nope")


# -- generate command --------------------------------------------------------------


def test_generate_command_writes_the_generated_instance(tmp_path):
    """Tests that ``generate`` writes a loadable file equal to the library call."""
    out = tmp_path / "g.json"
    argv = ["generate", "general", "-o", str(out), "--users", "6", "--models", "3"]
    assert main([*argv, "--seed", "2", "--arch", "resnet18"]) == 0
    expected = general.generate(num_users=6, num_models=3, seed=2, arch="resnet18")
    assert instance_to_dict(load_instance(out)) == instance_to_dict(expected)
    assert json.loads(out.read_text())["meta"]["generator"] == "general"


def test_generate_command_tiny(tmp_path):
    """Tests ``generate tiny`` with its own options."""
    out = tmp_path / "t.json"
    argv = ["generate", "tiny", "-o", str(out), "--structure", "general"]
    assert main([*argv, "--user-deadlines", "--seed", "3"]) == 0
    assert load_instance(out).has_user_deadlines


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["bls", "--theta", "1.5"], "--theta: must be in (0, 1)"),
        (["bls", "--users", "-3"], "--users: must be >= 0"),
        (["general", "--bandwidth", "0"], "--bandwidth: must be finite and > 0"),
        (["tiny", "--theta", "0.5"], "--theta: not used by the tiny generator"),
        (["bls", "--structure", "bls"], "--structure: not used by the bls generator"),
        (["bls", "--profile", "nope"], "--profile: no file and no shipped profile"),
        (["bls", "--users", "many"], "invalid int value"),
        (["bls", "--users", "10000000000"], "--users: must be at most 1,000,000"),
        (["bls", "--deadline", "1e308"], "--deadline: must be at most 1e+09 s"),
        (["bls", "--slot", "1e-320"], "--slot: deadline_s / slot_s is inf slots"),
        (["mesh"], "invalid choice"),
    ],
)
def test_generate_command_rejects_bad_options(tmp_path, capsys, options, message):
    """Tests that bad options exit with status 2 and one line naming the option."""
    out = tmp_path / "x.json"
    assert main(["generate", *options, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not out.exists()
