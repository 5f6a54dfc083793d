"""`provision import` round trip (issue 6, item 1) and subtree selection (item 2).

The initial state is built with raw vendor API calls (the HTTP clients, not the provisioner's
providers or plans), as a team would have built it by hand. Then: import -> validate -> plan
shows only adoption updates -> apply -> plan is empty, and every server id is unchanged.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from provisioner.config import load_project
from provisioner.importer import ImportOptions, Selection, import_project, parse_selectors
from provisioner.model import Action
from provisioner.pipeline import ApplyOptions, apply_plan
from provisioner.plan import Plan
from provisioner.plan.builder import ADOPT_REASON
from provisioner.providers.http.credentials import IhServiceCredentials, ItwinApiKey
from provisioner.providers.insights_hub.client import InsightsHubClient
from provisioner.providers.itwin_iot.client import ItwinIotClient
from provisioner.sandbox import Sandbox
from provisioner.session import make_plan, open_session

URL = "http://127.0.0.1:8700"
PROJECT = "sandbox-project"
PLATFORMS: dict[str, Any] = {
    "insights_hub": {"tenant": "sandbox", "gateway": URL, "rate_limits": "none",
                     "auth": {"client_id": "${env:MDSP_CLIENT_ID}",
                              "client_secret": "${env:MDSP_CLIENT_SECRET}"}},
    "itwin_iot": {"url": URL, "project": PROJECT, "rate_limits": "none",
                  "auth": {"api_key": "${env:ITWIN_IOT_API_KEY}"}},
}


def _var(name: str, data_type: str, unit: str = "", **extra: Any) -> dict[str, Any]:
    return {"name": name, "dataType": data_type, "unit": unit, "searchable": False, **extra}


async def build_by_hand(sandbox: Sandbox) -> dict[str, str]:
    """A plant with two halls, custom types, an agent with DSC, mappings and event mappings,
    and an iTwin connection with devices and sensors, by raw API calls. Returns ids by name."""
    ids: dict[str, str] = {}
    hub = InsightsHubClient(URL, IhServiceCredentials("sandbox", "sandbox-client", "sandbox-secret"),
                            transport=sandbox.transport(), limits="none")
    itwin = ItwinIotClient(URL, ItwinApiKey("sandbox-key"), transport=sandbox.transport(), limits="none")
    async with hub, itwin:
        await hub.put_aspect_type("sandbox.Climate", {
            "name": "Climate", "category": "dynamic", "scope": "private", "description": "Hall climate",
            "variables": [_var("Temperature", "DOUBLE", "C", qualityCode=True),
                          _var("Humidity", "INT", "%")]},
            if_none_match_star=True)
        await hub.put_aspect_type("sandbox.Plate", {
            "name": "Plate", "category": "static", "scope": "private",
            "variables": [_var("Rating", "DOUBLE", "kW"), _var("Maker", "STRING", length=32)]},
            if_none_match_star=True)
        await hub.put_asset_type("sandbox.Hall", {
            "name": "Hall", "parentTypeId": "core.basicarea", "scope": "private", "instantiable": True,
            "description": "A production hall",
            "aspects": [{"name": "climate", "aspectTypeId": "sandbox.Climate"},
                        {"name": "plate", "aspectTypeId": "sandbox.Plate"}],
            "variables": [_var("Code", "STRING", length=16)]}, if_none_match_star=True)
        root = (await hub.get_root_asset())["assetId"]
        plant = await hub.create_asset({"name": "Plant Hamburg", "typeId": "core.basicsite", "parentId": root,
                                        "externalId": "P-1",
                                        "location": {"country": "DE", "locality": "Hamburg"}})
        ids["plant"] = plant["assetId"]
        for n in (1, 2):
            hall = await hub.create_asset({
                "name": f"Hall {n}", "typeId": "sandbox.Hall", "parentId": plant["assetId"],
                "description": f"Hall number {n}", "variables": [{"name": "Code", "value": f"H{n}"}],
                "aspects": [{"name": "plate", "variables": [{"name": "Rating", "value": "75.5"},
                                                            {"name": "Maker", "value": "Acme"}]}]})
            ids[f"hall-{n}"] = hall["assetId"]
        office = await hub.create_asset({"name": "Office", "typeId": "core.basicasset", "parentId": root,
                                         "timezone": "America/New_York"})
        ids["office"] = office["assetId"]
        mclib = await hub.create_asset({"name": "Hall Gateway", "typeId": "core.mclib",
                                        "parentId": plant["assetId"]})
        agent = await hub.create_agent({"name": "Hall Gateway", "securityProfile": "SHARED_SECRET",
                                        "entityId": mclib["assetId"]})
        ids["agent"] = agent["id"]
        dsc = await hub.get_dsc(agent["id"])
        await hub.put_dsc(agent["id"], {"configurationId": "gw-config-1", "dataSources": [
            {"name": "PLC", "description": "Hall PLC", "dataPoints": [
                {"id": "dp-t1", "name": "T1", "type": "DOUBLE", "unit": "C"},
                {"id": "dp-h1", "name": "H1", "type": "INT", "unit": "%"},
                {"id": "dp-t2", "name": "T2", "type": "DOUBLE", "unit": "C"}]}]}, str(dsc.get("eTag", "0")))
        for point, hall, variable in (("dp-t1", "hall-1", "Temperature"), ("dp-h1", "hall-1", "Humidity"),
                                      ("dp-t2", "hall-2", "Temperature")):
            await hub.create_mapping({"agentId": agent["id"], "dataPointId": point, "entityId": ids[hall],
                                      "propertySetName": "climate", "propertyName": variable,
                                      "keepMapping": True})
        await hub.create_event_mapping({"agentId": agent["id"], "assetId": ids["hall-1"],
                                        "eventTypeId": "sandbox.connectivity.event.type.Alarm",
                                        "eventTypeName": "Alarm", "eventTypeFieldName": "source",
                                        "eventTypeFieldValue": "PLC-1"})
        tree = await itwin.integrate(PROJECT, {"integration": {"changeState": "new", "devices": [
            {"changeState": "new", "props": {"INTEGRATION_ID": "IMPORT_DEVICE_SDE", "NAME": "Logger A",
                                             "LOCATION": {"type": "Point",
                                                          "coordinates": [9.99, 53.55, 4.0]}},
             "sensors": [{"changeState": "new", "props": {
                 "INTEGRATION_ID": "GENERIC_SENSOR_SDE", "NAME": "Tilt A",
                 "UNKNOWN_METRICS": {"0": "Tilt_X", "1": "Tilt_Y"},
                 "UNKNOWN_UNITS": {"0": "degree", "1": "degree"}}},
                 {"changeState": "new", "props": {"INTEGRATION_ID": "TEMPERATURE_SDE", "NAME": "Temp A"}}]},
            {"changeState": "new", "refId": "SN-4711", "props": {"INTEGRATION_ID": "IMPORT_DEVICE_SDE",
                                                                 "NAME": "Logger B"}}]}})
        ids["node"] = tree["integration"]["node"]["id"]
        south = await itwin.integrate(PROJECT, {"integration": {"changeState": "new"}})
        # the service names a new node itself; names and notes come afterwards, as in the iTwin app
        for node, props in ((ids["node"], {"NAME": "North Yard", "NOTES": "Built by hand"}),
                            (south["integration"]["node"]["id"], {"NAME": "South Yard"})):
            await itwin.integrate(PROJECT, {"integration": {"nodeId": node, "changeState": "update",
                                                            "props": props}})
    return ids


def live_ids(sandbox: Sandbox) -> set[str]:
    """Every server id of assets, agents, mappings and iTwin entities in the sandbox (not the stack's
    apply lease: an apply takes it, and it is nothing the configuration describes)."""
    doc = sandbox.snapshot()
    doc["insightsHub"]["aspectTypes"] = [t for t in doc["insightsHub"]["aspectTypes"]
                                         if not str(t.get("name", "")).startswith("provisionlease_")]
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key in ("id", "assetId") and isinstance(item, str):
                    found.add(item)
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
    walk(doc)
    return found


async def plan_of(project_dir: Path, sandbox: Sandbox) -> tuple[Plan, Any, Any]:
    project = load_project(project_dir)
    session = open_session(project.config, transport=sandbox.transport())
    plan, live = await make_plan(session)
    return plan, live, session


async def _import(sandbox: Sandbox, out: Path, *selects: str, layout: str = "kind") -> Any:
    options = ImportOptions(out=out, stack="imported", platforms=PLATFORMS,
                            selection=Selection(parse_selectors(selects)),
                            layout="site" if layout == "site" else "kind")
    return await import_project(options, transport=sandbox.transport())


@pytest.mark.parametrize("layout", ["kind", "site"])
def test_round_trip_adopts_everything_without_recreating(tmp_path: Path, sandbox: Sandbox,
                                                          layout: str) -> None:
    ids = asyncio.run(build_by_hand(sandbox))
    before = live_ids(sandbox)
    out = tmp_path / "imported"
    result = asyncio.run(_import(sandbox, out, layout=layout))
    assert result.counts == {"aspect_types": 2, "asset_types": 1, "assets": 4, "agents": 1, "mappings": 3,
                             "event_mappings": 1, "connections": 2, "devices": 2, "sensors": 2}
    text = (out / "provision.yaml").read_text()
    assert text.startswith("# Imported from live objects") and "sandbox-secret" not in text
    assert "${env:MDSP_CLIENT_SECRET}" in text
    # the hand-made SERIAL_NO is reported: the next apply replaces it with this stack's refId
    assert any("SN-4711" in str(f) for f in result.findings)

    project = load_project(out)  # = provision validate
    hub = project.config.insights_hub
    assert hub.assets["hall-1"].parent == "plant-hamburg" and hub.assets["hall-1"].id == ids["hall-1"]
    assert hub.assets["office"].timezone == "America/New_York"
    assert hub.agents["hall-gateway"].mappings[0].asset in ("hall-1", "hall-2")
    assert project.config.itwin_iot.connections["north-yard"].id == ids["node"]

    async def cycle() -> tuple[Plan, Plan]:
        first, live, session = await plan_of(out, sandbox)
        async with session:
            # adoptions change no field, so they pass the update threshold without --force
            await apply_plan(session, first, ApplyOptions(), live=live)
        second, _, again = await plan_of(out, sandbox)
        await again.aclose()
        return first, second

    first, second = asyncio.run(cycle())
    assert first.changes, "adoption sets owner markers"
    assert {c.action for c in first.changes} == {Action.UPDATE}
    assert all(c.adopt and c.reasons == (ADOPT_REASON,) and not c.fields for c in first.changes)
    assert not second.has_changes, [(c.action, c.address, c.fields) for c in second.changes]
    assert live_ids(sandbox) == before  # nothing deleted or re-created


def test_subtree_selection_imports_exactly_the_subtree_and_its_references(tmp_path: Path,
                                                                           sandbox: Sandbox) -> None:
    ids = asyncio.run(build_by_hand(sandbox))
    out = tmp_path / "hall"
    result = asyncio.run(_import(sandbox, out, f"asset:{ids['hall-2']}"))
    project = load_project(out)
    hub = project.config.insights_hub
    assert set(hub.assets) == {"hall-2"}
    assert hub.assets["hall-2"].parent.model_dump() == {"id": ids["plant"]}  # type: ignore[union-attr]
    assert set(hub.asset_types) == {"Hall"} and set(hub.aspect_types) == {"Climate", "Plate"}
    assert not hub.agents and not project.config.itwin_iot.connections
    assert result.api_calls.get("itwin_iot", 0) == 0  # a subtree selection does not even read iTwin

    out = tmp_path / "plant"
    asyncio.run(_import(sandbox, out, "asset:plant-hamburg", "connection:South Yard"))
    project = load_project(out)
    assert set(project.config.insights_hub.assets) == {"plant-hamburg", "hall-1", "hall-2"}
    assert set(project.config.insights_hub.agents) == {"hall-gateway"}
    assert set(project.config.itwin_iot.connections) == {"south-yard"}

    async def plan() -> Plan:
        result, _, session = await plan_of(out, sandbox)
        await session.aclose()
        return result
    assert {c.action for c in asyncio.run(plan()).changes} == {Action.UPDATE}
