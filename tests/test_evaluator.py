"""Tests of the timing semantics (spec section 2), the evaluator and schedule files.

Reference numbers for ``two_models`` (tests/conftest.py): V(S) = S/100 + S/100 =
S/50 s; p = upload time = 1, 2, 3 s for u1, u2 (model A) and u3 (model B);
compute A = 0.1 b + 1, compute B = 0.2 b + 0.5; b_max = 2; deadline 20 s.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from conftest import make_instance
from hypothesis import given, settings
from hypothesis import strategies as st

from instances import timing
from instances.generators import tiny
from instances.io import InputError, write_json
from instances.model import User
from instances.schedule import Batch, Schedule, evaluate
from instances.schedule_io import (
    schedule_from_dict,
    schedule_to_dict,
    stated_mismatches,
    verify_file,
)
from instances.timing import OPTIMAL, Bandwidth, load_time
from solvers import bruteforce
from solvers.costs import cost_table, model_batches
from solvers.result import Options


def schedule(*batches, reuse=True, bandwidth=OPTIMAL) -> Schedule:
    """Return a schedule from ``("A", "u1", "u2"), ...`` tuples."""
    return Schedule(tuple(Batch(m, users) for m, *users in batches), reuse, bandwidth)


def constraints(evaluation) -> list[tuple[str, int | None, str | None]]:
    """Return the (constraint, batch, user) of every violation."""
    return [(v.constraint, v.batch, v.user) for v in evaluation.violations]


# -- timelines computed by hand --------------------------------------------------------


def test_partial_loading_loads_only_new_blocks(two_models):
    """Tests the timeline of A{u1,u2} then B{u3} with block reuse."""
    ev = evaluate(two_models, schedule(("A", "u1", "u2"), ("B", "u3")))
    # Batch 1: upload 1 + 2 = 3, load V(a + b = 300) = 6, compute 0.1*2 + 1 = 1.2.
    # Batch 2: upload 3, load V(c = 300) = 6 (a is resident), compute 0.2 + 0.5 = 0.7.
    t1, t2 = ev.timeline
    assert (t1.upload_s, t1.load_s, t1.compute_s) == pytest.approx((3.0, 6.0, 1.2))
    assert (t2.upload_s, t2.load_s, t2.compute_s) == pytest.approx((3.0, 6.0, 0.7))
    assert t1.start_s == 0.0
    assert t2.start_s == pytest.approx(10.2) and t1.end_s == pytest.approx(10.2)
    assert t2.end_s == pytest.approx(19.9)
    assert (t1.loaded_bytes, t2.loaded_bytes) == (300.0, 300.0)
    assert ev.feasible and ev.served == 3
    assert ev.makespan_s == pytest.approx(19.9) and ev.loaded_bytes == 600.0


def test_independent_loading_reloads_whole_model(two_models):
    """Tests the same schedule without reuse: B loads all 400 B, misses the deadline."""
    ev = evaluate(two_models, schedule(("A", "u1", "u2"), ("B", "u3"), reuse=False))
    # Batch 2 loads V(a + c = 400) = 8 s: ends at 10.2 + 3 + 8 + 0.7 = 21.9 > 20.
    assert ev.timeline[1].load_s == pytest.approx(8.0)
    assert ev.timeline[1].end_s == pytest.approx(21.9)
    assert constraints(ev) == [("(2)", 2, "u3")]
    assert ev.served == 2 and not ev.feasible


@pytest.mark.parametrize("reuse", [True, False])
def test_same_model_twice_loads_nothing(two_models, reuse):
    """Tests that a model following itself loads 0 bytes, with or without reuse."""
    ev = evaluate(two_models, schedule(("A", "u1"), ("A", "u2"), reuse=reuse))
    # Batch 1: 1 + 6 + 1.1 = 8.1. Batch 2: 2 + 0 + 1.1 = 3.1, ends at 11.2.
    assert [t.loaded_bytes for t in ev.timeline] == [300.0, 0.0]
    assert ev.makespan_s == pytest.approx(11.2)


@pytest.mark.parametrize(
    ("reuse", "loads", "end"),
    [
        # A, then B (loads c = 300, or all 400), then A (loads b = 200, or all 300).
        (True, [300.0, 300.0, 200.0], 8.1 + (3 + 6 + 0.7) + (2 + 4 + 1.1)),  # 24.9
        (False, [300.0, 400.0, 300.0], 8.1 + (3 + 8 + 0.7) + (2 + 6 + 1.1)),  # 28.9
    ],
)
def test_switching_back_and_forth(reuse, loads, end):
    """Tests A, B, A: a return to A reloads only what B evicted (or everything)."""
    instance = make_instance(deadline_s=40.0)
    ev = evaluate(
        instance, schedule(("A", "u1"), ("B", "u3"), ("A", "u2"), reuse=reuse)
    )
    assert [t.loaded_bytes for t in ev.timeline] == loads
    assert ev.makespan_s == pytest.approx(end)
    assert ev.feasible and ev.served == 3


def test_optimal_split_shares_eq_12(two_models):
    """Tests the eq. (12) shares p_k / sum p: 1/3 and 2/3 for u1 and u2."""
    ev = evaluate(two_models, schedule(("A", "u1", "u2")))
    assert ev.timeline[0].bandwidth_share == pytest.approx((1 / 3, 2 / 3))
    assert sum(ev.timeline[0].bandwidth_share) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("channels", "users", "upload"),
    [
        (2, ("u1", "u2"), 2.0 * 2 / 1.0),  # slowest p = 2, times r = 2, over B = 1
        (3, ("u1",), 1.0 * 3 / 1.0),
        (5, ("u1", "u2"), 2.0 * 5 / 1.0),
    ],
)
def test_equal_bandwidth_upload(two_models, channels, users, upload):
    """Tests equal sub-channels: upload = max p_k * r / B, shares 1/r."""
    bandwidth = Bandwidth(channels)
    ev = evaluate(two_models, schedule(("A", *users), bandwidth=bandwidth))
    t = ev.timeline[0]
    assert t.upload_s == pytest.approx(upload)
    assert t.bandwidth_share == pytest.approx((1 / channels,) * len(users))
    idx = np.array([two_models.user_index[u] for u in users])
    assert bandwidth.upload_time(two_models, idx) == pytest.approx(upload)


def test_equal_bandwidth_with_twice_the_hertz():
    """Tests that the upload scales with 1/B: B = 2 Hz halves max p * r / B."""
    instance = make_instance(bandwidth_hz=2.0)
    ev = evaluate(instance, schedule(("A", "u1", "u2"), bandwidth=Bandwidth(2)))
    assert ev.timeline[0].upload_s == pytest.approx(2.0)  # 2 * 2 / 2


def test_timing_helpers(two_models):
    """Tests load_time, Bandwidth.parse and batch_limit against the hand numbers."""
    assert load_time(two_models, None, 1, True) == pytest.approx(8.0)  # cold B: 400/50
    assert load_time(two_models, 0, 1, True) == pytest.approx(6.0)  # A -> B: c
    assert load_time(two_models, 1, 0, True) == pytest.approx(4.0)  # B -> A: b
    assert load_time(two_models, 1, 0, False) == pytest.approx(6.0)  # B -> A: a + b
    assert load_time(two_models, 0, 0, False) == 0.0
    assert (
        Bandwidth.parse("optimal") is not None and Bandwidth.parse("optimal").is_optimal
    )
    assert Bandwidth.parse("equal:7") == Bandwidth(7)
    assert str(Bandwidth(7)) == "equal:7" and str(OPTIMAL) == "optimal"
    assert Bandwidth(3).batch_limit(5) == 3 and OPTIMAL.batch_limit(5) == 5
    for bad in ("equal:0", "equal", "equal:x", "fair:2", ""):
        with pytest.raises(ValueError, match=r"^bandwidth: "):
            Bandwidth.parse(bad)
    with pytest.raises(ValueError, match=r"^bandwidth: "):
        Bandwidth(0)


# Strategies of the property tests that draw random batches of a tiny instance.
_RANDOM_BATCHES = dict(seed=st.integers(0, 10_000), reuse=st.booleans(), data=st.data())


@settings(max_examples=150)
@given(channels=st.sampled_from([None, 2]), **_RANDOM_BATCHES)
def test_evaluator_agrees_with_timing_helpers(seed, reuse, channels, data):
    """Tests the evaluator (block-set differences) against new_bytes and timing.py."""
    instance = tiny.generate(seed, "general", num_users=6)
    bandwidth = Bandwidth(channels)
    # Random batches: any model order (repeats allowed), each user at most once,
    # users need not request the batch's model (timing does not depend on it).
    order = data.draw(st.permutations(range(instance.num_users)))
    models = data.draw(st.lists(st.integers(0, instance.num_models - 1), max_size=5))
    cuts = sorted(
        data.draw(
            st.lists(st.integers(0, 6), min_size=len(models), max_size=len(models))
        )
    )
    starts = [0, *cuts]
    batches = [(m, order[a:b]) for m, a, b in zip(models, starts, cuts, strict=False)]
    ev = evaluate(instance, Schedule.from_indices(instance, batches, reuse, bandwidth))
    clock, previous = 0.0, None
    for (model, users), row in zip(batches, ev.timeline, strict=True):
        users = np.array(users, dtype=np.int64)
        load = load_time(instance, previous, model, reuse)
        upload = bandwidth.upload_time(instance, users)
        compute = instance.models[model].compute_time(len(users))
        clock += upload + load + compute
        assert row.load_s == pytest.approx(load, rel=1e-12, abs=1e-12)
        assert row.upload_s == pytest.approx(upload, rel=1e-12)
        assert row.end_s == pytest.approx(clock, rel=1e-12)
        previous = model


@settings(max_examples=100)
@given(channels=st.sampled_from([None, 1, 2, 3]), **_RANDOM_BATCHES)
def test_bruteforce_timing_agrees_with_timing_module(seed, reuse, channels, data):
    """Tests bruteforce's own batch time (kept independent) against timing's."""
    instance = tiny.generate(seed, "general", num_users=6)
    options = Options(reuse_blocks=reuse, bandwidth=Bandwidth(channels))
    previous = data.draw(st.none() | st.integers(0, instance.num_models - 1))
    model = data.draw(st.integers(0, instance.num_models - 1))
    users = data.draw(
        st.lists(st.integers(0, instance.num_users - 1), min_size=1, unique=True)
    )
    oracle = bruteforce.batch_end(instance, 0.0, previous, model, tuple(users), options)
    shared = timing.batch_time(
        instance, previous, model, np.array(users), options.bandwidth, reuse
    )
    assert oracle == pytest.approx(shared, rel=1e-12)


@given(channels=st.sampled_from([None, 2]), **_RANDOM_BATCHES)
def test_bruteforce_ends_are_the_evaluators_to_the_bit(seed, reuse, channels, data):
    """Tests that the oracle's batch ends equal the evaluator's exactly (==)."""
    # Equal floats, not approx: at an end within a rounding error of the rule's
    # edge, deadline (1 + 1e-9), a last-bit difference would flip the verdict.
    instance = tiny.generate(seed, "general", num_users=7)
    options = Options(reuse_blocks=reuse, bandwidth=Bandwidth(channels))
    order = data.draw(st.permutations(range(instance.num_users)))
    cuts = sorted(data.draw(st.sets(st.integers(1, len(order) - 1), max_size=3)))
    batches = []
    for users in np.split(np.array(order), cuts):  # split users of one model each
        for i in sorted({instance.user_model[k] for k in users}):
            batches.append(
                (int(i), [int(k) for k in users if instance.user_model[k] == i])
            )
    schedule = Schedule.from_indices(instance, batches, reuse, options.bandwidth)
    clock, last = 0.0, None
    timeline = evaluate(instance, schedule).timeline
    for (model, users), timed in zip(batches, timeline, strict=True):
        clock = bruteforce.batch_end(
            instance, clock, last, model, tuple(users), options
        )
        assert clock == timed.end_s
        last = model


def test_timing_feasibility_rule():
    """Tests meets and effective_deadline: relative 1e-9, on floats and arrays."""
    # 10 (1 + 1e-9) = 10 + 1e-8: an end 0.5e-8 late meets it, 2e-8 late does not.
    assert timing.effective_deadline(10.0) == pytest.approx(10.0 + 1e-8, rel=1e-15)
    assert timing.meets(10.0 + 0.5e-8, 10.0) and not timing.meets(10.0 + 2e-8, 10.0)
    ends = np.array([9.0, 10.0 + 0.5e-8, 10.0 + 2e-8])
    assert timing.meets(ends, np.full(3, 10.0)).tolist() == [True, True, False]


def test_num_slots_keeps_the_budget_inside_the_deadline():
    """Tests T = 70 for 0.7 s / 0.01 s (float 69.999...) and its budget meets T."""
    assert timing.num_slots(0.7, 0.01) == 70 and timing.num_slots(0.705, 0.01) == 70
    for deadline, slot in [(0.7, 0.01), (1.0, 0.1), (0.3, 0.1), (2.0, 0.7)]:
        slots = timing.num_slots(deadline, slot)
        assert timing.meets(float(timing.slot_budget(slot, slots)), deadline)
        assert not timing.meets(float(timing.slot_budget(slot, slots + 1)), deadline)


def test_fits_alone_two_models(two_models):
    """Tests the earliest end of each user alone after a cold load."""
    # u1: V(a, b) = 6 + 1 + 1.1 = 8.1; u2: 6 + 2 + 1.1 = 9.1; u3: V(a, c) = 8 + 3 + 0.7.
    ends = timing.alone_end_s(two_models, OPTIMAL)
    assert ends.tolist() == pytest.approx([8.1, 9.1, 11.7])
    late = dataclasses.replace(two_models, deadline_s=9.1)
    assert timing.fits_alone(late, OPTIMAL).tolist() == [True, True, False]
    # Two equal sub-channels double each upload: u1 ends 9.1, u2 11.1.
    assert timing.fits_alone(late, Bandwidth(2)).tolist() == [True, False, False]


# -- violations -----------------------------------------------------------------------


def test_user_twice_violates_3(two_models):
    """Tests (3): a user scheduled in two batches (or twice in one)."""
    ev = evaluate(two_models, schedule(("A", "u1"), ("A", "u1", "u2")))
    assert constraints(ev) == [("(3)", 2, "u1")]
    assert "first in batch 1" in str(ev.violations[0])
    ev = evaluate(two_models, schedule(("A", "u1", "u1")))
    assert constraints(ev) == [("(3)", 1, "u1")]


def test_wrong_model_violates_10d(two_models):
    """Tests (10d): u3 requests B but rides in a batch of A."""
    ev = evaluate(two_models, schedule(("A", "u1", "u3")))
    assert constraints(ev) == [("(10d)", 1, "u3")]
    assert str(ev.violations[0]) == (
        'batch 1, user u3: (10d) requests model "B", batch runs "A"'
    )


def test_batch_too_big_violates_10c():
    """Tests (10c): three users in a batch of A with max_batch 2."""
    instance = make_instance(users=(*make_instance().users, User("u4", "A", 1.0, 1.0)))
    ev = evaluate(instance, schedule(("A", "u1", "u2", "u4")))
    assert constraints(ev) == [("(10c)", 1, None)]
    assert "has 3 users, max_batch is 2" in str(ev.violations[0])


def test_more_users_than_subchannels_violates_5(two_models):
    """Tests (5): two users on one equal sub-channel."""
    ev = evaluate(two_models, schedule(("A", "u1", "u2"), bandwidth=Bandwidth(1)))
    assert constraints(ev) == [("(5)", 1, None)]


def test_common_deadline_violates_2():
    """Tests (2) with the common deadline: A{u1,u2} ends at 10.2 > 10 for both users."""
    ev = evaluate(make_instance(deadline_s=10.0), schedule(("A", "u1", "u2")))
    assert constraints(ev) == [("(2)", 1, "u1"), ("(2)", 1, "u2")]
    assert ev.served == 0
    assert "ends at 10.2 s, after the deadline 10 s" in str(ev.violations[0])


def test_per_user_deadline_violates_2():
    """Tests (2) with a per-user deadline: u3's batch ends at 19.9 s, after its 19 s."""
    users = list(make_instance().users)
    users[2] = dataclasses.replace(users[2], deadline_s=19.0)
    users[0] = dataclasses.replace(users[0], deadline_s=10.5)  # 10.2 <= 10.5: served
    instance = make_instance(users=tuple(users))
    ev = evaluate(instance, schedule(("A", "u1", "u2"), ("B", "u3")))
    assert constraints(ev) == [("(2)", 2, "u3")]
    assert ev.served == 2


def test_reference_errors_and_empty_batch(two_models):
    """Tests unknown model, unknown user and empty batch violations."""
    ev = evaluate(two_models, schedule(("Z", "u1"), ("A", "ghost", "u1"), ("B",)))
    assert constraints(ev) == [
        ("reference", 1, None),
        ("reference", 2, "ghost"),
        ("batch", 3, None),
    ]
    # The unknown-model batch has no timing; u1 is still counted once.
    assert len(ev.timeline) == 2 and ev.served == 1


def test_empty_schedule(two_models):
    """Tests that the empty schedule is feasible and serves nobody."""
    ev = evaluate(two_models, Schedule())
    assert ev.feasible and ev.served == 0 and ev.makespan_s == 0.0


def test_served_counts_only_on_time_users():
    """Tests served on an infeasible schedule: users before the deadline are counted."""
    instance = make_instance(deadline_s=15.0)
    ev = evaluate(instance, schedule(("A", "u1", "u2"), ("B", "u3")))
    # Batch 1 ends at 10.2 <= 15 (2 served); batch 2 at 19.9 > 15.
    assert ev.served == 2 and constraints(ev) == [("(2)", 2, "u3")]


# -- tolerance ----------------------------------------------------------------------


def test_ending_exactly_at_the_deadline_is_served(two_models):
    """Tests that a batch ending exactly at (or within 1e-9 of) its deadline serves."""
    end = evaluate(two_models, schedule(("A", "u1", "u2"))).makespan_s  # 10.2
    for deadline in (end, end * (1 - 1e-10), 10.2):
        ev = evaluate(make_instance(deadline_s=deadline), schedule(("A", "u1", "u2")))
        assert ev.feasible and ev.served == 2
    ev = evaluate(
        make_instance(deadline_s=end * (1 - 1e-7)), schedule(("A", "u1", "u2"))
    )
    assert not ev.feasible and ev.served == 0


# -- cost tables agree with the evaluator ----------------------------------------


def test_cost_table_two_models(two_models):
    """Tests c_A(n) by hand: c(1) = 1 + 0.1 + 1 = 2.1, c(2) = 3 + 0.2 + 1 = 4.2."""
    assert cost_table(two_models, 0, OPTIMAL).tolist() == pytest.approx([0.0, 2.1, 4.2])
    # Equal split r = 1 (b = 1): two batches, uploads 1*1 and 2*1, two betas.
    assert cost_table(two_models, 0, Bandwidth(1)).tolist() == pytest.approx(
        [0.0, 2.1, 1.0 + 2.0 + 0.2 + 2.0]
    )
    assert model_batches(two_models, 0, 0, Bandwidth(1)) == []
    assert model_batches(two_models, 0, 0, OPTIMAL) == []


@settings(max_examples=150)
@given(
    seed=st.integers(0, 10_000),
    channels=st.sampled_from([None, 1, 2, 3]),
)
def test_cost_table_matches_evaluator(seed, channels):
    """Tests c_i(n) = evaluated time of model_batches(i, n) minus the cold load."""
    instance = tiny.generate(seed, "general", num_users=6, num_models=2)
    bandwidth = Bandwidth(channels)
    for i in range(instance.num_models):
        table = cost_table(instance, i, bandwidth)
        assert len(table) == len(instance.users_of(i)) + 1
        for n in range(len(table)):
            batches = model_batches(instance, i, n, bandwidth)
            assert sum(map(len, batches)) == n and all(len(b) for b in batches)
            ev = evaluate(
                instance,
                Schedule.from_indices(
                    instance, [(i, b) for b in batches], bandwidth=bandwidth
                ),
            )
            load = ev.timeline[0].load_s if ev.timeline else 0.0
            assert ev.makespan_s - load == pytest.approx(table[n], rel=1e-9, abs=1e-12)


# -- schedule files ----------------------------------------------------------------


def doc(*batches, **top) -> dict:
    """Return a minimal schedule document with ``batches`` as (model, users) pairs."""
    return {
        "format": "partialloading/schedule@1",
        "batches": [{"model": m, "users": list(u)} for m, *u in batches],
        **top,
    }


def test_schedule_from_dict_minimal():
    """Tests that only batches[].model/users are needed; reuse defaults to true."""
    parsed = schedule_from_dict(doc(("A", "u1", "u2"), ("B", "u3")))
    assert parsed == schedule(("A", "u1", "u2"), ("B", "u3"))
    assert parsed.reuse_blocks is True and parsed.bandwidth == OPTIMAL
    parsed = schedule_from_dict(
        doc(("A", "u1"), reuse_blocks=False, bandwidth="equal:4")
    )
    assert parsed.reuse_blocks is False and parsed.bandwidth == Bandwidth(4)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], "expected an object, got list"),
        ({"batches": []}, "format: missing field"),
        (doc(format="partialloading/instance@1"), "format: expected"),
        ({"format": "partialloading/schedule@1"}, "batches: missing field"),
        (doc(extra=1), "extra: unknown field"),
        ({**doc(), "batches": {}}, "batches: expected a list, got dict"),
        ({**doc(), "batches": [{"model": "A"}]}, "batches[0].users: missing field"),
        (
            {**doc(), "batches": [{"model": "A", "users": [], "x": 1}]},
            "batches[0].x: unknown",
        ),
        (doc(("A", "u1"), (3, "u2")), "batches[1].model: expected a string"),
        (doc(("A", "u1", 7)), "batches[0].users[1]: expected a string, got 7"),
        (
            {**doc(), "batches": [{"model": "A", "users": "u1"}]},
            "batches[0].users: expected a list",
        ),
        (doc(reuse_blocks="yes"), "reuse_blocks: expected true or false"),
        (doc(bandwidth="equal:0"), "bandwidth: expected"),
        (doc(bandwidth=3), "bandwidth: expected"),
    ],
)
def test_schedule_from_dict_errors(document, message):
    """Tests that every malformed schedule document is refused with its path."""
    with pytest.raises(InputError) as info:
        schedule_from_dict(document)
    assert str(info.value).startswith(message)


def test_written_schedule_verifies(tmp_path, two_models):
    """Tests schedule_to_dict -> file -> verify_file: no problems, same timeline."""
    sched = schedule(("A", "u1", "u2"), ("B", "u3"))
    ev = evaluate(two_models, sched)
    path = tmp_path / "s.json"
    write_json(
        path,
        schedule_to_dict(
            two_models, sched, ev, method="hand", status="feasible", bound=3
        ),
    )
    again, problems = verify_file(two_models, str(path))
    assert problems == [] and again == ev
    assert json.loads(path.read_text())["batches"][1]["end_s"] == pytest.approx(19.9)


def test_verify_refuses_other_instance(tmp_path, two_models):
    """Tests that a schedule naming another instance is bad input."""
    path = tmp_path / "s.json"
    write_json(path, doc(("A", "u1"), instance="elsewhere"))
    with pytest.raises(InputError, match='instance: schedule is for "elsewhere"'):
        verify_file(two_models, str(path))


def stated(two_models, document) -> list[str]:
    """Return the stated-figure problems of ``document`` as strings."""
    ev = evaluate(two_models, schedule_from_dict(document))
    return [str(v) for v in stated_mismatches(document, ev)]


def test_stated_served_and_bound_mismatch(two_models):
    """Tests that a wrong ``served`` and a ``bound`` below served are reported."""
    document = doc(("A", "u1", "u2"), ("B", "u3"), served=2, bound=2)
    assert stated(two_models, document) == [
        "stated served is 2, recomputed 3",
        "stated bound is 2, below the 3 served",
    ]
    assert stated(two_models, {**document, "served": 3, "bound": 3}) == []
    assert stated(two_models, {**document, "served": True, "bound": None}) == [
        "stated served is True, recomputed 3"
    ]


def test_stated_end_mismatch(two_models):
    """Tests that a stated end_s that disagrees (19.9 s recomputed) is reported."""
    document = doc(("A", "u1", "u2"), ("B", "u3"))
    document["batches"][0]["end_s"] = 10.2  # right
    document["batches"][1]["end_s"] = 19.0  # wrong: 19.9
    assert stated(two_models, document) == [
        "batch 2: stated end_s is 19.0, recomputed 19.9"
    ]
    document["batches"][1]["end_s"] = "19.9"
    assert len(stated(two_models, document)) == 1


def test_stated_bandwidth_share(two_models):
    """Tests stated shares (eq. 12: 1/3, 2/3): wrong, outside [0,1], over 1, length."""
    document = doc(("A", "u1", "u2"))
    cases = [
        ([1 / 3, 2 / 3], []),
        (
            [0.5, 0.5],
            ["batch 1: stated bandwidth_share differs from the eq. (12) split"],
        ),
        ([-0.1, 1.0], ["batch 1: (10g) a bandwidth share is outside [0, 1]"]),
        ([0.6, 0.6], ["batch 1: (5) bandwidth shares sum to 1.2"]),
        ([1.0], ["batch 1: stated bandwidth_share needs one share per user"]),
    ]
    for share, expected in cases:
        document["batches"][0]["bandwidth_share"] = share
        assert stated(two_models, document) == expected


def test_stated_after_unknown_model_not_misaligned(two_models):
    """Tests that stated timings are not compared against the wrong batch."""
    document = doc(("Z", "u1"), ("B", "u3"))
    document["batches"][1]["end_s"] = (
        3 + 8 + 0.7
    )  # right for batch 2 as the first timing
    ev = evaluate(two_models, schedule_from_dict(document))
    assert stated_mismatches(document, ev) == []
    assert not ev.feasible  # the reference violation is what reports the problem


# -- the registry judges every result -----------------------------------------------


@pytest.fixture
def fake_method(monkeypatch):
    """Return a registrar of a method named "fake" whose solve returns ``outcome``."""
    import sys
    import types

    from solvers import registry

    def register(outcome, refuse=None):
        module = types.ModuleType("fake_method_for_tests")
        module.supports = lambda instance, options: refuse
        module.solve = lambda instance, options: outcome
        monkeypatch.setitem(sys.modules, module.__name__, module)
        spec = registry.MethodSpec(module.__name__, "test double", False)
        monkeypatch.setitem(registry.METHODS, "fake", spec)
        return registry

    return register


def test_registry_result_recomputed(two_models, fake_method):
    """Tests that run() returns the evaluator's served count and the method's bound."""
    from solvers.result import Outcome, Status

    sched = schedule(("A", "u1", "u2"), ("B", "u3"))
    registry = fake_method(Outcome(sched, Status.FEASIBLE, bound=3))
    result = registry.run("fake", two_models)
    assert (result.served, result.bound, result.gap) == (3, 3, 0.0)
    assert result.evaluation == evaluate(two_models, sched)
    # Optimal without a bound: the bound is the served count.
    registry = fake_method(Outcome(schedule(("A", "u1")), Status.OPTIMAL))
    assert registry.run("fake", two_models).bound == 1


@pytest.mark.parametrize(
    ("batches", "claim", "message"),
    [
        # B{u3} alone ends at 3 + 8 + 0.7 = 11.7 > 10: infeasible.
        ((("B", "u3"),), {}, "returned an infeasible schedule"),
        ((("A", "u1"),), {"bound": 0}, "serves 1 users above its bound 0"),
        (
            (("A", "u1"),),
            {"status": "optimal", "bound": 2},
            "claims optimal with bound 2",
        ),
        ((("A", "u1"),), {"reuse": False}, "other reuse/bandwidth settings"),
    ],
)
def test_registry_catches_bugs(fake_method, batches, claim, message):
    """Tests SolverBug on an infeasible schedule, a false bound, a false optimum."""
    from solvers.registry import SolverBug
    from solvers.result import Outcome, Status

    sched = schedule(*batches, reuse=claim.get("reuse", True))
    status = Status(claim.get("status", "feasible"))
    registry = fake_method(Outcome(sched, status, bound=claim.get("bound")))
    with pytest.raises(SolverBug, match=message):
        registry.run("fake", make_instance(deadline_s=10.0))


def test_registry_refusal(two_models, fake_method):
    """Tests that a method's refusal reason becomes Unsupported("name: reason")."""
    from solvers.registry import Unsupported
    from solvers.result import Outcome, Status

    registry = fake_method(Outcome(Schedule(), Status.FEASIBLE), refuse="too large")
    with pytest.raises(Unsupported, match=r"^fake: too large$"):
        registry.run("fake", two_models)
