"""Vendor error bodies: iiot's Spring-style `errors[]` and the iTwin Platform `error{}` object."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

MISSING_INTEGRATION_ID = (
    "Minimum request parameters not provided, new Devices and Sensors must have a valid "
    "`props.INTEGRATION_ID` set."
)
BAD_NODE_ID = "Cannot process integration ensure the provided nodeId is valid."
MISSING_CHANGE_STATE = (
    'Cannot process integration, `integration.changeState` must be "new" when no nodeId is provided.'
)
INTEGRATION_CODE = "InvalidProcessIntegrationRequest"


class ApiError(Exception):
    """An HTTP error response with a vendor-shaped JSON body."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body
        self.headers = headers or {}

    def response(self) -> JSONResponse:
        return JSONResponse(self.body, status_code=self.status, headers=self.headers)


def field_error(status: int, message: str, path: str) -> ApiError:
    """iiot.bentley.com validation/auth error: `{"errors":[{"message","path"}]}`."""
    return ApiError(status, {"errors": [{"message": message, "path": path}]})


def platform_error(status: int, code: str, message: str, target: str | None = None) -> ApiError:
    """iTwin Platform / integrations error: `{"error":{"code","message","target"?}}`."""
    error: dict[str, Any] = {"code": code, "message": message}
    if target is not None:
        error["target"] = target
    return ApiError(status, {"error": error})


def integration_error(status: int, message: str) -> ApiError:
    return platform_error(status, INTEGRATION_CODE, message)


def project_not_found() -> ApiError:
    return platform_error(404, "ResourceNotFound", "Requested resource is not available.", "projectIds")


def entity_not_found(target: str) -> ApiError:
    return platform_error(404, "ResourceNotFound", "Requested resource is not available.", target)
