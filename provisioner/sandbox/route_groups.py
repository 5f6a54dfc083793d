"""Routes grouped by a shared literal path prefix, so a request skips other services' routes.

Starlette matches a request against every route's regular expression in order; the sandbox has
~70 routes, and the ~36 tried before an agent's data source configuration were about a tenth of
the emulator's CPU per request. A `RouteGroup` holds consecutive routes whose paths start with the
same literal prefix (the first two path segments) and answers for all of them: no match without
even a regex when the path lacks the prefix, else exactly what trying its routes in order gives
(the first full match, else the first partial one). Order and so behaviour are unchanged.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from typing import Any

from starlette.routing import BaseRoute, Match, NoMatchFound, Route
from starlette.types import Receive, Scope, Send

_TARGET = "sandbox.route"  # child-scope key: the grouped route that matched


def literal_prefix(path: str) -> str:
    """The first two segments of the literal part of a route path (before any `{param}`)."""
    return "/".join(path.split("{", 1)[0].split("/")[:3])


def _may_match(prefix: str, scope: Scope) -> bool:
    if scope.get("root_path"):
        return True  # mounted below a root path: leave it to the routes themselves
    return str(scope.get("path", "")).startswith(prefix)


class RouteGroup(BaseRoute):
    """Consecutive routes with one literal prefix, matched as if each were tried in order."""

    def __init__(self, prefix: str, routes: Sequence[BaseRoute]) -> None:
        self.prefix = prefix
        self.routes = list(routes)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if not _may_match(self.prefix, scope):
            return Match.NONE, {}
        partial: tuple[BaseRoute, Scope] | None = None
        for route in self.routes:
            match, child = route.matches(scope)
            if match == Match.FULL:
                return Match.FULL, {**child, _TARGET: route}
            if match == Match.PARTIAL and partial is None:
                partial = (route, child)
        if partial is not None:
            return Match.PARTIAL, {**partial[1], _TARGET: partial[0]}
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        route: BaseRoute = scope.pop(_TARGET)
        await route.handle(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        for route in self.routes:
            try:
                return route.url_path_for(name, **path_params)
            except NoMatchFound:
                continue
        raise NoMatchFound(name, path_params)


def group_routes(routes: Sequence[BaseRoute]) -> list[BaseRoute]:
    """`routes` with each run of two or more consecutive `Route`s of one prefix as a group."""
    grouped: list[BaseRoute] = []
    keyed = ((literal_prefix(r.path) if isinstance(r, Route) else None, r) for r in routes)
    for key, run in itertools.groupby(keyed, key=lambda pair: pair[0]):
        members = [r for _, r in run]
        grouped.extend([RouteGroup(key, members)] if key is not None and len(members) > 1 else members)
    return grouped


def candidates(routes: Sequence[BaseRoute], scope: Scope) -> Iterator[BaseRoute]:
    """The routes a request could match, in order (groups without its prefix skipped)."""
    for route in routes:
        if isinstance(route, RouteGroup):
            if _may_match(route.prefix, scope):
                yield from route.routes
        else:
            yield route
