"""Pydantic validation errors → ConfigIssues at the source position of the offending key or value."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from provisioner.config.addresses import address_of_path
from provisioner.config.locations import Locator, Path
from provisioner.errors import ConfigIssue

_MISSING = object()


def _child(node: Any, segment: int | str) -> Any:
    if isinstance(node, dict):
        return node.get(segment, _MISSING)
    if isinstance(node, list) and isinstance(segment, int) and 0 <= segment < len(node):
        return node[segment]
    return _MISSING


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
    for error in exc.errors(include_url=False, include_input=False):
        kind = error["type"]
        path = data_path(data, error["loc"])
        paths.append(path)
        message = str(error["msg"]).removeprefix("Value error, ")
        if kind == "extra_forbidden":
            where = locator.key(path)
            message = f"unknown field {path[-1]!r}" if path else "unknown field"
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
