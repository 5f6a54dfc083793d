"""Pydantic validation errors → ConfigIssues at the source position of the offending key or value."""

from __future__ import annotations

import difflib
from functools import lru_cache
from typing import Any

from pydantic import ValidationError

from provisioner.config.addresses import address_of_path
from provisioner.config.locations import Locator, Path
from provisioner.config.validate import did_you_mean
from provisioner.errors import ConfigIssue

_MISSING = object()


@lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    from provisioner.config.schema import ProjectConfig

    return ProjectConfig.model_json_schema(mode="validation")


def _resolve(node: dict[str, Any]) -> list[dict[str, Any]]:
    """The object schemas `node` may be (following `$ref`, `oneOf`, `anyOf`)."""
    ref = node.get("$ref")
    if isinstance(ref, str):
        return _resolve(_schema()["$defs"][ref.removeprefix("#/$defs/")])
    choices = node.get("oneOf") or node.get("anyOf")
    if choices:
        return [n for choice in choices for n in _resolve(choice)]
    return [node]


def known_fields(path: Path) -> list[str]:
    """The field names the schema allows in the mapping at document `path`."""
    nodes = [_schema()]
    for segment in path:
        step: list[dict[str, Any]] = []
        for node in (n for candidate in nodes for n in _resolve(candidate)):
            if isinstance(segment, int) and isinstance(node.get("items"), dict):
                step.append(node["items"])
            elif isinstance(segment, str) and segment in node.get("properties", {}):
                step.append(node["properties"][segment])
            elif isinstance(node.get("additionalProperties"), dict):
                step.append(node["additionalProperties"])
        nodes = step
    return sorted({name for candidate in nodes for n in _resolve(candidate)
                   for name in n.get("properties", {})})


def _child(node: Any, segment: int | str) -> Any:
    if isinstance(node, dict):
        return node.get(segment, _MISSING)
    if isinstance(node, list) and isinstance(segment, int) and 0 <= segment < len(node):
        return node[segment]
    return _MISSING


def _closest(path: Path) -> list[str]:
    """The known fields an unknown field at `path` is a likely misspelling of."""
    if not path or not isinstance(path[-1], str):
        return []
    return difflib.get_close_matches(path[-1], known_fields(path[:-1]), n=1, cutoff=0.6)


def data_path(data: Any, loc: tuple[int | str, ...]) -> Path:
    """Follow a pydantic error `loc` through the data, dropping union tags that are not keys."""
    path: list[Any] = []
    node = data
    for segment in loc:
        child = _child(node, segment)
        if child is not _MISSING:
            path.append(segment)
            node = child
        elif isinstance(node, dict) and segment not in node and segment == loc[-1]:
            path.append(segment)  # a missing or unknown field: keep its name
            break
    return tuple(path)


def schema_issues(exc: ValidationError, data: Any, locator: Locator) -> tuple[list[ConfigIssue], list[Path]]:
    """Issues for every error, and the document paths of the (innermost) failing values."""
    issues: list[ConfigIssue] = []
    paths: list[Path] = []
    errors = exc.errors(include_url=False, include_input=False)
    # a missing field that a misspelt one beside it would have given is a follow-on of that typo
    typos = {(data_path(data, e["loc"])[:-1], close) for e in errors if e["type"] == "extra_forbidden"
             for close in _closest(data_path(data, e["loc"]))}
    for error in errors:
        kind = error["type"]
        path = data_path(data, error["loc"])
        paths.append(path)
        if kind == "missing" and (path[:-1], error["loc"][-1]) in typos:
            continue
        message = str(error["msg"]).removeprefix("Value error, ")
        if kind == "extra_forbidden":
            where = locator.key(path)
            message = f"unknown field {path[-1]!r}" if path else "unknown field"
            if path and isinstance(path[-1], str):
                message += did_you_mean(path[-1], known_fields(path[:-1]))
        elif kind == "missing":
            field = error["loc"][-1]
            where = locator.key(path[:-1]) if path and path[-1] == field else locator.key(path)
            message = f"missing required field {field!r}"
        else:
            where = locator.value(path)
            if path and isinstance(path[-1], str):
                message = f"{path[-1]}: {message}"
        issues.append(ConfigIssue(message, where, address_of_path(path)))
    return issues, paths
