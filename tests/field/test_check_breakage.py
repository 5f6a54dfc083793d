"""`check` finds and names what does not flow, on a 5-site fleet against the in-process sandbox:
a mapping made INVALID on the service side, an agent never onboarded, a data point the device never
sends, an agent that stopped uploading, an event mapping never fed, an iTwin sensor metric that never
receives observations and a sensor that receives none; the one healthy site is not reported."""

from __future__ import annotations

import time
from pathlib import Path

from fleetgen import make_fleet

from provisioner.config import load_project
from provisioner.field.agent import iso_ms
from provisioner.field.boarding import write_boarding_files
from provisioner.field.check import CheckReport, run_check
from provisioner.field.inventory import read_inventory
from provisioner.field.itwin_data import itwin_data
from provisioner.field.render_check import render_check_text
from provisioner.field.simulate import project_feed, simulate
from provisioner.pipeline import ApplyOptions, apply_plan
from provisioner.providers.insights_hub.field_client import FieldClient
from provisioner.sandbox import Sandbox
from provisioner.session import make_plan, open_session

AGENTS = "insights_hub.agents"
SITE_3 = "itwin_iot.connections.site-0003.devices.logger-1.sensors"
EVENT_3 = f"{AGENTS}.site-0003-agent.event_mappings.site-0003-pump.sandbox.connectivity.event.type.PumpAlarm"


async def check_at(project_dir: Path, sandbox: Sandbox, since_s: float, now: float) -> CheckReport:
    project = load_project(project_dir)
    async with open_session(project.config, transport=sandbox.transport()) as session:
        assert session.hub is not None
        inventory = await read_inventory(session)
        return await run_check(FieldClient(session.hub), inventory, since_s=since_s, wait_s=0,
                               now=lambda: now, itwin=itwin_data(session, inventory.itwin_project))


async def test_each_breakage_is_named_with_its_cause(tmp_path: Path, sandbox: Sandbox) -> None:
    project_dir = make_fleet(tmp_path / "fleet", 5)
    project = load_project(project_dir)
    secrets = tmp_path / "secrets"
    async with open_session(project.config, transport=sandbox.transport()) as session:
        plan, live = await make_plan(session)
        assert (await apply_plan(session, plan, ApplyOptions(), live=live)).ok
        assert session.hub is not None
        inventory = await read_inventory(session)
        await write_boarding_files(FieldClient(session.hub), inventory.agents, secrets, rotate=False)
    (secrets / "site-0002-agent.json").unlink()  # never onboarded
    # the service side: DP-Flow of site-0001 now has another unit (kept mapping -> INVALID_UNIT)
    state = sandbox.ctx.state
    agent_1 = next(a for a in inventory.agents if a.key == "site-0001-agent").agent_id
    for mapping_id in state.mappings_by_agent[agent_1]:
        state.mappings[mapping_id]["keepMapping"] = True
    dsc = state.dscs[agent_1]
    for source in dsc["dataSources"]:
        for point in source["dataPoints"]:
            if point["id"] == "DP-Flow":
                point["unit"] = "l/h"
    dsc["eTag"] = str(int(dsc["eTag"]) + 1)

    transport = sandbox.transport()
    omit = {"site-0003-agent": {"DP-Temp"}}
    start = time.time()
    # every agent uploads values stamped two minutes ago, then only the fresh ones upload values
    # stamped `start`; check measures `--since 60s` from `start`: no wall-clock margin involved
    async with open_session(project.config, transport=transport) as session:
        inventory = await read_inventory(session)
        itwin = itwin_data(session, inventory.itwin_project)
        event_3 = next(e.address for e in inventory.event_mappings if e.address.startswith(EVENT_3))
        leave_out = {f"{SITE_3}.tilt-1": {"Tilt_Y"}, f"{SITE_3}.level-1": {"*"}}

        await simulate(secrets, duration_s=0, interval_s=1, transport=transport, omit=omit,
                       clock=lambda: start - 120, feed=project_feed(
                           inventory, itwin, omit_events={event_3}, omit_metrics=leave_out))
        fresh = ("site-0001-agent", "site-0003-agent", "site-0005-agent")
        await simulate(secrets, duration_s=0, interval_s=1, transport=transport, only=fresh, omit=omit,
                       clock=lambda: start, feed=project_feed(
                           inventory, itwin, omit_events={event_3}, omit_metrics=leave_out))

    report = await check_at(project_dir, sandbox, since_s=60, now=start)
    assert not report.flowing
    assert report.summary() == ("3/5 agents online, 16/30 mappings delivering, 2/5 event mappings "
                                "delivering, 13/15 sensor metrics receiving observations")
    causes = {a.address: a.cause for a in report.agents if a.cause}
    causes |= {m.address: m.cause for m in report.mappings if m.cause}
    causes |= {e.address: e.cause for e in report.events if e.cause}
    causes |= {m.address: m.cause for m in report.sensor_metrics if m.cause}
    cutoff = iso_ms(start - 60)
    assert causes[event_3] == f"no event since {cutoff} (the device never sent one)"
    assert causes[f"{SITE_3}.tilt-1.metrics.Tilt_Y"] == (
        f"metric missing from the sensor's observations since {cutoff}")
    assert causes[f"{SITE_3}.level-1.metrics.Level"] == (
        f"no observation since {cutoff} (the device is not uploading)")
    site_events = {e.address.split(".")[2]: e.cause for e in report.events}
    assert str(site_events["site-0002-agent"]).startswith("agent not onboarded")
    assert str(site_events["site-0004-agent"]).startswith("agent stopped uploading")
    assert site_events["site-0001-agent"] is None and site_events["site-0005-agent"] is None
    assert causes[f"{AGENTS}.site-0002-agent"] == "not onboarded (boarding status NOT_ONBOARDED)"
    assert str(causes[f"{AGENTS}.site-0004-agent"]).startswith("stopped uploading (last value at ")
    assert causes[f"{AGENTS}.site-0001-agent.mappings.DP-Flow.site-0001-pump.status.FlowRate"] == (
        "mapping INVALID_UNIT"
    )
    assert causes[f"{AGENTS}.site-0003-agent.mappings.DP-Temp.site-0003-pump.health.Temperature"] == (
        "data point never sent"
    )
    site_2 = [a for a in causes if a.startswith(f"{AGENTS}.site-0002-agent.mappings.")]
    assert len(site_2) == 6 and all(str(causes[a]).startswith("agent not onboarded") for a in site_2)
    site_4 = [a for a in causes if a.startswith(f"{AGENTS}.site-0004-agent.mappings.")]
    assert len(site_4) == 6 and all(str(causes[a]).startswith("agent stopped uploading") for a in site_4)
    assert not any("site-0005" in address for address in causes)
    text = render_check_text(report)
    assert text.splitlines()[0] == report.summary() and "mapping INVALID_UNIT" in text
    assert f"  {SITE_3}.tilt-1.metrics.Tilt_Y: metric missing" in text
    assert f"{SITE_3}.tilt-1.metrics.Tilt_X" not in text  # only what does not flow is listed
    records = sandbox.ctx.telemetry.recoverable
    assert any("DP-Flow" in r["dropReason"] for r in records)  # the value went to a recoverable record
