"""The site each change of a plan belongs to: what PR comments count and fold by at fleet scale.

A site is a top-level object of the plant and everything under it: on Insights Hub a top-level
asset (parent `root`) with its subtree and the agents (with their data sources and mappings) that
live in it, on iTwin IoT a connection with its devices and sensors. Sites are resolved from the
plan's own changes, in this order:

1. an address nested under another changed address (`….agents.a.mappings.m` under its agent, a
   device under its connection) belongs to that object's site;
2. an object whose `parent` names another address (assets, agents) belongs to that parent's site,
   or, when the parent is unchanged (not in the plan), to the site named after that parent;
3. an object whose `asset` names a changed asset (mappings) belongs to that asset's site;
4. a nested address whose container is unchanged belongs to its top-level container
   (`agents.site-1-agent`); a type (aspect or asset type) to `TYPES`, shared by every site;
5. anything else is a site of its own (`assets.site-1`, `connections.site-1`).

Unchanged ancestors are not in a plan, so a change deep in an unchanged tree is counted under the
nearest ancestor its own fields name, not the tree's top.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from provisioner.model import Change

TYPES = "(types)"
"""The group of aspect and asset types: shared by every site, not a place in the plant."""


def _top(parts: Sequence[str]) -> str:
    return ".".join(parts[1:3])


def sites_of(changes: Sequence[Change]) -> dict[str, str]:
    """The site (`assets.site-1`, `connections.site-1`, or `TYPES`) of every change's address."""
    by_address: Mapping[str, Change] = {c.address: c for c in changes}
    found: dict[str, str] = {}

    def resolve(address: str, seen: frozenset[str]) -> str:
        if address in found:
            return found[address]
        site = _resolve(address, seen | {address})
        found[address] = site
        return site

    def _resolve(address: str, seen: frozenset[str]) -> str:
        parts = address.split(".")
        for end in range(len(parts) - 1, 2, -1):
            prefix = ".".join(parts[:end])
            if prefix in by_address and prefix not in seen:
                return resolve(prefix, seen)
        change = by_address[address]
        attrs = change.after if change.after is not None else change.before or {}
        platform = parts[0] + "."
        parent = attrs.get("parent")
        if isinstance(parent, str) and parent.startswith(platform) and parent not in seen:
            return resolve(parent, seen) if parent in by_address else _top(parent.split("."))
        asset = attrs.get("asset")
        if isinstance(asset, str) and asset in by_address and asset not in seen:
            return resolve(asset, seen)
        if change.kind.endswith("_type") or parts[1:2] in (["aspect_types"], ["asset_types"]):
            return TYPES
        return _top(parts)

    for change in changes:
        resolve(change.address, frozenset())
    return found
