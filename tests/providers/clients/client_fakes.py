"""Fakes for client tests: a manual clock whose sleep advances it, and a scripted MockTransport."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

SECRET = "test-secret-not-real"
API_KEY = "test-apikey-not-real"
GATEWAY = "https://gateway.eu1.mindsphere.io"
PIAM_TOKEN = "https://acme.piam.eu1.mindsphere.io/oauth/token"
ITWIN = "https://iiot.bentley.com"


@dataclass
class FakeTime:
    """`clock()` reads it, `sleep(s)` records s and advances it: waits cost no real time."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


Handler = Callable[[httpx.Request], httpx.Response]


@dataclass
class Server:
    """A MockTransport whose answers are scripted per test; every request is kept."""

    token_counter: int = 0
    token_ttl: int = 1799
    requests: list[httpx.Request] = field(default_factory=list)
    handler: Handler | None = None

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self._handle)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path.endswith("/oauth/token") or request.url.path.endswith("/connect/token"):
            self.token_counter += 1
            return httpx.Response(
                200,
                json={
                    "access_token": f"tok-{self.token_counter}",
                    "token_type": "bearer",
                    "expires_in": self.token_ttl,
                },
            )
        assert self.handler is not None, f"unexpected request {request.method} {request.url}"
        return self.handler(request)

    def api_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if not r.url.path.endswith("/token")]


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status,
        content=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
    )
