"""The apply's remaining time as its client-side quotas allow it, for the progress display's ETA.

Per quota-limited endpoint class of the plan (`Estimate.quota_rules`), the calls still to make are
paced the way the client's sliding-window limiter paces them: call n goes no earlier than call
`n - limit` plus one window (windows shortened by the quota time scale). The slots already taken
are told by the limiter (`quota_taken`), so the ETA follows the quota, not the recent rate: right
after a burst of a full window's calls it still says how long the next windows take.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

from provisioner.plan.estimate import Estimate


class QuotaEta:
    """Remaining seconds of the plan's quota-limited calls (0 when it has none)."""

    def __init__(self, estimate: Estimate, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.planned = {c: estimate.calls_by_class.get(c, 0) for c in estimate.quota_rules}
        self.rules = {c: [(limit, window / estimate.quota_scale.get(c, 1.0)) for limit, window in rules
                          if limit > 0] for c, rules in estimate.quota_rules.items()}
        self.taken = dict.fromkeys(self.planned, 0)
        self._logs: dict[tuple[str, float], deque[float]] = {}

    @property
    def limited(self) -> bool:
        """Whether any planned call draws from a quota."""
        return any(self.planned.values())

    def quota_taken(self, endpoint_class: str) -> None:
        """One call of `endpoint_class` took a slot now."""
        if endpoint_class not in self.rules:
            return
        self.taken[endpoint_class] += 1
        now = self.clock()
        for limit, window in self.rules[endpoint_class]:
            log = self._logs.setdefault((endpoint_class, window), deque())
            log.append(now)
            while len(log) > limit:
                log.popleft()

    def remaining_calls(self, endpoint_class: str) -> int:
        return max(0, self.planned.get(endpoint_class, 0) - self.taken.get(endpoint_class, 0))

    def class_seconds(self, endpoint_class: str) -> float:
        """Seconds until the last planned call of the class can take its slot."""
        left = self.remaining_calls(endpoint_class)
        if not left:
            return 0.0
        now = self.clock()
        longest = 0.0
        for limit, window in self.rules.get(endpoint_class, []):
            log = self._logs.get((endpoint_class, window), deque())
            recent = [t for t in log if t > now - window]  # the slots still held in this window
            free = limit - len(recent)
            if left <= free:
                continue
            extra = left - free
            # the slot times of the last `limit` calls, oldest first: the held ones, then the free
            # ones taken now; call `extra` follows the one `limit` before it by one window, repeatedly
            index = (extra - 1) % limit
            base = recent[index] if index < len(recent) else now
            longest = max(longest, base + math.ceil(extra / limit) * window - now)
        return longest

    def seconds(self) -> float:
        """Seconds until every planned quota-limited call can be made."""
        return max((self.class_seconds(c) for c in self.planned), default=0.0)
