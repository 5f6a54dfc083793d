"""An httpx transport into the in-process app that turns injected connection drops into httpx errors."""

from __future__ import annotations

import httpx
from starlette.types import ASGIApp

from provisioner.sandbox.middleware import ConnectionDropped


class SandboxTransport(httpx.AsyncBaseTransport):
    """Wraps `httpx.ASGITransport`; a dropped connection surfaces as `httpx.RemoteProtocolError`,
    which is what a socket client sees when the server closes mid-response."""

    def __init__(self, app: ASGIApp, client: tuple[str, int] = ("127.0.0.1", 54321)) -> None:
        self._inner = httpx.ASGITransport(app=app, client=client)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await self._inner.handle_async_request(request)
        except ConnectionDropped as exc:
            raise httpx.RemoteProtocolError(
                "peer closed connection without sending complete message body", request=request
            ) from exc

    async def aclose(self) -> None:
        await self._inner.aclose()
