"""Field commands in-process: an RSA_3072 agent onboards and delivers through `simulate` (its own
3072-bit key, RS384 assertion), `check --wait` polls until data flows, and bad input gives a clear
error without a traceback."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
from cli import provision
from fleetgen import make_fleet
from harness import copy_example

from provisioner.config import Project, load_project
from provisioner.field.agent import FieldAgent, iso_ms
from provisioner.field.boarding import write_boarding_files
from provisioner.field.check import run_check
from provisioner.field.inventory import read_inventory
from provisioner.field.itwin_data import itwin_data
from provisioner.field.simulate import project_feed, simulate
from provisioner.pipeline import ApplyOptions, apply_plan
from provisioner.providers.insights_hub.field_client import FieldClient
from provisioner.sandbox import Sandbox
from provisioner.session import make_plan, open_session


async def apply_and_board(project: Project, sandbox: Sandbox, secrets: Path) -> None:
    async with open_session(project.config, transport=sandbox.transport()) as session:
        plan, live = await make_plan(session)
        assert (await apply_plan(session, plan, ApplyOptions(), live=live)).ok
        assert session.hub is not None
        inventory = await read_inventory(session)
        await write_boarding_files(FieldClient(session.hub), inventory.agents, secrets, rotate=False)


async def test_rsa_3072_agent_onboards_uploads_and_check_waits_until_it_flows(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    path = copy_example("quickstart", tmp_path) / "insights-hub.yaml"
    path.write_text(path.read_text().replace("security_profile: SHARED_SECRET", "security_profile: RSA_3072"))
    project = load_project(path.parent)
    secrets = tmp_path / "secrets"
    await apply_and_board(project, sandbox, secrets)
    async with open_session(project.config, transport=sandbox.transport()) as session:
        assert session.hub is not None
        inventory = await read_inventory(session)
        assert [a.profile for a in inventory.agents] == ["RSA_3072"]
        first = await run_check(FieldClient(session.hub), inventory, since_s=60, wait_s=0)
        assert not first.flowing and first.rounds == 1

        itwin = itwin_data(session, inventory.itwin_project)

        async def later() -> None:
            await asyncio.sleep(0.3)
            await simulate(secrets, duration_s=0, interval_s=1, transport=sandbox.transport(),
                           feed=project_feed(inventory, itwin))

        waited, _ = await asyncio.gather(
            run_check(FieldClient(session.hub), inventory, since_s=60, wait_s=5, poll_s=0.2, itwin=itwin),
            later(),
        )
    assert waited.flowing and waited.rounds > 1, waited.summary()
    assert (secrets / ".simulator" / "acme-motor-agent.key.pem").stat().st_mode & 0o077 == 0
    assert sandbox.ctx.state.agents[inventory.agents[0].agent_id]["jwk"]["kty"] == "RSA"


def test_bad_input_is_a_clear_error(tmp_path: Path) -> None:
    project = copy_example("quickstart", tmp_path)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "broken.json").write_text("{}")
    for args, text in (
        (("simulate", str(empty)), "not a boarding file"),
        (("simulate", str(tmp_path / "project-less"), "--duration", "x"), "Error"),
        (("check", str(project), "--since", "soon"), "is not a duration"),
        (("boarding", str(project), "--out", str(blocker / "sub")), "cannot use it as the secrets folder"),
    ):
        result = provision(*args)
        assert result.returncode != 0 and text in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr, args


async def test_a_fleet_flows_end_to_end_with_the_values_simulate_sent(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    project = load_project(make_fleet(tmp_path / "fleet", 3))
    secrets = tmp_path / "secrets"
    await apply_and_board(project, sandbox, secrets)
    async with open_session(project.config, transport=sandbox.transport()) as session:
        inventory = await read_inventory(session)
        feed = project_feed(inventory, itwin_data(session, inventory.itwin_project), event_every=2)
        runs = await simulate(secrets, duration_s=1.5, interval_s=0.5, transport=sandbox.transport(), seed=3,
                              feed=feed)
    async with open_session(project.config, transport=sandbox.transport()) as session:
        assert session.hub is not None
        inventory = await read_inventory(session)
        report = await run_check(FieldClient(session.hub), inventory, since_s=60, wait_s=0,
                                 itwin=itwin_data(session, inventory.itwin_project))
    assert report.flowing and report.summary() == (
        "3/3 agents online, 18/18 mappings delivering, 3/3 event mappings delivering, "
        "9/9 sensor metrics receiving observations")
    # events every 2nd interval of 3: the first and the third; check reports the last one sent
    sent_events = {e.mapping: e for run in runs for e in run.events}
    assert len([e for run in runs for e in run.events]) == 6
    assert {e.address: e.latest_time for e in report.events} == {
        address: e.timestamp for address, e in sent_events.items()}
    stored = {(e["timestamp"], e["typeId"], e["source"]) for e in sandbox.ctx.telemetry.events}
    assert {(e.timestamp, e.type_id, e.value) for run in runs for e in run.events} == stored
    observed = {(o.sensor, m): (o.timestamp, v) for o in feed.sent for m, v in o.values.items()}
    assert len(feed.sent) == 3 * 6  # 6 sensors, 3 intervals
    assert {(m.sensor, m.metric): (m.latest_time, m.latest_value) for m in report.sensor_metrics} == observed
    last = {(s.agent, s.data_point): s for run in runs for s in run.sent}
    for mapping in report.mappings:
        agent_key = mapping.agent_address.split(".")[2]
        point = mapping.address.split(".mappings.")[1].split(".")[0]
        sent = last[(agent_key, point)]
        assert mapping.latest_time == sent.timestamp
        stored = mapping.latest_value
        assert (
            (str(stored).lower() == sent.value) if isinstance(stored, bool) else float(sent.value) == stored
        )


async def test_values_the_service_rejects_are_reported_as_records_rejected(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    project = load_project(copy_example("quickstart", tmp_path))
    secrets = tmp_path / "secrets"
    await apply_and_board(project, sandbox, secrets)
    async with httpx.AsyncClient(transport=sandbox.transport()) as http:
        agent = FieldAgent.from_file(secrets / "acme-motor-agent.json", http)
        await agent.onboard()
        stamp = iso_ms(time.time())
        # a device still on an old configuration: the service keeps its values as recoverable records
        await agent.upload(
            "an-old-configuration",
            [
                {
                    "timestamp": stamp,
                    "values": [{"dataPointId": "DP-Temperature", "value": "20.5", "qualityCode": "0"}],
                }
            ],
        )
    (record,) = sandbox.ctx.telemetry.recoverable
    record["dropReason"] = "data point DP-Temperature: no valid mapping"  # text must not decide
    async with open_session(project.config, transport=sandbox.transport()) as session:
        assert session.hub is not None
        report = await run_check(
            FieldClient(session.hub), await read_inventory(session), since_s=60, wait_s=0
        )
    causes = {m.address.split(".mappings.")[1].split(".")[0]: m.cause for m in report.mappings}
    # attributed by the record's typed agentId; its free-text dropReason is neither parsed nor shown
    expected = f"records rejected for this agent (1 recoverable record, latest {record['id']})"
    assert set(causes.values()) == {expected}
    assert len(causes) == 5 and not report.flowing



async def test_a_service_without_the_iiot_observation_query_is_named_per_metric(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    project = load_project(copy_example("quickstart", tmp_path))
    secrets = tmp_path / "secrets"
    await apply_and_board(project, sandbox, secrets)
    sandbox.itwin.settings.iiot_observation_query = False  # only api.bentley.com would answer
    async with open_session(project.config, transport=sandbox.transport()) as session:
        assert session.hub is not None
        inventory = await read_inventory(session)
        itwin = itwin_data(session, inventory.itwin_project)
        await simulate(secrets, duration_s=0, interval_s=1, transport=sandbox.transport(),
                       feed=project_feed(inventory, itwin))
        report = await run_check(FieldClient(session.hub), inventory, since_s=60, wait_s=0, itwin=itwin)
    assert not report.flowing and report.events_delivering == 1 and report.mappings_delivering == 5
    assert len(report.sensor_metrics) == 4
    assert {m.cause for m in report.sensor_metrics} == {
        "the service answers no observation query at this URL (404)"}
