"""`provision check` reports an event mapping delivering when an event of the mapped type, with the
mapped field value, reached the mapped asset through Event Management `POST /events` (the path the
vendor's `MindConnectAgent.PostEvent` takes), not only through `/exchange`."""

from __future__ import annotations

from pathlib import Path

import httpx
from harness import copy_example

from provisioner.config import load_project
from provisioner.field.agent import iso_ms
from provisioner.field.check import run_check
from provisioner.field.inventory import read_inventory
from provisioner.pipeline import ApplyOptions, apply_plan
from provisioner.providers.insights_hub.field_client import FieldClient
from provisioner.sandbox import Sandbox
from provisioner.session import make_plan, open_session

EM = "/api/eventmanagement/v3"
STANDARD = "com.siemens.mindsphere.eventmgmt.event.type.MindSphereStandardEvent"


async def test_a_posted_event_on_the_mapped_asset_makes_the_event_mapping_deliver(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    project = load_project(copy_example("quickstart", tmp_path))
    async with open_session(project.config, transport=sandbox.transport()) as session:
        plan, live = await make_plan(session)
        assert (await apply_plan(session, plan, ApplyOptions(), live=live)).ok
        assert session.hub is not None
        inventory = await read_inventory(session)
        [item] = inventory.event_mappings
        field = FieldClient(session.hub)
        before = await run_check(field, inventory, since_s=600, wait_s=0)
        assert before.events[0].cause is not None
        async with httpx.AsyncClient(transport=sandbox.transport(), base_url="http://127.0.0.1:8700") as hub:
            auth = ("sandbox-client", "sandbox-secret")
            token = (await hub.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=auth))
            hub.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
            created = await hub.post(f"{EM}/eventTypes", json={
                "id": item.event_type, "name": item.event_type_name, "parentId": STANDARD, "fields": []})
            assert created.status_code == 201, created.text
            stamp = iso_ms(sandbox.settings.clock() - 5)
            event = {"entityId": item.asset_id, "typeId": item.event_type, "timestamp": stamp}
            other = await hub.post(f"{EM}/events", json={**event, item.field: "not the mapped value"})
            assert other.status_code == 201
            unmatched = await run_check(field, inventory, since_s=600, wait_s=0)
            assert unmatched.events[0].cause is not None
            posted = await hub.post(f"{EM}/events", json={**event, item.field: item.value})
            assert posted.status_code == 201, posted.text
        after = await run_check(field, inventory, since_s=600, wait_s=0)
    [result] = after.events
    assert (result.cause, result.latest_time, result.latest_id) == (None, stamp, posted.json()["id"])
    assert "1/1 event mappings delivering" in after.summary()
