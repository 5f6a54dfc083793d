"""Removing secrets from what the clients log or put into exceptions.

Two layers: by name (headers, JSON keys, form fields and query parameters known to hold
secrets) and by value (every secret the client was configured with, and every token it
obtained, is masked wherever it appears, whatever the field).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MASK = "***"

SECRET_HEADERS = frozenset(
    {"authorization", "x-space-auth-key", "cookie", "set-cookie", "proxy-authorization"})
# JSON keys and form fields; `iat` is the initial access token of an agent's boarding configuration,
# `AUTH_TOKEN` an iTwin IoT connection secret.
SECRET_KEYS = frozenset({
    "access_token", "refresh_token", "id_token", "client_secret", "clientsecret", "password",
    "apikey", "api_key", "auth_token", "iat", "client_assertion", "private_key", "privatekey",
})
SECRET_QUERY_PARAMS = SECRET_KEYS | {"key", "token", "code", "sig", "signature"}


def _is_secret_key(name: str) -> bool:
    return name.lower() in SECRET_KEYS


def _is_secret_param(name: str) -> bool:
    return name.lower() in SECRET_QUERY_PARAMS


class Redactor:
    """Masks known secret values and secret-named fields."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._values: set[str] = set()
        for s in secrets:
            self.add(s)

    def add(self, secret: str | None) -> None:
        """Remember one more secret value (ignored when too short to be a meaningful secret)."""
        if secret and len(secret) >= 4:
            self._values.add(secret)

    def text(self, value: str) -> str:
        """Mask every known secret value inside free text."""
        for secret in sorted(self._values, key=len, reverse=True):
            if secret in value:
                value = value.replace(secret, MASK)
        return value

    def url(self, url: str) -> str:
        """Mask secret query parameters and userinfo, then known values."""
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            netloc = MASK + "@" + netloc.rsplit("@", 1)[1]
        query = parts.query
        if query:
            pairs = parse_qsl(query, keep_blank_values=True)
            if any(_is_secret_param(k) for k, _ in pairs):
                query = urlencode([(k, MASK if _is_secret_param(k) else v) for k, v in pairs])
        return self.text(urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment)))

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """A copy of the headers with secret headers masked."""
        return {k: (MASK if k.lower() in SECRET_HEADERS else self.text(v)) for k, v in headers.items()}

    def data(self, value: Any) -> Any:
        """A deep copy of parsed JSON with secret-named keys and known values masked."""
        if isinstance(value, dict):
            return {k: (MASK if _is_secret_key(str(k)) and v is not None else self.data(v))
                    for k, v in value.items()}
        if isinstance(value, list):
            return [self.data(v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value

    def form(self, body: str) -> str:
        """Mask secret fields of an x-www-form-urlencoded body."""
        pairs = parse_qsl(body, keep_blank_values=True)
        return self.text(urlencode([(k, MASK if _is_secret_key(k) else v) for k, v in pairs]))
