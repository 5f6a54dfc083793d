"""Which bearer tokens count as tenant admins (they may read soft-deleted assets)."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from starlette.requests import Request

from provisioner.sandbox.auth_ih import bearer_token
from provisioner.sandbox.settings import SandboxSettings

_CACHE_LIMIT = 10_000


class AdminCheck:
    """`settings.admin_credentials`: "service" = tokens of the service credentials (PIAM
    `/oauth/token`, a tenant admin's technical user); "service+app" adds app credential tokens
    (Technical Token Manager); "none" = no token is admin."""

    def __init__(self, settings: SandboxSettings) -> None:
        self.settings = settings
        self._seen: dict[str, bool] = {}

    def is_admin(self, request: Request) -> bool:
        mode = self.settings.admin_credentials
        if mode == "none":
            return False
        token = bearer_token(request) or ""
        known = self._seen.get(token)
        if known is None:
            claims = _claims(token)
            is_app = "app_name" in claims
            known = claims.get("client_id") in (self.settings.client_id, self.settings.app_client_id) and (
                not is_app or mode == "service+app"
            )
            if len(self._seen) > _CACHE_LIMIT:
                self._seen.clear()
            self._seen[token] = known
        return known


def _claims(token: str) -> dict[str, Any]:
    """The payload of a JWT the route wrapper has already verified (no second signature check)."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    try:
        raw = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(raw)
    except (binascii.Error, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}
