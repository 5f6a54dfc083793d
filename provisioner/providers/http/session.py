"""`HttpSession`: the request pipeline shared by both vendor clients.

One request goes: rate limiter (per endpoint class) → token (cached, shared acquisition) →
concurrency slot (per vendor) → send → DEBUG log (redacted) → classify the answer. The retry
rules are in `provisioner.providers.http.retry`; a 401 on a token-authenticated request drops the
token, fetches a new one and repeats the request once (this does not use up a retry). This session
is the only layer that re-sends a request; inside an apply, every failed attempt also counts against
the change's attempt budget (`provisioner.model.attempts`), and a 429 waits without counting.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from provisioner import __version__
from provisioner.errors import ApiError
from provisioner.model.attempts import current_budget
from provisioner.providers.http.credentials import ItwinApiKey, TokenCredentials
from provisioner.providers.http.errors import (
    AmbiguousWriteError,
    ApiConnectionError,
    AuthError,
    error_for_status,
)
from provisioner.providers.http.json_body import parse_json
from provisioner.providers.http.network_transport import NetworkTransport
from provisioner.providers.http.rate_limits import LimitsConfig, RateLimit, RateLimiter, Vendor, rate_limits
from provisioner.providers.http.redaction import Redactor
from provisioner.providers.http.retry import (
    AMBIGUOUS_STATUSES,
    NOT_SENT_ERRORS,
    RETRY_STATUSES,
    RetryPolicy,
    is_replayable,
    is_write,
)
from provisioner.providers.http.tokens import TokenCache
from provisioner.providers.http.urls import checked_base_url

log = logging.getLogger("provisioner.http")

_MAX_LOGGED_BODY = 2000
_DEFAULT_TOKEN_TTL = 300.0
_DEFAULT_HEADERS = {"User-Agent": f"provision/{__version__}", "Accept-Encoding": "gzip, deflate"}


@dataclass(slots=True)
class CallStats:
    """Requests actually sent, per endpoint class (retries included), and time spent throttled."""

    calls: Counter[str] = field(default_factory=Counter)
    retries: Counter[str] = field(default_factory=Counter)
    throttled_seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.calls.values())


class HttpSession:
    """Sends requests for one vendor with auth, retries, limits, logging and error mapping."""

    def __init__(
        self,
        *,
        vendor: Vendor,
        base_url: str,
        credentials: TokenCredentials | ItwinApiKey,
        token_class: str,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
        limits: LimitsConfig = "vendor",
        concurrency: int = 8,
        timeout: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        refresh_margin: float = 60.0,
        quota_time_scale: float = 1.0,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.vendor = vendor
        self.base_url = checked_base_url(base_url)
        self.retry = retry or RetryPolicy()
        self._redactor = Redactor(credentials.secrets())
        self._limiter = RateLimiter(rate_limits(vendor, limits), clock=clock, sleep=self.retry.sleep,
                                    time_scale=quota_time_scale)
        self._slots = asyncio.Semaphore(concurrency)
        # One verifying TLS context (CA load) for the pool; +1 connection for a token request.
        self._transport = transport or NetworkTransport(tls=httpx.create_ssl_context(verify=True),
                                                        max_connections=concurrency + 1)
        self._timeouts = {"connect": min(timeout, 10.0), "read": timeout, "write": timeout, "pool": timeout}
        self._stats = CallStats()
        self._api_key: str | None = None
        self._tokens: TokenCache | None = None
        if isinstance(credentials, ItwinApiKey):
            self._api_key = credentials.header()
        else:
            request = credentials.token_request(self.base_url)
            checked_base_url(request.url, what="token URL")
            self._token_request = request
            self._token_class = token_class
            self._tokens = TokenCache(self._fetch_token, clock=clock, refresh_margin=refresh_margin)

    # -- public --------------------------------------------------------------------------------

    @property
    def stats(self) -> CallStats:
        self._stats.throttled_seconds = self._limiter.waited_seconds
        return self._stats

    @property
    def rate_limits(self) -> dict[str, RateLimit]:
        return self._limiter.limits

    @property
    def limiter(self) -> RateLimiter:
        """The client-side quota limiter (its `time_scale`, its `on_wait` hook)."""
        return self._limiter

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        endpoint_class: str,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> httpx.Response:
        """Send `method base_url+path` and return the 2xx response; raise an ApiError otherwise.

        `path` is appended to the base URL verbatim (double slashes are kept).
        """
        return await self._execute(
            method.upper(), self.base_url + path, endpoint_class=endpoint_class, params=params,
            json=json, content=content, form=None, headers=dict(headers or {}),
            idempotent=idempotent, authenticated=True)

    async def request_json(self, method: str, path: str, **kwargs: Any) -> Any:
        """`request`, then the parsed JSON body (None for an empty body)."""
        response = await self.request(method, path, **kwargs)
        return self._json(response, method.upper())

    # -- internals -----------------------------------------------------------------------------

    def _json(self, response: httpx.Response, method: str) -> Any:
        content = response.content
        if not content or content.isspace():
            return None
        try:
            return parse_json(content)
        except ValueError as exc:
            url = self._redactor.url(str(response.request.url))
            raise ApiError(f"{method} {url} answered HTTP {response.status_code} with a body that is "
                           "not JSON", status=response.status_code, method=method, url=url) from exc

    async def _fetch_token(self) -> tuple[str, float]:
        req = self._token_request
        try:
            response = await self._execute(
                "POST", req.url, endpoint_class=self._token_class, params=None, json=req.json,
                content=None, form=req.form, headers=dict(req.headers), idempotent=True,
                authenticated=False)
        except ApiError as exc:
            if exc.status in (400, 401, 403):
                raise AuthError(f"token request rejected: {exc.message}", status=exc.status,
                                method=exc.method, url=exc.url, body=exc.body) from None
            raise
        body = self._json(response, "POST")
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise AuthError("token response has no access_token", status=response.status_code,
                            method="POST", url=self._redactor.url(req.url))
        self._redactor.add(token)
        expires_in = body.get("expires_in")
        valid = isinstance(expires_in, int | float) and expires_in > 0
        ttl = float(expires_in) if valid else _DEFAULT_TOKEN_TTL
        return token, ttl

    async def _auth_header(self) -> tuple[str | None, str | None]:
        """(Authorization header value, bearer token it carries)."""
        if self._api_key is not None:
            return self._api_key, None
        if self._tokens is None:
            return None, None
        token = await self._tokens.get()
        return f"Bearer {token}", token

    async def _execute(
        self,
        method: str,
        url: str,
        *,
        endpoint_class: str,
        params: Mapping[str, str | int] | None,
        json: Any,
        content: bytes | None,
        form: Mapping[str, str] | None,
        headers: dict[str, str],
        idempotent: bool | None,
        authenticated: bool,
    ) -> httpx.Response:
        replayable = is_replayable(method, headers, idempotent)
        policy = self.retry
        retry_index = 0
        refreshed = False
        write = is_write(method, idempotent)
        maybe_applied = False  # an earlier attempt of a write may have reached the server and been applied
        budget = current_budget() if authenticated else None  # the change's; token requests have none
        throttled = 0  # 429 answers waited out: not failures, bounded by policy.max_throttled
        while True:
            if budget is not None and budget.exhausted:
                safe = self._redactor.url(url)
                raise ApiConnectionError(f"{method} {safe} not sent: this change already failed "
                                         f"{budget.failed} attempts (its attempt budget)",
                                         method=method, url=safe)
            await self._limiter.acquire(endpoint_class)
            send_headers = {**_DEFAULT_HEADERS, **headers}
            token: str | None = None
            if authenticated:
                auth, token = await self._auth_header()
                if auth is not None:
                    send_headers["Authorization"] = auth
            request = httpx.Request(method, url, params=params, json=json, content=content, data=form,
                                    headers=send_headers, extensions={"timeout": self._timeouts})
            self._log_request(request)
            started = time.perf_counter()
            async with self._slots:
                self._stats.calls[endpoint_class] += 1
                try:
                    response = await self._send(request)
                except httpx.TransportError as exc:
                    failure = f"{type(exc).__name__}: {self._redactor.text(str(exc))}"
                    not_sent = isinstance(exc, NOT_SENT_ERRORS)
                    response = None
            if response is None:
                if budget is not None:
                    budget.fail()
                safe_url = self._safe_url(request)
                log.debug("http %s %s failed after %.3fs: %s", method, safe_url,
                          time.perf_counter() - started, failure)
                if not not_sent and not replayable:
                    raise AmbiguousWriteError(
                        f"{method} {safe_url} may or may not have been applied ({failure}); "
                        "look the object up before retrying", method=method, url=safe_url) from None
                maybe_applied = maybe_applied or (write and not not_sent)
                if retry_index + 1 >= policy.max_attempts or (budget is not None and budget.exhausted):
                    raise ApiConnectionError(f"{method} {safe_url} failed after {retry_index + 1} "
                                             f"attempt(s): {failure}", method=method, url=safe_url) from None
                await self._backoff(endpoint_class, retry_index, None)
                retry_index += 1
                continue

            self._log_response(request, response, time.perf_counter() - started)
            status = response.status_code
            if 200 <= status < 300:
                return response
            if status == 401 and token is not None and not refreshed and self._tokens is not None:
                self._tokens.invalidate(token)
                refreshed = True
                continue
            safe_url = self._safe_url(request)  # only failures need it: redacting costs per request
            if status in RETRY_STATUSES or status in AMBIGUOUS_STATUSES:
                if status == 429:  # certainly not processed: wait, it is not a failure
                    if throttled < policy.max_throttled:
                        throttled += 1
                        wait = response.headers.get("retry-after")
                        await self._backoff(endpoint_class, throttled - 1, wait)
                        continue
                elif budget is not None:
                    budget.fail()
                if status != 429 and not replayable:
                    raise self._ambiguous(method, safe_url, response)
                exhausted = budget is not None and budget.exhausted
                if status != 429 and status in RETRY_STATUSES and retry_index + 1 < policy.max_attempts \
                        and not exhausted:
                    maybe_applied = maybe_applied or write
                    await self._backoff(endpoint_class, retry_index, response.headers.get("retry-after"))
                    retry_index += 1
                    continue
            error = error_for_status(status, method, safe_url, self._error_body(response))
            if maybe_applied and status in (404, 409, 412):
                raise AmbiguousWriteError(
                    f"{error.message}; an earlier attempt may have been applied, look the object up",
                    status=status, method=method, url=safe_url, body=error.body) from error
            raise error

    async def _send(self, request: httpx.Request) -> httpx.Response:
        """One exchange over the transport, body read and connection released."""
        response = await self._transport.handle_async_request(request)
        response.request = request  # as httpx.AsyncClient does: transports need not set it
        try:
            await response.aread()
        finally:
            await response.aclose()
        return response

    def _safe_url(self, request: httpx.Request) -> str:
        """The request's URL as it may appear in logs and errors."""
        return self._redactor.url(str(request.url))

    async def _backoff(self, endpoint_class: str, retry_index: int, retry_after: str | None) -> None:
        delay = self.retry.delay(retry_index, retry_after)
        self._stats.retries[endpoint_class] += 1
        log.debug("http retry %d of %s in %.3fs", retry_index + 1, endpoint_class, delay)
        await self.retry.sleep(delay)

    def _ambiguous(self, method: str, safe_url: str, response: httpx.Response) -> AmbiguousWriteError:
        body = self._error_body(response)
        inner = error_for_status(response.status_code, method, safe_url, body)
        return AmbiguousWriteError(f"{inner.message}; the request may or may not have been applied, "
                                   "look the object up before retrying",
                                   status=response.status_code, method=method, url=safe_url, body=body)

    def _error_body(self, response: httpx.Response) -> object:
        try:
            return self._redactor.data(response.json())
        except ValueError:
            return self._redactor.text(response.text[:500])

    def _loggable_body(self, content_type: str, raw: bytes) -> str:
        """A body as it may appear in a log line: secrets masked, truncated."""
        if not raw:
            return ""
        if "x-www-form-urlencoded" in content_type:
            return self._redactor.form(raw.decode("utf-8", "replace"))[:_MAX_LOGGED_BODY]
        if "json" in content_type:
            try:
                parsed = jsonlib.loads(raw)
            except ValueError:
                pass
            else:
                text = jsonlib.dumps(self._redactor.data(parsed), separators=(",", ":"), ensure_ascii=False)
                return text[:_MAX_LOGGED_BODY]
        return self._redactor.text(raw[:_MAX_LOGGED_BODY].decode("utf-8", "replace"))

    def _log_request(self, request: httpx.Request) -> None:
        if not log.isEnabledFor(logging.DEBUG):
            return
        shown = self._loggable_body(request.headers.get("content-type", ""), request.content)
        log.debug("http request %s %s headers=%s body=%s", request.method, self._safe_url(request),
                  self._redactor.headers(dict(request.headers)), shown)

    def _log_response(self, request: httpx.Request, response: httpx.Response, elapsed: float) -> None:
        if not log.isEnabledFor(logging.DEBUG):
            return
        shown = self._loggable_body(response.headers.get("content-type", ""), response.content)
        log.debug("http response %s %s -> %d in %.3fs headers=%s body=%s", request.method,
                  self._safe_url(request), response.status_code, elapsed,
                  self._redactor.headers(dict(response.headers)), shown)
