"""Greedy delta debugging of instances: the smallest instance that still fails.

:func:`shrink` repeatedly tries simplifications of an instance and keeps each one
under which ``still_fails(instance)`` stays true, until none applies. The
simplifications, tried in this order in every pass (largest first):

1. drop a user;
2. drop a model (with its users);
3. drop a block from every model that has it (no model may lose its last block);
4. merge two blocks that always appear together, adjacent and in the same order
   (two layers of one model, or two shared layers of a cluster): one block of
   the summed size, so every load time is unchanged;
5. simplify a number: ``max_batch`` to 1; ``mu_s``/``beta_s`` to 0; a user's
   spectral efficiency to 1 (its data_bits becomes D/R, so p_k is unchanged);
   then every positive number rounded to 1, 2 or 3 significant digits (the
   deadline keeps its slot count T = deadline/slot).

Each accepted step makes the instance strictly simpler (fewer records, or a
number with fewer significant digits, or a parameter at its simplest value), so
the loop ends. The predicate decides what "fails" means; the verification
campaign uses "dp-paper serves fewer users than the exact optimum".
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterator

from instances.model import Block, Instance, Model, User

Predicate = Callable[[Instance], bool]


def _round(value: float, digits: int) -> float:
    """Return ``value`` rounded to ``digits`` significant digits."""
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))


def _digits(value: float) -> int:
    """Return the number of significant digits of ``value`` (up to 17)."""
    for digits in range(1, 18):
        if _round(value, digits) == value:
            return digits
    return 17


def _simpler_numbers(value: float, allow_zero: bool) -> list[float]:
    """Return candidate replacements of ``value``, each with fewer digits."""
    out = [0.0] if allow_zero and value != 0 else []
    now = _digits(value)
    out += [r for d in (1, 2, 3) if d < now and (r := _round(value, d)) > 0]
    return list(dict.fromkeys(out))


def _prune(instance: Instance, models: list[Model], users: list[User]) -> Instance:
    """Return the instance with these models and users, unused blocks dropped."""
    used = {b for m in models for b in m.blocks}
    blocks = tuple(b for b in instance.blocks if b.id in used)
    return dataclasses.replace(
        instance, blocks=blocks, models=tuple(models), users=tuple(users)
    )


def _drop_users(instance: Instance) -> Iterator[Instance]:
    for k in range(instance.num_users):
        users = [u for n, u in enumerate(instance.users) if n != k]
        yield dataclasses.replace(instance, users=tuple(users))


def _drop_models(instance: Instance) -> Iterator[Instance]:
    if instance.num_models <= 1:
        return
    for model in instance.models:
        models = [m for m in instance.models if m.id != model.id]
        users = [u for u in instance.users if u.model != model.id]
        yield _prune(instance, models, users)


def _drop_blocks(instance: Instance) -> Iterator[Instance]:
    for block in instance.blocks:
        if any(m.blocks == (block.id,) for m in instance.models):
            continue  # a model may not lose its last block
        models = [
            dataclasses.replace(m, blocks=tuple(b for b in m.blocks if b != block.id))
            for m in instance.models
        ]
        yield _prune(instance, models, list(instance.users))


def _merge_blocks(instance: Instance) -> Iterator[Instance]:
    holders: dict[str, frozenset[str]] = {}
    for m in instance.models:
        for b in m.blocks:
            holders[b] = holders.get(b, frozenset()) | {m.id}
    pairs = dict.fromkeys(
        pair
        for m in instance.models
        for pair in zip(m.blocks, m.blocks[1:], strict=False)
    )
    size = {b.id: b.size_bytes for b in instance.blocks}
    for a, b in pairs:
        owners = [m for m in instance.models if a in m.blocks]
        if holders[a] != holders[b] or any(
            m.blocks.index(b) != m.blocks.index(a) + 1 for m in owners
        ):
            continue
        models = [
            dataclasses.replace(m, blocks=tuple(x for x in m.blocks if x != b))
            if a in m.blocks
            else m
            for m in instance.models
        ]
        blocks = tuple(
            Block(a, size[a] + size[b]) if x.id == a else x
            for x in instance.blocks
            if x.id != b
        )
        yield dataclasses.replace(instance, blocks=blocks, models=tuple(models))


def _simplify_numbers(instance: Instance) -> Iterator[Instance]:
    replace = dataclasses.replace
    for n, m in enumerate(instance.models):
        variants = [replace(m, max_batch=1)] if m.max_batch > 1 else []
        variants += [replace(m, mu_s=v) for v in _simpler_numbers(m.mu_s, True)]
        variants += [replace(m, beta_s=v) for v in _simpler_numbers(m.beta_s, True)]
        for variant in variants:
            models = list(instance.models)
            models[n] = variant
            yield replace(instance, models=tuple(models))
    for k, u in enumerate(instance.users):
        user_variants = []
        if u.spectral_efficiency != 1.0:
            p = u.data_bits / u.spectral_efficiency
            user_variants.append(replace(u, data_bits=p, spectral_efficiency=1.0))
        simpler = _simpler_numbers(u.data_bits, False)
        user_variants += [replace(u, data_bits=v) for v in simpler]
        for user in user_variants:
            users = list(instance.users)
            users[k] = user
            yield replace(instance, users=tuple(users))
    for j, b in enumerate(instance.blocks):
        for v in _simpler_numbers(b.size_bytes, False):
            blocks = list(instance.blocks)
            blocks[j] = Block(b.id, v)
            yield replace(instance, blocks=tuple(blocks))
    loading = instance.loading
    for v in _simpler_numbers(loading.disk_bytes_per_s, False):
        yield replace(instance, loading=replace(loading, disk_bytes_per_s=v))
    for v in _simpler_numbers(loading.pcie_bytes_per_s, False):
        yield replace(instance, loading=replace(loading, pcie_bytes_per_s=v))
    slots = round(instance.deadline_s / instance.slot_s)
    for v in _simpler_numbers(instance.deadline_s, False):
        yield replace(instance, deadline_s=v, slot_s=v / slots)
    for v in _simpler_numbers(instance.bandwidth_hz, False):
        yield replace(instance, bandwidth_hz=v)


STEPS = (_drop_users, _drop_models, _drop_blocks, _merge_blocks, _simplify_numbers)


def shrink(
    instance: Instance, still_fails: Predicate, max_checks: int = 20_000
) -> tuple[Instance, int]:
    """Return the simplified instance and the number of predicate calls.

    ``still_fails(instance)`` must hold on entry. Each pass runs through
    :data:`STEPS` and restarts after the first accepted candidate of a step
    (so cheap, large reductions are retried first); passes stop when no
    candidate is accepted or after ``max_checks`` predicate calls.
    """
    if not still_fails(instance):
        raise ValueError("shrink: the predicate does not hold on the input instance")
    checks = 1
    changed = True
    while changed and checks < max_checks:
        changed = False
        for step in STEPS:
            for candidate in step(instance):
                checks += 1
                if _fails(candidate, still_fails):
                    instance, changed = candidate, True
                    break
                if checks >= max_checks:
                    break
            if changed:
                break
    return instance, checks


def _fails(candidate: Instance, still_fails: Predicate) -> bool:
    """Return the predicate, treating an invalid or refused instance as a pass."""
    try:
        return bool(still_fails(candidate))
    except ValueError:
        return False


def size(instance: Instance) -> tuple[int, int, int]:
    """Return (users, models, blocks): how big an instance is."""
    return instance.num_users, instance.num_models, instance.num_blocks
