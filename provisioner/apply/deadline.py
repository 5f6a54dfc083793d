"""`apply --max-duration`: start no change that cannot finish before the deadline.

A change is expected to take its API calls times the plan estimate's per-call latency
(`plan.estimate.node_calls`, `DEFAULT_LATENCY`), or, once changes of its kind have finished in this
run, its calls times the slowest per-call time seen for that kind (so a slow tenant or a
quota wait counts too). A change whose expected end lies past the deadline is not started; the
ones in flight finish. What was not started is left for the next run, whose plan reads it as
still to do.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from provisioner.model import Change, KindSpec, Provider, platform_of
from provisioner.plan.estimate import DEFAULT_LATENCY, node_calls
from provisioner.plan.graph import Node

Clock = Callable[[], float]


@dataclass
class Deadline:
    """The moment (on `clock`) by which every started change should have finished."""

    at: float
    clock: Clock = field(default=time.monotonic)

    @classmethod
    def after(cls, seconds: float, clock: Clock = time.monotonic) -> Deadline:
        """A deadline `seconds` from now on `clock`."""
        return cls(clock() + seconds, clock)

    def fits(self, seconds: float) -> bool:
        """True when something that takes `seconds` and starts now ends by the deadline."""
        return self.clock() + seconds <= self.at

    def remaining(self) -> float:
        return self.at - self.clock()


class ChangeDurations:
    """The expected duration of each change: its calls times a per-call time of its kind."""

    def __init__(self, changes: Mapping[Node, Change], providers: Mapping[str, Provider], *,
                 latency: float = DEFAULT_LATENCY) -> None:
        self.latency = latency
        self._calls: dict[Node, int] = {}
        self._kind: dict[Node, str] = {}
        for node, change in changes.items():
            platform = platform_of(change.address)
            provider = providers.get(platform)
            spec = provider.kinds.get(change.kind) if provider is not None else None
            spec = spec or KindSpec(kind=change.kind, platform=platform, rank=0)
            self._calls[node] = node_calls(node, spec)
            self._kind[node] = f"{platform}.{change.kind}"
        self._per_call: dict[str, float] = {}  # kind -> slowest seconds per call seen in this run

    def expected(self, node: Node) -> float:
        calls = max(1, self._calls.get(node, 1))
        return calls * max(self.latency, self._per_call.get(self._kind.get(node, ""), 0.0))

    def observe(self, node: Node, seconds: float) -> None:
        """Learn from a finished change how long a call of its kind takes."""
        kind = self._kind.get(node, "")
        per_call = seconds / max(1, self._calls.get(node, 1))
        self._per_call[kind] = max(self._per_call.get(kind, 0.0), per_call)
