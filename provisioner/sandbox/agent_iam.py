"""Agent IAM, the agent side of Agent Management v3: `/register` (one-time initial access token),
`PUT /register/{client_id}` (key or secret rotation), `/oauth/token` (client assertion) and the
agent token signing key (`/oauth/token_key(s)`).

Client-assertion rules (mindconnect-nodejs `AgentAuth.CreateClientAssertion`): `iss` = `sub` = the
client id, `aud` contains `southgate`, `exp` in the future; SHARED_SECRET signs HS256 with the client
secret, RSA_3072 signs with the agent's private key (the SDK uses RS384; RS256/RS512 are accepted too).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from typing import Any

import jwt
from jwt.algorithms import RSAAlgorithm
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from provisioner.sandbox.auth_ih import bearer_token, form_fields, request_base_url
from provisioner.sandbox.context import IhContext
from provisioner.sandbox.errors import error_body
from provisioner.sandbox.store import ONBOARDED_LOCK

Doc = dict[str, Any]
BASE = "/api/agentmanagement/v3"
ONBOARDED_REASON = "Agent is onboarded, agent cannot be deleted. Only offboarded agents can be deleted."
BOUND = ("ONBOARDING", "ONBOARDED", "OFFBOARDING")
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
RSA_ALGORITHMS = ["RS256", "RS384", "RS512"]
SECRET_LIFETIME_S = 7 * 24 * 3600
AGENT_SCOPE = ["mdsp:core:mindconnect.agent"]


def iat_jti(agent: Doc) -> str:
    """The id of an agent's current initial access token: a new one per boarding generation."""
    return uuid.uuid5(uuid.NAMESPACE_OID, f"{agent['id']}:{agent.get('boardingGeneration', 0)}").hex


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _iam(status: int, error: str, description: str) -> Response:
    return JSONResponse(error_body("iam", status, description, code=error), status_code=status)


class _Refused(Exception):
    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.response = _iam(status, error, description)


def _rsa_key(body: Any) -> Doc:
    """The one RSA public key (JWK) of a register/rotate body; _Refused unless it is a 3072-bit key."""
    keys = (
        body.get("jwks", {}).get("keys")
        if isinstance(body, dict) and isinstance(body.get("jwks"), dict)
        else None
    )
    if not isinstance(keys, list) or len(keys) != 1 or not isinstance(keys[0], dict):
        raise _Refused(400, "invalid_request", "RSA_3072 requires exactly one key in jwks.keys")
    jwk = keys[0]
    if jwk.get("kty") != "RSA" or not all(isinstance(jwk.get(k), str) for k in ("n", "e", "kid")):
        raise _Refused(400, "invalid_request", "the key must be an RSA JWK with kty, n, e and kid")
    try:
        public = RSAAlgorithm.from_jwk(json.dumps(jwk))
    except (jwt.PyJWTError, ValueError):
        raise _Refused(400, "invalid_request", "the key is not a valid RSA JWK") from None
    if getattr(public, "key_size", 0) != 3072:
        raise _Refused(400, "invalid_request", "the RSA_3072 profile needs a 3072-bit RSA key")
    return {k: jwk[k] for k in ("kty", "n", "e", "kid")}


class AgentIam:
    """Handlers for an agent's own onboarding and token calls (no tenant token: the agent's own material)."""

    def __init__(self, ctx: IhContext) -> None:
        self.ctx = ctx

    async def _json(self, request: Request) -> Any:
        raw = await request.body()
        if not raw.strip():
            return {}
        try:
            return json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise _Refused(400, "invalid_request", "the body is not JSON") from None

    def _credentials(self, doc: Doc, body: Any) -> tuple[Doc, Doc]:
        """(agent doc fields, response fields) for a new registration or a rotation."""
        now = int(self.ctx.now())
        rat = secrets.token_urlsafe(32)
        fields: Doc = {"ratDigest": _digest(rat), "secretExpiresAt": now + SECRET_LIFETIME_S}
        out: Doc = {
            "client_id": doc["id"],
            "grant_types": [doc["securityProfile"]],
            "registration_access_token": rat,
            "client_secret_expires_at": now + SECRET_LIFETIME_S,
        }
        if doc["securityProfile"] == "RSA_3072":
            fields |= {"jwk": _rsa_key(body), "clientSecret": None}
            out["token_endpoint_auth_method"] = "private_key_jwt"
        else:
            secret = secrets.token_urlsafe(32)
            fields |= {"clientSecret": secret, "jwk": None}
            out |= {"client_secret": secret, "token_endpoint_auth_method": "client_secret_jwt"}
        return fields, out

    async def register(self, request: Request) -> Response:
        try:
            return await self._register(request)
        except _Refused as exc:
            return exc.response

    async def _register(self, request: Request) -> Response:
        self.ctx.settle()
        state = self.ctx.state
        claims = self._initial_claims(bearer_token(request))
        doc = state.agents.get(str(claims.get("agent_id")))
        if doc is None:
            raise _Refused(401, "invalid_token", "the agent of this initial access token does not exist")
        if claims.get("jti") in doc.get("usedIats", []):
            raise _Refused(401, "invalid_token", "the initial access token has already been used")
        if claims.get("jti") != iat_jti(doc):
            raise _Refused(401, "invalid_token", "the initial access token has been replaced by a newer one")
        if doc["boarding"] in BOUND:
            raise _Refused(
                400, "invalid_request", f"the agent is {doc['boarding'].lower()}, it cannot onboard now"
            )
        fields, body = self._credentials(doc, await self._json(request))
        used = [*doc.get("usedIats", []), claims["jti"]]
        state.put_agent({**doc, **fields, "boarding": "ONBOARDED", "usedIats": used})
        asset = state.assets.get(doc["entityId"])
        if asset is not None:
            lock = {
                "id": uuid.uuid5(uuid.NAMESPACE_OID, asset["assetId"]).hex,
                "service": "agentmanagement",
                "reason": ONBOARDED_REASON,
                "reasonCode": ONBOARDED_LOCK,
            }
            state.put_asset({**asset, "locks": [*asset.get("locks", []), lock]})
        self.ctx.on_change()
        body["registration_client_uri"] = f"{request_base_url(request)}{BASE}/register/{doc['id']}"
        return JSONResponse(body, status_code=201)

    def _initial_claims(self, token: str | None) -> Doc:
        if token is None or not self.ctx.signer.verify(token, self.ctx.now()):
            raise _Refused(401, "invalid_token", "the initial access token is invalid or expired")
        claims: Doc = jwt.decode(token, options={"verify_signature": False})
        if claims.get("typ") != "initial":
            raise _Refused(401, "invalid_token", "the bearer token is not an initial access token")
        return claims

    async def rotate(self, request: Request) -> Response:
        try:
            return await self._rotate(request)
        except _Refused as exc:
            return exc.response

    async def _rotate(self, request: Request) -> Response:
        self.ctx.settle()
        client_id = request.path_params["client_id"]
        doc = self.ctx.state.agents.get(client_id)
        token = bearer_token(request)
        if doc is None or token is None or doc.get("ratDigest") != _digest(token):
            raise _Refused(401, "invalid_token", "the registration access token is invalid")
        if doc["boarding"] != "ONBOARDED":
            raise _Refused(400, "invalid_request", "the agent is not onboarded")
        body = await self._json(request)
        if isinstance(body, dict) and body.get("client_id") not in (None, client_id):
            raise _Refused(400, "invalid_request", "client_id in the body does not match the path")
        fields, out = self._credentials(doc, body)
        self.ctx.state.put_agent({**doc, **fields})
        self.ctx.on_change()
        out["registration_client_uri"] = f"{request_base_url(request)}{BASE}/register/{doc['id']}"
        return JSONResponse(out)

    async def token(self, request: Request) -> Response:
        try:
            return await self._token(request)
        except _Refused as exc:
            return exc.response

    async def _token(self, request: Request) -> Response:
        self.ctx.settle()
        form = await form_fields(request)
        if form.get("grant_type") != "client_credentials":
            raise _Refused(400, "unsupported_grant_type", f"unsupported grant type: {form.get('grant_type')}")
        if form.get("client_assertion_type") != ASSERTION_TYPE:
            raise _Refused(400, "invalid_request", f"client_assertion_type must be {ASSERTION_TYPE}")
        assertion = form.get("client_assertion") or ""
        try:
            unverified: Doc = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise _Refused(400, "invalid_request", "client_assertion is not a JWT") from None
        client_id = str(unverified.get("iss"))
        doc = self.ctx.state.agents.get(client_id)
        if doc is None or doc["boarding"] != "ONBOARDED":
            raise _Refused(400, "invalid_client", f"unknown or not onboarded client '{client_id}'")
        self._verify_assertion(doc, assertion)
        now = self.ctx.now()
        self.ctx.state.put_agent({**doc, "lastSeen": now})
        self.ctx.on_change()
        jti = uuid.uuid4().hex
        token = self.ctx.signer.sign(
            {
                "typ": "agent",
                "sub": doc["id"],
                "client_id": doc["id"],
                "jti": jti,
                "iat": int(now),
                "exp": int(now) + 3600,
                "ten": self.ctx.settings.tenant,
                "scope": AGENT_SCOPE,
            }
        )
        body = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": 3599,
            "jti": jti,
            "scope": AGENT_SCOPE,
        }
        return JSONResponse(body, headers={"Server-Time": str(int(now))})

    def _verify_assertion(self, doc: Doc, assertion: str) -> None:
        key: Any
        if doc["securityProfile"] == "RSA_3072":
            if not doc.get("jwk"):
                raise _Refused(400, "invalid_client", "the agent has no registered key")
            key, algorithms = RSAAlgorithm.from_jwk(json.dumps(doc["jwk"])), RSA_ALGORITHMS
        else:
            if not doc.get("clientSecret"):
                raise _Refused(400, "invalid_client", "the agent has no client secret")
            key, algorithms = doc["clientSecret"], ["HS256"]
        try:
            claims: Doc = jwt.decode(
                assertion, key, algorithms=algorithms, options={"verify_aud": False, "verify_exp": False}
            )
        except jwt.PyJWTError:
            raise _Refused(400, "invalid_client", "client_assertion signature is invalid") from None
        aud = claims.get("aud")
        auds = aud if isinstance(aud, list) else [aud]
        if claims.get("sub") != doc["id"] or "southgate" not in auds:
            raise _Refused(
                400, "invalid_client", "client_assertion needs sub = iss = client id and aud southgate"
            )
        exp = claims.get("exp")
        if not isinstance(exp, int | float) or exp <= self.ctx.now():
            raise _Refused(400, "invalid_client", "client_assertion is expired or has no exp")
        if (doc.get("secretExpiresAt") or 0) <= self.ctx.now():
            raise _Refused(400, "invalid_client", "the client secret has expired; onboard the agent again")

    def _agent_keys(self) -> list[Doc]:
        """The signing key with `value` as a one-line PEM: mindconnect-nodejs `ValidateToken`
        re-inserts the line breaks after the header and before the footer (agent-auth.js:330-332),
        so the service sends the key body without them."""
        keys = self.ctx.signer.token_keys()["keys"]
        return [{**k, "value": "".join(str(k["value"]).split("\n"))} for k in keys]

    async def token_key(self, request: Request) -> Response:
        return JSONResponse(self._agent_keys()[0])

    async def token_keys(self, request: Request) -> Response:
        return JSONResponse({"keys": self._agent_keys()})

    def routes(self) -> list[BaseRoute]:
        return [
            Route(BASE + "/register", self.register, methods=["POST"]),
            Route(BASE + "/register/{client_id}", self.rotate, methods=["PUT"]),
            Route(BASE + "/oauth/token", self.token, methods=["POST"]),
            Route(BASE + "/oauth/token_key", self.token_key, methods=["GET"]),
            Route(BASE + "/oauth/token_keys", self.token_keys, methods=["GET"]),
        ]
