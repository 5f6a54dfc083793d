"""The `/_sandbox` admin surface (no auth, loopback only): reset, seed, snapshot, counts, faults,
quota, latency."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from provisioner.sandbox.faults import FaultSpecError
from provisioner.sandbox.quota import quota_limits

if TYPE_CHECKING:
    from provisioner.sandbox.sandbox import Sandbox


def _problem(message: str) -> Response:
    return JSONResponse({"error": message}, status_code=400)


async def _body(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw) if raw.strip() else {}
    except (ValueError, RecursionError):
        return None


def build_admin_routes(sandbox: Sandbox) -> list[BaseRoute]:
    async def reset(request: Request) -> Response:
        sandbox.reset()
        return JSONResponse({"status": "reset"})

    async def seed(request: Request) -> Response:
        body = await _body(request)
        if not isinstance(body, dict):
            return _problem("seed needs a JSON state document (as returned by GET /_sandbox/snapshot)")
        try:
            sandbox.load(body)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError) as exc:
            return _problem(f"invalid state document: {type(exc).__name__}: {str(exc)[:200]}")
        return JSONResponse({"status": "seeded"})

    async def snapshot(request: Request) -> Response:
        return JSONResponse(sandbox.snapshot())

    async def counts(request: Request) -> Response:
        reset_flag = request.query_params.get("reset", "") in ("1", "true")
        return JSONResponse(sandbox.counts(reset=reset_flag))

    async def faults(request: Request) -> Response:
        body = await _body(request)
        spec = body.get("spec") if isinstance(body, dict) else None
        if not isinstance(spec, str):
            return _problem('faults needs {"spec": "429=5%,reset=1%@/api/*"} ("" turns faults off)')
        try:
            sandbox.faults.set_spec(spec)
        except FaultSpecError as exc:
            return _problem(str(exc))
        return JSONResponse({"spec": spec})

    def quota_state() -> JSONResponse:
        return JSONResponse({"time_scale": sandbox.quota.time_scale,
                             "limits": {k: [list(x) for x in v] for k, v in sandbox.quota.limits.items()}})

    async def quota_get(request: Request) -> Response:
        return quota_state()

    async def quota(request: Request) -> Response:
        body = await _body(request)
        if not isinstance(body, dict):
            return _problem(
                'quota needs {"mode": "vendor"|"none"} or {"limits": {"GET /path": [[n, seconds]]}}'
                ' and optionally {"time_scale": N}'
            )
        if "time_scale" in body:
            try:
                sandbox.quota.set_time_scale(body["time_scale"])
            except ValueError as exc:
                return _problem(str(exc))
            if "limits" not in body and "mode" not in body:
                return quota_state()
        if "limits" in body:
            try:
                limits = {str(k): [(int(n), float(p)) for n, p in v] for k, v in body["limits"].items()}
            except (AttributeError, TypeError, ValueError):
                return _problem("limits must map 'METHOD /template' to [[count, seconds], ...]")
        else:
            try:
                limits = quota_limits(str(body.get("mode")))
            except ValueError as exc:
                return _problem(str(exc))
        sandbox.quota.set_limits(limits)
        return quota_state()

    async def latency(request: Request) -> Response:
        body = await _body(request)
        value = body.get("ms") if isinstance(body, dict) else None
        if not isinstance(value, int | float) or value < 0:
            return _problem('latency needs {"ms": N} with N >= 0')
        sandbox.settings.latency_ms = float(value)
        return JSONResponse({"ms": value})

    return [
        Route("/_sandbox/reset", reset, methods=["POST"]),
        Route("/_sandbox/seed", seed, methods=["POST"]),
        Route("/_sandbox/snapshot", snapshot, methods=["GET"]),
        Route("/_sandbox/counts", counts, methods=["GET"]),
        Route("/_sandbox/faults", faults, methods=["PUT"]),
        Route("/_sandbox/quota", quota, methods=["PUT"]),
        Route("/_sandbox/quota", quota_get, methods=["GET"]),
        Route("/_sandbox/latency", latency, methods=["PUT"]),
    ]
