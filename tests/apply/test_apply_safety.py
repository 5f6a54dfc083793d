from __future__ import annotations

from dataclasses import replace

from engine_fakes import FakeStore, plan_for, res

from provisioner.apply import Thresholds, check_safety
from provisioner.model import Resource


def managed(count: int) -> FakeStore:
    store = FakeStore()
    for i in range(count):
        store.put(f"iot.devices.d{i}", "devices", {"n": i})
    return store


def test_deletes_above_the_share_need_force() -> None:
    store = managed(10)
    keep = [res(f"iot.devices.d{i}", "devices", n=i) for i in range(6)]
    plan = plan_for(store, keep)  # 4 of 10 deleted: 40% > 30%
    [violation] = check_safety(plan)
    assert violation.rule == "too-many-deleted"
    assert violation.override == "--force"
    assert "iot: 4 of 10 managed objects would be deleted (40% > 30%)" in violation.message
    assert check_safety(plan, force=True) == []
    assert check_safety(plan, thresholds=Thresholds(delete_share=0.5)) == []


def test_exactly_the_share_and_small_stacks_pass() -> None:
    store = managed(10)
    plan = plan_for(store, [res(f"iot.devices.d{i}", "devices", n=i) for i in range(7)])  # 30%
    assert check_safety(plan) == []
    small = managed(9)
    assert check_safety(plan_for(small, [])) == []


def test_updates_and_replaces_count_together() -> None:
    store = managed(10)
    desired = [res(f"iot.devices.d{i}", "devices", n=i + (100 if i < 4 else 0)) for i in range(10)]
    [violation] = check_safety(plan_for(store, desired))
    assert violation.rule == "too-many-updated"
    assert len(violation.addresses) == 4


def test_protected_resources_are_refused_even_with_force() -> None:
    store = FakeStore()
    store.put("hub.asset_types.T", "asset_types", {"parent": "a"})
    plan = plan_for(store, [Resource("hub.asset_types.T", "asset_types", {"parent": "b"}, protect=True)])
    [violation] = check_safety(plan, force=True, allow_data_loss=True)
    assert violation.rule == "protected"
    assert violation.override is None
    assert violation.addresses == ("hub.asset_types.T",)


def test_data_loss_needs_its_own_flag() -> None:
    store = FakeStore()
    store.put("iot.sensors.s", "sensors", {})
    plan = plan_for(store, [])
    [violation] = check_safety(plan, force=True)
    assert (violation.rule, violation.override, violation.addresses) == (
        "data-loss", "--allow-data-loss", ("iot.sensors.s",))
    assert check_safety(plan, allow_data_loss=True) == []


def test_adoptions_without_field_changes_do_not_count_as_updates() -> None:
    store = FakeStore()
    for i in range(10):
        store.put(f"iot.devices.d{i}", "devices", {"n": i}, marked=i >= 5)  # 5 imported, unmarked
    desired = [res(f"iot.devices.d{i}", "devices", n=i) for i in range(10)]
    assert check_safety(plan_for(store, desired)) == []
    desired[0] = res("iot.devices.d0", "devices", n=100)  # a real change on top of the adoptions
    desired[1] = res("iot.devices.d1", "devices", n=101)
    desired[2] = res("iot.devices.d2", "devices", n=102)
    desired[3] = res("iot.devices.d3", "devices", n=103)
    [violation] = check_safety(plan_for(store, desired))
    assert violation.addresses == ("iot.devices.d0", "iot.devices.d1", "iot.devices.d2", "iot.devices.d3")


def test_the_gate_decides_from_typed_fields_not_from_reason_text() -> None:
    store = managed(10)
    for i in range(4):
        store.objects[f"iot.devices.d{i}"].marked = False
    plan = plan_for(store, [res(f"iot.devices.d{i}", "devices", n=i) for i in range(10)])
    assert sum(c.adopt for c in plan.changes) == 4
    assert check_safety(plan) == []  # field-less adoptions are not updates
    # the same text without the typed flag is an ordinary update: the text decides nothing
    retyped = replace(plan, changes=tuple(replace(c, adopt=False) for c in plan.changes))
    [violation] = check_safety(retyped)
    assert violation.rule == "too-many-updated"
    # and a protected flag refuses a delete whatever its reasons say
    store2 = FakeStore()
    store2.put("iot.devices.p", "devices", {})
    deleting = plan_for(store2, [])
    assert check_safety(deleting, force=True) == []
    flagged = replace(deleting, changes=tuple(replace(c, protected=True) for c in deleting.changes))
    [refused] = check_safety(flagged, force=True)
    assert (refused.rule, refused.addresses) == ("protected", ("iot.devices.p",))
