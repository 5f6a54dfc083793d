"""How many API calls a plan costs per platform, and roughly how long applying it takes.

The duration is the largest of three lower bounds, each simple to explain:

- the critical path: the heaviest chain of dependent calls, one `latency` each;
- throughput: a platform's calls spread over its `concurrency` workers, one `latency` each;
- quota: per endpoint class and per `(limit, window_seconds)` rule, the first `limit` calls go at
  once and each further batch of `limit` waits one more window: `(ceil(calls / limit) - 1) * window`.

Endpoint classes are global names (`KindSpec.endpoint_class`); providers should make them unique.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from provisioner.model import Action, Change, KindSpec, platform_of
from provisioner.plan.graph import ExecutionGraph, Node

__all__ = ["DEFAULT_CONCURRENCY", "DEFAULT_LATENCY", "Estimate", "RateLimits", "estimate_plan", "node_calls",
           "platform_of", "quota_seconds"]  # platform_of lives in the model; importable here too

RateLimits = Mapping[str, Sequence[tuple[int, float]]]
"""endpoint class -> rules `(limit, window_seconds)`: at most `limit` calls per window."""

DEFAULT_LATENCY = 0.3
DEFAULT_CONCURRENCY = 16


@dataclass(frozen=True)
class Estimate:
    """API calls per platform and endpoint class, and the estimated apply duration in seconds."""

    calls_by_platform: Mapping[str, int] = field(default_factory=dict)
    calls_by_class: Mapping[str, int] = field(default_factory=dict)
    critical_path_seconds: float = 0.0
    throughput_seconds: float = 0.0
    quota_seconds: float = 0.0

    @property
    def calls(self) -> int:
        return sum(self.calls_by_platform.values())

    @property
    def seconds(self) -> float:
        return max(self.critical_path_seconds, self.throughput_seconds, self.quota_seconds)


def node_calls(node: Node, spec: KindSpec) -> int:
    """The API calls one graph node costs."""
    return {Action.CREATE: spec.create_calls, Action.UPDATE: spec.update_calls}.get(
        node.op, spec.delete_calls
    )


def quota_seconds(calls: int, rules: Sequence[tuple[int, float]]) -> float:
    """The least time `calls` calls need under every `(limit, window)` rule."""
    return max(
        ((math.ceil(calls / limit) - 1) * window for limit, window in rules if limit > 0 and calls),
        default=0.0,
    )


def estimate_plan(
    graph: ExecutionGraph,
    kinds: Mapping[str, KindSpec],
    *,
    rate_limits: RateLimits | None = None,
    latency: float = DEFAULT_LATENCY,
    concurrency: Mapping[str, int] | int = DEFAULT_CONCURRENCY,
) -> Estimate:
    """Estimate `graph`'s cost; `kinds` maps `platform.kind` (or `kind`) to its spec."""

    def spec(change: Change) -> KindSpec:
        platform = platform_of(change.address)
        found = kinds.get(f"{platform}.{change.kind}") or kinds.get(change.kind)
        return found or KindSpec(kind=change.kind, platform=platform, rank=0)

    by_platform: dict[str, int] = {}
    by_class: dict[str, int] = {}
    weights: dict[Node, int] = {}
    for node, change in graph.changes.items():
        kind = spec(change)
        calls = node_calls(node, kind)
        weights[node] = calls
        by_platform[kind.platform] = by_platform.get(kind.platform, 0) + calls
        by_class[kind.endpoint_class] = by_class.get(kind.endpoint_class, 0) + calls

    def workers(platform: str) -> int:
        if isinstance(concurrency, int):
            return max(1, concurrency)
        return max(1, concurrency.get(platform, DEFAULT_CONCURRENCY))

    throughput = max((n / workers(p) * latency for p, n in by_platform.items()), default=0.0)
    limits = rate_limits or {}
    quota = max((quota_seconds(n, limits.get(c, ())) for c, n in by_class.items()), default=0.0)
    return Estimate(
        calls_by_platform=by_platform,
        calls_by_class=by_class,
        critical_path_seconds=graph.critical_path(lambda n: weights[n] * latency),
        throughput_seconds=throughput,
        quota_seconds=quota,
    )
