"""Normalization both ways, every kind, through the real clients and providers and the sandbox.

1. Round trip: after apply, read -> normalize -> compare finds no difference, although the
   service adds its own fields (etags, ids, links, dates, SIZE, PROJECT_ID, NODE_ID, validity …)
   and stores values its own way (`20` as `20.0`, numbers and booleans as text, `""` for no unit).
2. Drift: every user-settable field of every kind, changed directly through the vendor API, gives
   exactly one planned change for that address (an UPDATE, or a REPLACE where we cannot change
   the field in place) naming that field. Fields the vendor API cannot change are shown refused.

The project is applied once per module; every test starts from a sandbox loaded with that state.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from harness import DEMO_ENV, EXAMPLES, plan_of

from provisioner.config import Project, load_project
from provisioner.errors import ApiError
from provisioner.model import Action
from provisioner.pipeline import ApplyOptions, apply_plan
from provisioner.providers.insights_hub.client import InsightsHubClient
from provisioner.providers.itwin_iot import identity
from provisioner.providers.itwin_iot.client import ItwinIotClient
from provisioner.providers.marker import mark_description
from provisioner.sandbox import Sandbox, SandboxSettings
from provisioner.session import make_plan, open_session

JSONDict = dict[str, Any]
PROJECT = "sandbox-project"

HUB_YAML = """\
insights_hub:
  aspect_types:
    Environment:
      category: dynamic
      description: Ambient conditions
      variables:
        Temperature: {type: DOUBLE, unit: C, quality_code: true}
        Ambient:     {type: DOUBLE, unit: C}
        Status:      {type: STRING, length: 40, searchable: true}
        Log:         {type: BIG_STRING, length: 2000}
        Count:       {type: INT, unit: ""}
        Running:     {type: BOOLEAN}
        Total:       {type: LONG, unit: pcs}
        Stamp:       {type: TIMESTAMP}
    Nameplate:
      category: static
      variables:
        Vendor:     {type: STRING, length: 32, default: Acme}
        RatedPower: {type: DOUBLE, unit: kW, default: 20}
        Poles:      {type: INT, default: 4}
        Certified:  {type: BOOLEAN, default: true}
  asset_types:
    Engine:
      description: A motor
      aspects: {environment: Environment, nameplate: Nameplate}
      variables:
        SerialNo: {type: STRING, length: 64}
        Weight:   {type: DOUBLE, unit: kg}
        Count:    {type: INT}
        Active:   {type: BOOLEAN, default: false}
  assets:
    plant:
      name: Plant Hamburg
      type: core.basicsite
      timezone: Europe/Berlin
      location: {country: Germany, region: HH, locality: Hamburg, street_address: Hafenstrasse 1,
                 postal_code: "20457", longitude: 10, latitude: 53.5}
    motor:
      name: Motor
      type: Engine
      parent: plant
      external_id: M-001
      description: The main motor
      variables: {SerialNo: SN-42, Weight: 20.0, Count: 3, Active: true}
      aspects:
        nameplate: {Vendor: Bosch, RatedPower: 20, Poles: 2, Certified: false}
    spare:                                   # leaves most values unset (and the type's defaults)
      name: Spare
      type: Engine
      parent: plant
      variables: {SerialNo: SN-99}
  agents:
    agent:
      name: MotorAgent
      parent: plant
      data_sources:
        Env:
          description: Env points
          data_points:
            DP-T: {name: Temperature, type: DOUBLE, unit: C, description: temperature}
            DP-S: {name: Status, type: STRING}
            DP-L: {name: Log, type: BIG_STRING}
            DP-C: {name: Count, type: INT, unit: ""}
      mappings:
        - {data_point: DP-T, asset: motor, aspect: environment, variable: Temperature}
        - {data_point: DP-S, asset: motor, aspect: environment, variable: Status}
        - {data_point: DP-L, asset: motor, aspect: environment, variable: Log}
        - {data_point: DP-C, asset: motor, aspect: environment, variable: Count}
      event_mappings:
        - {asset: motor, event_type: sandbox.connectivity.event.type.Overheat,
           event_type_name: Overheat, field: source, value: MyMachine}
"""

ITWIN_YAML = """\
itwin_iot:
  connections:
    north:
      name: North
      location: {lon: 10, lat: 20.0, elev: 0}
      notes: Connection notes
      devices:
        logger:
          name: Logger
          template: IMPORT_DEVICE_SDE
          location: {lon: -53.900861, lat: 30.602073, elev: -17.24}
          notes: Demo device
          sensors:
            tilt:
              name: Tilt
              template: GENERIC_SENSOR_SDE
              location: {lon: 20, lat: 30}
              notes: sensor notes
              metrics:
                - {metric: Tilt_X, unit: degree}
                - {metric: Tilt_Y, unit: degree}
"""

ENV_T = "insights_hub.aspect_types.Environment"
NAMEPLATE_T = "insights_hub.aspect_types.Nameplate"
ENGINE_T = "insights_hub.asset_types.Engine"
PLANT = "insights_hub.assets.plant"
MOTOR = "insights_hub.assets.motor"
SPARE = "insights_hub.assets.spare"
AGENT = "insights_hub.agents.agent"
DSC = f"{AGENT}.data_sources"
MAP_T = f"{AGENT}.mappings.DP-T.motor.environment.Temperature"
EVENT = f"{AGENT}.event_mappings.motor.sandbox.connectivity.event.type.Overheat.source=MyMachine"
CONN = "itwin_iot.connections.north"
DEVICE = f"{CONN}.devices.logger"
SENSOR = f"{DEVICE}.sensors.tilt"


def write_project(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    provision = (EXAMPLES / "quickstart" / "provision.yaml").read_text()
    (root / "provision.yaml").write_text(provision.replace("stack: quickstart", "stack: trust"))
    (root / "insights-hub.yaml").write_text(HUB_YAML)
    (root / "itwin-iot.yaml").write_text(ITWIN_YAML)
    return root


@dataclass(frozen=True)
class Applied:
    project: Project
    sandbox: Sandbox
    state: JSONDict


@pytest.fixture(scope="module")
def applied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Applied]:
    """The project, applied once to a fresh sandbox; its state is loaded into each test's sandbox."""
    with pytest.MonkeyPatch.context() as env:
        for name, value in DEMO_ENV.items():
            env.setenv(name, value)
        project = load_project(write_project(tmp_path_factory.mktemp("drift") / "trust"))
        sandbox = Sandbox(SandboxSettings(boarding_delay_s=0.0))

        async def apply_once() -> None:
            async with open_session(project.config, transport=sandbox.transport()) as session:
                plan, live = await make_plan(session)
                assert {c.action for c in plan.changes} == {Action.CREATE}
                report = await apply_plan(session, plan, ApplyOptions(), live=live)
                assert report.ok, (report.failed, report.skipped)

        asyncio.run(apply_once())
        yield Applied(project, sandbox, sandbox.snapshot())


@pytest.fixture
def loaded(applied: Applied) -> Sandbox:
    """The module's sandbox, back at the applied state (loading is much cheaper than a new one)."""
    applied.sandbox.load(applied.state)
    return applied.sandbox


# --------------------------------------------------------------------------- vendor access


class Vendor:
    """Direct access to the sandbox through the vendor clients, as another tool or a person would."""

    def __init__(self, hub: InsightsHubClient, itwin: ItwinIotClient) -> None:
        self.hub = hub
        self.itwin = itwin

    async def edit_type(self, kind: str, name: str, edit: Callable[[JSONDict], None]) -> None:
        """GET an aspect or asset type, edit its body, PUT it back with If-Match."""
        type_id = f"sandbox.{name}"
        aspect = kind == "aspect"
        live = await (self.hub.get_aspect_type(type_id) if aspect else self.hub.get_asset_type(type_id))
        keys = ("name", "category", "scope", "description", "variables") if aspect else (
            "name", "parentTypeId", "instantiable", "scope", "description", "variables")
        body = {k: live[k] for k in keys if k in live}
        if not aspect:
            body["aspects"] = [{"name": a["name"], "aspectTypeId": a["aspectType"]["id"]}
                               for a in live.get("aspects") or []]
        edit(body)
        put = self.hub.put_aspect_type if aspect else self.hub.put_asset_type
        await put(type_id, body, if_match=live["etag"])

    async def asset(self, name: str) -> JSONDict:
        found = await self.hub.list_assets(filter={"name": name})
        assert len(found) == 1, found
        return found[0]

    async def edit_asset(self, name: str, edit: Callable[[JSONDict], None]) -> None:
        """PUT an asset (AssetUpdate) with one edit."""
        live = await self.asset(name)
        body = {k: live[k] for k in ("name", "externalId", "description", "variables", "aspects",
                                     "location", "timezone", "twinType", "typeId") if k in live}
        edit(body)
        await self.hub.put_asset(live["assetId"], body, live["etag"])

    async def agent(self) -> JSONDict:
        (agent,) = await self.hub.list_agents()
        return agent

    async def edit_agent(self, edit: Callable[[JSONDict], None]) -> None:
        agent = await self.agent()
        body = {"name": agent["name"], "securityProfile": agent["securityProfile"]}
        edit(body)
        await self.hub.put_agent(agent["id"], body, agent["eTag"])

    async def edit_dsc(self, edit: Callable[[JSONDict], None]) -> None:
        agent = await self.agent()
        dsc = await self.hub.get_dsc(agent["id"])
        body = {"configurationId": dsc["configurationId"], "dataSources": dsc["dataSources"]}
        edit(body)
        await self.hub.put_dsc(agent["id"], body, dsc["eTag"])

    async def remap(self, data_point: str, **changes: Any) -> None:
        """Mappings have no update: delete one and create it again with `changes`."""
        (mapping,) = [m for m in await self.hub.list_mappings() if m["dataPointId"] == data_point]
        body = {k: mapping[k] for k in ("agentId", "dataPointId", "entityId", "propertySetName",
                                        "propertyName", "keepMapping")}
        await self.hub.delete_mapping(mapping["id"])
        await self.hub.create_mapping({**body, **changes})

    async def patch_event_mapping(self, **changes: Any) -> None:
        (emap,) = await self.hub.list_event_mappings()
        await self.hub.patch_event_mapping(emap["id"], changes, emap["eTag"])

    async def integrate(self, depth: int, props: JSONDict) -> None:
        """`changeState: update` on the connection (1), device (2) or sensor (3) with `props`."""
        (node,) = await self.itwin.list_nodes(PROJECT)
        (device,) = configured_devices(await self.itwin.list_devices(PROJECT))
        (sensor,) = await self.itwin.list_sensors(PROJECT)
        integration: JSONDict = {"nodeId": node["id"]}
        if depth == 1:
            integration.update(changeState="update", props=props)
        elif depth == 2:
            integration["devices"] = [{"id": device["id"], "changeState": "update", "props": props}]
        else:
            sensor_entry = {"id": sensor["id"], "changeState": "update", "props": props}
            integration["devices"] = [{"id": device["id"], "sensors": [sensor_entry]}]
        await self.itwin.integrate(PROJECT, {"integration": integration})


def configured_devices(devices: list[JSONDict]) -> list[JSONDict]:
    """The devices the configuration declares: all but the connection's marker device."""
    return [d for d in devices if identity.marker_of(d) is None]


async def vendor_call(project: Project, sandbox: Sandbox, call: Callable[[Vendor], Awaitable[None]]) -> None:
    async with open_session(project.config, transport=sandbox.transport()) as session:
        assert session.hub is not None and session.itwin is not None
        await call(Vendor(session.hub, session.itwin))


# --------------------------------------------------------------------------- body edits


def variable(body: JSONDict, name: str) -> JSONDict:
    (found,) = [v for v in body["variables"] if v["name"] == name]
    return dict(found)


def set_var(name: str, **values: Any) -> Callable[[JSONDict], None]:
    """Set (or, with None, drop) keys of one variable definition."""
    def edit(body: JSONDict) -> None:
        body["variables"] = [
            {k: w for k, w in {**v, **values}.items() if w is not None} if v["name"] == name else v
            for v in body["variables"]
        ]
    return edit


def set_value(name: str, value: str, aspect: str | None = None) -> Callable[[JSONDict], None]:
    """Set one asset variable (or aspect variable) value."""
    def edit(body: JSONDict) -> None:
        holders = body["variables"] if aspect is None else next(
            a["variables"] for a in body["aspects"] if a["name"] == aspect)
        for v in holders:
            if v["name"] == name:
                v["value"] = value
    return edit


def add_value(name: str, value: str, aspect: str | None = None) -> Callable[[JSONDict], None]:
    """Give a value to a variable the configuration leaves unset."""
    def edit(body: JSONDict) -> None:
        if aspect is None:
            body["variables"] = [*body["variables"], {"name": name, "value": value}]
        else:
            body["aspects"] = [{"name": aspect, "variables": [{"name": name, "value": value}]}]
    return edit


def set_key(**values: Any) -> Callable[[JSONDict], None]:
    def edit(body: JSONDict) -> None:
        body.update(values)
    return edit


def set_location(**values: Any) -> Callable[[JSONDict], None]:
    def edit(body: JSONDict) -> None:
        body["location"] = {**body["location"], **values}
    return edit


def set_point(**values: Any) -> Callable[[JSONDict], None]:
    def edit(body: JSONDict) -> None:
        for source in body["dataSources"]:
            for point in source["dataPoints"]:
                if point["id"] == "DP-T":
                    point.update(values)
    return edit


def set_source(**values: Any) -> Callable[[JSONDict], None]:
    def edit(body: JSONDict) -> None:
        body["dataSources"][0].update(values)
    return edit


# --------------------------------------------------------------------------- round trip


async def test_round_trip_every_kind_no_diff_despite_server_additions(
        applied: Applied, loaded: Sandbox) -> None:
    plan = await plan_of(applied.project, loaded)
    assert plan.changes == (), [(c.address, c.fields) for c in plan.changes]
    assert plan.unchanged == 16

    # the live objects really carry server additions and the service's own spellings
    async def inspect(v: Vendor) -> None:
        nameplate = await v.hub.get_aspect_type("sandbox.Nameplate")
        assert {"id", "etag", "tenantId", "_links"} <= set(nameplate)
        assert variable(nameplate, "RatedPower")["defaultValue"] == "20"       # config: 20
        assert variable(nameplate, "Certified")["defaultValue"] == "true"      # config: true
        environment = await v.hub.get_aspect_type("sandbox.Environment")
        assert "unit" not in variable(environment, "Count")                    # config: unit ""
        motor = await v.asset("Motor")
        assert {"assetId", "etag", "_links", "hierarchyPath", "twinType"} <= set(motor)
        values = {x["name"]: x["value"] for x in motor["variables"]}
        assert values == {"SerialNo": "SN-42", "Weight": "20.0", "Count": "3", "Active": "true"}
        mapping = (await v.hub.list_mappings())[0]
        assert {"id", "validity", "dataPointType", "propertyType"} <= set(mapping)
        dsc = await v.hub.get_dsc((await v.agent())["id"])
        assert {p["id"]: p["unit"] for p in dsc["dataSources"][0]["dataPoints"]}["DP-S"] == ""  # unset
        (node,) = await v.itwin.list_nodes(PROJECT)
        assert {"NODE_ID", "PROJECT_ID", "CREATION_DATE", "SERIAL_NO"} <= set(node["props"])
        assert node["props"]["LOCATION"]["coordinates"] == [10.0, 20.0, 0.0]   # config: 10, 20.0, 0
        (device,) = configured_devices(await v.itwin.list_devices(PROJECT))
        assert device["props"]["SIZE"] == 1
        (sensor,) = await v.itwin.list_sensors(PROJECT)
        assert sensor["props"]["LOCATION"]["coordinates"] == [20.0, 30.0]      # no elevation
    await vendor_call(applied.project, loaded, inspect)


# --------------------------------------------------------------------------- drift


@dataclass(frozen=True)
class Drift:
    """A change made behind the tool's back, and the one planned change that must show it."""

    address: str
    path: str
    call: Callable[[Vendor], Awaitable[None]]
    action: Action = Action.UPDATE


def described(key: str, text: str) -> Callable[[JSONDict], None]:
    """A new description that keeps the ownership marker (without it the object is not ours)."""
    return set_key(description=mark_description(text, "trust", key))


def itwin(depth: int, props: JSONDict) -> Callable[[Vendor], Awaitable[None]]:
    return lambda v: v.integrate(depth, props)


def aspect(name: str, edit: Callable[[JSONDict], None]) -> Callable[[Vendor], Awaitable[None]]:
    return lambda v: v.edit_type("aspect", name, edit)


def asset_type(edit: Callable[[JSONDict], None]) -> Callable[[Vendor], Awaitable[None]]:
    return lambda v: v.edit_type("asset", "Engine", edit)


def asset(name: str, edit: Callable[[JSONDict], None]) -> Callable[[Vendor], Awaitable[None]]:
    return lambda v: v.edit_asset(name, edit)


async def move_motor_to_root(v: Vendor) -> None:
    motor = await v.asset("Motor")
    root = await v.hub.get_root_asset()
    await v.hub.move_asset(motor["assetId"], root["assetId"], motor["etag"])


async def move_agent_to_root(v: Vendor) -> None:
    agent_asset = await v.asset("MotorAgent")
    root = await v.hub.get_root_asset()
    await v.hub.move_asset(agent_asset["assetId"], root["assetId"], agent_asset["etag"])


async def drop_total(v: Vendor) -> None:
    live = await v.hub.get_aspect_type("sandbox.Environment")
    await v.hub.patch_aspect_type_variables("sandbox.Environment", {"Total": None}, live["etag"])


def add_variable(body: JSONDict) -> None:
    body["variables"] = [*body["variables"], {"name": "Extra", "dataType": "INT", "qualityCode": False}]


def drop_data_point(body: JSONDict) -> None:
    points = body["dataSources"][0]["dataPoints"]
    body["dataSources"][0]["dataPoints"] = [p for p in points if p["id"] != "DP-C"]


def drop_aspect(body: JSONDict) -> None:
    body["aspects"] = [a for a in body["aspects"] if a["name"] != "nameplate"]


DRIFTS: dict[str, Drift] = {
    # aspect types
    "aspect_type.description": Drift(ENV_T, "description",
                                     aspect("Environment", described("aspect_types.Environment", "By hand"))),
    "aspect_type.variables.unit": Drift(ENV_T, "variables.Temperature.unit",
                                        aspect("Environment", set_var("Temperature", unit="K"))),
    "aspect_type.variables.unit(empty->set)": Drift(ENV_T, "variables.Count.unit",
                                                    aspect("Environment", set_var("Count", unit="pcs"))),
    "aspect_type.variables.unit(set->empty)": Drift(ENV_T, "variables.Total.unit",
                                                    aspect("Environment", set_var("Total", unit=""))),
    "aspect_type.variables.length": Drift(NAMEPLATE_T, "variables.Vendor.length",
                                          aspect("Nameplate", set_var("Vendor", length=64))),
    "aspect_type.variables.default": Drift(NAMEPLATE_T, "variables.RatedPower.default",
                                           aspect("Nameplate", set_var("RatedPower", defaultValue="25"))),
    "aspect_type.variables.default(bool)": Drift(NAMEPLATE_T, "variables.Certified.default",
                                                 aspect("Nameplate",
                                                        set_var("Certified", defaultValue="false"))),
    "aspect_type.variables(added)": Drift(ENV_T, "variables.Extra", aspect("Environment", add_variable)),
    "aspect_type.variables(removed)": Drift(ENV_T, "variables.Total", drop_total),
    # asset types
    "asset_type.description": Drift(ENGINE_T, "description",
                                    asset_type(described("asset_types.Engine", "By hand"))),
    "asset_type.variables.unit": Drift(ENGINE_T, "variables.Weight.unit",
                                       asset_type(set_var("Weight", unit="t"))),
    "asset_type.variables.default": Drift(ENGINE_T, "variables.Active.default",
                                          asset_type(set_var("Active", defaultValue="true"))),
    "asset_type.variables.length": Drift(ENGINE_T, "variables.SerialNo.length",
                                         asset_type(set_var("SerialNo", length=128))),
    "asset_type.aspects(removed)": Drift(ENGINE_T, "aspects.nameplate", asset_type(drop_aspect)),
    # assets
    "asset.name": Drift(MOTOR, "name", asset("Motor", set_key(name="Motor 2"))),
    "asset.external_id": Drift(MOTOR, "external_id", asset("Motor", set_key(externalId="M-002"))),
    "asset.description": Drift(MOTOR, "description", asset("Motor", described("assets.motor", "Edited"))),
    "asset.parent": Drift(MOTOR, "parent", move_motor_to_root),
    "asset.variables(string)": Drift(MOTOR, "variables.SerialNo",
                                     asset("Motor", set_value("SerialNo", "SN-43"))),
    "asset.variables(float)": Drift(MOTOR, "variables.Weight", asset("Motor", set_value("Weight", "20.5"))),
    "asset.variables(int)": Drift(MOTOR, "variables.Count", asset("Motor", set_value("Count", "4"))),
    "asset.variables(bool)": Drift(MOTOR, "variables.Active", asset("Motor", set_value("Active", "false"))),
    "asset.aspects(string)": Drift(MOTOR, "aspects.nameplate.Vendor",
                                   asset("Motor", set_value("Vendor", "ABB", "nameplate"))),
    "asset.aspects(float)": Drift(MOTOR, "aspects.nameplate.RatedPower",
                                  asset("Motor", set_value("RatedPower", "21", "nameplate"))),
    "asset.aspects(int)": Drift(MOTOR, "aspects.nameplate.Poles",
                                asset("Motor", set_value("Poles", "6", "nameplate"))),
    "asset.aspects(bool)": Drift(MOTOR, "aspects.nameplate.Certified",
                                 asset("Motor", set_value("Certified", "true", "nameplate"))),
    "asset.variables(unset in config)": Drift(SPARE, "variables.Count",
                                              asset("Spare", add_value("Count", "5"))),
    "asset.aspects(unset in config)": Drift(SPARE, "aspects.nameplate",
                                            asset("Spare", add_value("Poles", "8", "nameplate"))),
    **{f"asset.location.{key}": Drift(PLANT, f"location.{key}",
                                      asset("Plant Hamburg", set_location(**{key: value})))
       for key, value in (("country", "Austria"), ("region", "Wien"), ("locality", "Wien"),
                          ("streetAddress", "Ring 1"), ("postalCode", "1010"), ("longitude", 16.37),
                          ("latitude", 48.2))},
    # agents
    "agent.name": Drift(AGENT, "name", lambda v: v.edit_agent(set_key(name="OtherAgent"))),
    # agent.security_profile is a replace with dependents: tests/field/test_security_profile.py
    "agent.parent": Drift(AGENT, "parent", move_agent_to_root),
    # data source configuration
    "dsc.configuration_id": Drift(DSC, "configuration_id",
                                  lambda v: v.edit_dsc(set_key(configurationId="other"))),
    "dsc.data_sources.description": Drift(DSC, "data_sources.Env.description",
                                          lambda v: v.edit_dsc(set_source(description="Edited"))),
    "dsc.data_points.name": Drift(DSC, "data_sources.Env.data_points.DP-T.name",
                                  lambda v: v.edit_dsc(set_point(name="Temp"))),
    "dsc.data_points.type": Drift(DSC, "data_sources.Env.data_points.DP-T.type",
                                  lambda v: v.edit_dsc(set_point(type="INT"))),
    "dsc.data_points.unit": Drift(DSC, "data_sources.Env.data_points.DP-T.unit",
                                  lambda v: v.edit_dsc(set_point(unit="K"))),
    "dsc.data_points.unit(set->empty)": Drift(DSC, "data_sources.Env.data_points.DP-T.unit",
                                              lambda v: v.edit_dsc(set_point(unit=""))),
    "dsc.data_points.description": Drift(DSC, "data_sources.Env.data_points.DP-T.description",
                                         lambda v: v.edit_dsc(set_point(description="Edited"))),
    "dsc.data_points(removed)": Drift(DSC, "data_sources.Env.data_points.DP-C",
                                      lambda v: v.edit_dsc(drop_data_point)),
    # data point mappings: no update endpoint, so keepMapping is a replace
    "mapping.keep_mapping": Drift(MAP_T, "keep_mapping", lambda v: v.remap("DP-T", keepMapping=False),
                                  Action.REPLACE),
    # event mappings
    "event_mapping.event_type_name": Drift(EVENT, "event_type_name",
                                           lambda v: v.patch_event_mapping(eventTypeName="Overheating")),
    # iTwin IoT
    **{f"{kind}.{case}": Drift(address, case.split("(")[0], itwin(depth, {prop: value}))
       for kind, address, depth in (("connection", CONN, 1), ("device", DEVICE, 2), ("sensor", SENSOR, 3))
       for case, prop, value in (("name", "NAME", "Renamed"), ("notes", "NOTES", "Edited"),
                                 ("notes(cleared)", "NOTES", None), ("location(cleared)", "LOCATION", None))},
    **{f"{kind}.location": Drift(address, "location.lon", itwin(depth, {"LOCATION": {"type": "Point",
                                                                                     "coordinates": point}}))
       for kind, address, depth, point in (("connection", CONN, 1, [10.5, 20.0, 0.0]),
                                           ("device", DEVICE, 2, [-53.9, 30.602073, -17.24]),
                                           ("sensor", SENSOR, 3, [20.000001, 30.0]))},
    "device.location.elev": Drift(DEVICE, "location.elev", itwin(
        2, {"LOCATION": {"type": "Point", "coordinates": [-53.900861, 30.602073]}})),
}


@pytest.mark.parametrize("case", DRIFTS.values(), ids=list(DRIFTS))
async def test_drift_of_each_field_plans_exactly_one_change_naming_it(
        case: Drift, applied: Applied, loaded: Sandbox) -> None:
    await vendor_call(applied.project, loaded, case.call)
    plan = await plan_of(applied.project, loaded)
    assert [(c.address, c.action) for c in plan.changes] == [(case.address, case.action)]
    (change,) = plan.changes
    paths = [f.path for f in change.fields]
    assert paths and all(p == case.path or p.startswith(f"{case.path}.") for p in paths), paths


# Fields in the address of a mapping are its identity: the drifted object is another address,
# so the plan creates the configured one. Mappings carry no owner marker, so the drifted one reads
# like one made by hand on the agent: it is listed as unmanaged and left alone (issue 13; the
# agent's `prune_mappings: true` would delete it).
IDENTITY_DRIFTS: dict[str, tuple[str, str, Callable[[Vendor], Awaitable[None]]]] = {
    "mapping.variable": (MAP_T, f"{AGENT}.mappings.DP-T.motor.environment.Ambient",
                         lambda v: v.remap("DP-T", propertyName="Ambient")),
    "event_mapping.value": (EVENT, EVENT.replace("=MyMachine", "=Other"),
                            lambda v: v.patch_event_mapping(eventTypeFieldValue="Other")),
    "event_mapping.field": (EVENT, EVENT.replace("source=", "origin="),
                            lambda v: v.patch_event_mapping(eventTypeFieldName="origin")),
}


@pytest.mark.parametrize("case", IDENTITY_DRIFTS.values(), ids=list(IDENTITY_DRIFTS))
async def test_drift_of_an_identity_field_recreates_the_configured_and_leaves_the_stray(
        case: tuple[str, str, Callable[[Vendor], Awaitable[None]]], applied: Applied,
        loaded: Sandbox) -> None:
    configured, stray, call = case
    await vendor_call(applied.project, loaded, call)
    plan = await plan_of(applied.project, loaded)
    assert [(c.address, c.action) for c in plan.changes] == [(configured, Action.CREATE)]
    assert stray in {o.name for o in plan.unmanaged["insights_hub"]}


# Immutable fields: the vendor API refuses the change, so no drift is possible there; our
# kinds plan a REPLACE when the configuration changes them (see test_plan_replace.py).
def to_dynamic(body: JSONDict) -> None:
    body["category"] = "dynamic"
    body["variables"] = [{k: w for k, w in v.items() if k != "defaultValue"} for v in body["variables"]]


REFUSED: dict[str, tuple[Callable[[Vendor], Awaitable[None]], str]] = {
    "aspect_type.category": (aspect("Nameplate", to_dynamic), "category"),
    "aspect_type.variables.type": (aspect("Environment", set_var("Temperature", dataType="INT")), "dataType"),
    "aspect_type.variables.quality_code": (aspect("Environment", set_var("Temperature", qualityCode=False)),
                                           "qualityCode"),
    "aspect_type.variables.searchable": (aspect("Environment", set_var("Status", searchable=False)),
                                         "searchable"),
    "aspect_type.variables.length(dynamic)": (aspect("Environment", set_var("Status", length=50)), "length"),
    "asset_type.variables.type": (asset_type(set_var("Weight", dataType="INT")), "dataType"),
    "asset_type.parent": (asset_type(set_key(parentTypeId="core.basicdevice")), "parentTypeId"),
    "asset_type.instantiable": (asset_type(set_key(instantiable=False)), "instantiable"),
    "asset.timezone": (asset("Plant Hamburg", set_key(timezone="Europe/Vienna")), "timezone"),
    "asset.type": (asset("Motor", set_key(typeId="core.basicasset")), "typeId"),
    "device.template": (lambda v: v.integrate(2, {"INTEGRATION_ID": "OTHER_SDE"}), "INTEGRATION_ID"),
    "sensor.template": (lambda v: v.integrate(3, {"INTEGRATION_ID": "TEMPERATURE_SDE"}), "INTEGRATION_ID"),
    "sensor.metrics": (lambda v: v.integrate(3, {"UNKNOWN_UNITS": {"0": "radian", "1": "degree"}}),
                       "UNKNOWN_UNITS"),
}


@pytest.mark.parametrize("case", REFUSED.values(), ids=list(REFUSED))
async def test_immutable_field_is_refused_by_the_vendor_and_nothing_drifts(
        case: tuple[Callable[[Vendor], Awaitable[None]], str], applied: Applied, loaded: Sandbox) -> None:
    call, field = case
    with pytest.raises(ApiError, match=field):
        await vendor_call(applied.project, loaded, call)
    assert (await plan_of(applied.project, loaded)).changes == ()


async def test_twin_type_is_not_part_of_an_asset_update_so_it_cannot_drift(
        applied: Applied, loaded: Sandbox) -> None:
    # AssetUpdate (PUT /assets/{id}) has no twinType: the service keeps the value set at creation.
    await vendor_call(applied.project, loaded, asset("Motor", set_key(twinType="simulation", name="Motor 2")))

    async def twin_type(v: Vendor) -> None:
        assert (await v.asset("Motor 2"))["twinType"] == "performance"
    await vendor_call(applied.project, loaded, twin_type)
    (change,) = (await plan_of(applied.project, loaded)).changes
    assert [f.path for f in change.fields] == ["name"]
