"""Hypothesis over hostile request bodies and JSON query values on every sandbox route that takes
them: the answer is never a 5xx and never a dropped connection (no faults are injected), and comes
back quickly. Paging parameters and the built-in asset type listing are fuzzed by
benchmarks/fuzz_hostile.py only: their 500s belong to the Insights Hub paging work (see README
"Hardening")."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ih_helpers import BASE_URL, token_for
from starlette.routing import Route

from provisioner.sandbox import Sandbox, SandboxSettings

SANDBOX = Sandbox(SandboxSettings(boarding_delay_s=0.0))
ITWIN_PREFIXES = ("/api/nodes", "/api/devices", "/api/sensors", "/api/integrations", "/api/data",
                  "/api/metrics", "/sensor-data")


def _routes() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []

    def walk(routes: Any, prefix: str = "") -> None:
        for route in routes:
            if isinstance(route, Route):
                found.extend((m, prefix + route.path) for m in sorted(route.methods or ["GET"])
                             if m in ("POST", "PUT", "PATCH") and not route.path.startswith("/_sandbox"))
            elif hasattr(route, "routes"):
                walk(route.routes, prefix + getattr(route, "path", ""))

    walk(SANDBOX.routes)
    return found


ROUTES = _routes()
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["name", "typeId", "parentId", "variables", "aspects", "dataType", "id", "entityId",
                         "dataSources", "dataPoints", "agentId", "description", "x"]), inner, max_size=4),
    max_leaves=12,
)
raw_bodies = st.one_of(
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=64),
    st.integers(1, 200_000).map(lambda n: b"[" * n),
    st.integers(60, 3000).map(lambda n: b'{"name":' * n + b"1" + b"}" * n),
    st.integers(1000, 6000).map(lambda n: b'{"name": ' + b"7" * n + b"}"),
    st.sampled_from([b"NaN", b'{"name": Infinity}', b'{"name": "\\ud800"}', b'{"name": "\xff"}']),
)
filters = st.one_of(
    json_values.map(json.dumps),
    st.integers(1, 500).map(lambda n: '{"and": [' * n + "{}" + "]}" * n),
    st.integers(1000, 6000).map(lambda n: '{"name": ' + "3" * n + "}"),
    st.text(max_size=30),
)
ids = st.sampled_from(["x", "%ff", "0" * 32, "sandbox.Motor", "a" * 3000, "%00", "\u00e4"])


def _path(template: str, value: str) -> str:
    while "{" in template:
        start, end = template.index("{"), template.index("}")
        template = template[:start] + value + template[end + 1:]
    return template


async def _send(method: str, path: str, **kwargs: Any) -> httpx.Response:
    async with httpx.AsyncClient(transport=SANDBOX.transport(), base_url=BASE_URL) as client:
        token = await token_for(client)
        auth = "sandbox-key" if path.startswith(ITWIN_PREFIXES) else f"Bearer {token}"
        started = time.thread_time()  # this thread's CPU seconds: stable on a loaded machine, and
        # blind to other threads of the test process
        headers = {"Authorization": auth, **kwargs.pop("headers", {})}
        response = await client.request(method, path, headers=headers, **kwargs)
        assert time.thread_time() - started < 5
        return response


FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(route=st.sampled_from(ROUTES), body=raw_bodies, target=ids,
       ctype=st.sampled_from(["application/json", "text/plain", "application/merge-patch+json"]))
async def test_hostile_bodies_never_get_a_5xx(route: tuple[str, str], body: bytes, target: str,
                                             ctype: str) -> None:
    method, template = route
    params = {"projectIds": "sandbox-project"} if template.startswith(ITWIN_PREFIXES) else {}
    response = await _send(method, _path(template, target), content=body, params=params,
                           headers={"Content-Type": ctype, "If-Match": "0"})
    assert response.status_code < 500, (method, template, response.text[:300])


@FUZZ
@given(path=st.sampled_from(["/api/assetmanagement/v3/assets", "/api/assetmanagement/v3/aspecttypes",
                             "/api/agentmanagement/v3/agents", "/api/mindconnect/v3/dataPointMappings",
                             "/api/mindconnect/v3/eventMappings"]), value=filters)
async def test_hostile_filters_never_get_a_5xx(path: str, value: str) -> None:
    response = await _send("GET", path, params={"filter": value})
    assert response.status_code < 500, (path, value[:100], response.text[:300])
