"""A body labelled as a form skips the middleware's JSON depth check (forms are not JSON); the
handlers that parse JSON anyway must still answer 400 or 415 to deep nesting, never a 500. Found by
benchmarks/fuzz_hostile.py: `POST …/eventmanagement/v3/events` answered 500 (RecursionError)."""

from __future__ import annotations

import httpx
import pytest
from ih_helpers import BASE_URL, token_for

from provisioner.sandbox import Sandbox, SandboxSettings

DEEP = b"[" * 100_000 + b"]" * 100_000
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
PATHS = ["/api/eventmanagement/v3/events", "/api/eventmanagement/v3/eventTypes",
         "/api/technicaltokenmanager/v3/oauth/token"]


@pytest.mark.parametrize("check", ["strict", "lenient"])
@pytest.mark.parametrize("path", PATHS)
async def test_deep_json_in_a_form_labelled_body_is_a_client_error(path: str, check: str) -> None:
    sandbox = Sandbox(SandboxSettings(content_type_check="lenient" if check == "lenient" else "strict"))
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url=BASE_URL) as client:
        token = await token_for(client)
        headers = {**FORM, "Authorization": f"Bearer {token}"}
        response = await client.post(path, content=DEEP, headers=headers)
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:200])


async def test_deep_json_in_a_form_labelled_itwin_body_is_a_client_error() -> None:
    sandbox = Sandbox(SandboxSettings())
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url=BASE_URL) as client:
        response = await client.post("/api/sensor-data/data/observations", content=DEEP,
                                     headers={**FORM, "Authorization": "sandbox-key"},
                                     params={"projectIds": "sandbox-project"})
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:200])
