"""iTwin creates and removes decide a failed or refused integrate from state, never from its text.

The real client talks to the sandbox through a transport that rewrites every error message to
text that names nothing (as a service in another locale would): a refused create whose entity
exists is taken over, a refused remove whose entity is gone is done, anything else is raised.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from provisioner.model import Action, ApplyContext, Change
from provisioner.providers.http import ItwinApiKey, RetryPolicy
from provisioner.providers.http.errors import AmbiguousWriteError, ApiValidationError
from provisioner.providers.itwin_iot import kinds
from provisioner.providers.itwin_iot.client import ItwinIotClient
from provisioner.providers.itwin_iot.operations import Operations
from provisioner.sandbox import Sandbox, SandboxSettings

URL = "http://127.0.0.1:8700"
PROJECT = "sandbox-project"
CONN = "itwin_iot.connections.north"
DEVICE = f"{CONN}.devices.logger"
DEVICE_ATTRS = {"name": "Logger", "location": None, "notes": None, "template": "IMPORT_DEVICE_SDE"}


class Untalkative(httpx.AsyncBaseTransport):
    """Passes requests through; replaces every error message with one that names nothing."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if response.status_code < 400:
            return response
        body = json.loads(await response.aread())
        if isinstance(body.get("error"), dict):
            body["error"]["message"] = "Anfrage abgelehnt."
        return httpx.Response(response.status_code, json=body)


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox(SandboxSettings())


@pytest.fixture
async def ops(sandbox: Sandbox) -> AsyncIterator[Operations]:
    retry = RetryPolicy(max_attempts=2, base_delay=0.0, max_delay=0.0)
    client = ItwinIotClient(URL, ItwinApiKey("sandbox-key"), transport=Untalkative(sandbox.transport()),
                            retry=retry, limits="none")
    async with client:
        yield Operations(client, project=PROJECT, stack="s")


def create(address: str, kind: str, after: dict[str, Any]) -> Change:
    return Change(Action.CREATE, address, kind, None, after)


async def make_connection(ops: Operations) -> str:
    change = create(CONN, kinds.CONNECTION, {"name": "North", "location": None, "notes": None})
    node_id = await ops.apply(change, ApplyContext(changes={CONN: change}))
    assert node_id is not None
    return node_id


async def test_a_refused_create_whose_entity_exists_is_taken_over(ops: Operations, sandbox: Sandbox) -> None:
    node_id = await make_connection(ops)
    change = create(DEVICE, kinds.DEVICE, DEVICE_ATTRS)
    ctx = ApplyContext(ids={CONN: node_id}, changes={DEVICE: change})
    device_id = await ops.apply(change, ctx)
    fresh = Operations(ops.client, project=PROJECT, stack="s")  # a second apply that did not see it
    # the sandbox refuses the used refId (422); the message says nothing, the tree read decides
    assert await fresh.apply(change, ctx) == device_id
    devices = [e for e in sandbox.snapshot()["itwin"]["entities"] if e["kind"] == "device"]
    assert len(devices) == 2  # the connection's marker and the one logger


async def test_a_refused_connection_create_finds_the_node_by_its_marker(ops: Operations) -> None:
    node_id = await make_connection(ops)
    fresh = Operations(ops.client, project=PROJECT, stack="s")
    assert await make_connection(fresh) == node_id


async def test_a_refused_create_of_nothing_existing_is_raised(ops: Operations) -> None:
    node_id = await make_connection(ops)
    broken = create(DEVICE, kinds.DEVICE, {**DEVICE_ATTRS, "template": "NO_SUCH_TEMPLATE"})
    with pytest.raises(ApiValidationError) as info:
        await ops.apply(broken, ApplyContext(ids={CONN: node_id}, changes={DEVICE: broken}))
    assert info.value.status == 400


async def test_an_ambiguous_create_that_was_applied_is_found(ops: Operations, sandbox: Sandbox) -> None:
    node_id = await make_connection(ops)
    sandbox.faults.set_spec("commit-fail=100%@/api/integrations/integrate")
    change = create(DEVICE, kinds.DEVICE, DEVICE_ATTRS)
    device_id = await ops.apply(change, ApplyContext(ids={CONN: node_id}, changes={DEVICE: change}))
    assert device_id is not None and device_id.startswith(node_id)


async def test_a_refused_remove_of_a_gone_entity_is_done(ops: Operations) -> None:
    node_id = await make_connection(ops)
    delete = Change(Action.DELETE, DEVICE, kinds.DEVICE, DEVICE_ATTRS, None, server_id=f"{node_id}/x")
    # no such refId under the node: refused (422), and the re-read shows it is not there
    await ops.apply(delete, ApplyContext(ids={CONN: node_id}, changes={DEVICE: delete}))
    gone = Change(Action.DELETE, CONN, kinds.CONNECTION, {}, None, server_id=node_id)
    await ops.apply(gone, ApplyContext(ids={CONN: node_id}, changes={CONN: gone}))
    await ops.apply(gone, ApplyContext(ids={CONN: node_id}, changes={CONN: gone}))  # again: done


async def test_a_failed_remove_of_an_entity_still_there_is_raised(ops: Operations, sandbox: Sandbox) -> None:
    node_id = await make_connection(ops)
    sandbox.faults.set_spec("503=100%@/api/integrations/integrate")
    gone = Change(Action.DELETE, CONN, kinds.CONNECTION, {}, None, server_id=node_id)
    with pytest.raises(AmbiguousWriteError):
        await ops.apply(gone, ApplyContext(ids={CONN: node_id}, changes={CONN: gone}))


async def test_a_recovery_read_records_no_older_sibling(ops: Operations, sandbox: Sandbox) -> None:
    """The tree read after an ambiguous create also shows siblings made earlier; a later re-create
    of one of them (a replace: delete, then create) must make a new entity, not reuse the old id."""
    node_id = await make_connection(ops)
    ctx = ApplyContext(ids={CONN: node_id})
    logger = create(DEVICE, kinds.DEVICE, DEVICE_ATTRS)
    old_id = await ops.apply(logger, ctx)
    sandbox.faults.set_spec("commit-fail=100%@/api/integrations/integrate")
    other = create(f"{CONN}.devices.other", kinds.DEVICE, DEVICE_ATTRS)
    assert await ops.apply(other, ctx) is not None  # found by the tree read
    sandbox.faults.set_spec("")
    await ops.apply(Change(Action.DELETE, DEVICE, kinds.DEVICE, DEVICE_ATTRS, None, server_id=old_id), ctx)
    new_id = await ops.apply(logger, ctx)
    assert new_id != old_id
    assert new_id in {e["id"] for e in sandbox.snapshot()["itwin"]["entities"]}
