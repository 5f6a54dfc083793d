"""The per-change attempt budget: one owner for retries, one bound for a change.

The HTTP session is the only layer that re-sends a request (after a 5xx, a 408, a timeout or a
lost connection, when repeating cannot apply it twice; see `providers.http.retry`). The executor
opens one `AttemptBudget` per change around everything the provider does for it (`change_budget`);
every failed attempt of that change's requests is counted against it, and once a change has
failed `FAILED_ATTEMPTS_PER_CHANGE` attempts its requests are neither retried nor sent any more.
So under persistent failure one change makes at most `FAILED_ATTEMPTS_PER_CHANGE` requests, however
many requests (lookups included) it needs, and with `RetryPolicy.max_attempts` equal to it a
change of one request behaves exactly as that request alone.

The executor re-runs a change only for what the HTTP layer cannot decide: a write of unknown
outcome (`AmbiguousWriteError`) that the provider's lookup found not applied. That re-run draws
on the same budget. A 429 is not a failure: the session waits (its Retry-After) and does not
count it. Requests outside a change (plan reads, token requests, the stack lease) have no budget
and only the per-request `RetryPolicy.max_attempts`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

FAILED_ATTEMPTS_PER_CHANGE = 5


@dataclass(slots=True)
class AttemptBudget:
    """Failed attempts one change may still make."""

    limit: int = FAILED_ATTEMPTS_PER_CHANGE
    failed: int = 0

    @property
    def exhausted(self) -> bool:
        return self.failed >= self.limit

    def fail(self) -> None:
        """Count one failed attempt."""
        self.failed += 1


_current: ContextVar[AttemptBudget | None] = ContextVar("provision_attempt_budget", default=None)


def current_budget() -> AttemptBudget | None:
    """The budget of the change being applied in this task, or None outside a change."""
    return _current.get()


@contextmanager
def change_budget(budget: AttemptBudget) -> Iterator[AttemptBudget]:
    """Make `budget` the current one while a provider applies one change (tasks it starts inherit it)."""
    token = _current.set(budget)
    try:
        yield budget
    finally:
        _current.reset(token)
