"""Endpoint classes, the vendors' documented quotas, and a client-side multi-window limiter.

Every request a client sends belongs to one endpoint class (the table `ENDPOINT_CLASSES`). A class
may have a per-minute and a per-hour quota; the limiter delays a call until it fits in every
window. Classes without a quota are unlimited.

Vendor defaults come from the Insights Hub reference §5 (Asset Management XS/S/M quotas; MindConnect
1050/h for each documented mapping operation). iTwin IoT documents no numbers, so it is unlimited
unless configured.

Configuration (`LimitsConfig`): `"vendor"` (the defaults), `"none"` (no client-side limits), or a
mapping `{class: {"per_minute": n, "per_hour": m}}` that overrides the vendor defaults for the
classes it names (a class given `{}` becomes unlimited); unknown class names are rejected.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from provisioner.model.quota import QuotaObserver, QuotaWait, outside_slots

Vendor = Literal["insights_hub", "itwin_iot"]


@dataclass(frozen=True, slots=True)
class RateLimit:
    """A quota for one endpoint class; None means no limit in that window."""

    per_minute: int | None = None
    per_hour: int | None = None

    def windows(self) -> list[tuple[float, int]]:
        """(window seconds, max calls) pairs that apply."""
        out: list[tuple[float, int]] = []
        if self.per_minute is not None:
            out.append((60.0, self.per_minute))
        if self.per_hour is not None:
            out.append((3600.0, self.per_hour))
        return out


_MC_QUOTA = RateLimit(per_hour=1050)

# Endpoint class -> (vendor, "METHOD path" it covers, documented default quota or None).
ENDPOINT_CLASSES: dict[str, tuple[Vendor, str, RateLimit | None]] = {
    "ih.auth.token": ("insights_hub",
                      "POST {piam}/oauth/token | POST /api/technicaltokenmanager/v3/oauth/token", None),
    # Asset Management
    "am.aspecttypes.get": ("insights_hub", "GET /aspecttypes", RateLimit(1485, 17820)),
    "am.aspecttype.get": ("insights_hub", "GET /aspecttypes/{id}", RateLimit(750)),
    "am.aspecttype.put": ("insights_hub", "PUT /aspecttypes/{id}", RateLimit(743, 1485)),
    "am.aspecttype.patch": ("insights_hub", "PATCH /aspecttypes/{id}", RateLimit(446, 1485)),
    "am.aspecttype.delete": ("insights_hub", "DELETE /aspecttypes/{id}", RateLimit(446, 1485)),
    "am.assettypes.get": ("insights_hub", "GET /assettypes", None),
    "am.assettype.get": ("insights_hub", "GET /assettypes/{id}", None),
    "am.assettype.put": ("insights_hub", "PUT /assettypes/{id}", None),
    "am.assettype.patch": ("insights_hub", "PATCH /assettypes/{id}", None),
    "am.assettype.delete": ("insights_hub", "DELETE /assettypes/{id}", None),
    "am.assets.get": ("insights_hub", "GET /assets", RateLimit(4000, 17820)),
    "am.assets.post": ("insights_hub", "POST /assets", RateLimit(594, 1485)),
    "am.assets.root": ("insights_hub", "GET /assets/root", None),
    "am.asset.get": ("insights_hub", "GET /assets/{id}", None),
    "am.asset.put": ("insights_hub", "PUT /assets/{id}", None),
    "am.asset.patch": ("insights_hub", "PATCH /assets/{id}", None),
    "am.asset.delete": ("insights_hub", "DELETE /assets/{id}", RateLimit(446, 1485)),
    "am.asset.move": ("insights_hub", "POST /assets/{id}/move", None),
    # Agent Management
    "agm.agents.get": ("insights_hub", "GET /agents", None),
    "agm.agents.post": ("insights_hub", "POST /agents", None),
    "agm.agent.get": ("insights_hub", "GET /agents/{id}", None),
    "agm.agent.put": ("insights_hub", "PUT /agents/{id}", None),
    "agm.agent.delete": ("insights_hub", "DELETE /agents/{id}", None),
    "agm.boarding.status": ("insights_hub", "GET /agents/{id}/boarding/status", None),
    "agm.boarding.configuration": ("insights_hub", "GET /agents/{id}/boarding/configuration", None),
    "agm.boarding.offboard": ("insights_hub", "POST /agents/{id}/boarding/offboard", None),
    "agm.dsc.get": ("insights_hub", "GET /agents/{id}/dataSourceConfiguration", None),
    "agm.dsc.put": ("insights_hub", "PUT /agents/{id}/dataSourceConfiguration", None),
    # read by `provision boarding` / `provision check` (issue 14)
    "agm.agent.status": ("insights_hub", "GET /agents/{id}/status", None),
    "agm.boarding.renew": ("insights_hub", "POST /agents/{id}/boarding/configuration", None),
    "mc.recoverablerecords.get": ("insights_hub", "GET /recoverableRecords", None),
    "ts.timeseries.get": ("insights_hub", "GET /api/iottimeseries/v3/timeseries/{entity}/{aspect}", None),
    # MindConnect
    "mc.datapointmappings.get": ("insights_hub", "GET /dataPointMappings", _MC_QUOTA),
    "mc.datapointmappings.post": ("insights_hub", "POST /dataPointMappings", _MC_QUOTA),
    "mc.datapointmapping.get": ("insights_hub", "GET /dataPointMappings/{id}", _MC_QUOTA),
    "mc.datapointmapping.delete": ("insights_hub", "DELETE /dataPointMappings/{id}", _MC_QUOTA),
    "mc.eventmappings.get": ("insights_hub", "GET /eventMappings", _MC_QUOTA),
    "mc.eventmappings.post": ("insights_hub", "POST /eventMappings", _MC_QUOTA),
    "mc.eventmapping.get": ("insights_hub", "GET /eventMappings/{id}", _MC_QUOTA),
    "mc.eventmapping.patch": ("insights_hub", "PATCH /eventMappings/{id}", _MC_QUOTA),
    "mc.eventmapping.delete": ("insights_hub", "DELETE /eventMappings/{id}", None),
    # iTwin IoT
    "iot.auth.token": ("itwin_iot", "POST {ims}/connect/token", None),
    "iot.nodes.get": ("itwin_iot", "GET /api/nodes/all", None),
    "iot.devices.get": ("itwin_iot", "GET /api/devices/all", None),
    "iot.sensors.get": ("itwin_iot", "GET /api/sensors/all", None),
    "iot.entity.get": ("itwin_iot", "GET /api/{kind}s/{rawId}", None),
    "iot.integrations.tree": ("itwin_iot", "POST /api/integrations/{rawNodeId}", None),
    "iot.integrations.integrate": ("itwin_iot", "POST /api/integrations/integrate", None),
    "iot.types.get": ("itwin_iot", "GET /api/{nodes,devices,sensors,metrics}/types", None),
    "iot.sensors.metrics": ("itwin_iot", "POST /api/sensors/metrics", None),
}

LimitsConfig = Literal["vendor", "none"] | Mapping[str, Mapping[str, int | None]]


def rate_limits(vendor: Vendor, config: LimitsConfig = "vendor") -> dict[str, RateLimit]:
    """The effective quota of every endpoint class of `vendor` (RateLimit() when unlimited)."""
    classes = {name: spec for name, spec in ENDPOINT_CLASSES.items() if spec[0] == vendor}
    if config == "none":
        return {name: RateLimit() for name in classes}
    limits = {name: spec[2] or RateLimit() for name, spec in classes.items()}
    if config == "vendor":
        return limits
    if isinstance(config, str):
        raise ValueError(f"rate limits must be 'vendor', 'none' or a mapping, not {config!r}")
    for name, spec in config.items():
        if name not in classes:
            known = ", ".join(sorted(classes))
            raise ValueError(f"unknown endpoint class {name!r} for {vendor}; known: {known}")
        extra = set(spec) - {"per_minute", "per_hour"}
        if extra:
            raise ValueError(f"{name}: unknown rate limit keys {sorted(extra)}")
        limits[name] = RateLimit(spec.get("per_minute"), spec.get("per_hour"))
    return limits


def minimum_duration(calls: Mapping[str, int], limits: Mapping[str, RateLimit]) -> float:
    """A lower bound in seconds for making `calls` (class -> count) under `limits`.

    Classes are limited independently, so the bound is the slowest class: n calls under a quota of
    q per window w need at least (ceil(n / q) - 1) * w seconds.
    """
    longest = 0.0
    for name, count in calls.items():
        limit = limits.get(name)
        if limit is None or count <= 0:
            continue
        for window, quota in limit.windows():
            longest = max(longest, (math.ceil(count / quota) - 1) * window)
    return longest


_SERVICES = {"am": "asset management", "agm": "agent management", "mc": "mindconnect",
             "ts": "time series", "ih": "insights hub", "iot": "itwin iot"}


def describe_class(endpoint_class: str) -> str:
    """The service and request of an endpoint class (`mindconnect POST /dataPointMappings`)."""
    spec = ENDPOINT_CLASSES.get(endpoint_class)
    service = _SERVICES.get(endpoint_class.split(".", 1)[0], endpoint_class.split(".", 1)[0])
    return f"{service} {spec[1]}" if spec else endpoint_class


def describe_limit(limit: RateLimit, time_scale: float = 1.0) -> str:
    """`594/min and 1,485/h`; with a time scale, `1,050/h at time scale 100x`."""
    rules = ((limit.per_minute, "min"), (limit.per_hour, "h"))
    parts = [f"{n:,}/{unit}" for n, unit in rules if n is not None]
    scaled = f" at time scale {time_scale:g}x" if time_scale != 1 else ""
    return " and ".join(parts) + scaled


class RateLimiter:
    """Sliding-log limiter: one log of call times per (class, window)."""

    def __init__(self, limits: Mapping[str, RateLimit], *,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 time_scale: float = 1.0) -> None:
        if not (math.isfinite(time_scale) and time_scale >= 1):
            raise ValueError(f"quota time scale must be at least 1, not {time_scale!r}")
        self._limits = dict(limits)
        self._clock = clock
        self._sleep = sleep
        self.time_scale = time_scale  # windows last 1/time_scale as long (a sandbox's --time-scale)
        self._logs: dict[tuple[str, float], deque[float]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self.waited_seconds = 0.0
        self.observer: QuotaObserver | None = None  # e.g. the apply's progress display

    @property
    def limits(self) -> dict[str, RateLimit]:
        return dict(self._limits)

    async def acquire(self, endpoint_class: str) -> None:
        """Wait until one more call of `endpoint_class` fits in all of its windows, then record it."""
        limit = self._limits.get(endpoint_class)
        windows = [(w / self.time_scale, q) for w, q in limit.windows()] if limit else []
        if not windows:
            return
        lock = self._locks.setdefault(endpoint_class, asyncio.Lock())
        if not lock.locked() and self._take(endpoint_class, windows) <= 0:
            return  # a free slot: taken at once
        # waiting: the change gives its executor slots back meanwhile, so changes of other classes go on
        async with outside_slots(), lock:  # FIFO: waiters queue behind the one sleeping
            while True:
                wait = self._take(endpoint_class, windows)
                if wait <= 0:
                    return
                self.waited_seconds += wait
                if self.observer is not None and limit is not None:
                    label = f"{describe_class(endpoint_class)}, {describe_limit(limit, self.time_scale)}"
                    self.observer.quota_wait(QuotaWait(endpoint_class, label, wait))
                await self._sleep(wait)

    def _take(self, endpoint_class: str, windows: list[tuple[float, int]]) -> float:
        """Take a slot now (0 returned) or say how long until one is free (nothing taken)."""
        now = self._clock()
        wait = 0.0
        for window, quota in windows:
            log = self._logs.setdefault((endpoint_class, window), deque())
            while log and log[0] <= now - window:
                log.popleft()
            if len(log) >= quota:
                wait = max(wait, log[0] + window - now)
        if wait > 0:
            return wait
        for window, _ in windows:
            self._logs[(endpoint_class, window)].append(now)
        if self.observer is not None:
            self.observer.quota_taken(endpoint_class)
        return 0.0
