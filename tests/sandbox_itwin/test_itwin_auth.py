"""IMS tokens and the Authorization check on both hosts."""

from __future__ import annotations

import httpx
from itwin_helpers import FakeClock, device, integrate

from provisioner.sandbox.itwin_iot import ItwinSettings, ItwinStore

FORM = {
    "grant_type": "client_credentials",
    "client_id": "sandbox-ims-client",
    "client_secret": "sandbox-ims-secret",
    "scope": "sensor-data:modify sensor-data:read users:read itwins:read itwins:modify",
}


async def _token(anon: httpx.AsyncClient, **overrides: str) -> httpx.Response:
    return await anon.post("/connect/token", data={**FORM, **overrides})


async def test_token_endpoint(anon: httpx.AsyncClient) -> None:
    response = await _token(anon)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["access_token"].count(".") == 2
    assert (await _token(anon, scope="itwin-platform")).status_code == 200


async def test_token_endpoint_errors(anon: httpx.AsyncClient) -> None:
    assert (await _token(anon, client_secret="wrong")).json() == {"error": "invalid_client"}
    assert (await _token(anon, grant_type="password")).json() == {"error": "unsupported_grant_type"}
    assert (await _token(anon, scope="everything")).json() == {"error": "invalid_scope"}


async def test_bearer_token_and_api_key_forms(anon: httpx.AsyncClient) -> None:
    token = (await _token(anon)).json()["access_token"]
    for header in (f"Bearer {token}", "Bearer sandbox-key", "ApiKey sandbox-key"):
        response = await anon.get("/api/nodes/all", headers={"Authorization": header})
        assert response.status_code == 200, header


async def test_token_user_is_last_modified_by(anon: httpx.AsyncClient) -> None:
    token = (await _token(anon)).json()["access_token"]
    anon.headers["Authorization"] = f"Bearer {token}"
    created = (await integrate(anon, {"changeState": "new", "devices": [device("d")]})).json()["integration"]
    update = {"changeState": "update", "refId": "d", "props": {"NAME": "n"}}
    response = await integrate(anon, {"nodeId": created["node"]["id"], "devices": [update]})
    props = response.json()["integration"]["devices"][0]["device"]["props"]
    assert props["LAST_MODIFIED_BY"] == "sandbox-ims-client@apps.imsoidc.bentley.com"


async def test_iiot_401_bodies(anon: httpx.AsyncClient) -> None:
    missing = await anon.get("/api/nodes/all")
    assert missing.status_code == 401
    assert missing.json()["errors"][0]["path"] == "Authorization"
    for header in ("ApiKey wrong", "Bearer wrong", "Basic abc"):
        response = await anon.get("/api/sensors/all", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.json()["errors"][0]["path"] == "Authorization"


async def test_expired_token(anon: httpx.AsyncClient, clock: FakeClock) -> None:
    token = (await _token(anon)).json()["access_token"]
    clock.now += 3600
    response = await anon.get("/api/nodes/all", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    [error] = response.json()["errors"]
    assert error["path"] == "Authorization"
    assert error["message"].startswith("Token has expired on ")
    assert error["message"].endswith("UTC 2024")


async def test_sensor_data_auth(anon: httpx.AsyncClient, settings: ItwinSettings) -> None:
    missing = await anon.get("/sensor-data/integrations/nodes", params={"iTwinId": "sandbox-project"})
    assert missing.status_code == 401
    assert missing.json() == {
        "error": {
            "code": "HeaderNotFound",
            "message": "Header Authorization was not found in the request. Access denied.",
        }
    }
    key = await anon.get(
        "/sensor-data/integrations/nodes",
        params={"iTwinId": "sandbox-project"},
        headers={"Authorization": "Bearer sandbox-key"},
    )
    assert key.status_code == 401 and "error" in key.json()
    settings.sensor_data_accepts_api_key = True
    key = await anon.get(
        "/sensor-data/integrations/nodes",
        params={"iTwinId": "sandbox-project"},
        headers={"Authorization": "Bearer sandbox-key"},
    )
    assert key.status_code == 200


async def test_sensor_data_scopes(anon: httpx.AsyncClient) -> None:
    read_only = (await _token(anon, scope="sensor-data:read")).json()["access_token"]
    headers = {"Authorization": f"Bearer {read_only}"}
    ok = await anon.get(
        "/sensor-data/integrations/nodes", params={"iTwinId": "sandbox-project"}, headers=headers
    )
    assert ok.status_code == 200
    denied = await anon.post(
        "/sensor-data/integrations/integrate",
        params={"iTwinId": "sandbox-project"},
        headers=headers,
        json={"integration": {"changeState": "new"}},
    )
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "InsufficientPermissions"


async def test_expire_tokens_mode(anon: httpx.AsyncClient, store: ItwinStore) -> None:
    token = (await _token(anon)).json()["access_token"]
    store.expire_tokens()
    response = await anon.get("/api/nodes/all", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"].startswith("Token has expired on ")
    assert (
        await anon.get("/api/nodes/all", headers={"Authorization": "ApiKey sandbox-key"})
    ).status_code == 200
