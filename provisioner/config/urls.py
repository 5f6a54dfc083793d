"""URL rules: https everywhere, plain http only for loopback hosts."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str) -> None:
    """Raise ValueError unless `url` is https, or http to a loopback host."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not host:
        raise ValueError("not a URL with a host")
    if parts.scheme == "https":
        return
    if parts.scheme == "http":
        if is_loopback(host):
            return
        raise ValueError(f"plain http is only allowed for loopback hosts; use https for {host}")
    raise ValueError(f"unsupported URL scheme {parts.scheme!r}: use https")
