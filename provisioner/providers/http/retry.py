"""Retry policy: which failures are retried, for which requests, and how long to wait.

Retried: HTTP 408, 500, 502, 503, 504 and transport failures — but only when repeating the request
cannot apply it twice (429 is waited out, see below):

- GET, HEAD and OPTIONS always;
- any request carrying a precondition (If-Match / If-None-Match): a second application is
  rejected by the server with 412;
- PUT and DELETE without a precondition, being idempotent by HTTP semantics, unless the caller
  says otherwise; PATCH and POST only when the caller marks them idempotent (a read done with POST,
  a token request);
- any request when it certainly was not processed: a 429 answer, or a failure before the request
  was sent (`httpx.ConnectError`, `ConnectTimeout`, `PoolTimeout`).

A 429 is throttling, not a failure: the request waits (Retry-After, else backoff) and is sent again
without using up an attempt, at most `max_throttled` times in a row; then `RateLimitedError`.
Inside an apply the failed attempts of one change also count against its attempt budget
(`provisioner.model.attempts`): the HTTP layer is the only one that re-sends a request.

Any other failure of a request that is not safe to repeat — a read timeout, a connection dropped
after sending, 500/502/503/504 — raises `AmbiguousWriteError`; the provider looks the object up.
A 500 is retried like the other 5xx when the request is safe to repeat (the iTwin guidance is to
retry every 5xx, and fault injection makes transient 500s real); a deterministic 500 costs a few
retries before it surfaces as `ServerError`.

Waits use exponential backoff with full jitter: `uniform(0, min(max_delay, base_delay * 2**n))`
before retry n (0-based). A `Retry-After` header (seconds or an HTTP date) overrides the jitter
when present, capped at `max_retry_after`.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
AMBIGUOUS_STATUSES = frozenset({408, 500, 502, 503, 504})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
IDEMPOTENT_METHODS = frozenset({"PUT", "DELETE"})
# Raised before any byte of the request reached the server.
NOT_SENT_ERRORS: tuple[type[Exception], ...] = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many attempts, how long to wait, and the injectable sleep/random/clock used for it."""

    max_attempts: int = 5  # per request; equal to model.attempts.FAILED_ATTEMPTS_PER_CHANGE
    max_throttled: int = 10  # 429 waits per request (they do not use up attempts)
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_retry_after: float = 300.0
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, repr=False)
    random: Callable[[], float] = field(default=random.random, repr=False)
    now: Callable[[], datetime] = field(default=_utcnow, repr=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("delays must not be negative")

    def backoff(self, retry_index: int) -> float:
        """Full-jitter delay before retry `retry_index` (0 for the first retry)."""
        cap = min(self.max_delay, self.base_delay * (2.0 ** retry_index))
        return self.random() * cap

    def delay(self, retry_index: int, retry_after: str | None) -> float:
        """The wait before a retry: the server's Retry-After when usable, else backoff."""
        server = parse_retry_after(retry_after, self.now()) if retry_after else None
        if server is not None:
            return min(server, self.max_retry_after)
        return self.backoff(retry_index)


def parse_retry_after(value: str, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or HTTP date); None if unparsable."""
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return None if math.isnan(seconds) else max(seconds, 0.0)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - now).total_seconds(), 0.0)


def is_write(method: str, idempotent: bool | None = None) -> bool:
    """Whether the request may change server state: anything but GET/HEAD/OPTIONS and the reads
    done with POST (which callers mark `idempotent=True`). Only a write, retried, can have been
    applied by an earlier attempt; a retried read that ends in 404 is simply a 404."""
    method = method.upper()
    if method in SAFE_METHODS:
        return False
    return not (method == "POST" and idempotent is True)


def is_replayable(method: str, headers: Mapping[str, str], idempotent: bool | None = None) -> bool:
    """Whether repeating this request can never apply it twice (see the module docstring)."""
    method = method.upper()
    if method in SAFE_METHODS:
        return True
    lowered = {k.lower() for k in headers}
    if "if-match" in lowered or "if-none-match" in lowered:
        return True
    if idempotent is not None:
        return idempotent
    return method in IDEMPOTENT_METHODS
