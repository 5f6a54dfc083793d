"""What every vendor client shares: its `HttpSession`, call stats, limits and lifecycle."""

from __future__ import annotations

from typing import Any, Self

from provisioner.errors import ApiError
from provisioner.providers.http.rate_limits import RateLimit, RateLimiter
from provisioner.providers.http.session import CallStats, HttpSession


def json_object(body: Any, what: str) -> dict[str, Any]:
    """`body` if it is a JSON object; else an ApiError naming `what` was expected."""
    if not isinstance(body, dict):
        raise ApiError(f"{what}: expected a JSON object, got {type(body).__name__}")
    return body


class VendorClient:
    """Base of the vendor clients; subclasses set `self._http` and add the vendor's endpoints."""

    _http: HttpSession

    @property
    def stats(self) -> CallStats:
        """Requests sent per endpoint class."""
        return self._http.stats

    @property
    def rate_limits(self) -> dict[str, RateLimit]:
        """The effective client-side quota per endpoint class."""
        return self._http.rate_limits

    @property
    def limiter(self) -> RateLimiter:
        """The client-side quota limiter (time scale, wait hook)."""
        return self._http.limiter

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
