"""PIAM, Technical Token Manager, token_keys, and 401s on the API."""

from __future__ import annotations

import base64

import httpx
import jwt
from ih_helpers import AGM, AM, MC, Clock


async def test_service_token_is_rs256_jwt_signed_by_first_token_key(anon: httpx.AsyncClient) -> None:
    response = await anon.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=("sandbox-client", "sandbox-secret")
    )
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 1799
    keys = (await anon.get("/token_keys")).json()["keys"]
    header = jwt.get_unverified_header(body["access_token"])
    assert header["alg"] == "RS256" and header["kid"] == keys[0]["kid"]
    claims = jwt.decode(
        body["access_token"],
        keys[0]["value"],
        algorithms=["RS256"],
        options={"verify_exp": False, "verify_aud": False},
    )
    assert claims["exp"] - claims["iat"] == 1800 and claims["client_id"] == "sandbox-client"
    assert isinstance(claims["scope"], list)


async def test_client_credentials_in_the_form_are_accepted(anon: httpx.AsyncClient) -> None:
    response = await anon.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "sandbox-client",
            "client_secret": "sandbox-secret",
        },
    )
    assert response.status_code == 200


async def test_wrong_client_credentials_get_uaa_401(anon: httpx.AsyncClient) -> None:
    response = await anon.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=("sandbox-client", "wrong")
    )
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert "wrong" not in response.text


async def test_technical_token_manager(anon: httpx.AsyncClient) -> None:
    key = "Basic " + base64.b64encode(b"sandbox-app-client:sandbox-app-secret").decode()
    body = {"appName": "provision", "appVersion": "1.0.0", "hostTenant": "sandbox", "userTenant": "sandbox"}
    ok = await anon.post(
        "/api/technicaltokenmanager/v3/oauth/token", json=body, headers={"X-SPACE-AUTH-KEY": key}
    )
    assert ok.status_code == 200 and ok.json()["expires_in"] == 1799
    token = ok.json()["access_token"]
    assert (
        await anon.get(f"{AM}/assets/root", headers={"Authorization": f"Bearer {token}"})
    ).status_code == 200
    bad_key = "Basic " + base64.b64encode(b"sandbox-app-client:nope").decode()
    denied = await anon.post(
        "/api/technicaltokenmanager/v3/oauth/token", json=body, headers={"X-SPACE-AUTH-KEY": bad_key}
    )
    assert denied.status_code == 401
    mixed = await anon.post(
        "/api/technicaltokenmanager/v3/oauth/token",
        json=body,
        params={"appName": "provision"},
        headers={"X-SPACE-AUTH-KEY": key},
    )
    assert mixed.status_code == 400


async def test_missing_bad_and_expired_tokens_are_401_in_each_service_shape(
    client: httpx.AsyncClient,
) -> None:
    no_token = await client.get(f"{AM}/assets", headers={"Authorization": ""})
    assert no_token.status_code == 401 and "errors" in no_token.json()
    garbage = await client.get(f"{AGM}/agents", headers={"Authorization": "Bearer abc.def.ghi"})
    assert garbage.status_code == 401 and set(garbage.json()) == {"id", "message"}
    forged = jwt.encode({"exp": 9_999_999_999}, "s" * 64, algorithm="HS256")
    assert (
        await client.get(f"{MC}/dataPointMappings", headers={"Authorization": f"Bearer {forged}"})
    ).status_code == 401


async def test_token_expires_on_the_sandbox_clock(client: httpx.AsyncClient, clock: Clock) -> None:
    assert (await client.get(f"{AM}/assets/root")).status_code == 200
    clock.advance(1799)
    assert (await client.get(f"{AM}/assets/root")).status_code == 200
    clock.advance(2)
    expired = await client.get(f"{AM}/assets/root")
    assert expired.status_code == 401
