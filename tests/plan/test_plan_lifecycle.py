"""`ignore_changes` keeps live values at dotted paths; prevent_destroy (desired or live) marks
destructive changes; `moved_from` on a live object plans an update even without field changes."""

from __future__ import annotations

from engine_fakes import FakeStore, plan_for

from provisioner.model import Action, Resource
from provisioner.plan.builder import keep_ignored


def test_keep_ignored_takes_live_values_and_drops_what_live_lacks() -> None:
    desired = {"name": "n", "description": "mine", "location": {"city": "A", "zip": "1"}, "tags": {"a": 1}}
    live = {"name": "n", "description": "theirs", "location": {"city": "B"}}
    kept = keep_ignored(desired, live, ["description", "location.zip", "location.city", "tags.a", "nope.x"])
    assert kept == {"name": "n", "description": "theirs", "location": {"city": "B"}, "tags": {}}
    assert desired["description"] == "mine"  # the desired attrs are not changed in place


def test_an_ignored_path_never_plans_an_update() -> None:
    store = FakeStore()
    store.put("iot.devices.d", "devices", {"n": 1, "note": "edited by an operator"})
    plan = plan_for(store, [Resource("iot.devices.d", "devices", {"n": 1, "note": "from config"},
                                     ignore_changes=("note",))])
    assert not plan.has_changes
    plan = plan_for(store, [Resource("iot.devices.d", "devices", {"n": 2, "note": "from config"},
                                     ignore_changes=("note",))])
    [change] = plan.changes
    assert change.after == {"n": 2, "note": "edited by an operator"}


def test_prevent_destroy_in_the_configuration_marks_a_replace() -> None:
    store = FakeStore()
    store.put("hub.asset_types.T", "asset_types", {"parent": "a"})
    kept = Resource("hub.asset_types.T", "asset_types", {"parent": "b"}, prevent_destroy=True)
    plan = plan_for(store, [kept])
    [change] = plan.changes
    assert change.action is Action.REPLACE and change.prevent_destroy
    assert any("lifecycle.prevent_destroy" in reason for reason in change.reasons)
    updated = plan_for(store, [Resource("hub.asset_types.T", "asset_types", {"parent": "a", "x": 1},
                                        prevent_destroy=True)])
    assert not any(c.prevent_destroy for c in updated.changes)


def test_external_resources_are_never_planned() -> None:
    store = FakeStore()
    plan = plan_for(store, [Resource("hub.asset_types.T", "asset_types", {"parent": "a"}, external=True)])
    assert not plan.has_changes
