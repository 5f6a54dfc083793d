"""Performance fixes keep behaviour: fast paths agree with the slow paths they skip."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from provisioner.plan.diff import certainly_same, deep_diff, diff_attrs, same_attrs

leaves = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=True, width=32),
                   st.sampled_from(["", "a", "b"]))
values = st.recursive(leaves, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                      st.dictionaries(st.sampled_from("xyz"), inner,
                                                                      max_size=3)), max_leaves=8)
attrs = st.dictionaries(st.sampled_from(["a", "b", "c"]), values, max_size=3)


_slow = deep_diff


@settings(max_examples=300, deadline=None)
@given(attrs, attrs)
def test_same_attrs_implies_no_deepdiff_difference(before: dict[str, Any], after: dict[str, Any]) -> None:
    if same_attrs(before, after):
        assert _slow(before, after) == ()
    if certainly_same(before, after):
        assert _slow(before, after) == ()
    assert diff_attrs(before, after) == _slow(before, after)


@settings(max_examples=300, deadline=None)
@given(attrs)
def test_shared_values_take_the_canonical_json_path_safely(value: dict[str, Any]) -> None:
    """The same objects on both sides (NaN included, which equals itself only by identity)."""
    other = dict(value)
    assert certainly_same(value, other)
    assert _slow(value, other) == ()


@settings(max_examples=100, deadline=None)
@given(attrs)
def test_equal_copies_take_the_fast_path(value: dict[str, Any]) -> None:
    copy = json.loads(json.dumps(value))
    assert diff_attrs(value, copy) == _slow(value, copy)


def test_same_attrs_is_strict_about_bools_sequences_and_nan() -> None:
    assert same_attrs({"a": 1, "b": [1.5, {"c": None}]}, {"a": 1.0, "b": [1.5, {"c": None}]})
    assert not same_attrs({"a": True}, {"a": 1})
    assert not same_attrs({"a": [1]}, {"a": (1,)})
    assert not same_attrs({"a": float("nan")}, {"a": float("nan")})
    assert not same_attrs({"a": 1}, {"a": 1, "b": None})
    assert diff_attrs({"a": 1}, {"a": 1.0}) == ()


def test_canonical_json_check_leaves_every_doubtful_pair_to_the_walk() -> None:
    assert not certainly_same({"a": True}, {"a": 1})
    assert not certainly_same({"a": [1]}, {"a": (1,)})
    assert not certainly_same({"a": float("nan")}, {"a": None})
    assert not certainly_same({"a": 2**70}, {"a": 2**70 + 1})
    assert certainly_same({"a": 2**70}, {"a": 2**70})  # orjson refuses it: the walk decides
    assert certainly_same({"b": 1, "a": [0.5]}, {"a": [0.5], "b": 1.0})


async def test_list_pages_after_the_first_are_fetched_together_and_kept_in_order() -> None:
    import asyncio

    from provisioner.providers.insights_hub.client_paging import hal_items, spring_items

    in_flight, peak, fetched = 0, 0, []

    async def hal(number: int) -> dict[str, Any]:
        nonlocal in_flight, peak
        fetched.append(number)
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.001 * (5 - number))  # later pages answer first
        in_flight -= 1
        return {"_embedded": {"x": [{"n": number}]}, "page": {"totalPages": 5, "size": 1}}

    items = await hal_items(hal, "x", 1)
    assert [i["n"] for i in items] == [0, 1, 2, 3, 4]
    assert sorted(fetched) == [0, 1, 2, 3, 4] and peak == 4

    async def spring(number: int) -> dict[str, Any]:
        await asyncio.sleep(0.001 * (3 - number))
        return {"content": [{"n": number}], "last": number == 2, "totalPages": 3}

    assert [i["n"] for i in await spring_items(spring, "y", 1)] == [0, 1, 2]


async def test_a_node_waiting_for_its_platform_holds_no_overall_slot() -> None:
    from engine_fakes import FakeStore, plan_for, providers_for, res

    from provisioner.apply import execute
    from provisioner.model import ApplyContext

    store = FakeStore()
    desired = [res(f"hub.assets.a{i:02d}", "assets") for i in range(20)]
    # ready only once a00 is done, when the other hub nodes are already queued
    desired += [res(f"iot.devices.d{i}", "devices", ["hub.assets.a00"]) for i in range(4)]
    plan = plan_for(store, desired)
    report = await execute(plan, providers_for(store, delay=0.02), parallelism=3,
                           per_platform_limits={"hub": 1}, ctx=ApplyContext())
    assert report.ok and len(report.applied) == 24
    start = min(t for _, _, _, t in store.events)
    iot_done = max(t for kind, _, a, t in store.events if kind == "end" and a.startswith("iot."))
    hub_done = max(t for kind, _, a, t in store.events if kind == "end" and a.startswith("hub."))
    # hub runs one at a time (20 x 20 ms); iot uses the 2 other overall slots from the start
    assert iot_done - start < (hub_done - start) / 2
