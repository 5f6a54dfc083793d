"""Hostile requests get the vendor's 400/413 in the owning service's error shape, never a 500;
a corrupt state file is the clear exit 3; reset forgets the MindConnect data point cache;
an injected connection drop logs one line."""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from ih_helpers import AGM, AM, BASE_URL, MC, Ih, point, token_for

from provisioner.sandbox import Sandbox, SandboxSettings
from provisioner.sandbox.middleware import ConnectionDropped, QuietFaults
from provisioner.sandbox.store import STATE_VERSION, StateFileError

ASSETS = f"{AM}/assets"
MAPPINGS = f"{MC}/dataPointMappings"
ITWIN_NODES = "/api/nodes"
JSON = {"Content-Type": "application/json"}
ASGI_ERROR = "Exception in ASGI application\n"


def _am_error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/vnd.error+json")
    errors = response.json()["errors"]
    assert errors[0]["errorcode"] == str(status)
    return str(errors[0]["message"])


async def test_a_50_mb_body_is_413_without_being_stored(client: httpx.AsyncClient, ih: Ih,
                                                        sandbox: Sandbox) -> None:
    root = await ih.root_id()
    body = json.dumps({"name": "x" * 50_000_000, "typeId": "core.basicasset", "parentId": root})
    response = await client.post(ASSETS, content=body, headers=JSON)
    assert "too large" in _am_error(response, 413)
    assert all(len(a["name"]) < 100 for a in sandbox.snapshot()["insightsHub"]["assets"])


async def test_a_chunked_body_past_the_limit_is_413(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    sandbox.settings.max_body_bytes = 1000

    async def chunks() -> Any:
        for _ in range(10):
            yield b"x" * 500

    response = await client.post(ASSETS, content=chunks(), headers=JSON)
    _am_error(response, 413)


async def test_deep_json_body_is_400_in_the_vendor_shape(client: httpx.AsyncClient) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    response = await client.post(ASSETS, content=deep, headers=JSON)
    assert "nests deeper than 64" in _am_error(response, 400)
    flat = await client.post(f"{MC}/eventMappings", content='{"a":' * 500 + "1" + "}" * 500,
                             headers=JSON)
    assert flat.status_code == 400 and flat.json()["errors"][0]["code"].startswith("mdsp.conn.mindconnect")


async def test_huge_integer_in_a_body_is_400(client: httpx.AsyncClient) -> None:
    body = '{"name": "n", "typeId": "core.basicasset", "parentId": "p", "x": ' + "9" * 5000 + "}"
    response = await client.post(ASSETS, content=body, headers=JSON)
    assert "more than 1000 digits" in _am_error(response, 400)


async def test_digits_inside_strings_are_not_numbers(client: httpx.AsyncClient, ih: Ih) -> None:
    response = await ih.asset("n", "core.basicasset", description="7" * 5000)
    assert "must have 0 to 255 characters" in _am_error(response, 400)  # the handler's own check ran


async def test_invalid_utf8_body_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(ASSETS, content=b'{"name": "\xff\xfe"}', headers=JSON)
    assert "UTF-8" in _am_error(response, 400)


async def test_deep_or_huge_filter_query_is_400(client: httpx.AsyncClient) -> None:
    deep = await client.get(ASSETS, params={"filter": '{"and": [' * 200 + "{}" + "]}" * 200})
    assert "nests deeper" in _am_error(deep, 400)
    huge = await client.get(ASSETS, params={"filter": '{"name": ' + "1" * 5000 + "}"})
    assert "digits" in _am_error(huge, 400)


async def test_itwin_bodies_get_the_itwin_error_shape(client: httpx.AsyncClient) -> None:
    response = await client.post(ITWIN_NODES, content=b"[" * 10_000, headers=JSON)
    assert response.status_code == 400
    assert "message" in response.json()["error"]


async def test_admin_seed_with_deep_json_is_400(anon: httpx.AsyncClient) -> None:
    response = await anon.post("/_sandbox/seed", content="[" * 100_000)
    assert response.status_code == 400


@pytest.mark.parametrize("document", [
    "[" * 100_000 + "]" * 100_000,
    {"version": STATE_VERSION, "root": "r", "insightsHub": {"assets": {"a": 1}}},
    {"version": STATE_VERSION, "root": "r", "insightsHub": {"assets": [{"name": "no id"}]}},
    {"version": STATE_VERSION, "root": "r", "insightsHub": {"assets": "nope"}},
    {"version": STATE_VERSION, "root": "r", "insightsHub": {"aspectTypes": [1, 2]}},
    {"version": STATE_VERSION, "root": "r", "insightsHub": []},
    '{"version": ' + "1" * 5000 + "}",
], ids=["deep", "assets-dict", "asset-without-id", "assets-str", "aspect-types-ints", "hub-list", "huge-int"])
def test_corrupt_state_shapes_are_a_state_file_error(tmp_path: Path, document: Any) -> None:
    state = tmp_path / "s.json"
    state.write_text(document if isinstance(document, str) else json.dumps(document))
    with pytest.raises(StateFileError, match=r"s\.json is (unreadable or corrupt|not a sandbox state)"):
        Sandbox(SandboxSettings(state_file=state))


def test_cli_corrupt_state_shape_exits_3_without_traceback(tmp_path: Path) -> None:
    state = tmp_path / "s.json"
    state.write_text(json.dumps({"version": STATE_VERSION, "root": "r", "insightsHub": {"assets": {"a": 1}}}))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    done = subprocess.run([sys.executable, "-m", "provisioner", "sandbox", "--port", str(port),
                           "--state", str(state)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 3
    assert "corrupt" in done.stderr and "Traceback" not in done.stderr


async def _agent_with_points(ih: Ih, ids: list[str]) -> tuple[str, str]:
    pump = await ih.pump_model()
    agent = await ih.agent(points=[point(pid) for pid in ids])
    return pump, agent


async def test_reset_forgets_the_data_point_cache(client: httpx.AsyncClient, ih: Ih, anon: httpx.AsyncClient,
                                                  sandbox: Sandbox) -> None:
    pump, agent = await _agent_with_points(ih, ["dp1"])
    assert (await ih.mapping(agent, "dp1", pump)).status_code == 201  # fills the cache (agent, eTag 1)
    assert (await anon.post("/_sandbox/reset")).status_code == 200
    client.headers["Authorization"] = f"Bearer {await token_for(client)}"
    pump2, agent2 = await _agent_with_points(ih, ["dp9"])
    assert (agent2, pump2) == (agent, pump)  # same seed: the new agent has the old id and eTag
    response = await ih.mapping(agent2, "dp9", pump2)
    assert response.status_code == 201, response.text


def test_an_injected_drop_logs_one_line_and_real_errors_keep_their_traceback() -> None:
    quiet = QuietFaults()
    try:
        raise ConnectionDropped("sandbox fault injected: connection reset (POST /api/x)")
    except ConnectionDropped:
        record = logging.LogRecord("uvicorn.error", logging.ERROR, __file__, 1, ASGI_ERROR,
                                   (), sys.exc_info())
    assert quiet.filter(record)
    assert record.getMessage() == "sandbox fault injected: connection reset (POST /api/x)"
    assert record.exc_info is None and record.levelname == "WARNING"
    try:
        raise KeyError("aspectId")
    except KeyError:
        real = logging.LogRecord("uvicorn.error", logging.ERROR, __file__, 1, ASGI_ERROR,
                                 (), sys.exc_info())
    assert quiet.filter(real)
    assert real.exc_info is not None and real.levelname == "ERROR"


async def test_unknown_paths_with_hostile_input_are_still_answered(anon: httpx.AsyncClient) -> None:
    for path in ("/api/%ff%fe", "/api/assetmanagement/v3/assets/%00", "/" + "a" * 10_000):
        response = await anon.get(path)
        assert response.status_code < 500, (path, response.status_code)


async def test_agm_body_errors_use_the_agm_shape(client: httpx.AsyncClient) -> None:
    response = await client.post(f"{AGM}/agents", content="[" * 1000, headers=JSON)
    assert response.status_code == 400 and set(response.json()) == {"id", "message"}


def test_base_url_constant_is_loopback() -> None:
    assert BASE_URL.startswith(("http://127.0.0.1", "http://localhost", "http://sandbox"))
