"""Shared fixtures: tiny named instances whose numbers are easy to check by hand."""

from __future__ import annotations

import pytest

from instances.model import Block, Instance, Loading, Model, User


def make_instance(**overrides) -> Instance:
    """Return the hand-checkable ``two_models`` instance, with ``overrides``.

    Blocks: a (100 B), b (200 B), c (300 B). Model A = [a, b], model B = [a, c]:
    they share the bottom block a (a BLS cluster with l_A = l_B = 1).
    Loading at 100 B/s disk and 100 B/s PCIe gives V(S) = S / 50 seconds.
    B = 1 Hz, so a user's upload time is p_k = data_bits / spectral_efficiency.
    Compute: A has mu = 0.1, beta = 1; B has mu = 0.2, beta = 0.5; b_max = 2.
    Users: u1 -> A (p = 1), u2 -> A (p = 2), u3 -> B (p = 3). Deadline 20 s.
    """
    base = dict(
        name="two_models",
        deadline_s=20.0,
        slot_s=1.0,
        bandwidth_hz=1.0,
        loading=Loading(100.0, 100.0),
        blocks=(Block("a", 100), Block("b", 200), Block("c", 300)),
        models=(
            Model("A", ("a", "b"), 0.1, 1.0, 2),
            Model("B", ("a", "c"), 0.2, 0.5, 2),
        ),
        users=(
            User("u1", "A", 2.0, 2.0),
            User("u2", "A", 4.0, 2.0),
            User("u3", "B", 3.0, 1.0),
        ),
    )
    base.update(overrides)
    return Instance(**base)


@pytest.fixture
def two_models() -> Instance:
    return make_instance()


@pytest.fixture
def two_models_doc() -> dict:
    """The ``two_models`` instance as a JSON document (spec section 1)."""
    return make_instance().to_dict()


@pytest.fixture
def two_models_file(tmp_path):
    """The ``two_models`` instance written to ``tmp_path/two_models.json``."""
    from instances.io import save_instance

    path = tmp_path / "two_models.json"
    save_instance(make_instance(), path)
    return path
