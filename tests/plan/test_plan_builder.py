from __future__ import annotations

import pytest
from engine_fakes import HUB_KINDS, FakeProvider, FakeStore, kind, plan_for, res

from provisioner.errors import ProvisionError
from provisioner.model import Action, FieldChange, Resource
from provisioner.plan import build_plan
from provisioner.plan.builder import ADOPT_REASON, PROTECT_REASON, replace_reasons


def actions(plan: object) -> dict[str, Action]:
    return {c.address: c.action for c in plan.changes}  # type: ignore[attr-defined]


def by_address(plan: object, address: str) -> object:
    return next(c for c in plan.changes if c.address == address)  # type: ignore[attr-defined]


def test_create_update_delete_and_unchanged(store: FakeStore) -> None:
    store.put("hub.assets.same", "assets", {"name": "same"})
    store.put("hub.assets.edit", "assets", {"name": "old"})
    gone = store.put("hub.assets.gone", "assets", {"name": "gone"})
    desired = [
        res("hub.assets.same", "assets", name="same"),
        res("hub.assets.edit", "assets", name="new"),
        res("hub.assets.new", "assets", name="new"),
    ]
    plan = plan_for(store, desired)
    assert actions(plan) == {
        "hub.assets.gone": Action.DELETE,
        "hub.assets.edit": Action.UPDATE,
        "hub.assets.new": Action.CREATE,
    }
    assert plan.unchanged == 1
    assert plan.managed == {"hub": 3, "iot": 0}
    edit = by_address(plan, "hub.assets.edit")
    assert edit.fields == (FieldChange("name", "old", "new"),)  # type: ignore[attr-defined]
    delete = by_address(plan, "hub.assets.gone")
    assert delete.server_id == gone.server_id  # type: ignore[attr-defined]
    assert delete.precondition == gone.etag  # type: ignore[attr-defined]
    assert delete.data_destructive  # type: ignore[attr-defined]
    assert not by_address(plan, "hub.assets.edit").data_destructive  # type: ignore[attr-defined]


def test_no_changes_when_equal(store: FakeStore) -> None:
    store.put("hub.assets.a", "assets", {"name": "a", "n": 1})
    plan = plan_for(store, [res("hub.assets.a", "assets", name="a", n=1.0)])
    assert not plan.has_changes
    assert plan.unchanged == 1


def test_adopted_object_gets_an_update_even_when_attrs_equal(store: FakeStore) -> None:
    store.put("hub.assets.a", "assets", {"name": "a"}, marked=False)
    plan = plan_for(store, [res("hub.assets.a", "assets", name="a")])
    change = by_address(plan, "hub.assets.a")
    assert change.action is Action.UPDATE  # type: ignore[attr-defined]
    assert change.adopt  # type: ignore[attr-defined]
    assert change.reasons == (ADOPT_REASON,)  # type: ignore[attr-defined]
    assert change.fields == ()  # type: ignore[attr-defined]


def test_only_an_adopted_object_is_typed_adopt(store: FakeStore) -> None:
    store.put("hub.assets.a", "assets", {"name": "a"}, marked=False)
    store.put("hub.assets.b", "assets", {"name": "b"})
    desired = [res("hub.assets.a", "assets", name="a2"), res("hub.assets.b", "assets", name="b2"),
               res("hub.assets.c", "assets", name="c")]
    plan = plan_for(store, desired)
    assert {c.address: c.adopt for c in plan.changes} == {
        "hub.assets.a": True, "hub.assets.b": False, "hub.assets.c": False}


def test_an_adoption_forced_into_a_replace_stays_typed_adopt(store: FakeStore) -> None:
    store.put("hub.asset_types.T", "asset_types", {"parent": "a"})
    store.put("hub.assets.x", "assets", {"name": "x"}, ["hub.asset_types.T"], marked=False)
    plan = plan_for(store, [res("hub.asset_types.T", "asset_types", parent="b"),
                            res("hub.assets.x", "assets", ["hub.asset_types.T"], name="y")])
    change = by_address(plan, "hub.assets.x")
    assert change.action is Action.REPLACE  # type: ignore[attr-defined]
    assert change.adopt  # type: ignore[attr-defined]


def test_replace_names_the_forcing_field_and_propagates_to_dependents(store: FakeStore) -> None:
    store.put("hub.aspect_types.Env", "aspect_types", {"variables": {"Temperature": {"type": "DOUBLE"}}})
    store.put("hub.asset_types.Engine", "asset_types", {"aspects": ["Env"]}, ["hub.aspect_types.Env"])
    store.put("hub.assets.motor", "assets", {"name": "m"}, ["hub.asset_types.Engine"])
    store.put("hub.assets.other", "assets", {"name": "o"})
    desired = [
        res("hub.aspect_types.Env", "aspect_types", variables={"Temperature": {"type": "INT"}}),
        res("hub.asset_types.Engine", "asset_types", ["hub.aspect_types.Env"], aspects=["Env"]),
        res("hub.assets.motor", "assets", ["hub.asset_types.Engine"], name="m"),
        res("hub.assets.other", "assets", name="o"),
    ]
    plan = plan_for(store, desired)
    assert actions(plan) == {
        "hub.aspect_types.Env": Action.REPLACE,
        "hub.asset_types.Engine": Action.REPLACE,
        "hub.assets.motor": Action.REPLACE,
    }
    env = by_address(plan, "hub.aspect_types.Env")
    assert env.reasons == ("type changed (variables.Temperature.type) forces replacement",)  # type: ignore[attr-defined]
    assert not env.data_destructive  # type: ignore[attr-defined]
    engine = by_address(plan, "hub.asset_types.Engine")
    assert engine.reasons == ("replaced because hub.aspect_types.Env is replaced",)  # type: ignore[attr-defined]
    motor = by_address(plan, "hub.assets.motor")
    assert motor.reasons == ("replaced because hub.asset_types.Engine is replaced",)  # type: ignore[attr-defined]
    assert motor.data_destructive  # type: ignore[attr-defined]
    assert plan.unchanged == 1


def test_replace_field_at_top_level(store: FakeStore) -> None:
    store.put("hub.asset_types.T", "asset_types", {"parent": "core.basicasset", "d": "x"})
    plan = plan_for(store, [res("hub.asset_types.T", "asset_types", parent="core.basicsite", d="x")])
    change = by_address(plan, "hub.asset_types.T")
    assert change.action is Action.REPLACE  # type: ignore[attr-defined]
    assert change.reasons == ("parent changed (parent) forces replacement",)  # type: ignore[attr-defined]


def test_delete_of_a_parent_replaces_a_desired_live_dependent_and_deletes_undesired(store: FakeStore) -> None:
    store.put("hub.assets.plant", "assets", {"name": "p"})
    store.put("hub.assets.kept", "assets", {"name": "k"}, ["hub.assets.plant"])
    store.put("hub.assets.moved", "assets", {"name": "m", "parent": "plant"}, ["hub.assets.plant"])
    store.put("hub.assets.orphan", "assets", {"name": "o"}, ["hub.assets.plant"])
    desired = [
        res("hub.assets.kept", "assets", name="k"),
        res("hub.assets.moved", "assets", name="m", parent="root"),
    ]
    plan = plan_for(store, desired)
    assert actions(plan) == {
        "hub.assets.plant": Action.DELETE,
        "hub.assets.orphan": Action.DELETE,
        "hub.assets.kept": Action.REPLACE,
        "hub.assets.moved": Action.UPDATE,
    }
    kept = by_address(plan, "hub.assets.kept")
    assert kept.reasons == ("replaced because hub.assets.plant is deleted",)  # type: ignore[attr-defined]
    assert plan.live_depends_on["hub.assets.moved"] == ("hub.assets.plant",)


def test_protected_resource_replace_is_kept_but_flagged(store: FakeStore) -> None:
    store.put("hub.asset_types.T", "asset_types", {"parent": "a"})
    store.put("hub.assets.x", "assets", {"name": "x"})
    desired = [
        Resource("hub.asset_types.T", "asset_types", {"parent": "b"}, protect=True),
        Resource("hub.assets.x", "assets", {"name": "y"}, protect=True),
    ]
    plan = plan_for(store, desired)
    assert plan.protected == frozenset({"hub.asset_types.T"})
    assert by_address(plan, "hub.asset_types.T").protected  # type: ignore[attr-defined]
    assert not by_address(plan, "hub.assets.x").protected  # type: ignore[attr-defined]
    # the text for people goes with it
    assert PROTECT_REASON in by_address(plan, "hub.asset_types.T").reasons  # type: ignore[attr-defined]
    assert PROTECT_REASON not in by_address(plan, "hub.assets.x").reasons  # type: ignore[attr-defined]


def test_target_and_exclude(store: FakeStore) -> None:
    desired = [res("hub.assets.a", "assets"), res("hub.assets.b", "assets"), res("iot.devices.d", "devices")]
    assert set(actions(plan_for(store, desired, targets=["hub"]))) == {"hub.assets.a", "hub.assets.b"}
    plan = plan_for(store, desired, excludes=["hub.assets.b"])
    assert set(actions(plan)) == {"hub.assets.a", "iot.devices.d"}
    assert plan.warnings == ("partial plan: 1 change(s) outside --target/--exclude are not included",)


def test_targeting_a_create_whose_new_dependency_is_not_targeted_is_an_error(store: FakeStore) -> None:
    desired = [res("hub.assets.plant", "assets"), res("hub.assets.m", "assets", ["hub.assets.plant"])]
    expected = r"hub.assets.m depends on hub.assets.plant.*--target hub.assets.plant"
    with pytest.raises(ProvisionError, match=expected):
        plan_for(store, desired, targets=["hub.assets.m"])
    store.put("hub.assets.plant", "assets", {})
    assert set(actions(plan_for(store, desired, targets=["hub.assets.m"]))) == {"hub.assets.m"}


def test_excluding_a_forced_dependent_is_an_error(store: FakeStore) -> None:
    store.put("hub.asset_types.T", "asset_types", {"parent": "a"})
    store.put("hub.assets.x", "assets", {}, ["hub.asset_types.T"])
    desired = [res("hub.asset_types.T", "asset_types", parent="b"),
               res("hub.assets.x", "assets", ["hub.asset_types.T"])]
    with pytest.raises(ProvisionError, match=r"hub.assets.x must be replaced with it"):
        plan_for(store, desired, excludes=["hub.assets.x"])


def test_annotate_is_called_per_platform_and_its_side_effects_kept(store: FakeStore) -> None:
    hub = FakeProvider("hub", HUB_KINDS, store, side_effects={"hub.assets.a": "mappings re-created"})
    plan = build_plan([res("hub.assets.a", "assets")], {"hub": hub.live_state()}, {"hub": hub})
    assert plan.changes[0].side_effects == ("mappings re-created",)
    assert [c.address for c in hub.annotated] == ["hub.assets.a"]


def test_unknown_kind_and_duplicate_addresses_are_errors(store: FakeStore) -> None:
    with pytest.raises(ProvisionError, match="declares no kind 'nope'"):
        plan_for(store, [res("hub.x.y", "nope")])
    with pytest.raises(ProvisionError, match="no provider for platform 'zzz'"):
        plan_for(store, [res("zzz.x.y", "assets")])
    with pytest.raises(ProvisionError, match="more than once"):
        plan_for(store, [res("hub.assets.a", "assets"), res("hub.assets.a", "assets")])


def test_changes_are_in_dependency_order_with_rank_tiebreak(store: FakeStore) -> None:
    store.put("hub.assets.old-site", "assets", {})
    store.put("hub.mappings.old-map", "mappings", {}, ["hub.assets.old-site"])
    desired = [
        res("hub.mappings.m", "mappings", ["hub.assets.b"]),
        res("hub.assets.b", "assets", ["hub.asset_types.T"]),
        res("hub.assets.a", "assets"),
        res("hub.asset_types.T", "asset_types"),
    ]
    plan = plan_for(store, desired)
    assert [c.address for c in plan.changes] == [
        "hub.mappings.old-map",
        "hub.assets.old-site",
        "hub.asset_types.T",
        "hub.assets.a",
        "hub.assets.b",
        "hub.mappings.m",
    ]
    assert plan.estimate.calls_by_platform == {"hub": 2 + 1 + 2 + 2 + 1}


def test_replace_reason_uses_the_vendor_field_name() -> None:
    spec = kind("aspect_types", "hub", 0, replace_paths=("variables.*.type",),
                vendor_names=(("type", "dataType"),))
    reasons = replace_reasons((FieldChange("variables.Temperature.type", "INT", "DOUBLE"),), spec)
    assert reasons == ("dataType changed (variables.Temperature.type) forces replacement",)


def test_a_providers_unchanged_note_counts_only_for_the_very_objects_it_names(store: FakeStore) -> None:
    from engine_fakes import providers_for

    from provisioner.plan.diff import note_unchanged_steps
    from provisioner.providers.cooperative import run_all

    store.put("hub.assets.a", "assets", {"name": "a"})
    store.put("hub.assets.b", "assets", {"name": "live b"})
    desired = [res("hub.assets.a", "assets", name="a"), res("hub.assets.b", "assets", name="b")]
    providers = providers_for(store)
    live = {name: p.live_state() for name, p in providers.items()}
    hub = live["hub"]
    run_all(note_unchanged_steps(hub, {r.address: r for r in desired}, list(hub.managed)))
    assert set(hub.unchanged) == {"hub.assets.a"}  # only the pair that is equal is noted
    assert actions(build_plan(desired, live, providers)) == {"hub.assets.b": Action.UPDATE}
    # A note is trusted for exactly the objects it names (here, wrongly, b's pair) ...
    hub.unchanged["hub.assets.b"] = (hub.managed["hub.assets.b"].attrs, desired[1].attrs)
    assert not build_plan(desired, live, providers).has_changes
    # ... and ignored once either side is another object, even an equal one.
    stale = [res("hub.assets.a", "assets", name="a"), res("hub.assets.b", "assets", name="b")]
    plan = build_plan(stale, live, providers)
    assert actions(plan) == {"hub.assets.b": Action.UPDATE} and plan.unchanged == 1


def test_an_unchanged_object_of_an_undeclared_kind_is_still_an_error(store: FakeStore) -> None:
    store.put("hub.gadgets.a", "gadgets", {"name": "a"})
    with pytest.raises(ProvisionError, match="declares no kind 'gadgets'"):
        plan_for(store, [res("hub.gadgets.a", "gadgets", name="a")])
