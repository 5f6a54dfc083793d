"""Cross-cutting ASGI layer for both vendors: request counting, latency, quotas and faults."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from starlette.requests import ClientDisconnect
from starlette.routing import BaseRoute, Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from provisioner.sandbox.errors import error_body, media_type, service_for_path
from provisioner.sandbox.faults import FaultInjector
from provisioner.sandbox.input_guard import (
    BodyTooLarge,
    declared_length,
    drain,
    has_body,
    is_form,
    json_problem,
    query_problem,
    read_body,
    replay,
)
from provisioner.sandbox.quota import QuotaTable
from provisioner.sandbox.route_groups import candidates

ADMIN_PREFIX = "/_sandbox"
DRAIN_FACTOR = 8  # a refused body up to 8x the limit is read to its end, so the connection stays usable
UNMATCHED = "<unmatched>"


class ConnectionDropped(Exception):
    """Raised after a partial response so the server (or in-process transport) drops the connection.

    Only injected faults raise it; `QuietFaults` logs it as one line instead of a traceback."""


class QuietFaults(logging.Filter):
    """For the server's error logger: an injected connection drop is one WARNING line, not a
    traceback, so that real failures (tracebacks at ERROR) stand out."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        while exc is not None and not isinstance(exc, ConnectionDropped):
            exc = exc.__cause__ or exc.__context__
        if isinstance(exc, ConnectionDropped):
            record.msg, record.args, record.exc_info, record.exc_text = str(exc), (), None, None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


class EndpointIndex:
    """Maps (method, path) to the endpoint class `METHOD /route/{template}` (cached, bounded)."""

    def __init__(self, routes: Callable[[], Sequence[BaseRoute]]) -> None:
        self._routes = routes
        self._cache: dict[tuple[str, str], str] = {}

    def endpoint(self, scope: Scope) -> str:
        method, path = scope["method"], scope["path"]
        key = (method, path)
        found = self._cache.get(key)
        if found is None:
            found = f"{method} {self._template(scope)}"
            if len(self._cache) > 50_000:
                self._cache.clear()
            self._cache[key] = found
        return found

    def _template(self, scope: Scope) -> str:
        partial = None
        for route in candidates(self._routes(), scope):
            if isinstance(route, Route):
                if route.path_regex.match(scope["path"]):
                    if route.methods is None or scope["method"] in route.methods:
                        return route.path
                    partial = partial or route.path
                continue
            match, _ = route.matches(scope)
            if match == Match.FULL:
                return str(getattr(route, "path", UNMATCHED))
            if match == Match.PARTIAL:
                partial = partial or str(getattr(route, "path", UNMATCHED))
        return partial or UNMATCHED


def is_loopback(scope: Scope) -> bool:
    client = scope.get("client")
    if not client:
        return True
    try:
        return ipaddress.ip_address(client[0]).is_loopback
    except ValueError:
        return client[0] in ("localhost", "testclient")


async def send_error(
    send: Send, path: str, status: int, message: str, extra: dict[str, str] | None = None
) -> None:
    """A complete error response in the shape of the service that owns `path`."""
    service = service_for_path(path)
    body = json.dumps(error_body(service, status, message)).encode()
    headers = [(b"content-type", media_type(service).encode()), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in (extra or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def drop_connection(send: Send, method: str = "", path: str = "") -> None:
    """Start a response that promises a body, then abort: the client sees a broken connection."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"1024")],
        }
    )
    raise ConnectionDropped(f"sandbox fault injected: connection reset ({method} {path})")


_STATUS_TEXT = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    429: "API rate limit exceeded.",
}


class SandboxMiddleware:
    """Counts every request by endpoint class, then applies latency, quota and faults (admin paths exempt)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        index: EndpointIndex,
        counts: Counter[str],
        faults: FaultInjector,
        quota: QuotaTable,
        latency: Callable[[], float],
        clock: Callable[[], float],
        max_body_bytes: Callable[[], int] = lambda: 10 * 1024 * 1024,
        max_json_depth: Callable[[], int] = lambda: 64,
    ) -> None:
        self.app = app
        self.index = index
        self.counts = counts
        self.faults = faults
        self.quota = quota
        self.latency = latency
        self.clock = clock
        self.max_body_bytes = max_body_bytes
        self.max_json_depth = max_json_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self._handle(scope, receive, send)
        except ClientDisconnect:
            return  # the client went away mid-request (e.g. killed): nothing to answer, nothing to log

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith(ADMIN_PREFIX):
            if not is_loopback(scope):
                await send_error(
                    send, path, 403, "The sandbox admin surface is only served to loopback clients"
                )
                return
            checked = await self._checked_input(scope, receive, send)
            if checked is not None:
                await self.app(scope, checked, send)
            return
        endpoint = self.index.endpoint(scope)
        self.counts[endpoint] += 1
        checked = await self._checked_input(scope, receive, send)
        if checked is None:
            return
        receive = checked
        delay = self.latency()
        if delay > 0:
            await asyncio.sleep(delay)
        retry_after = self.quota.take(endpoint, self.clock())
        if retry_after:
            await send_error(send, path, 429, "API rate limit exceeded.",
                             {"Retry-After": self.quota.header(retry_after)})
            return
        fault = self.faults.draw(scope["method"], path)
        if fault is None:
            await self.app(scope, receive, send)
        elif fault == "reset":
            await drop_connection(send, scope["method"], path)
        elif fault == "commit-fail":
            await self._commit_then_fail(scope, receive, send)
        else:
            status = int(fault)
            extra = {"Retry-After": "1"} if status == 429 else None
            await send_error(send, path, status, _STATUS_TEXT.get(status, "Error"), extra)

    async def _checked_input(self, scope: Scope, receive: Receive, send: Send) -> Receive | None:
        """The receive to hand on (body buffered when there is one), or None after a 400/413."""
        path = scope["path"]
        depth = self.max_json_depth()
        problem = query_problem(scope, depth)
        if problem is not None:
            await send_error(send, path, 400, problem)
            return None
        if not has_body(scope):
            return receive
        limit = self.max_body_bytes()
        declared = declared_length(scope)
        try:
            if declared is not None and declared > limit:
                raise BodyTooLarge
            body = await read_body(receive, limit)
        except BodyTooLarge:
            await drain(receive, DRAIN_FACTOR * limit)
            await send_error(send, path, 413, f"The request is too large (limit {limit} bytes)")
            return None
        if body and not is_form(scope):
            problem = json_problem(body, depth)
            if problem is not None:
                await send_error(send, path, 400, problem)
                return None
        return replay(body, receive)

    async def _commit_then_fail(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the write for real, then answer 5xx or drop the connection (only when the write succeeded)."""
        messages: list[Message] = []

        async def capture(message: Message) -> None:
            messages.append(message)

        await self.app(scope, receive, capture)
        status: Any = messages[0].get("status", 500) if messages else 500
        if status >= 400:
            for message in messages:
                await send(message)
            return
        outcome = self.faults.commit_outcome()
        if outcome == "reset":
            await drop_connection(send, scope["method"], scope["path"])
        else:
            await send_error(send, scope["path"], int(outcome), _STATUS_TEXT[int(outcome)])
