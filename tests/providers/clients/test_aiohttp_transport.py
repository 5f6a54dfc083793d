"""The default network transport over real loopback sockets, against tiny hand-written servers:
timeouts keep their meaning (a stalled read may have been applied), compressed bodies are decoded,
and HTTP_PROXY / NO_PROXY are honoured as httpx's own transport would."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest

from provisioner.providers.http import AmbiguousWriteError, ApiConnectionError, ItwinApiKey, RetryPolicy
from provisioner.providers.itwin_iot.client import ItwinIotClient

RETRY = RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=0.002)
Handler = Callable[[bytes, asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def serve(handler: Handler) -> AsyncIterator[tuple[int, list[bytes]]]:
    """A loopback server; yields its port and the request heads it received."""
    heads: list[bytes] = []

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                await reader.readexactly(length)
                heads.append(head)
                await handler(head, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1], heads
    finally:
        server.close()
        await server.wait_closed()


async def stall(head: bytes, writer: asyncio.StreamWriter) -> None:
    await asyncio.sleep(3600)


def answer(body: bytes, *extra: bytes) -> Handler:
    async def handler(head: bytes, writer: asyncio.StreamWriter) -> None:
        lines = [b"HTTP/1.1 200 OK", b"Content-Type: application/json", *extra,
                 b"Content-Length: " + str(len(body)).encode()]
        writer.write(b"\r\n".join(lines) + b"\r\n\r\n" + body)
        await writer.drain()
    return handler


def pages(first: bytes, last: bytes, *extra: bytes) -> Handler:
    """Answers `first` to the first request and `last` (the empty page) to every later one."""
    served: list[bytes] = []

    async def handler(head: bytes, writer: asyncio.StreamWriter) -> None:
        await answer(last if served else first, *extra)(head, writer)
        served.append(head)
    return handler


def client(port: int) -> ItwinIotClient:
    return ItwinIotClient(f"http://127.0.0.1:{port}", ItwinApiKey("test-key-not-real"), retry=RETRY,
                          timeout=0.2)


async def test_a_stalled_read_is_retried_but_a_stalled_write_is_ambiguous() -> None:
    async with serve(stall) as (port, heads), client(port) as itwin:
        with pytest.raises(ApiConnectionError, match="ReadTimeout"):
            await itwin.list_nodes("p")
        assert len(heads) == RETRY.max_attempts  # a read is safe to repeat
        heads.clear()
        with pytest.raises(AmbiguousWriteError):
            await itwin.integrate("p", {"nodes": []})
        assert len(heads) == 1  # the write may have been applied: sent once only


async def test_a_gzip_body_is_decoded() -> None:
    nodes = [{"id": "n1", "props": {"NAME": "Mill"}}]
    body, empty = gzip.compress(json.dumps(nodes).encode()), gzip.compress(b"[]")
    gzipped = pages(body, empty, b"Content-Encoding: gzip")
    async with serve(gzipped) as (port, heads), client(port) as itwin:
        assert await itwin.list_nodes("p") == nodes
    assert b"accept-encoding: gzip" in heads[0].lower()


async def test_http_proxy_is_used_unless_no_proxy_names_the_host(monkeypatch: pytest.MonkeyPatch) -> None:
    async with serve(answer(b"[]")) as (proxy_port, proxied), serve(answer(b"[]")) as (port, direct):
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy_port}")
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        async with client(port) as itwin:
            await itwin.list_nodes("p")
        assert len(proxied) == 1 and not direct
        assert proxied[0].startswith(f"GET http://127.0.0.1:{port}/api/nodes/all?".encode())

        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        async with client(port) as itwin:
            await itwin.list_nodes("p")
        assert len(proxied) == 1 and len(direct) == 1


async def test_cookies_a_server_sets_are_not_sent_back() -> None:
    """Like httpx's own transport: no cookie jar between requests (the APIs authenticate by header)."""
    nodes = json.dumps([{"id": "n1", "props": {"NAME": "Mill"}}]).encode()
    setting = pages(nodes, b"[]", b"Set-Cookie: session=abc; Path=/")
    async with serve(setting) as (port, heads), ItwinIotClient(
            f"http://localhost:{port}", ItwinApiKey("test-key-not-real"), retry=RETRY, timeout=0.5) as itwin:
        await itwin.list_nodes("p")  # by host name: aiohttp's jar ignores cookies from IP addresses
        await itwin.list_nodes("p")
    assert len(heads) >= 2 and not any(b"cookie:" in h.lower() for h in heads)


async def test_a_closed_transport_refuses_requests_instead_of_reopening_a_pool() -> None:
    """After an auth failure on one platform the session closes while the other platform's read is
    still in flight; that read must fail as 'not sent', not open a pool nobody closes."""
    import httpx

    from provisioner.providers.http.network_transport import NetworkTransport

    transport = NetworkTransport(tls=httpx.create_ssl_context(), max_connections=2)
    await transport.aclose()
    request = httpx.Request("GET", "http://127.0.0.1:9/never")
    with pytest.raises(httpx.ConnectError, match="closed"):
        await transport.handle_async_request(request)
    assert transport._session is None
