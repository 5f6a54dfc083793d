"""The `ApiError` subclasses raised by the vendor clients, and vendor error-message extraction.

Every error carries `status`, `method` and a redacted `url`; its message names the request and
the vendor's own message, taken from whichever body shape the service uses:

- Asset Management and event mappings: `{"errors": [{"code", "logref", "message"}]}`
- Agent Management and data point mappings: `{"id", "message"}`
- IAM-style (`/oauth`, `/register`): `{"error": "...", "error_description": "..."}`
- iTwin Platform: `{"error": {"code", "message"}}`; iTwin IoT: `{"errors": [{"message", "path"}]}`
"""

from __future__ import annotations

from typing import Any

from provisioner.errors import AmbiguousWriteError, ApiError, ProvisionError  # the engine decides on it

__all__ = [
    "AmbiguousWriteError",
    "ApiConnectionError",
    "ApiValidationError",
    "AuthError",
    "ConflictError",
    "ForbiddenError",
    "InsecureUrlError",
    "NotFoundError",
    "PreconditionFailedError",
    "RateLimitedError",
    "ServerError",
    "error_for_status",
    "vendor_message",
]


class AuthError(ApiError):
    """Credentials were rejected (401 even after a token refresh, or the token request failed)."""


class ForbiddenError(ApiError):
    """403: the credentials lack a scope or role."""


class NotFoundError(ApiError):
    """404: the object does not exist (or is not visible to these credentials)."""


class ConflictError(ApiError):
    """409: duplicate, name clash or conflicting state."""


class PreconditionFailedError(ApiError):
    """412: the If-Match etag is stale, or If-None-Match: * found an existing object."""


class ApiValidationError(ApiError):
    """400, 402 or 422: the service rejected the request body or parameters."""


class RateLimitedError(ApiError):
    """429 on every attempt: the retry budget ran out while throttled."""


class ServerError(ApiError):
    """5xx on a request that was safe to repeat, after the retry budget ran out."""


class ApiConnectionError(ApiError):
    """No HTTP answer (connect failure or timeout) on a request safe to repeat, after all retries."""


class InsecureUrlError(ProvisionError):
    """A plain-http URL was given for a host that is not loopback."""


def vendor_message(body: object) -> str:
    """The human message inside a vendor error body, or "" when there is none."""
    if isinstance(body, str):
        return body.strip()[:300]
    if not isinstance(body, dict):
        return ""
    errors = body.get("errors")
    if isinstance(errors, list) and errors:
        parts = [_one_error(e) for e in errors if isinstance(e, dict)]
        return "; ".join(p for p in parts if p)
    error = body.get("error")
    if isinstance(error, dict):
        return _one_error(error)
    if isinstance(error, str):
        description = body.get("error_description")
        return f"{error}: {description}" if isinstance(description, str) and description else error
    message = body.get("message")
    if isinstance(message, str):
        ident = body.get("id")
        return f"{ident}: {message}" if isinstance(ident, str) and ident else message
    return ""


def _one_error(error: dict[str, Any]) -> str:
    message = str(error.get("message") or error.get("error_description") or "")
    code = error.get("code") or error.get("errorcode")
    path = error.get("path") or error.get("target")
    text = f"{code}: {message}" if code else message
    return f"{text} ({path})" if path else text


_BY_STATUS: dict[int, type[ApiError]] = {
    400: ApiValidationError,
    401: AuthError,
    402: ApiValidationError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    412: PreconditionFailedError,
    422: ApiValidationError,
    429: RateLimitedError,
}


def error_for_status(status: int, method: str, url: str, body: object) -> ApiError:
    """Build the ApiError subclass for a non-2xx answer; `url` and `body` must already be redacted."""
    cls = _BY_STATUS.get(status, ServerError if status >= 500 else ApiError)
    detail = vendor_message(body)
    message = f"{method} {url} failed with HTTP {status}" + (f": {detail}" if detail else "")
    return cls(message, status=status, method=method, url=url, body=body)
