"""Insights Hub auth on one origin: PIAM `/oauth/token`, `/token_keys`, the Technical Token Manager,
and bearer-token checks for the API routes. Tokens are RS256 JWTs signed with a per-sandbox key."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from provisioner.sandbox.settings import SandboxSettings

KID = "key-id-1"
SERVICE_SCOPES = (
    "mdsp:core:Admin3rdPartyTechUser",
    "atm.r",
    "atm.c",
    "atm.u",
    "atm.d",
    "asm.r",
    "asm.c",
    "asm.u",
    "asm.d",
    "agm.r",
    "agm.c",
    "agm.u",
    "agm.d",
    "dsc.r",
    "dsc.u",
    "obc.r",
    "map.c",
    "map.r",
    "map.d",
    "evt.map.c",
    "evt.map.r",
    "evt.map.u",
    "evt.map.d",
)


@dataclass
class Signer:
    """The sandbox's RSA key: signs tokens, verifies them, and publishes the public half."""

    private_pem: str

    @classmethod
    def generate(cls) -> Signer:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return cls(pem.decode("ascii"))

    def __post_init__(self) -> None:
        key = serialization.load_pem_private_key(self.private_pem.encode("ascii"), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("the sandbox signing key must be an RSA private key")
        self._key: rsa.RSAPrivateKey = key
        self._public = self._key.public_key()
        self.public_pem = self._public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii")
        self._verified: dict[str, float] = {}

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": KID, "typ": "JWT"})

    def verify(self, token: str, now: float) -> bool:
        """True when `token` is ours and not expired at `now` (the sandbox clock, not the OS clock)."""
        exp = self._verified.get(token)
        if exp is None:
            try:
                claims = jwt.decode(
                    token,
                    self._public,
                    algorithms=["RS256"],
                    options={"verify_exp": False, "verify_aud": False},
                )
            except jwt.PyJWTError:
                return False
            exp = float(claims.get("exp", 0))
            if len(self._verified) > 10_000:
                self._verified.clear()
            self._verified[token] = exp
        return now < exp

    def token_keys(self) -> dict[str, Any]:
        numbers = self._public.public_numbers()

        def b64(n: int) -> str:
            raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
            return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")

        key = {
            "kid": KID,
            "alg": "SHA256withRSA",
            "value": self.public_pem,
            "kty": "RSA",
            "use": "sig",
            "e": b64(numbers.e),
            "n": b64(numbers.n),
        }
        return {"keys": [key]}


def issue_token(
    signer: Signer,
    settings: SandboxSettings,
    base_url: str,
    client_id: str,
    scopes: tuple[str, ...],
    now: float,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A PIAM-style token response: `expires_in` is one second below the JWT's `exp - iat`."""
    iat = int(now)
    jti = uuid.uuid4().hex
    claims: dict[str, Any] = {
        "jti": jti,
        "sub": client_id,
        "scope": list(scopes),
        "client_id": client_id,
        "cid": client_id,
        "azp": client_id,
        "grant_type": "client_credentials",
        "rev_sig": uuid.uuid4().hex[:8],
        "iat": iat,
        "exp": iat + settings.token_lifetime_s,
        "iss": f"{base_url}/oauth/token",
        "zid": settings.tenant,
        "ten": settings.tenant,
        "aud": list({s.split(".")[0] for s in scopes}),
    }
    claims.update(extra or {})
    return {
        "access_token": signer.sign(claims),
        "token_type": "bearer",
        "expires_in": settings.token_lifetime_s - 1,
        "scope": " ".join(scopes),
        "jti": jti,
    }


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """(user, password) from a `Basic …` header value, None when absent or malformed."""
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user, password


async def form_fields(request: Request) -> dict[str, str]:
    """An `application/x-www-form-urlencoded` body as a dict (last value wins)."""
    raw = (await request.body()).decode("utf-8", errors="replace")
    return {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return None


def request_base_url(request: Request) -> str:
    """The origin the client used, e.g. `http://127.0.0.1:8700` (used for `baseUrl` and links)."""
    host = request.headers.get("host")
    if not host:
        server = request.scope.get("server") or ("127.0.0.1", 80)
        host = f"{server[0]}:{server[1]}"
    return f"{request.scope.get('scheme', 'http')}://{host}"


def _uaa_error(status: int, error: str, description: str) -> Response:
    # PIAM is UAA based: bad client credentials are 401 {"error":"unauthorized",...} (RFC 6749 5.2 style)
    headers = (
        {"WWW-Authenticate": 'Basic realm="UAA/client", error="unauthorized"'} if status == 401 else None
    )
    return JSONResponse(
        {"error": error, "error_description": description}, status_code=status, headers=headers
    )


def build_auth_routes(signer: Signer, settings: SandboxSettings) -> list[BaseRoute]:
    """Routes for `/oauth/token`, `/token_keys` and the Technical Token Manager."""

    async def oauth_token(request: Request) -> Response:
        form = await form_fields(request)
        creds = basic_credentials(request.headers.get("authorization"))
        if creds is None and form.get("client_id") is not None:
            creds = (str(form.get("client_id")), str(form.get("client_secret") or ""))
        if creds is None:
            return _uaa_error(401, "unauthorized", "Full authentication is required to access this resource")
        if creds != (settings.client_id, settings.client_secret):
            return _uaa_error(401, "unauthorized", "Bad credentials")
        grant = form.get("grant_type")
        if grant is None:
            return _uaa_error(400, "invalid_request", "Missing grant type")
        if grant != "client_credentials":
            return _uaa_error(400, "unsupported_grant_type", f"Unsupported grant type: {grant}")
        body = issue_token(
            signer, settings, request_base_url(request), creds[0], SERVICE_SCOPES, settings.clock()
        )
        return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    async def token_keys(request: Request) -> Response:
        return JSONResponse(signer.token_keys())

    async def technical_token(request: Request) -> Response:
        header = request.headers.get("x-space-auth-key") or request.headers.get("authorization")
        creds = basic_credentials(header)
        if creds is None:
            return _uaa_error(401, "unauthorized", "Missing X-SPACE-AUTH-KEY header")
        if creds != (settings.app_client_id, settings.app_client_secret):
            return _uaa_error(401, "unauthorized", "Bad credentials")
        fields = ("appName", "appVersion", "hostTenant", "userTenant")
        raw = await request.body()
        query = {k: request.query_params[k] for k in fields if k in request.query_params}
        try:
            body = json.loads(raw) if raw.strip() else {}
        except (json.JSONDecodeError, RecursionError):  # deep JSON labelled as a form skips the guard
            return _uaa_error(400, "invalid_request", "Request body is not valid JSON")
        if not isinstance(body, dict):
            return _uaa_error(400, "invalid_request", "Request body must be a JSON object")
        if query and body:
            return _uaa_error(
                400, "invalid_request", "Parameters may be given in the body or the query, not both"
            )
        params = query or body
        missing = [f for f in fields if not params.get(f)]
        if missing:
            return _uaa_error(400, "invalid_request", f"Missing parameter(s): {', '.join(missing)}")
        if (params["appName"], params["appVersion"]) != (settings.app_name, settings.app_version):
            return _uaa_error(
                401,
                "unauthorized",
                f"App {params['appName']} {params['appVersion']} does not own these credentials",
            )
        if settings.tenant not in (params["hostTenant"], params["userTenant"]):
            return _uaa_error(400, "invalid_request", f"Unknown tenant {params['hostTenant']}")
        body_out = issue_token(
            signer,
            settings,
            request_base_url(request),
            creds[0],
            SERVICE_SCOPES,
            settings.clock(),
            {"app_name": params["appName"], "app_version": params["appVersion"], "ten": params["userTenant"]},
        )
        return JSONResponse(body_out)

    return [
        Route("/oauth/token", oauth_token, methods=["POST"]),
        Route("/token_keys", token_keys, methods=["GET"]),
        Route("/api/technicaltokenmanager/v3/oauth/token", technical_token, methods=["POST"]),
    ]
