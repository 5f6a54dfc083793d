"""The gate's rules for prevent_destroy, lost markers (duplicates) and unmanaged children: each
refuses from its typed field alone, and only its own flag lifts it."""

from __future__ import annotations

from provisioner.apply import check_safety
from provisioner.model import Action, Change
from provisioner.plan import Plan


def change(action: Action, address: str, **typed: object) -> Change:
    before = None if action is Action.CREATE else {"name": "x"}
    after = None if action is Action.DELETE else {"name": "x"}
    return Change(action, address, "hub.assets", before, after, server_id="id-1", **typed)  # type: ignore[arg-type]


def rules(plan: Plan, **flags: object) -> set[str]:
    return {v.rule for v in check_safety(plan, **flags)}  # type: ignore[arg-type]


def test_prevent_destroy_is_lifted_only_for_the_named_address() -> None:
    plan = Plan(changes=(change(Action.DELETE, "hub.assets.a", prevent_destroy=True),
                         change(Action.REPLACE, "hub.assets.b", prevent_destroy=True)))
    [violation] = check_safety(plan)
    assert (violation.rule, violation.override, violation.addresses) == (
        "prevent-destroy", "--allow-destroy", ("hub.assets.a", "hub.assets.b"))
    assert "--allow-destroy hub.assets.a --allow-destroy hub.assets.b" in violation.message
    [still] = check_safety(plan, allow_destroy=("hub.assets.a",))
    assert still.addresses == ("hub.assets.b",)
    assert check_safety(plan, allow_destroy=("hub.assets.a", "hub.assets.b")) == []
    assert rules(plan, force=True, allow_data_loss=True, allow_duplicate_names=True) == {"prevent-destroy"}


def test_an_update_with_prevent_destroy_is_not_refused() -> None:
    assert check_safety(Plan(changes=(change(Action.UPDATE, "hub.assets.a", prevent_destroy=True),))) == []


def test_a_create_duplicating_an_unmanaged_object_names_its_id_and_the_fix() -> None:
    plan = Plan(changes=(change(Action.CREATE, "hub.assets.a", duplicate_of="f" * 32),))
    [violation] = check_safety(plan)
    assert violation.rule == "duplicate-name" and violation.override == "--allow-duplicate-names"
    assert f"hub.assets.a: existing object {'f' * 32} (add `id: {'f' * 32}`)" in violation.message
    assert "provision import" in violation.message
    assert check_safety(plan, allow_duplicate_names=True) == []


def test_a_delete_taking_unmanaged_children_lists_them() -> None:
    plan = Plan(changes=(change(Action.DELETE, "iot.connections.n",
                                unmanaged_children=("device 'Hand logger' (d-9)",)),))
    [violation] = check_safety(plan)
    assert violation.rule == "unmanaged-children" and "device 'Hand logger' (d-9)" in violation.message
    assert check_safety(plan, delete_unmanaged_children=True) == []


def test_the_data_loss_message_names_what_is_lost() -> None:
    plan = Plan(changes=(change(Action.UPDATE, "hub.aspect_types.E", data_destructive=True,
                                data_loss=("history of variable H on 24 assets of type Engine",)),))
    [violation] = check_safety(plan)
    assert "hub.aspect_types.E: history of variable H on 24 assets of type Engine" in violation.message
