"""Merge-patch bodies: only what changed, nulls for what the configuration dropped, the marker kept."""

from __future__ import annotations

from provisioner.providers.insights_hub.bodies import asset_patch_body, type_patch_body
from provisioner.providers.marker import mark_description

BEFORE = {"name": "Pump", "description": "old", "external_id": None, "location": None,
          "variables": {"SerialNo": "A1", "Batch": "7"}, "aspects": {"nameplate": {"Power": "5"}}}


def test_only_changed_fields_are_sent() -> None:
    after = {**BEFORE, "name": "Pump 2"}
    assert asset_patch_body(BEFORE, after, "s", "assets.p", mark=False) == {"name": "Pump 2"}
    assert asset_patch_body(BEFORE, dict(BEFORE), "s", "assets.p", mark=False) == {}


def test_unset_fields_are_never_sent_and_the_marker_goes_with_the_description() -> None:
    after = {**BEFORE, "description": "new"}
    patch = asset_patch_body(BEFORE, after, "s", "assets.p", mark=False)
    assert patch == {"description": mark_description("new", "s", "assets.p")}
    assert "externalId" not in patch and "location" not in patch
    # adopting: the marker is set even when the description text is unchanged
    assert asset_patch_body(BEFORE, dict(BEFORE), "s", "assets.p", mark=True) == {
        "description": mark_description("old", "s", "assets.p")}


def test_dropped_values_and_location_subfields_are_nulled() -> None:
    before = {**BEFORE, "location": {"country": "DE", "locality": "Hamburg"}}
    after = {**before, "variables": {"SerialNo": "A2"}, "aspects": {}, "location": {"country": "AT"}}
    patch = asset_patch_body(before, after, "s", "assets.p", mark=False)
    assert patch["variables"] == [{"name": "Batch", "value": None}, {"name": "SerialNo", "value": "A2"}]
    assert patch["aspects"] == [{"name": "nameplate", "variables": [{"name": "Power", "value": None}]}]
    assert patch["location"] == {"country": "AT", "locality": None}


def test_type_patches_carry_the_changed_top_level_fields_only() -> None:
    full = {"name": "Pump", "description": "d [m]", "variables": [{"name": "v"}], "aspects": [],
            "parentTypeId": "core.basicasset", "instantiable": True, "scope": "private"}
    before = {"description": "d", "variables": {"v": {}}, "aspects": {}, "parent": "core.basicasset",
              "instantiable": True}
    after = {**before, "variables": {"v": {}, "w": {}}}
    assert type_patch_body(full, before, after, mark=False) == {"variables": [{"name": "v"}]}
    assert type_patch_body(full, before, dict(before), mark=True) == {"description": "d [m]"}
    assert set(type_patch_body(full, None, after, mark=False)) == {
        "description", "variables", "aspects", "parentTypeId", "instantiable"}
