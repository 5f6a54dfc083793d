"""IMS client-credentials tokens and the Authorization header check of both hosts."""

from __future__ import annotations

import base64
import json
import secrets
import urllib.parse
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from provisioner.sandbox.itwin_iot.errors import ApiError, field_error, platform_error
from provisioner.sandbox.itwin_iot.store import ItwinStore, Token

Surface = Literal["iiot", "sensor-data"]

PLATFORM_SCOPE = "itwin-platform"
SENSOR_DATA_SCOPES = frozenset(
    {"sensor-data:modify", "sensor-data:read", "users:read", "itwins:read", "itwins:modify"}
)
# Spring Security's message for a request without credentials.
MISSING_CREDENTIALS = "Full authentication is required to access this resource"


@dataclass(frozen=True)
class Principal:
    """Who is calling: recorded as LAST_MODIFIED_BY."""

    name: str
    scopes: frozenset[str]


def issue_token(store: ItwinStore, client_id: str, scope: str) -> tuple[str, Token]:
    """Mint a JWT-shaped opaque token (unsigned; clients must not verify it)."""
    now = store.clock()
    token = Token(client_id=client_id, scope=scope, expires_at=now + store.settings.token_lifetime_s)
    header = _b64({"alg": "RS256", "typ": "JWT"})
    payload = _b64(
        {"client_id": client_id, "scope": scope.split(), "iat": int(now), "exp": int(token.expires_at)}
    )
    value = f"{header}.{payload}.{secrets.token_urlsafe(24)}"
    store.tokens[value] = token
    return value, token


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


async def token_endpoint(store: ItwinStore, request: Request) -> Response:
    """`POST /connect/token` (form-encoded client_credentials grant) with OAuth2 error bodies."""
    # Parsed by hand: only application/x-www-form-urlencoded is documented (no multipart dependency).
    fields = dict(urllib.parse.parse_qsl((await request.body()).decode("utf-8", "replace")))
    if fields.get("grant_type") != "client_credentials":
        return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
    settings = store.settings
    if (
        fields.get("client_id") != settings.ims_client_id
        or fields.get("client_secret") != settings.ims_client_secret
    ):
        return JSONResponse({"error": "invalid_client"}, status_code=400)
    scopes = fields.get("scope", "").split()
    allowed = SENSOR_DATA_SCOPES | {PLATFORM_SCOPE}
    if any(s not in allowed for s in scopes):
        return JSONResponse({"error": "invalid_scope"}, status_code=400)
    scope = " ".join(scopes) if scopes else " ".join(sorted(SENSOR_DATA_SCOPES))
    value, _ = issue_token(store, settings.ims_client_id, scope)
    body = {
        "access_token": value,
        "expires_in": settings.token_lifetime_s,
        "token_type": "Bearer",
        "scope": scope,
    }
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


def authenticate(store: ItwinStore, request: Request, surface: Surface) -> Principal:
    """Check `Authorization: ApiKey <key>` / `Bearer <token-or-key>`; raise the host's 401 otherwise."""
    header = request.headers.get("authorization")
    if not header or not header.strip():
        raise _unauthorized(surface, missing=True, message=MISSING_CREDENTIALS)
    scheme, _, credential = header.strip().partition(" ")
    credential = credential.strip()
    settings = store.settings
    kind = scheme.lower()
    if kind in ("apikey", "bearer") and credential == settings.api_key:
        if surface == "iiot" or settings.sensor_data_accepts_api_key:
            return Principal(settings.api_key_user, frozenset({PLATFORM_SCOPE}))
        raise _unauthorized(surface, message="Invalid token")
    if kind == "apikey":
        raise _unauthorized(surface, message="Invalid API key")
    if kind != "bearer":
        raise _unauthorized(surface, message="Unsupported authorization scheme")
    token = store.tokens.get(credential)
    if token is None:
        raise _unauthorized(surface, message="Invalid token")
    if store.clock() >= token.expires_at:
        raise _unauthorized(surface, message=f"Token has expired on {_java_date(token.expires_at)}")
    return Principal(f"{token.client_id}@apps.imsoidc.bentley.com", frozenset(token.scope.split()))


def require_scope(principal: Principal, scope: str) -> None:
    """api.bentley.com: 403 unless the token carries `scope` (or the umbrella itwin-platform scope)."""
    if PLATFORM_SCOPE in principal.scopes or scope in principal.scopes:
        return
    if scope == "sensor-data:read" and "sensor-data:modify" in principal.scopes:
        return
    raise platform_error(
        403,
        "InsufficientPermissions",
        "The user has insufficient permissions for the requested operation.",
    )


def _java_date(epoch: float) -> str:
    """Java `Date.toString()` style, e.g. `Tue Feb 20 12:12:01 UTC 2024` [D:seed L3327-L3337]."""
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%a %b %d %H:%M:%S UTC %Y")


def _unauthorized(surface: Surface, *, message: str, missing: bool = False) -> ApiError:
    if surface == "iiot":
        return field_error(401, message, "Authorization")
    if missing:
        return platform_error(
            401, "HeaderNotFound", "Header Authorization was not found in the request. Access denied."
        )
    return platform_error(401, "InvalidAuthorizationToken", f"{message}. Access denied.")
