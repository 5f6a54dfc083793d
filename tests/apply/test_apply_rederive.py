"""A saved plan against the plan made again: every change of the file must be made exactly so."""

from __future__ import annotations

from dataclasses import replace

from provisioner.apply.rederive import disagreements
from provisioner.model import Action, Change
from provisioner.plan import Plan

DELETE = Change(Action.DELETE, "hub.assets.a", "hub.assets", {"name": "a"}, None, server_id="id-a",
                precondition="3", data_destructive=True, data_loss=("time series of asset a",))
UPDATE = Change(Action.UPDATE, "hub.assets.b", "hub.assets", {"name": "b"}, {"name": "B"},
                server_id="id-b", precondition="7")


def test_a_faithful_file_agrees_even_when_the_fresh_plan_holds_more() -> None:
    assert disagreements(Plan(changes=(DELETE,)), Plan(changes=(DELETE, UPDATE))) == []


def test_each_edited_safety_field_is_named() -> None:
    forged = (replace(DELETE, data_destructive=False, data_loss=(), precondition=None),
              replace(UPDATE, after={"name": "evil"}, server_id="id-x"))
    [violation] = disagreements(Plan(changes=forged), Plan(changes=(DELETE, UPDATE)))
    assert violation.rule == "plan-disagrees" and violation.override is None
    assert violation.addresses == ("hub.assets.a", "hub.assets.b")
    for text in ("hub.assets.a: precondition is None in the file, '3' when planned again",
                 "hub.assets.a: data_destructive is False in the file, True when planned again",
                 "hub.assets.b: server_id is 'id-x' in the file, 'id-b' when planned again",
                 "hub.assets.b: after is {'name': 'evil'} in the file"):
        assert text in violation.message


def test_a_change_nothing_calls_for_is_refused() -> None:
    smuggled = Change(Action.DELETE, "hub.assets.hand", "hub.assets", {}, None, server_id="id-h")
    [violation] = disagreements(Plan(changes=(smuggled,)), Plan(changes=(UPDATE,)))
    expected = "hub.assets.hand: the configuration and the live state call for no such change"
    assert expected in violation.message
