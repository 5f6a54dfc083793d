"""The providers' call models: which endpoint classes one graph node calls, and how often."""

from __future__ import annotations

from provisioner.model import Action, Change
from provisioner.plan import build_graph, estimate_plan
from provisioner.providers.insights_hub import kinds as ih
from provisioner.providers.itwin_iot import kinds as iot

KINDS = {**ih.KINDS, **iot.KINDS}
CONN = "itwin_iot.connections.north"
DEVICE = f"{CONN}.devices.logger"
SENSOR = f"{DEVICE}.sensors.tilt"


def change(action: Action, address: str, kind: str, after: dict[str, object] | None = None,
           *deps: str) -> Change:
    before = None if action is Action.CREATE else {}
    return Change(action, address, kind, before, None if action is Action.DELETE else (after or {}),
                  server_id=None if action is Action.CREATE else "x", depends_on=deps)


def test_a_new_connection_carries_its_new_devices_and_sensors_in_one_integrate() -> None:
    plan = [change(Action.CREATE, CONN, iot.CONNECTION, {"name": "North"}),
            change(Action.CREATE, DEVICE, iot.DEVICE, {}, CONN),
            change(Action.CREATE, SENSOR, iot.SENSOR, {}, DEVICE)]
    est = estimate_plan(build_graph(plan), KINDS)
    assert est.calls_by_class == {iot.INTEGRATE: 2}  # the integrate, then the node's name
    unnamed = [change(Action.CREATE, CONN, iot.CONNECTION, {}), *plan[1:]]
    assert estimate_plan(build_graph(unnamed), KINDS).calls_by_class == {iot.INTEGRATE: 1}


def test_a_device_under_a_live_connection_costs_one_call_and_removals_cascade() -> None:
    alone = [change(Action.CREATE, DEVICE, iot.DEVICE, {}),
             change(Action.CREATE, SENSOR, iot.SENSOR, {}, DEVICE)]
    assert estimate_plan(build_graph(alone), KINDS).calls_by_platform == {"itwin_iot": 1}
    gone = [change(Action.DELETE, CONN, iot.CONNECTION), change(Action.DELETE, DEVICE, iot.DEVICE),
            change(Action.DELETE, SENSOR, iot.SENSOR)]
    assert estimate_plan(build_graph(gone), KINDS).calls_by_platform == {"itwin_iot": 1}


def test_an_agent_draws_on_the_asset_quota_and_a_mapping_on_the_mindconnect_quota() -> None:
    agent = "insights_hub.agents.a"
    plan = [change(Action.CREATE, "insights_hub.assets.site", ih.ASSET, {}),
            change(Action.CREATE, agent, ih.AGENT, {}, "insights_hub.assets.site"),
            *(change(Action.CREATE, f"{agent}.mappings.m{i}", ih.MAPPING, {}, agent) for i in range(3))]
    est = estimate_plan(build_graph(plan), KINDS, rate_limits={"mc.datapointmappings.post": [(1050, 3600.0)]},
                        overhead={"insights_hub": ih.LEASE_CALLS_NEW})
    assert est.calls_by_class == {"am.assets.post": 2, "agm.agents.post": 1, "mc.datapointmappings.post": 3,
                                  "am.aspecttype.put": 1, "am.aspecttype.patch": 1}
    assert est.calls_by_platform == {"insights_hub": 8}
