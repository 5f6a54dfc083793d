"""Types a stack uses but does not own (`external: true`), and types another stack owns.

An external type is read and checked, never written: the live type must exist and hold what the
configuration declares of it (the category, each declared variable with its type and unit, each
declared aspect with its aspect type), else the plan fails naming the difference. A declared,
not external type whose live owner marker names another stack is a plan error naming that stack
and the ways out (`external: true`, or `take_over_from: <stack>` to hand it over): no silent
takeover, and no two stacks writing one type in turn.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from provisioner.providers.insights_hub import kinds
from provisioner.providers.insights_hub import normalize as norm

JSONDict = dict[str, Any]


def owned_elsewhere(address: str, type_id: str, owner: str) -> str:
    return (f"{address}: the type {type_id} belongs to stack {owner!r} (its owner marker); declare it "
            f"`external: true` to use it without owning it, or set `take_over_from: {owner}` to hand it "
            "over to this stack")


def missing(address: str, name: str) -> str:
    return f"{address} is external, but the tenant has no type named {name}: its owner must create it first"


def _variables(address: str, declared: Mapping[str, Any], live: Mapping[str, Any]) -> list[str]:
    problems = []
    for name, want in (declared.get("variables") or {}).items():
        have = (live.get("variables") or {}).get(name)
        if have is None:
            problems.append(f"{address} (external): the live type has no variable {name}")
            continue
        for field in ("type", "unit"):
            if want.get(field) != have.get(field):
                problems.append(f"{address} (external): variable {name} has {field} "
                                f"{have.get(field)!r} live, {want.get(field)!r} declared")
    return problems


def mismatches(address: str, kind: str, declared: Mapping[str, Any], live_type: JSONDict) -> list[str]:
    """What the live type lacks of the external type's declaration (empty: it can be used)."""
    if kind == kinds.ASPECT_TYPE:
        live = norm.aspect_type_attrs(live_type)
        problems = []
        if declared.get("category") != live.get("category"):
            problems.append(f"{address} (external): category is {live.get('category')!r} live, "
                            f"{declared.get('category')!r} declared")
        return problems + _variables(address, declared, live)
    live = norm.asset_type_attrs(live_type)
    problems = []
    for aspect, type_id in (declared.get("aspects") or {}).items():
        have = (live.get("aspects") or {}).get(aspect)
        if have != type_id:
            problems.append(f"{address} (external): aspect {aspect} is {have!r} live, {type_id!r} declared")
    return problems + _variables(address, declared, live)
