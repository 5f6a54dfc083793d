"""Base-URL checks and the URL rules of the vendors' token services."""

from __future__ import annotations

import ipaddress

import httpx

from provisioner.providers.http.errors import InsecureUrlError


def is_loopback_host(host: str) -> bool:
    """True for localhost and loopback IP literals (127.0.0.0/8, ::1)."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def checked_base_url(url: str, *, what: str = "base URL") -> str:
    """`url` without a trailing slash; https required except on loopback hosts."""
    parsed = httpx.URL(url)
    if parsed.scheme not in ("https", "http") or not parsed.host:
        raise InsecureUrlError(f"{what} must be an absolute http(s) URL, got {url!r}")
    if parsed.scheme == "http" and not is_loopback_host(parsed.host):
        raise InsecureUrlError(
            f"{what} {url!r} uses plain http; only https is allowed except for loopback hosts "
            "(localhost, 127.0.0.1, ::1)")
    return url.rstrip("/")


def piam_url(gateway: str, tenant: str) -> str:
    """The tenant's PIAM origin, built as the official SDK's `getPiamUrl` does.

    The first "gateway" in the URL becomes "{tenant}.piam"; a gateway without it (a loopback
    emulator) is its own PIAM.
    """
    return gateway.replace("gateway", f"{tenant}.piam", 1).rstrip("/")


ITWIN_IMS_TOKEN_URL = "https://ims.bentley.com/connect/token"


def itwin_token_url(base_url: str, configured: str | None) -> str:
    """The IMS token URL: the configured one, else `{base}/connect/token` on loopback, else IMS."""
    if configured:
        return configured
    if is_loopback_host(httpx.URL(base_url).host):
        return base_url.rstrip("/") + "/connect/token"
    return ITWIN_IMS_TOKEN_URL
