"""URL rules: https everywhere, plain http only for loopback hosts."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import httpx


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str) -> None:
    """Raise ValueError unless `url` is https, or http to a loopback host."""
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        raise ValueError("a URL must not contain blanks or control characters")
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not host:
        raise ValueError("not a URL with a host")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("the port must be a number from 1 to 65535") from None
    if port == 0:
        raise ValueError("the port must be a number from 1 to 65535")
    if parts.username is not None or parts.password is not None:
        raise ValueError("a URL must not carry credentials (use the auth settings)")
    try:
        httpx.URL(url)
    except (httpx.InvalidURL, UnicodeError) as exc:
        raise ValueError(f"not a valid URL: {exc}") from None
    if parts.scheme == "https":
        return
    if parts.scheme == "http":
        if is_loopback(host):
            return
        raise ValueError(f"plain http is only allowed for loopback hosts; use https for {host}")
    raise ValueError(f"unsupported URL scheme {parts.scheme!r}: use https")
