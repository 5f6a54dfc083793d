"""Readable text plans: nested values on nested lines, nulls hidden in updates as in creates,
plurals right, long addresses fitted to a width with the full one kept."""

from __future__ import annotations

from provisioner.model import Action, Change, FieldChange
from provisioner.plan import Plan
from provisioner.render import render_markdown, render_text
from provisioner.render.text import INLINE_WIDTH
from provisioner.render.view import plural, shorten_address

DSC = "insights_hub.agents.pump-agent.data_sources"


def points(unit: str | None) -> dict[str, object]:
    return {f"DP-{name}": {"name": name, "type": "DOUBLE", "unit": unit, "description": None}
            for name in ("FlowRate", "InletPressure", "Temperature", "Vibration")}


def test_a_long_nested_create_value_is_nested_lines_not_one_json_line() -> None:
    after = {"configuration_id": "pump-agent", "data_sources": {"Hydraulics": {"data_points": points("bar")}}}
    plan = Plan(changes=(Change(Action.CREATE, DSC, "insights_hub.data_source_configuration", None, after),))
    lines = render_text(plan).splitlines()
    block = lines[lines.index(f"+ {DSC} (insights_hub.data_source_configuration)") + 1:]
    assert all(len(line) <= INLINE_WIDTH for line in block)
    assert "    data_sources.Hydraulics:" in block
    assert "      data_points:" in block
    assert '        DP-FlowRate = {"name": "FlowRate", "type": "DOUBLE", "unit": "bar"}' in block
    assert "null" not in "\n".join(block) and "description" not in "\n".join(block)


def test_updates_hide_nulls_like_creates_and_compare_maps_entry_by_entry() -> None:
    before = {"variables": {"Length": {"type": "STRING", "length": 64, "default": None, "unit": None}}}
    after = {"variables": {"Length": {"type": "STRING", "length": 128, "default": None, "unit": None}}}
    change = Change(Action.UPDATE, "insights_hub.asset_types.Engine", "insights_hub.asset_type",
                    before, after,
                    (FieldChange("variables.Length", before["variables"]["Length"],
                                 after["variables"]["Length"]),))
    text = render_text(Plan(changes=(change,)))
    assert "    variables.Length.length: 64 → 128" in text.splitlines()
    assert "null" not in text


def test_a_long_update_shows_before_and_after_as_nested_lines() -> None:
    before = [{"metric": f"Metric_{i}", "unit": "millimeter"} for i in range(4)]
    after = [*before, {"metric": "Metric_4", "unit": "degree"}]
    change = Change(Action.UPDATE, "itwin_iot.connections.n.devices.d.sensors.s", "itwin_iot.sensor",
                    {"metrics": before}, {"metrics": after}, (FieldChange("metrics", before, after),))
    lines = render_text(Plan(changes=(change,))).splitlines()
    start = lines.index("    metrics:")
    assert lines[start + 1] == "      before:"
    assert '        - {"metric": "Metric_0", "unit": "millimeter"}' in lines
    assert lines.count('        - {"metric": "Metric_4", "unit": "degree"}') == 1
    assert all(len(line) <= INLINE_WIDTH for line in lines[start:])


def test_plurals() -> None:
    assert (plural(1, "change"), plural(2, "change"), plural(0, "API call")) == ("1 change", "2 changes",
                                                                                 "0 API calls")
    one = Plan(changes=(Change(Action.CREATE, "itwin_iot.connections.c", "itwin_iot.connection", None,
                               {"name": "c"}),))
    md = render_markdown(one)
    assert "(1 change)</summary>" in md and "(1 changes)" not in md
    assert "Estimated 0 API calls " in render_text(one)  # (no estimate was made for this plan)


def test_long_addresses_are_shortened_in_the_middle_and_the_full_one_follows() -> None:
    address = "itwin_iot.connections.north-sector.devices.logger-2.sensors.tilt-sensor-with-a-long-key"
    assert shorten_address(address, 200) == address
    short = shorten_address(address, 60)
    assert len(short) <= 60 and short.startswith("itwin_iot.…")
    assert short.endswith(".tilt-sensor-with-a-long-key")
    plan = Plan(changes=(Change(Action.CREATE, address, "itwin_iot.sensor", None, {"name": "t"}),))
    lines = render_text(plan, width=60).splitlines()
    head = next(line for line in lines if line.startswith("+ "))
    assert len(head) <= 60
    assert f"    # address: {address}" in lines
    assert f"+ {address} (itwin_iot.sensor)" in render_text(plan).splitlines()  # no width: never cut
