"""A cached bearer token, refreshed shortly before it expires or when the server rejects it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


class TokenCache:
    """Holds one token; concurrent callers share a single acquisition (an asyncio.Lock)."""

    def __init__(self, fetch: Callable[[], Awaitable[tuple[str, float]]], *,
                 clock: Callable[[], float], refresh_margin: float = 60.0) -> None:
        self._fetch = fetch
        self._clock = clock
        self._margin = refresh_margin
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._refresh_at = 0.0

    async def get(self) -> str:
        """The cached token, or a new one when none is cached or it is about to expire."""
        if self._token is not None and self._clock() < self._refresh_at:
            return self._token  # the common case: no lock round trip
        async with self._lock:
            if self._token is not None and self._clock() < self._refresh_at:
                return self._token
            token, ttl = await self._fetch()
            # Refresh `margin` seconds early, but never earlier than half-way through a short lifetime.
            self._refresh_at = self._clock() + ttl - min(self._margin, ttl / 2)
            self._token = token
            return token

    def invalidate(self, token: str) -> None:
        """Forget `token` if it is still the cached one (a 401 answered a request that used it)."""
        if self._token == token:
            self._token = None
