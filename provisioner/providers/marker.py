"""Ownership markers: how an object says which stack manages it, with no local state file.

Insights Hub objects carry the marker at the end of their description, e.g.
`Ambient conditions [provision:plant-hamburg/assets.acme-motor]`; iTwin IoT entities carry
it as their refId (stored by the service as `SERIAL_NO`): `iac:plant-hamburg/north/logger-2`.
The marker names the stack and the object's key, so the key survives a rename. It may carry
flags after a `|` (`[provision:plant-hamburg/assets.acme-motor|prevent_destroy]`): what the object
says about itself even when the configuration no longer declares it. iTwin refIds are identities
and carry no flags; an iTwin entity keeps its flags at the end of its NOTES (`[provision|prevent_destroy]`).
"""

from __future__ import annotations

import re

_DESCRIPTION_MARKER = re.compile(
    r"\s*\[provision:(?P<stack>[^/\]\s]+)/(?P<key>[^\]|]+)(?:\|(?P<flags>[^\]]*))?\]\s*$")
_NOTES_FLAGS = re.compile(r"\s*\[provision\|(?P<flags>[^\]]*)\]\s*$")
PREVENT_DESTROY = "prevent_destroy"


def _flag_text(flags: tuple[str, ...]) -> str:
    return "|" + ",".join(sorted(set(flags))) if flags else ""


def mark_description(description: str | None, stack: str, key: str, flags: tuple[str, ...] = ()) -> str:
    """The description to write: the user's text followed by the marker (and its flags)."""
    marker = f"[provision:{stack}/{key}{_flag_text(flags)}]"
    return f"{description} {marker}" if description else marker


def description_flags(description: str | None) -> frozenset[str]:
    """The flags of a description's marker (empty when unmarked or without flags)."""
    match = _DESCRIPTION_MARKER.search(description or "")
    if match is None or not match.group("flags"):
        return frozenset()
    return frozenset(f for f in match.group("flags").split(",") if f)


def mark_notes(notes: str | None, flags: tuple[str, ...]) -> str | None:
    """iTwin NOTES to write: the user's text followed by the flags (unchanged without flags)."""
    if not flags:
        return notes
    tag = f"[provision{_flag_text(flags)}]"
    return f"{notes} {tag}" if notes else tag


def split_notes(notes: str | None) -> tuple[str | None, frozenset[str]]:
    """(user text or None, flags) of live iTwin NOTES."""
    match = _NOTES_FLAGS.search(notes or "")
    if match is None:
        return notes, frozenset()
    text = (notes or "")[: match.start()].rstrip()
    return (text or None), frozenset(f for f in match.group("flags").split(",") if f)


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
