"""Types shared between stacks: one stack owns a type (its marker is in the type's description),
others declare it `external: true` and use it — read, referenced, checked, never written.

Declaring (owning) a type whose marker names another stack is an error naming that stack, unless
it is handed over explicitly (`take_over: true` on the type): no silent takeover, and so no two
stacks rewriting one type back and forth.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from provisioner.model import Resource
from provisioner.providers.marker import split_description

JSONDict = dict[str, Any]


def owner_of(obj: Mapping[str, Any]) -> tuple[str, str] | None:
    """(stack, key) of the marker in a live type's description, None when unmarked."""
    _, stack, key = split_description(obj.get("description"))
    return (stack, key) if stack is not None and key is not None else None


def owned_elsewhere(address: str, type_id: str, owner: tuple[str, str]) -> str:
    """The error for declaring a type another stack owns, with both ways out."""
    return (f"{address}: type {type_id} belongs to stack '{owner[0]}' (marker "
            f"[provision:{owner[0]}/{owner[1]}]); declare it with `external: true` to use it without "
            f"owning it, or take it over with `take_over: true` (the owner should then drop it)")


def differences(declared: Mapping[str, Any], live: Mapping[str, Any]) -> list[str]:
    """What a used type lacks of what this stack declared it to have (its own description and
    entries this stack does not declare do not matter)."""
    found: list[str] = []
    for key, want in declared.items():
        if key == "description" or want is None:
            continue
        have = live.get(key)
        if not isinstance(want, dict):
            if have != want:
                found.append(f"{key} is {have!r}, not {want!r}")
            continue
        entries = have if isinstance(have, dict) else {}
        for name, entry in want.items():
            got = entries.get(name)
            if got is None:
                found.append(f"{key}.{name} is missing")
            elif isinstance(entry, dict) and isinstance(got, dict):
                found.extend(f"{key}.{name}.{field} is {got.get(field)!r}, not {value!r}"
                             for field, value in entry.items()
                             if value is not None and got.get(field) != value)
            elif got != entry:
                found.append(f"{key}.{name} is {got!r}, not {entry!r}")
    return found


def check_used(used: Sequence[Resource], live_types: Mapping[str, JSONDict],
               attrs_of: Callable[[str, JSONDict], JSONDict]) -> list[str]:
    """One problem per used type that is missing or lacks what this stack declared."""
    problems: list[str] = []
    for resource in used:
        type_id = resource.pinned_id or ""
        obj = live_types.get(type_id)
        if obj is None:
            problems.append(f"{resource.address}: external type {type_id} does not exist in the tenant: "
                            "the stack that owns it must apply it first")
            continue
        missing = differences(resource.attrs, attrs_of(resource.kind, obj))
        if missing:
            problems.append(f"{resource.address}: external type {type_id} is not what this stack relies on: "
                            + "; ".join(missing))
    return problems
