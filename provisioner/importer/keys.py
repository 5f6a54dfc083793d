"""Keys derived from names: slugified, unique within their namespace, stable across imports.

A key is what the configuration language addresses an object by (`insights_hub.assets.<key>`):
1-64 characters `[a-z0-9-]`, starting with a letter or digit. Names that slugify alike are told
apart by their parent's name first (`hamburg-pump-1`), then by a number in server-id order, so
the same tenant always gives the same keys.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

MAX_KEY = 64
_NON_KEY = re.compile(r"[^a-z0-9]+")


def slug(text: str | None, fallback: str) -> str:
    """`Plant Hamburg / Hall 2` -> `plant-hamburg-hall-2`; `fallback` (slugified) when nothing is left."""
    value = _NON_KEY.sub("-", (text or "").lower()).strip("-")[:MAX_KEY].strip("-")
    if value:
        return value
    return _NON_KEY.sub("-", fallback.lower()).strip("-")[:MAX_KEY].strip("-") or "x"


def _join(*parts: str) -> str:
    text = "-".join(p for p in parts if p)
    return text[:MAX_KEY].strip("-")


@dataclass(frozen=True, slots=True)
class Candidate:
    """One object to key: its server id, its name's slug, and its parent's slug (or None)."""

    ident: str
    slug: str
    qualifier: str | None = None


def allocate(candidates: Iterable[Candidate]) -> dict[str, str]:
    """Server id -> unique key for every candidate."""
    by_slug: dict[str, list[Candidate]] = defaultdict(list)
    for candidate in candidates:
        by_slug[candidate.slug].append(candidate)
    wanted: dict[str, str] = {}
    for base, group in by_slug.items():
        for c in group:
            wanted[c.ident] = _join(c.qualifier, base) if len(group) > 1 and c.qualifier else base
    taken: set[str] = set()
    keys: dict[str, str] = {}
    for ident, key in sorted(wanted.items(), key=lambda item: (item[1], item[0])):
        final, number = key, 2
        while final in taken:
            suffix = f"-{number}"
            final = key[: MAX_KEY - len(suffix)].strip("-") + suffix
            number += 1
        taken.add(final)
        keys[ident] = final
    return keys
