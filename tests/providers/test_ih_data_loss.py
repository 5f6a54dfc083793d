"""What an Insights Hub change destroys, counted over subtypes and every live asset of a type."""

from __future__ import annotations

from provisioner.model import Action, Change, LiveState
from provisioner.providers.insights_hub import kinds
from provisioner.providers.insights_hub.data_loss import Context, Usage, losses_of

ASSET_TYPES = [
    {"id": "t.Engine", "name": "Engine", "parentTypeId": "core.basicasset",
     "aspects": [{"name": "env", "aspectTypeId": "t.Env"}]},
    {"id": "t.BigEngine", "name": "BigEngine", "parentTypeId": "t.Engine",
     "aspects": [{"name": "env", "aspectTypeId": "t.Env", "_links": {"origin": {"href": "x"}}}]},
    {"id": "t.Pump", "name": "Pump", "parentTypeId": "core.basicasset",
     "aspects": [{"name": "climate", "aspectType": {"id": "t.Env"}}]},
]
ASSETS = [*[{"typeId": "t.Engine"}] * 3, *[{"typeId": "t.BigEngine"}] * 2, {"typeId": "t.Pump"},
          {"typeId": "x"}]
USAGE = Usage.of(ASSET_TYPES, ASSETS)
VARS = {"H": {"type": "INT", "unit": "%"}, "T": {"type": "DOUBLE", "unit": "C"}}


def test_subtypes_count_and_inherited_aspects_are_not_counted_twice() -> None:
    assert USAGE.family(["t.Engine"]) == ["t.Engine", "t.BigEngine"]
    assert USAGE.assets_of(["t.Engine"]) == 5
    assert USAGE.types_by_aspect_type["t.Env"] == ("t.Engine", "t.Pump")
    assert USAGE.assets_of(USAGE.types_by_aspect_type["t.Env"]) == 6


def test_removing_a_variable_and_changing_a_unit_are_losses_adding_one_is_not() -> None:
    after = {"category": "dynamic", "variables": {"T": {"type": "DOUBLE", "unit": "K"}, "N": {"type": "INT"}}}
    change = Change(Action.UPDATE, "insights_hub.aspect_types.Env", kinds.ASPECT_TYPE,
                    {"category": "dynamic", "variables": VARS}, after, server_id="t.Env")
    losses = losses_of(change, Context.of(USAGE, [], LiveState()))
    assert losses == (
        "history of variable H on 6 assets of types Engine, Pump (variable removed or renamed)",
        "history of variable T on 6 assets of types Engine, Pump: unit C -> K, stored values are relabelled, "
        "not converted")
    grown = Change(Action.UPDATE, "insights_hub.aspect_types.Env", kinds.ASPECT_TYPE,
                   {"category": "dynamic", "variables": VARS},
                   {"category": "dynamic", "variables": {**VARS, "N": {"type": "INT"}}}, server_id="t.Env")
    assert losses_of(grown, Context.of(USAGE, [], LiveState())) == ()
