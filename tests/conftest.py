"""Shared fixtures: tiny named instances whose numbers are easy to check by hand.

Also the test-wide settings: the hypothesis profiles ("default" and "ci", both
derandomized and without deadlines, so property tests are reproducible and do
not flake on a loaded machine) and the parametrisation of tests over the method
registry (:data:`METHOD_FIXTURES`, narrowed with ``--methods a,b``).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from instances.model import Block, Instance, Loading, Model, User
from solvers import registry

settings.register_profile("default", derandomize=True, deadline=None)
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# Fixture name -> the registry's methods it runs over. A test that takes one of
# these arguments runs once per method; a new registry entry joins automatically.
METHOD_FIXTURES = {
    # every registered method
    "any_method": lambda: registry.names(),
    # exact, planning with the caller's reuse, no external solver (fast oracles)
    "exact_method": lambda: registry.names(
        exact=True, reuse=registry.Reuse.CALLER, solver=None
    ),
    # the same plus the methods that never reuse blocks
    "exact_method_any_reuse": lambda: registry.names(exact=True, solver=None),
}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--methods",
        default=None,
        help="comma-separated registry methods to run method-parametrised tests on",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    chosen = metafunc.config.getoption("--methods")
    for fixture, select in METHOD_FIXTURES.items():
        if fixture in metafunc.fixturenames:
            methods = select()
            if chosen:
                methods = tuple(m for m in methods if m in chosen.split(","))
            metafunc.parametrize(fixture, methods)


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
