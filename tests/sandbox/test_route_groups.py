"""Grouping the sandbox's routes by prefix changes which route answers no request."""

from __future__ import annotations

import re

from starlette.routing import BaseRoute, Match, Route

from provisioner.sandbox import Sandbox
from provisioner.sandbox.route_groups import RouteGroup, candidates, group_routes

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _flat(routes: list[BaseRoute]) -> list[Route]:
    out: list[Route] = []
    for route in routes:
        out.extend(route.routes if isinstance(route, RouteGroup) else [route])  # type: ignore[list-item]
    return out


def _select(routes: list[BaseRoute], scope: dict[str, object]) -> tuple[str, BaseRoute | None]:
    """Which route Starlette's router would hand the request to, and whether fully matched."""
    partial = None
    for route in routes:
        match, child = route.matches(scope)
        target = child.get("sandbox.route", route)
        if match == Match.FULL:
            return "full", target
        if match == Match.PARTIAL and partial is None:
            partial = target
    return ("partial", partial) if partial is not None else ("none", None)


def _paths(routes: list[Route]) -> list[str]:
    concrete = [re.sub(r"\{[^}]+\}", "x1", r.path) for r in routes]
    return [*concrete, *(p + "/" for p in concrete), "/api/agentmanagementX/v3/agents", "/", "/nope"]


def test_every_request_reaches_the_same_route_grouped_or_not() -> None:
    grouped = Sandbox().routes
    assert any(isinstance(r, RouteGroup) for r in grouped)
    flat: list[BaseRoute] = list(_flat(grouped))
    assert group_routes(flat) != flat  # grouping does something here
    for path in _paths(_flat(grouped)):
        for method in METHODS:
            scope = {"type": "http", "path": path, "method": method, "root_path": ""}
            assert _select(grouped, dict(scope)) == _select(flat, dict(scope)), (method, path)
            assert [r for r in candidates(grouped, scope) if r.matches(scope)[0] != Match.NONE] == \
                [r for r in flat if r.matches(scope)[0] != Match.NONE]
