"""Error bodies in each vendor service's own shape, raised as `HttpError` from handlers."""

from __future__ import annotations

import json
import uuid
from typing import Any, Literal

from starlette.responses import Response

Service = Literal["am", "agm", "dpm", "evm", "iam", "itwin"]

_AM_CODES = {
    400: "mdsp.core.generic.invalidParameter",
    401: "mdsp.core.generic.unauthorized",
    403: "mdsp.core.generic.forbidden",
    404: "mdsp.core.generic.notFound",
    409: "mdsp.core.generic.conflict",
    412: "mdsp.core.generic.preconditionFailed",
    415: "mdsp.core.generic.unsupportedMediaType",
    429: "mdsp.core.generic.tooManyRequests",
    500: "mdsp.core.generic.internalServerError",
    502: "mdsp.core.generic.badGateway",
    503: "mdsp.core.generic.serviceUnavailable",
}
_EVM_CODES = {
    400: "mdsp.conn.mindconnect.badRequest",
    401: "mdsp.conn.mindconnect.unauthorized",
    403: "mdsp.conn.mindconnect.forbidden",
    404: "mdsp.conn.mindconnect.notFound",
    409: "mdsp.conn.mindconnect.conflict",
    412: "mdsp.conn.mindconnect.preconditionFailed",
    415: "mdsp.conn.mindconnect.unsupportedMediaType",
    429: "mdsp.conn.mindconnect.tooManyRequests",
}
_FLAT_IDS = {
    400: "Badrequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Notfound",
    409: "Conflict",
    412: "Preconditionfailed",
    415: "Unsupportedmediatype",
    429: "APIRateLimitExceeded",
}
_ITWIN_CODES = {429: "TooManyRequests", 401: "HeaderNotFound", 404: "ResourceNotFound"}


def logref() -> str:
    """A fresh correlation id like the vendors put in error bodies."""
    return uuid.uuid4().hex


def error_body(service: Service, status: int, message: str, *, code: str | None = None) -> dict[str, Any]:
    """The JSON body `service` answers with for an error of `status`."""
    if service == "am":
        entry = {
            "code": code or _AM_CODES.get(status, "mdsp.core.generic.error"),
            "errorcode": str(status),
            "logref": logref(),
            "message": message,
        }
        return {"errors": [entry]}
    if service == "evm":
        full = code or _EVM_CODES.get(status, "mdsp.conn.mindconnect.error")
        return {"errors": [{"code": full, "logref": logref(), "message": message}]}
    if service == "iam":
        return {"id": logref(), "error": code or "invalid_request", "error_description": message}
    if service == "itwin":
        return {
            "error": {"code": code or _ITWIN_CODES.get(status, "InternalServerError"), "message": message}
        }
    # agm and dpm: flat {id, message}; the id is a uuid (MindConnect) or a correlation id
    return {
        "id": str(uuid.uuid4()) if service == "dpm" else _FLAT_IDS.get(status, "Error"),
        "message": message,
    }


def media_type(service: Service) -> str:
    """Asset Management errors are `application/vnd.error+json`; the rest plain JSON."""
    return "application/vnd.error+json" if service == "am" else "application/json"


def error_response(
    service: Service,
    status: int,
    message: str,
    *,
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A complete error response in `service`'s shape."""
    body = json.dumps(error_body(service, status, message, code=code))
    return Response(body, status_code=status, media_type=media_type(service), headers=headers)


def service_for_path(path: str) -> Service:
    """Which service (and so which error shape) a request path belongs to."""
    if path.startswith(("/api/assetmanagement/", "/api/eventmanagement/")):
        return "am"
    if path.startswith("/api/mindconnect/v3/eventMappings"):
        return "evm"
    if path.startswith("/api/mindconnect/"):
        return "dpm"
    if path.startswith(("/api/agentmanagement/v3/register", "/api/agentmanagement/v3/oauth")):
        return "iam"
    if path.startswith(("/api/agentmanagement/", "/api/technicaltokenmanager/", "/oauth/", "/token_keys")):
        return "agm"
    return "itwin"


class HttpError(Exception):
    """An error a handler raises; the route wrapper turns it into the service's error body."""

    def __init__(
        self, status: int, message: str, *, code: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = headers
