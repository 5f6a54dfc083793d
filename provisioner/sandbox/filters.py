"""The JSON `filter` and `sort` query languages of Asset, Agent and MindConnect list endpoints."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from provisioner.sandbox.errors import HttpError

Doc = dict[str, Any]
Predicate = Callable[[Doc], bool]
# extra operators evaluated by the caller (e.g. hasType needs the type hierarchy)
Special = Mapping[str, Callable[[Any], Predicate]]

_OPS = ("eq", "contains", "startsWith", "endsWith", "in", "ne")


def parse_filter(raw: str | None, fields: frozenset[str], special: Special | None = None) -> Predicate | None:
    """Compile a filter string into a predicate; None when there is no filter. Bad input → 400."""
    if raw is None or raw.strip() == "":
        return None
    try:
        tree = json.loads(raw)
    except json.JSONDecodeError:
        raise HttpError(400, f"Invalid filter '{raw}': not a JSON object") from None
    if not isinstance(tree, dict):
        raise HttpError(400, f"Invalid filter '{raw}': not a JSON object")
    return _compile(tree, fields, special or {})


def _compile(tree: dict[str, Any], fields: frozenset[str], special: Special) -> Predicate:
    parts: list[Predicate] = []
    for key, value in tree.items():
        if key in ("and", "or"):
            subs = value if isinstance(value, list) else [{k: v} for k, v in _as_dict(value, key).items()]
            compiled = [_compile(_as_dict(s, key), fields, special) for s in subs]
            parts.append(_all(compiled) if key == "and" else _any(compiled))
        elif key == "not":
            parts.append(_not(_compile(_as_dict(value, key), fields, special)))
        elif key in special:
            parts.append(special[key](value))
        elif key in fields:
            parts.append(_field(key, value))
        else:
            # the vendor ignores unknown fields (reference 2.7): they filter nothing
            continue
    return _all(parts)


def _all(preds: list[Predicate]) -> Predicate:
    def check(doc: Doc) -> bool:
        return all(p(doc) for p in preds)

    return check


def _any(preds: list[Predicate]) -> Predicate:
    def check(doc: Doc) -> bool:
        return any(p(doc) for p in preds)

    return check


def _not(pred: Predicate) -> Predicate:
    def check(doc: Doc) -> bool:
        return not pred(doc)

    return check


def _as_dict(value: Any, key: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise HttpError(400, f"Invalid filter: '{key}' needs an object, got {json.dumps(value)}")
    return value


def _norm(value: Any) -> Any:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    return value


def _field(name: str, cond: Any) -> Predicate:
    if not isinstance(cond, dict):
        return _op(name, "eq", cond)
    checks = [_op(name, op, arg) for op, arg in cond.items()]
    return _all(checks)


def _op(name: str, op: str, arg: Any) -> Predicate:
    """One `field op argument` test; values compare as strings like the vendor's query parser."""
    if op not in _OPS:
        raise HttpError(400, f"Invalid filter: unknown operator '{op}' on field '{name}'")
    if op == "in":
        values = arg.get("value") if isinstance(arg, dict) else arg
        if not isinstance(values, list):
            raise HttpError(400, f"Invalid filter: 'in' on '{name}' needs {{\"value\": [...]}}")
        allowed = {_norm(v) for v in values}

        def is_in(doc: Doc) -> bool:
            return _norm(doc.get(name)) in allowed

        return is_in
    want = _norm(arg)

    def check(doc: Doc) -> bool:
        have = _norm(doc.get(name))
        if op == "eq":
            return bool(have == want)
        if op == "ne":
            return bool(have != want)
        if not isinstance(have, str) or not isinstance(want, str):
            return False
        if op == "contains":
            return want in have
        if op == "startsWith":
            return have.startswith(want)
        return have.endswith(want)

    return check


def parse_sort(
    raw: str | None,
    fields: frozenset[str],
    default: str | tuple[str, ...],
    aliases: Mapping[str, str] | None = None,
) -> list[tuple[str, bool]]:
    """`name,asc` / `id,desc` / `DESC` / `name,id,asc` → [(field, descending)]. Unknown field → 400.
    A bare direction sorts by `default`; `aliases` maps a public sort name to the stored field."""
    if not raw:
        return []
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    descending = False
    if parts and parts[-1].lower() in ("asc", "desc"):
        descending = parts.pop().lower() == "desc"
    names = parts or ([default] if isinstance(default, str) else list(default))
    out = []
    for name in names:
        field = (aliases or {}).get(name, name)
        if field not in fields:
            raise HttpError(400, f"Invalid sort: unknown property '{name}'")
        out.append((field, descending))
    return out


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, "")
    if isinstance(value, bool | int | float):
        return (1, float(value))
    # strings sort case-insensitively (a real asset list by name: "alpha" before "Beta")
    return (2, str(value).casefold())


def _key_of(name: str) -> Callable[[Doc], tuple[int, Any]]:
    def key(doc: Doc) -> tuple[int, Any]:
        return _sort_key(doc.get(name))

    return key


def apply_sort(docs: list[Doc], order: list[tuple[str, bool]]) -> list[Doc]:
    """Stable multi-key sort (last key first)."""
    for name, descending in reversed(order):
        docs.sort(key=_key_of(name), reverse=descending)
    return docs
