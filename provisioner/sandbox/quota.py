"""Per-endpoint rate quotas: token buckets per endpoint class (method + route template)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

AM = "/api/assetmanagement/v3"
MC = "/api/mindconnect/v3"
MINUTE, HOUR = 60.0, 3600.0

# reference §5 (XS/S/M tenant columns); endpoints not listed there are unlimited
VENDOR_QUOTAS: dict[str, list[tuple[int, float]]] = {
    f"GET {AM}/aspecttypes": [(1485, MINUTE), (17820, HOUR)],
    f"PUT {AM}/aspecttypes/{{id}}": [(743, MINUTE), (1485, HOUR)],
    f"PATCH {AM}/aspecttypes/{{id}}": [(446, MINUTE), (1485, HOUR)],
    f"DELETE {AM}/aspecttypes/{{id}}": [(446, MINUTE), (1485, HOUR)],
    f"GET {AM}/aspecttypes/{{id}}": [(750, MINUTE)],
    f"GET {AM}/assets": [(4000, MINUTE), (17820, HOUR)],
    f"POST {AM}/assets": [(594, MINUTE), (1485, HOUR)],
    f"DELETE {AM}/assets/{{id}}": [(446, MINUTE), (1485, HOUR)],
    f"POST {MC}/dataPointMappings": [(1050, HOUR)],
    f"GET {MC}/dataPointMappings": [(1050, HOUR)],
    f"GET {MC}/dataPointMappings/{{id}}": [(1050, HOUR)],
    f"DELETE {MC}/dataPointMappings/{{id}}": [(1050, HOUR)],
    f"POST {MC}/eventMappings": [(1050, HOUR)],
    f"GET {MC}/eventMappings": [(1050, HOUR)],
    f"GET {MC}/eventMappings/{{id}}": [(1050, HOUR)],
    f"PATCH {MC}/eventMappings/{{id}}": [(1050, HOUR)],
}


@dataclass
class Bucket:
    """`limit` requests per `period` seconds, refilled continuously."""

    limit: int
    period: float
    tokens: float = field(init=False)
    stamp: float | None = None

    def __post_init__(self) -> None:
        self.tokens = float(self.limit)

    def _refill(self, now: float) -> None:
        if self.stamp is not None:
            self.tokens = min(self.limit, self.tokens + (now - self.stamp) * self.limit / self.period)
        self.stamp = now

    def wait(self, now: float) -> float:
        """Seconds until one token is available (0 when one is)."""
        self._refill(now)
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) * self.period / self.limit


class QuotaTable:
    """Token buckets per endpoint class; `take` answers how long to wait (0 = allowed and counted)."""

    def __init__(self, limits: dict[str, list[tuple[int, float]]] | None = None) -> None:
        self.set_limits(limits or {})

    def set_limits(self, limits: dict[str, list[tuple[int, float]]]) -> None:
        self.limits = {k: list(v) for k, v in limits.items()}
        self.buckets = {k: [Bucket(n, p) for n, p in v] for k, v in self.limits.items()}

    def take(self, endpoint: str, now: float) -> int:
        """0 when the request may proceed (a token is used), else the Retry-After in whole seconds."""
        buckets = self.buckets.get(endpoint)
        if not buckets:
            return 0
        wait = max(b.wait(now) for b in buckets)
        if wait > 0:
            return max(1, math.ceil(wait))
        for bucket in buckets:
            bucket.tokens -= 1
        return 0


def quota_limits(mode: str) -> dict[str, list[tuple[int, float]]]:
    """The limits of a `--quota` mode: `vendor` or `none`."""
    if mode == "vendor":
        return VENDOR_QUOTAS
    if mode == "none":
        return {}
    raise ValueError(f"unknown quota mode '{mode}': use vendor or none")
