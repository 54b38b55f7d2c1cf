"""Tests of the method registry as the one catalogue of method facts."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import make_instance

from instances.model import User
from solvers import registry
from solvers.result import Options, Status

ROOT = Path(__file__).resolve().parent.parent


def test_names_selects_by_flags():
    """Tests that names() filters on flags: the searchers and the fast exact oracles."""
    assert registry.names(time_limit=True) == ("milp", "cpsat", "cpsat-seq")
    fast_exact = registry.names(exact=True, reuse=registry.Reuse.CALLER, solver=None)
    assert fast_exact == ("dp", "exhaustive", "bruteforce")
    assert registry.names(reuse=registry.Reuse.NEVER) == ("independent",)
    with pytest.raises(TypeError, match="unknown flag"):
        registry.names(fast=True)


def test_every_method_serves_at_most_the_optimum(any_method, two_models):
    """Tests that each registered method serves 3 on two_models, or 2 without reuse."""
    # With reuse all three fit (19.9 s <= 20 s); "never reuse" methods fit two
    # (6 + 8 + 4.2 + 3.7 = 21.9 > 20). Heuristics may serve fewer, never more.
    entry = registry.METHODS[any_method]
    result = registry.run(any_method, two_models, Options(seed=0, threads=1))
    best = 2 if entry.reuse is registry.Reuse.NEVER else 3
    assert result.evaluation.feasible and result.served <= best
    if entry.exact:
        assert result.status is Status.OPTIMAL and result.served == best


def test_user_deadlines_refused_by_flag_naming_the_takers(any_method):
    """Tests that methods without the flag refuse per-user deadlines, naming takers."""
    users = (User("u1", "A", 2.0, 2.0, deadline_s=5.0),)
    instance = make_instance(users=users)
    reason = registry.supports(any_method, instance)
    if registry.METHODS[any_method].user_deadlines:
        assert reason is None
    else:
        takers = ", ".join(registry.names(user_deadlines=True))
        assert reason is not None and f"methods that take them: {takers}" in reason


def test_independent_plans_without_reuse_by_its_flag(two_models):
    """Tests that the Reuse.NEVER entry turns reuse off whatever the caller asked."""
    result = registry.run("independent", two_models, Options(reuse_blocks=True))
    assert result.schedule.reuse_blocks is False


def test_missing_package_is_one_line(monkeypatch, two_models):
    """Tests that a method needing an absent package is refused, naming the package."""
    ghost = registry.MethodSpec(
        "solvers.dp", "needs a package", False, requires=("no_such_package_xyz",)
    )
    monkeypatch.setitem(registry.METHODS, "ghost", ghost)
    with pytest.raises(registry.Unsupported, match="no_such_package_xyz") as error:
        registry.run("ghost", two_models)
    assert "\n" not in str(error.value)


def test_module_attr_reference(monkeypatch, two_models):
    """Tests that a "module:attr" reference resolves to the named object."""
    alias = registry.MethodSpec("solvers.independent:dp", "alias", True)
    monkeypatch.setitem(registry.METHODS, "alias", alias)
    assert registry.run("alias", two_models).served == 3  # the dp module, by attr


@pytest.mark.parametrize("doc", ["README.md", "docs/model.md"])
def test_docs_methods_table_matches_the_registry(doc):
    """Tests that the methods table of each doc is the one the registry generates."""
    text = (ROOT / doc).read_text()
    assert registry.with_table(text) == text, (
        f"{doc} is stale: run python -m solvers.registry {doc}"
    )


@pytest.mark.parametrize("seed", [-1, 2**31, 2**64])
def test_options_refuse_seeds_no_solver_takes(seed):
    """Tests that Options refuses seeds outside HiGHS's and CP-SAT's 0..2**31 - 1."""
    with pytest.raises(ValueError, match=r"seed: must be in 0\.\.2147483647"):
        Options(seed=seed)


def test_hypothesis_profile_from_conftest():
    """Tests that settings(...) in any test inherit derandomize and no deadline."""
    from hypothesis import settings

    assert settings().derandomize is True and settings().deadline is None
    assert settings(max_examples=5).derandomize is True  # a test's own settings
