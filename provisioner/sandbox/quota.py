"""Per-endpoint rate quotas: token buckets per endpoint class (method + route template).

`time_scale` N runs the quota clock N times faster: windows refill N times sooner and Retry-After
is the scaled wait in real seconds (docs/sandbox.md, "Quotas"), so a quota-bound apply of hours is
measured in minutes.
"""

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

    def __init__(self, limits: dict[str, list[tuple[int, float]]] | None = None, *,
                 time_scale: float = 1.0) -> None:
        self.time_scale = checked_time_scale(time_scale)
        self.set_limits(limits or {})

    def set_limits(self, limits: dict[str, list[tuple[int, float]]]) -> None:
        self.limits = {k: list(v) for k, v in limits.items()}
        self.buckets = {k: [Bucket(n, p) for n, p in v] for k, v in self.limits.items()}

    def set_time_scale(self, time_scale: float) -> None:
        """Run the quota clock `time_scale` times faster from now on (buckets start full)."""
        self.time_scale = checked_time_scale(time_scale)
        self.set_limits(self.limits)

    def take(self, endpoint: str, now: float) -> float:
        """0 when the request may proceed (a token is used), else the Retry-After in real seconds:
        whole seconds (at least 1) at time scale 1, as a service sends them; the scaled wait rounded
        up to the millisecond otherwise."""
        buckets = self.buckets.get(endpoint)
        if not buckets:
            return 0
        scaled_now = now * self.time_scale
        wait = max(b.wait(scaled_now) for b in buckets)
        if wait > 0:
            if self.time_scale == 1:
                return max(1, math.ceil(wait))
            return max(0.001, math.ceil(wait / self.time_scale * 1000) / 1000)
        for bucket in buckets:
            bucket.tokens -= 1
        return 0

    @staticmethod
    def header(retry_after: float) -> str:
        """The Retry-After header value of a `take` answer."""
        return str(int(retry_after)) if float(retry_after).is_integer() else f"{retry_after:.3f}"


def checked_time_scale(value: float) -> float:
    """A time scale of at least 1 (a real tenant's quotas run at 1)."""
    if not (isinstance(value, int | float) and math.isfinite(value) and 1 <= value <= 100_000):
        raise ValueError(f"time scale must be a number from 1 to 100000, not {value!r}")
    return float(value)


def quota_limits(mode: str) -> dict[str, list[tuple[int, float]]]:
    """The limits of a `--quota` mode: `vendor` or `none`."""
    if mode == "vendor":
        return VENDOR_QUOTAS
    if mode == "none":
        return {}
    raise ValueError(f"unknown quota mode '{mode}': use vendor or none")
