"""Route plumbing shared by the Insights Hub services: bearer check, error mapping, bodies, ETags."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from provisioner.sandbox.auth_ih import bearer_token
from provisioner.sandbox.context import IhContext
from provisioner.sandbox.errors import HttpError, Service, error_response
from provisioner.sandbox.responses import FastJSONResponse

Handler = Callable[[Request], Awaitable[Response]]
HAL = "application/hal+json"


def ih_route(ctx: IhContext, service: Service, path: str, methods: list[str], handler: Handler) -> Route:
    """A route whose handler runs only with a valid bearer token; HttpErrors get `service`'s shape."""

    async def endpoint(request: Request) -> Response:
        token = bearer_token(request)
        if token is None:
            return error_response(
                service,
                401,
                "Full authentication is required to access this resource",
                headers={"WWW-Authenticate": 'Bearer realm="sandbox"'},
            )
        if not ctx.signer.verify(token, ctx.now()):
            return error_response(
                service,
                401,
                "Access token is invalid or expired",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        ctx.settle()
        try:
            return await handler(request)
        except HttpError as exc:
            return error_response(service, exc.status, exc.message, code=exc.code, headers=exc.headers)

    return Route(path, endpoint, methods=methods)


def json_response(
    body: Any,
    status: int = 200,
    *,
    media_type: str = "application/json",
    headers: dict[str, str] | None = None,
) -> Response:
    return FastJSONResponse(body, status_code=status, media_type=media_type, headers=headers)


async def json_body(request: Request) -> dict[str, Any]:
    """The request body as a JSON object; anything else is a 400. (The middleware refuses deep JSON
    first, but not in a body labelled as a form: a RecursionError is a 400 here too.)"""
    raw = await request.body()
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        raise HttpError(400, "Request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise HttpError(400, "Request body must be a JSON object")
    return body


def etag_value(header: str | None) -> str | None:
    """An If-Match / If-None-Match value without `W/` and quotes: `W/"3"`, `"3"` and `3` all give `3`."""
    if header is None:
        return None
    value = header.strip()
    if value.startswith("W/"):
        value = value[2:]
    return value.strip().strip('"')


def check_if_match(request: Request, current: str, missing_status: int) -> None:
    """Raise unless If-Match is present and equals `current` (`*` matches anything)."""
    wanted = etag_value(request.headers.get("if-match"))
    if wanted is None:
        raise HttpError(missing_status, "Header If-Match is required for this operation")
    if wanted != "*" and wanted != current:
        raise HttpError(
            412,
            f"Precondition failed: If-Match {wanted} does not match current etag {current}; "
            "the resource is changed in the background",
        )
