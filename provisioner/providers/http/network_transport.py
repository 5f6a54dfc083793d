"""`NetworkTransport`: the clients' default httpx transport, sending over aiohttp.

httpx stays the clients' request/response model and injection seam (tests pass
`httpx.MockTransport` or the sandbox's ASGI transport instead); on the network, aiohttp's
C-accelerated HTTP/1.1 stack costs about a quarter of the CPU per request of httpx's default
transport, which made a 500-site plan CPU-bound rather than I/O-bound.

Failures map onto httpx's exception classes by what they say about the request, because the
retry rules depend on it: only an error raised before anything was sent (`ConnectError`,
`ConnectTimeout`) lets a non-idempotent request be repeated; a dropped or stalled connection after
sending is a `RemoteProtocolError`/`ReadError`/`ReadTimeout` — the request may have been applied.
"""

from __future__ import annotations

import ssl
import urllib.request

import aiohttp
import httpx
import yarl

KEEPALIVE_SECONDS = 4.0  # below the common 5 s server idle timeout (uvicorn, nginx): no stale reuse


class NetworkTransport(httpx.AsyncBaseTransport):
    """Sends httpx requests over one aiohttp connection pool (created on first use)."""

    def __init__(self, *, tls: ssl.SSLContext, max_connections: int,
                 keepalive_seconds: float = KEEPALIVE_SECONDS) -> None:
        self._tls = tls
        self._max_connections = max_connections
        self._keepalive = keepalive_seconds
        self._session: aiohttp.ClientSession | None = None
        self._closed = False
        self._proxies: dict[tuple[str, str], str | None] = {}

    def _open(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(limit=self._max_connections, ssl=self._tls,
                                         keepalive_timeout=self._keepalive)
        # auto_decompress off: httpx.Response decodes by Content-Encoding, as with any transport.
        # trust_env off: aiohttp would then look up proxies and ~/.netrc on a thread per request;
        # the proxy comes from `_proxy` instead (once per host). No cookie jar: an httpx transport
        # keeps no cookies between requests (the APIs authenticate by header), and aiohttp's jar
        # filtered cookies for every request.
        return aiohttp.ClientSession(connector=connector, auto_decompress=False, trust_env=False,
                                     skip_auto_headers=("User-Agent",), cookie_jar=aiohttp.DummyCookieJar())

    def _proxy(self, url: httpx.URL) -> str | None:
        """The proxy for `url` from HTTP(S)_PROXY / ALL_PROXY unless NO_PROXY exempts its host."""
        key = (url.scheme, url.host)
        if key not in self._proxies:
            proxies = urllib.request.getproxies()
            proxy = proxies.get(url.scheme) or proxies.get("all")
            bypass = proxy is None or urllib.request.proxy_bypass(url.host)
            self._proxies[key] = None if bypass else proxy
        return self._proxies[key]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._session is None:
            if self._closed:  # a request still in flight after the session closed must not reopen
                raise httpx.ConnectError("the HTTP session is closed", request=request)
            self._session = self._open()
        headers = [(k, v) for k, v in request.headers.multi_items() if k.lower() != "host"]
        body = request.content or None
        try:
            async with self._session.request(
                request.method, yarl.URL(str(request.url), encoded=True), headers=headers, data=body,
                allow_redirects=False, timeout=_timeout(request), proxy=self._proxy(request.url),
            ) as answer:
                content = await answer.read()
                status, raw_headers, reason = answer.status, answer.raw_headers, answer.reason
        except aiohttp.ConnectionTimeoutError as exc:  # no connection (or pool slot): nothing sent
            raise httpx.ConnectTimeout(str(exc) or "connect timed out", request=request) from exc
        except aiohttp.ClientConnectorError as exc:  # refused, DNS, TLS verification: nothing sent
            raise httpx.ConnectError(str(exc), request=request) from exc
        except aiohttp.ServerDisconnectedError as exc:
            raise httpx.RemoteProtocolError(str(exc) or "server disconnected", request=request) from exc
        except (aiohttp.ClientPayloadError, aiohttp.ClientResponseError) as exc:
            raise httpx.RemoteProtocolError(str(exc), request=request) from exc
        except TimeoutError as exc:  # aiohttp's read timeouts are TimeoutErrors too
            raise httpx.ReadTimeout(str(exc) or "read timed out", request=request) from exc
        except aiohttp.ClientError as exc:  # any other failure after the request may have left
            raise httpx.ReadError(str(exc) or type(exc).__name__, request=request) from exc
        phrase = (reason or "").encode("latin-1", "replace")
        extensions = {"http_version": b"HTTP/1.1", "reason_phrase": phrase}
        return httpx.Response(status, headers=list(raw_headers), content=content, request=request,
                              extensions=extensions)

    async def aclose(self) -> None:
        self._closed = True
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()


def _timeout(request: httpx.Request) -> aiohttp.ClientTimeout:
    """httpx's per-request timeouts (`extensions["timeout"]`) in aiohttp's terms."""
    given = request.extensions.get("timeout") or {}
    return aiohttp.ClientTimeout(total=None, connect=given.get("pool"), sock_connect=given.get("connect"),
                                 sock_read=given.get("read"))
