"""Credential kinds and how each one turns into a token request.

Secrets are dataclass fields with `repr=False`, so a credential object never prints its secret.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from provisioner.providers.http.urls import checked_base_url, itwin_token_url, piam_url


@dataclass(frozen=True, slots=True)
class TokenRequest:
    """One POST that yields an OAuth-style `{access_token, expires_in}` answer."""

    url: str
    headers: dict[str, str]
    form: dict[str, str] | None = None
    json: dict[str, Any] | None = None


def _basic(client_id: str, client_secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode("ascii")


@dataclass(frozen=True, slots=True)
class IhServiceCredentials:
    """Insights Hub service credentials: client_credentials grant at the tenant's PIAM."""

    tenant: str
    client_id: str
    client_secret: str = field(repr=False)

    def secrets(self) -> tuple[str, ...]:
        return (self.client_secret, _basic(self.client_id, self.client_secret).removeprefix("Basic "))

    def token_request(self, gateway: str) -> TokenRequest:
        url = checked_base_url(piam_url(gateway, self.tenant), what="PIAM URL") + "/oauth/token"
        return TokenRequest(
            url=url,
            headers={"Authorization": _basic(self.client_id, self.client_secret),
                     "Content-Type": "application/x-www-form-urlencoded"},
            form={"grant_type": "client_credentials"},
        )


@dataclass(frozen=True, slots=True)
class IhAppCredentials:
    """Insights Hub app credentials: a technical token from the Technical Token Manager."""

    client_id: str
    client_secret: str = field(repr=False)
    host_tenant: str
    user_tenant: str
    app_name: str = "cli"
    app_version: str = "1.0.0"

    def secrets(self) -> tuple[str, ...]:
        return (self.client_secret, _basic(self.client_id, self.client_secret).removeprefix("Basic "))

    def token_request(self, gateway: str) -> TokenRequest:
        return TokenRequest(
            url=gateway.rstrip("/") + "/api/technicaltokenmanager/v3/oauth/token",
            headers={"X-SPACE-AUTH-KEY": _basic(self.client_id, self.client_secret),
                     "Content-Type": "application/json"},
            json={"appName": self.app_name, "appVersion": self.app_version,
                  "hostTenant": self.host_tenant, "userTenant": self.user_tenant},
        )


@dataclass(frozen=True, slots=True)
class ItwinApiKey:
    """An iTwin IoT API key, sent as `Authorization: ApiKey <key>`; no token exchange."""

    key: str = field(repr=False)

    def secrets(self) -> tuple[str, ...]:
        return (self.key,)

    def header(self) -> str:
        return f"ApiKey {self.key}"


@dataclass(frozen=True, slots=True)
class ItwinClientCredentials:
    """An IMS service client: client_credentials grant at IMS (or `token_url`)."""

    client_id: str
    client_secret: str = field(repr=False)
    scope: str = "itwin-platform"
    token_url: str | None = None

    def secrets(self) -> tuple[str, ...]:
        return (self.client_secret,)

    def token_request(self, base_url: str) -> TokenRequest:
        url = checked_base_url(itwin_token_url(base_url, self.token_url), what="IMS token URL")
        return TokenRequest(
            url=url,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            form={"grant_type": "client_credentials", "client_id": self.client_id,
                  "client_secret": self.client_secret, "scope": self.scope},
        )


TokenCredentials = IhServiceCredentials | IhAppCredentials | ItwinClientCredentials
IhCredentials = IhServiceCredentials | IhAppCredentials
ItwinCredentials = ItwinApiKey | ItwinClientCredentials
