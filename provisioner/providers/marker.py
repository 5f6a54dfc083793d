"""Ownership markers: how an object says which stack manages it, with no local state file.

Insights Hub objects carry the marker at the end of their description, e.g.
`Ambient conditions [provision:plant-hamburg/assets.acme-motor]`; iTwin IoT entities carry
it as their refId (stored by the service as `SERIAL_NO`): `iac:plant-hamburg/north/logger-2`.
The marker names the stack and the object's key, so the key survives a rename.
"""

from __future__ import annotations

import re

_DESCRIPTION_MARKER = re.compile(r"\s*\[provision:(?P<stack>[^/\]\s]+)/(?P<key>[^\]]+)\]\s*$")


def mark_description(description: str | None, stack: str, key: str) -> str:
    """The description to write: the user's text followed by the marker."""
    marker = f"[provision:{stack}/{key}]"
    return f"{description} {marker}" if description else marker


def split_description(description: str | None) -> tuple[str | None, str | None, str | None]:
    """Split a live description into (user text or None, stack, key); stack/key None if unmarked."""
    if not description:
        return None, None, None
    match = _DESCRIPTION_MARKER.search(description)
    if match is None:
        return description, None, None
    text = description[: match.start()].rstrip()
    return (text or None), match.group("stack"), match.group("key")


def ref_id(stack: str, *keys: str) -> str:
    """The deterministic iTwin refId of a connection, device or sensor."""
    return "iac:" + "/".join((stack, *keys))


def parse_ref_id(value: object) -> tuple[str, tuple[str, ...]] | None:
    """(stack, keys) of a refId this tool wrote, else None."""
    if not isinstance(value, str) or not value.startswith("iac:"):
        return None
    parts = value[4:].split("/")
    if len(parts) < 2 or not all(parts):
        return None
    return parts[0], tuple(parts[1:])
