"""Starlette routes for iiot.bentley.com, api.bentley.com/sensor-data and the IMS token endpoint."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from provisioner.sandbox.itwin_iot import catalogue, data, reads
from provisioner.sandbox.itwin_iot.auth import Principal, Surface, authenticate, require_scope, token_endpoint
from provisioner.sandbox.itwin_iot.entities import Kind
from provisioner.sandbox.itwin_iot.errors import ApiError, field_error
from provisioner.sandbox.itwin_iot.integrate import apply_integration, plan_integration
from provisioner.sandbox.itwin_iot.store import ItwinStore
from provisioner.sandbox.responses import FastJSONResponse

Handler = Callable[[Request, Principal], Awaitable[Response]]
KIND_PATHS: dict[str, Kind] = {"nodes": "node", "devices": "device", "sensors": "sensor"}


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        return json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError):  # deep JSON in a body labelled as a form passes the middleware
        raise field_error(400, "Malformed JSON request", "body") from None


def _reject_constant(name: str) -> Any:
    """NaN/Infinity are not JSON; refuse them like a strict (Jackson) parser would."""
    raise ValueError(f"invalid JSON constant {name}")


def _project_values(request: Request, surface: Surface) -> list[str]:
    values = request.query_params.getlist("projectIds")
    if surface == "sensor-data":
        values = values + request.query_params.getlist("iTwinId")
    return values


def build_routes(store: ItwinStore) -> list[BaseRoute]:
    """All iTwin IoT routes; specific paths come before the `{raw:path}` catch-alls."""

    def guarded(
        surface: Surface, handler: Handler, scope: str | None = None
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                principal = authenticate(store, request, surface)
                if surface == "sensor-data" and scope is not None:
                    require_scope(principal, scope)
                return await handler(request, principal)
            except ApiError as exc:
                return exc.response()

        return endpoint

    async def token(request: Request) -> Response:
        return await token_endpoint(store, request)

    def list_handler(kind: Kind) -> Handler:
        async def handler(request: Request, _: Principal) -> Response:
            return FastJSONResponse(reads.list_entities(store, kind, request.query_params))

        return handler

    def single_handler(kind: Kind) -> Handler:
        async def handler(request: Request, _: Principal) -> Response:
            return FastJSONResponse(
                reads.get_entity(store, kind, request.path_params["raw"], request.query_params)
            )

        return handler

    def static(body: dict[str, Any]) -> Handler:
        async def handler(_request: Request, _principal: Principal) -> Response:
            return FastJSONResponse(body)

        return handler

    def integrate(surface: Surface) -> Handler:
        async def handler(request: Request, principal: Principal) -> Response:
            default = not store.settings.require_project_on_writes
            project = store.resolve_project(_project_values(request, surface), default=default)
            body = await _json_body(request)
            # From here on no awaits: validation and mutation run as one step of the event loop.
            plan = plan_integration(store, project, body)
            return FastJSONResponse(apply_integration(store, project, plan, principal))

        return handler

    async def tree(request: Request, _: Principal) -> Response:
        return FastJSONResponse(reads.node_tree(store, request.path_params["raw"], request.query_params))

    def upload(surface: Surface) -> Handler:
        async def handler(request: Request, _: Principal) -> Response:
            values = _project_values(request, surface)
            project = store.resolve_project(values, default=False) if values else None
            body = await _json_body(request)
            data.upload(store, body, project)
            return FastJSONResponse({"status": "ACCEPTED"}, status_code=202)

        return handler

    def observations(surface: Surface) -> Handler:
        async def handler(request: Request, _: Principal) -> Response:
            if surface == "iiot" and not store.settings.iiot_observation_query:
                raise field_error(404, "No handler found for POST /api/data/observations", "path")
            values = _project_values(request, surface)
            project = store.resolve_project(values, default=False) if values else None
            return FastJSONResponse(data.query(store, await _json_body(request), project))

        return handler

    async def sensor_metrics(request: Request, _: Principal) -> Response:
        default = not store.settings.require_project_on_writes
        project = store.resolve_project(_project_values(request, "iiot"), default=default)
        return FastJSONResponse(data.metrics_by_sensor(store, await _json_body(request), project))

    async def sd_nodes(request: Request, _: Principal) -> Response:
        project = store.resolve_project(_project_values(request, "sensor-data"), default=False)
        return FastJSONResponse(reads.sensor_data_nodes(store, project))

    routes: list[BaseRoute] = [
        Route("/connect/token", token, methods=["POST"]),
        Route("/api/nodes/types", guarded("iiot", static({"nodeTypes": catalogue.NODE_TYPES}))),
        Route("/api/devices/types", guarded("iiot", static({"deviceTypes": catalogue.DEVICE_TYPES}))),
        Route("/api/sensors/types", guarded("iiot", static({"sensorTypes": catalogue.SENSOR_TYPES}))),
        Route(
            "/api/metrics/types",
            guarded("iiot", static({"standard": True, "metrics": catalogue.METRIC_TYPES})),
        ),
        Route("/api/sensors/metrics", guarded("iiot", sensor_metrics), methods=["POST"]),
        Route("/api/integrations/integrate", guarded("iiot", integrate("iiot")), methods=["POST"]),
        Route("/api/integrations/{raw:path}", guarded("iiot", tree), methods=["POST"]),
        Route("/api/data/upload", guarded("iiot", upload("iiot")), methods=["POST"]),
        Route("/api/data/observations", guarded("iiot", observations("iiot")), methods=["POST"]),
        Route(
            "/sensor-data/integrations/nodes",
            guarded("sensor-data", sd_nodes, "sensor-data:read"),
        ),
        Route(
            "/sensor-data/integrations/integrate",
            guarded("sensor-data", integrate("sensor-data"), "sensor-data:modify"),
            methods=["POST"],
        ),
        Route(
            "/sensor-data/data/observations",
            guarded("sensor-data", observations("sensor-data"), "sensor-data:read"),
            methods=["POST"],
        ),
        Route(
            "/sensor-data/data/upload",
            guarded("sensor-data", upload("sensor-data"), "sensor-data:modify"),
            methods=["POST"],
        ),
    ]
    for segment, kind in KIND_PATHS.items():
        routes.append(Route(f"/api/{segment}/all", guarded("iiot", list_handler(kind))))
    for segment, kind in KIND_PATHS.items():
        routes.append(Route(f"/api/{segment}/{{raw:path}}", guarded("iiot", single_handler(kind))))
    return routes
