"""The shape of a plan file, checked before any of it is used.

A plan file may have been edited with a recomputed checksum, so every value `apply` reads is
checked here: types (an integer `server_id`, `unmanaged: []`), known actions, finite numbers,
and — when the caller knows them — known platforms and kinds. `check_plan_file` raises
`PlanShapeError` naming the JSON path of the first bad value.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection
from typing import Any

from provisioner.model import Action

_ACTIONS = frozenset(a.value for a in Action)
MAX_JSON_DEPTH = 64
"""Nesting of attribute values inside a change (`before`, `after`, field values)."""


class PlanShapeError(ValueError):
    """A plan file value has the wrong type or an unknown value."""


Check = Callable[[Any, str], None]


def _fail(path: str, expected: str, value: Any) -> PlanShapeError:
    return PlanShapeError(f"{path or 'the file'}: expected {expected}, found {type(value).__name__}")


def _str(value: Any, path: str) -> None:
    if not isinstance(value, str):
        raise _fail(path, "a string", value)


def _opt_str(value: Any, path: str) -> None:
    if value is not None and not isinstance(value, str):
        raise _fail(path, "a string or null", value)


def _count(value: Any, path: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _fail(path, "a non-negative integer", value)


def _number(value: Any, path: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _fail(path, "a finite number", value)


def _bool(value: Any, path: str) -> None:
    if not isinstance(value, bool):
        raise _fail(path, "true or false", value)


def _dict(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(path, "an object", value)
    return value


def _list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise _fail(path, "a list", value)
    return value


def _list_of(check: Check) -> Check:
    def inner(value: Any, path: str) -> None:
        for index, item in enumerate(_list(value, path)):
            check(item, f"{path}[{index}]")
    return inner


def _map_of(check: Check) -> Check:
    def inner(value: Any, path: str) -> None:
        for key, item in _dict(value, path).items():
            check(item, f"{path}.{key}")
    return inner


def _fields(value: Any, path: str, spec: dict[str, Check]) -> None:
    data = _dict(value, path)
    for name, check in spec.items():
        where = f"{path}.{name}" if path else name
        if name not in data:
            raise PlanShapeError(f"{where}: missing")
        check(data[name], where)


def _json_value(value: Any, path: str, depth: int = 0) -> None:
    """Attribute values: JSON scalars (finite numbers), lists and objects, nested ≤ MAX_JSON_DEPTH."""
    if depth > MAX_JSON_DEPTH:
        raise PlanShapeError(f"{path}: nested deeper than {MAX_JSON_DEPTH} levels")
    if isinstance(value, dict):
        for key, item in value.items():
            _json_value(item, f"{path}.{key}", depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _json_value(item, f"{path}[{index}]", depth + 1)
    elif isinstance(value, float) and not math.isfinite(value):
        raise PlanShapeError(f"{path}: {value} is not a JSON number")
    elif value is not None and not isinstance(value, str | int | float | bool):
        raise _fail(path, "a JSON value", value)


def _attrs(value: Any, path: str) -> None:
    if value is not None:
        _dict(value, path)
        _json_value(value, path)


def _action(value: Any, path: str) -> None:
    if value not in _ACTIONS:
        raise PlanShapeError(f"{path}: unknown action {value!r} (one of {', '.join(sorted(_ACTIONS))})")


def _field_change(value: Any, path: str) -> None:
    _fields(value, path, {"path": _str, "before": _json_value, "after": _json_value})


def check_plan_file(data: dict[str, Any], *, platforms: Collection[str] | None = None,
                    kinds: Collection[str] | None = None) -> None:
    """Raise PlanShapeError unless `data` (a parsed plan file) has the documented shape."""

    def platform(value: Any, path: str) -> None:
        _dict(value, path)
        if platforms is not None:
            for name in value:
                if name not in platforms:
                    raise PlanShapeError(f"{path}: unknown platform {name!r}")

    def kind(value: Any, path: str) -> None:
        _str(value, path)
        if kinds is not None and value not in kinds:
            raise PlanShapeError(f"{path}: unknown kind {value!r}")

    def change(value: Any, path: str) -> None:
        _fields(value, path, {
            "address": _str, "action": _action, "kind": kind, "before": _attrs, "after": _attrs,
            "fields": _list_of(_field_change), "server_id": _opt_str, "precondition": _opt_str,
            "depends_on": _list_of(_str), "reasons": _list_of(_str), "side_effects": _list_of(_str),
            "data_destructive": _bool, "data_loss": _list_of(_str),
            "prevent_destroy": _bool, "duplicate_of": _opt_str,
            "unmanaged_children": _list_of(_str),
        })

    def unmanaged_object(value: Any, path: str) -> None:
        _fields(value, path, {"kind": _str, "server_id": _str, "name": _str})

    def per_platform(check: Check) -> Check:
        def inner(value: Any, path: str) -> None:
            platform(value, path)
            _map_of(check)(value, path)
        return inner

    def estimate(value: Any, path: str) -> None:
        _fields(value, path, {
            "calls_by_platform": per_platform(_count), "calls_by_class": _map_of(_count),
            "critical_path_seconds": _number, "throughput_seconds": _number, "quota_seconds": _number,
        })
        optional = {"quota_rules": _map_of(_list_of(_quota_rule)), "quota_scale": _map_of(_number)}
        for name, check in optional.items():  # absent in plan files written before the quota model
            if name in value:
                check(value[name], f"{path}.{name}")

    def plan(value: Any, path: str) -> None:
        _fields(value, path, {
            "changes": _list_of(change), "unchanged": _count, "managed": per_platform(_count),
            "unmanaged": per_platform(_list_of(unmanaged_object)), "warnings": _list_of(_str),
            "protected": _list_of(_str), "live_depends_on": _map_of(_list_of(_str)), "estimate": estimate,
        })

    _fields(data, "", {"stack": _str, "config_digest": _str, "created_at": _str, "target": _target,
                       "plan": plan, "preconditions": _list_of(_precondition)})


def _target(value: Any, path: str) -> None:
    if value is None:
        return
    _fields(value, path, {"env": _opt_str, "project": _str, "insights_hub": _opt_fields(
        {"tenant": _str, "gateway": _str}), "itwin_iot": _opt_fields({"url": _str, "project": _str})})


def _opt_fields(spec: dict[str, Check]) -> Check:
    def inner(value: Any, path: str) -> None:
        if value is not None:
            _fields(value, path, spec)
    return inner


def _quota_rule(value: Any, path: str) -> None:
    """`[limit, window_seconds]` of one quota rule."""
    if not (isinstance(value, list) and len(value) == 2):
        raise _fail(path, "[limit, window seconds]", value)
    _count(value[0], f"{path}[0]")
    _number(value[1], f"{path}[1]")


def _precondition(value: Any, path: str) -> None:
    _fields(value, path, {"address": _str, "server_id": _opt_str, "precondition": _opt_str})
