"""How many API calls a plan costs per platform and endpoint class, and how long applying it takes.

Calls: each graph node costs what its kind's `KindSpec.calls` model says (endpoint class -> calls;
e.g. an iTwin device created inside its new connection's integrate costs none), else `*_calls`
calls of the kind's `endpoint_class`; a platform with changes adds its `overhead` (the stack
lease's take and release). The estimate assumes the apply follows a fresh plan (so creates need no
lookup) and counts no retries, no lease renewals (one call per `ttl / 3` of a long apply) and no
token requests.

The duration is the largest of three lower bounds, each simple to explain:

- the critical path: the heaviest chain of dependent calls, one `latency` each;
- throughput: a platform's calls spread over its `concurrency` workers, one `latency` each;
- quota: per endpoint class and per `(limit, window_seconds)` rule, the first `limit` calls go at
  once and each further batch of `limit` waits one more window: `(ceil(calls / limit) - 1) * window`
  (how the client's sliding-window limiter paces them), divided by the platform's quota
  `time_scale` (a sandbox started with `--time-scale N` runs its windows N times faster).

Endpoint classes are global names (`KindSpec.endpoint_class`); providers should make them unique.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from provisioner.model import Action, Change, KindSpec, platform_of
from provisioner.plan.graph import ExecutionGraph, Node

__all__ = ["DEFAULT_CONCURRENCY", "DEFAULT_LATENCY", "Estimate", "RateLimits", "estimate_plan", "node_calls",
           "node_class_calls", "platform_of", "quota_seconds"]  # platform_of lives in the model

RateLimits = Mapping[str, Sequence[tuple[int, float]]]
"""endpoint class -> rules `(limit, window_seconds)`: at most `limit` calls per window."""

DEFAULT_LATENCY = 0.3
DEFAULT_CONCURRENCY = 16


@dataclass(frozen=True)
class Estimate:
    """API calls per platform and endpoint class, and the estimated apply duration in seconds.

    `quota_rules` holds the rules of the quota-limited classes the plan calls, `quota_scale` their
    time scale (1 on a real tenant): what the progress display's ETA follows."""

    calls_by_platform: Mapping[str, int] = field(default_factory=dict)
    calls_by_class: Mapping[str, int] = field(default_factory=dict)
    critical_path_seconds: float = 0.0
    throughput_seconds: float = 0.0
    quota_seconds: float = 0.0
    quota_rules: Mapping[str, tuple[tuple[int, float], ...]] = field(default_factory=dict)
    quota_scale: Mapping[str, float] = field(default_factory=dict)

    @property
    def calls(self) -> int:
        return sum(self.calls_by_platform.values())

    @property
    def seconds(self) -> float:
        return max(self.critical_path_seconds, self.throughput_seconds, self.quota_seconds)

    def class_quota_seconds(self, endpoint_class: str, calls: int | None = None) -> float:
        """The least (scaled) time `calls` calls of the class need (all its planned calls by default)."""
        count = self.calls_by_class.get(endpoint_class, 0) if calls is None else calls
        rules = self.quota_rules.get(endpoint_class, ())
        return quota_seconds(count, rules) / self.quota_scale.get(endpoint_class, 1.0)

    @property
    def binding_class(self) -> str | None:
        """The quota-limited class that sets the duration (None when the quota bound is not the largest)."""
        others = max(self.critical_path_seconds, self.throughput_seconds)
        if not self.quota_rules or self.quota_seconds < others:
            return None
        return max(self.quota_rules, key=self.class_quota_seconds)


def node_calls(node: Node, spec: KindSpec) -> int:
    """The API calls one graph node costs by its kind's `*_calls` counts."""
    return {Action.CREATE: spec.create_calls, Action.UPDATE: spec.update_calls}.get(
        node.op, spec.delete_calls
    )


def node_class_calls(node: Node, change: Change, spec: KindSpec,
                     planned: Mapping[str, frozenset[Action]]) -> Mapping[str, int]:
    """Calls per endpoint class of one graph node."""
    if spec.calls is not None:
        return spec.calls(node.op, change, planned)
    return {spec.endpoint_class: node_calls(node, spec)}


def quota_seconds(calls: int, rules: Sequence[tuple[int, float]]) -> float:
    """The least time `calls` calls need under every `(limit, window)` rule."""
    return max(
        ((math.ceil(calls / limit) - 1) * window for limit, window in rules if limit > 0 and calls),
        default=0.0,
    )


def _scale(time_scale: Mapping[str, float] | float, platform: str) -> float:
    value = time_scale if isinstance(time_scale, int | float) else time_scale.get(platform, 1.0)
    return max(1.0, float(value))


def estimate_plan(
    graph: ExecutionGraph,
    kinds: Mapping[str, KindSpec],
    *,
    rate_limits: RateLimits | None = None,
    latency: float = DEFAULT_LATENCY,
    concurrency: Mapping[str, int] | int = DEFAULT_CONCURRENCY,
    time_scale: Mapping[str, float] | float = 1.0,
    overhead: Mapping[str, Mapping[str, int]] | None = None,
) -> Estimate:
    """Estimate `graph`'s cost; `kinds` maps `platform.kind` (or `kind`) to its spec, `time_scale`
    and `overhead` (calls per class besides the changes') are per platform."""

    def spec(change: Change) -> KindSpec:
        platform = platform_of(change.address)
        found = kinds.get(f"{platform}.{change.kind}") or kinds.get(change.kind)
        return found or KindSpec(kind=change.kind, platform=platform, rank=0)

    planned: dict[str, set[Action]] = {}
    for node in graph.changes:
        planned.setdefault(node.address, set()).add(node.op)
    frozen = {a: frozenset(ops) for a, ops in planned.items()}
    by_platform: dict[str, int] = {}
    by_class: dict[str, int] = {}
    class_platform: dict[str, str] = {}
    weights: dict[Node, int] = {}

    def add(platform: str, endpoint_class: str, calls: int) -> None:
        by_platform[platform] = by_platform.get(platform, 0) + calls
        by_class[endpoint_class] = by_class.get(endpoint_class, 0) + calls
        class_platform.setdefault(endpoint_class, platform)

    for node, change in graph.changes.items():
        kind = spec(change)
        calls = node_class_calls(node, change, kind, frozen)
        weights[node] = sum(calls.values())
        by_platform.setdefault(kind.platform, 0)
        for endpoint_class, n in calls.items():
            add(kind.platform, endpoint_class, n)
    for platform, extra in sorted((overhead or {}).items()):
        if platform in by_platform:
            for endpoint_class, n in extra.items():
                add(platform, endpoint_class, n)

    def workers(platform: str) -> int:
        if isinstance(concurrency, int):
            return max(1, concurrency)
        return max(1, concurrency.get(platform, DEFAULT_CONCURRENCY))

    throughput = max((n / workers(p) * latency for p, n in by_platform.items()), default=0.0)
    limits = rate_limits or {}
    rules = {c: tuple(limits[c]) for c, n in by_class.items() if n and limits.get(c)}
    scales = {c: _scale(time_scale, class_platform[c]) for c in rules}
    quota = max((quota_seconds(by_class[c], r) / scales[c] for c, r in rules.items()), default=0.0)
    return Estimate(
        calls_by_platform=by_platform,
        calls_by_class=by_class,
        critical_path_seconds=graph.critical_path(lambda n: weights[n] * latency),
        throughput_seconds=throughput,
        quota_seconds=quota,
        quota_rules=rules,
        quota_scale=scales,
    )
