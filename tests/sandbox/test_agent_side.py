"""The sandbox's agent side, driven over raw HTTP like a device would: onboarding with both security
profiles, secret/key rotation, the one-time initial access token, client-assertion rules, `/exchange`
stored by the mappings in force (else recoverable records) and the IoT Time Series read API."""

from __future__ import annotations

import json
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from ih_helpers import AGM, MC, Clock, Ih, point
from jwt.algorithms import RSAAlgorithm

TS = "/api/iottimeseries/v3/timeseries"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def rsa_key(bits: int = 3072) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def public_jwk(key: rsa.RSAPrivateKey) -> dict[str, Any]:
    jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    return {**jwk, "kid": "key-1"}


async def boarding(client: httpx.AsyncClient, agent: str, clock: Clock) -> dict[str, Any]:
    clock.advance(0.25)
    config: dict[str, Any] = (await client.get(f"{AGM}/agents/{agent}/boarding/configuration")).json()
    return config


async def register(anon: httpx.AsyncClient, iat: str, body: dict[str, Any]) -> httpx.Response:
    return await anon.post(f"{AGM}/register", json=body, headers={"Authorization": f"Bearer {iat}"})


def assertion(agent: str, key: Any, alg: str, clock: Clock, **override: Any) -> str:
    now = int(clock.now)
    claims = {
        "iss": agent,
        "sub": agent,
        "aud": ["southgate"],
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "jti": "j1",
        "schemas": ["urn:siemens:mindsphere:v1"],
        "ten": "sandbox",
        **override,
    }
    return jwt.encode(claims, key, algorithm=alg)


async def agent_token(anon: httpx.AsyncClient, signed: str) -> httpx.Response:
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": signed,
    }
    return await anon.post(f"{AGM}/oauth/token", data=form)


def exchange_body(config_id: str, timestamp: str, values: list[dict[str, str]]) -> str:
    """The message mindconnect-nodejs' dataTemplate writes: LF line ends, CRLF before the inner end."""
    meta = {
        "type": "item",
        "version": "1.0",
        "payload": {
            "type": "standardTimeSeries",
            "version": "1.0",
            "details": {"configurationId": config_id},
        },
    }
    data = json.dumps([{"timestamp": timestamp, "values": values}])
    return (
        "--mindspheremessage\nContent-Type:multipart/related;boundary=mindspherepart\n\n"
        "--mindspherepart\nContent-Type:application/vnd.siemens.mindsphere.meta+json\n\n"
        f"{json.dumps(meta)}\n\n--mindspherepart\nContent-Type:application/json\n\n{data}\n\n"
        "\r\n--mindspherepart--\n--mindspheremessage--\n"
    )


async def exchange(anon: httpx.AsyncClient, token: str, body: str) -> httpx.Response:
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "multipart/mixed; boundary=mindspheremessage",
    }
    return await anon.post(f"{MC}/exchange", content=body, headers=headers)


async def mapped_agent(ih: Ih, profile: str = "SHARED_SECRET") -> tuple[str, str]:
    """(pump asset id, agent id): dp1 DOUBLE rpm mapped to pump1/motor/speed; dp2 in the DSC, unmapped."""
    pump = await ih.pump_model()
    asset = (await ih.asset("agent1", "core.mclib")).json()["assetId"]
    created = await ih.c.post(
        f"{AGM}/agents", json={"name": "agent1", "securityProfile": profile, "entityId": asset}
    )
    assert created.status_code == 201
    await ih.dsc(asset, [point("dp1"), point("dp2")], "0")
    assert (await ih.mapping(asset, "dp1", pump)).status_code == 201
    return pump, asset


@pytest.mark.parametrize("profile", ["SHARED_SECRET", "RSA_3072"])
async def test_both_profiles_onboard_get_a_token_upload_and_the_value_is_readable(
    client: httpx.AsyncClient, anon: httpx.AsyncClient, ih: Ih, clock: Clock, profile: str
) -> None:
    pump, agent = await mapped_agent(ih, profile)
    config = await boarding(client, agent, clock)
    assert config["content"]["clientCredentialProfile"] == [profile]
    key = rsa_key()
    body = {"jwks": {"keys": [public_jwk(key)]}} if profile == "RSA_3072" else {}
    async with httpx.AsyncClient(transport=anon._transport, base_url=str(anon.base_url)) as device:
        registered = await register(device, config["content"]["iat"], body)
        assert registered.status_code == 201, registered.text
        reg = registered.json()
        assert reg["client_id"] == agent and reg["registration_client_uri"].endswith(f"/register/{agent}")
        assert ("client_secret" in reg) == (profile == "SHARED_SECRET")
        status = (await client.get(f"{AGM}/agents/{agent}/boarding/status")).json()
        assert status["status"] == "ONBOARDED"
        signing: Any = reg["client_secret"] if profile == "SHARED_SECRET" else key
        alg = "HS256" if profile == "SHARED_SECRET" else "RS384"  # the SDK signs RSA_3072 with RS384
        granted = await agent_token(device, assertion(agent, signing, alg, clock))
        assert granted.status_code == 200, granted.text
        token = granted.json()["access_token"]
        sent = await exchange(
            device,
            token,
            exchange_body(
                "cfg",
                "2025-06-15T15:06:40.000Z",
                [{"dataPointId": "dp1", "value": "42.5", "qualityCode": "0"}],
            ),
        )
        assert sent.status_code == 200, sent.text
    assert (await client.get(f"{AGM}/agents/{agent}/status")).json()["status"] == "ONLINE"
    latest = (await client.get(f"{TS}/{pump}/motor")).json()
    assert latest == [{"_time": "2025-06-15T15:06:40.000Z", "speed": 42.5}]
    clock.advance(120)  # past agent_online_window_s without uploading
    assert (await client.get(f"{AGM}/agents/{agent}/status")).json()["status"] == "OFFLINE"


async def test_a_reused_initial_access_token_is_refused(
    client: httpx.AsyncClient, anon: httpx.AsyncClient, ih: Ih, clock: Clock
) -> None:
    _, agent = await mapped_agent(ih)
    iat = (await boarding(client, agent, clock))["content"]["iat"]
    assert (await register(anon, iat, {})).status_code == 201
    await client.post(f"{AGM}/agents/{agent}/boarding/offboard")
    clock.advance(1.0)
    again = await register(anon, iat, {})
    assert again.status_code == 401 and again.json()["error"] == "invalid_token"
    fresh = (await client.get(f"{AGM}/agents/{agent}/boarding/configuration")).json()["content"]["iat"]
    assert fresh != iat and (await register(anon, fresh, {})).status_code == 201


async def test_renewing_the_boarding_configuration_retires_the_previous_token(
    client: httpx.AsyncClient, anon: httpx.AsyncClient, ih: Ih, clock: Clock
) -> None:
    _, agent = await mapped_agent(ih)
    old = (await boarding(client, agent, clock))["content"]["iat"]
    renewed = await client.post(f"{AGM}/agents/{agent}/boarding/configuration")
    assert renewed.status_code == 200 and renewed.json()["content"]["iat"] != old
    assert (await register(anon, old, {})).status_code == 401
    assert (await register(anon, renewed.json()["content"]["iat"], {})).status_code == 201


async def test_secret_rotation_issues_a_new_secret_and_retires_the_old(
    client: httpx.AsyncClient, anon: httpx.AsyncClient, ih: Ih, clock: Clock
) -> None:
    _, agent = await mapped_agent(ih)
    reg = (await register(anon, (await boarding(client, agent, clock))["content"]["iat"], {})).json()
    uri = reg["registration_client_uri"].removeprefix(str(anon.base_url))
    wrong = await anon.put(uri, json={"client_id": agent}, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    rotated = await anon.put(
        uri,
        json={"client_id": agent},
        headers={"Authorization": f"Bearer {reg['registration_access_token']}"},
    )
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()
    assert new["client_secret"] != reg["client_secret"]
    stale = await agent_token(anon, assertion(agent, reg["client_secret"], "HS256", clock))
    assert stale.status_code == 400 and stale.json()["error"] == "invalid_client"
    assert (
        await agent_token(anon, assertion(agent, new["client_secret"], "HS256", clock))
    ).status_code == 200
    old_rat = await anon.put(
        uri,
        json={"client_id": agent},
        headers={"Authorization": f"Bearer {reg['registration_access_token']}"},
    )
    assert old_rat.status_code == 401


async def test_rsa_key_rotation_and_key_rules(
    client: httpx.AsyncClient, anon: httpx.AsyncClient, ih: Ih, clock: Clock
) -> None:
    _, agent = await mapped_agent(ih, "RSA_3072")
    iat = (await boarding(client, agent, clock))["content"]["iat"]
    small = await register(anon, iat, {"jwks": {"keys": [public_jwk(rsa_key(2048))]}})
    assert small.status_code == 400 and small.json()["error"] == "invalid_request"
    assert (await register(anon, iat, {})).status_code == 400
    first, second = rsa_key(), rsa_key()
    reg = (await register(anon, iat, {"jwks": {"keys": [public_jwk(first)]}})).json()
    uri = reg["registration_client_uri"].removeprefix(str(anon.base_url))
    rotated = await anon.put(
        uri,
        json={"client_id": agent, "jwks": {"keys": [public_jwk(second)]}},
        headers={"Authorization": f"Bearer {reg['registration_access_token']}"},
    )
    assert rotated.status_code == 200
    assert (await agent_token(anon, assertion(agent, first, "RS256", clock))).status_code == 400
    assert (await agent_token(anon, assertion(agent, second, "RS256", clock))).status_code == 200


async def test_client_assertion_rules(
    client: httpx.AsyncClient, anon: httpx.AsyncClient, ih: Ih, clock: Clock
) -> None:
    _, agent = await mapped_agent(ih)
    secret = (await register(anon, (await boarding(client, agent, clock))["content"]["iat"], {})).json()[
        "client_secret"
    ]
    for override in ({"aud": ["elsewhere"]}, {"sub": "other"}, {"exp": int(clock.now) - 1}):
        refused = await agent_token(anon, assertion(agent, secret, "HS256", clock, **override))
        assert refused.status_code == 400 and refused.json()["error"] == "invalid_client", override
    forged = assertion(agent, "not-the-secret-but-32-bytes-long!!", "HS256", clock)
    assert (await agent_token(anon, forged)).status_code == 400
    form = {"grant_type": "client_credentials", "client_assertion": assertion(agent, secret, "HS256", clock)}
    assert (await anon.post(f"{AGM}/oauth/token", data=form)).status_code == 400  # no assertion type
    key = (await anon.get(f"{AGM}/oauth/token_key")).json()
    token = (await agent_token(anon, assertion(agent, secret, "HS256", clock))).json()["access_token"]
    pem = key["value"]  # one line, as the SDK expects: it re-inserts the breaks around the body
    assert "\n" not in pem and pem.startswith("-----BEGIN PUBLIC KEY-----MII")
    pem = pem.replace("-----BEGIN PUBLIC KEY-----", "-----BEGIN PUBLIC KEY-----\n").replace(
        "-----END PUBLIC KEY-----", "\n-----END PUBLIC KEY-----"
    )
    assert jwt.decode(token, pem, algorithms=["RS256"], options={"verify_exp": False})["sub"] == agent


async def test_unmapped_and_untyped_values_go_to_recoverable_records_not_to_a_variable(
    client: httpx.AsyncClient, anon: httpx.AsyncClient, ih: Ih, clock: Clock
) -> None:
    pump, agent = await mapped_agent(ih)
    secret = (await register(anon, (await boarding(client, agent, clock))["content"]["iat"], {})).json()[
        "client_secret"
    ]
    token = (await agent_token(anon, assertion(agent, secret, "HS256", clock))).json()["access_token"]
    values = [{"dataPointId": "dp2", "value": "1.0", "qualityCode": "0"}]
    assert (
        await exchange(anon, token, exchange_body("cfg", "2025-06-15T15:00:00Z", values))
    ).status_code == 200
    bad = [{"dataPointId": "dp1", "value": "fast", "qualityCode": "0"}]
    assert (await exchange(anon, token, exchange_body("cfg", "2025-06-15T15:00:01Z", bad))).status_code == 200
    assert (
        await exchange(anon, token, exchange_body("other", "2025-06-15T15:00:02Z", values))
    ).status_code == 200
    assert (await client.get(f"{TS}/{pump}/motor")).json() == []
    records = (
        await client.get(f"{MC}/recoverableRecords", params={"filter": json.dumps({"agentId": agent})})
    ).json()
    reasons = [r["dropReason"] for r in records["content"]]
    assert (
        len(reasons) == 3 and "dp2" in reasons[0] and "dp1" in reasons[1] and "configurationId" in reasons[2]
    )
    assert all(r["agentId"] == agent for r in records["content"])


async def test_exchange_needs_an_agent_token_and_a_well_formed_body(
    client: httpx.AsyncClient, anon: httpx.AsyncClient, ih: Ih, clock: Clock
) -> None:
    _, agent = await mapped_agent(ih)
    tenant_token = str(client.headers["Authorization"]).removeprefix("Bearer ")
    assert (
        await exchange(anon, tenant_token, exchange_body("cfg", "2025-06-15T15:00:00Z", []))
    ).status_code == 403
    secret = (await register(anon, (await boarding(client, agent, clock))["content"]["iat"], {})).json()[
        "client_secret"
    ]
    token = (await agent_token(anon, assertion(agent, secret, "HS256", clock))).json()["access_token"]
    assert (await exchange(anon, token, "--mindspheremessage\nnot closed")).status_code == 400


async def test_time_series_ranges_limit_and_latest(
    client: httpx.AsyncClient, anon: httpx.AsyncClient, ih: Ih, clock: Clock
) -> None:
    pump, agent = await mapped_agent(ih)
    secret = (await register(anon, (await boarding(client, agent, clock))["content"]["iat"], {})).json()[
        "client_secret"
    ]
    token = (await agent_token(anon, assertion(agent, secret, "HS256", clock))).json()["access_token"]
    for second in range(5):
        body = exchange_body(
            "cfg", f"2025-06-15T15:00:0{second}.000Z", [{"dataPointId": "dp1", "value": str(second)}]
        )
        assert (await exchange(anon, token, body)).status_code == 200
    ranged = (
        await client.get(
            f"{TS}/{pump}/motor",
            params={"from": "2025-06-15T15:00:01Z", "to": "2025-06-15T15:00:04Z", "limit": 2},
        )
    ).json()
    assert [r["speed"] for r in ranged] == [2.0, 3.0]  # from exclusive, to inclusive, oldest first
    assert (await client.get(f"{TS}/{pump}/motor")).json() == [
        {"_time": "2025-06-15T15:00:04.000Z", "speed": 4.0}
    ]
    assert (await client.get(f"{TS}/{pump}/nothere")).status_code == 404
