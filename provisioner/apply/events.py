"""Events the executor emits while applying, for the journal and the progress display."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from provisioner.plan.graph import Node


class EventKind(StrEnum):
    STARTED = "started"
    FINISHED = "finished"
    FAILED = "failed"
    SKIPPED = "skipped"
    RETRYING = "retrying"
    WAITING = "waiting"
    NOT_STARTED = "not started"


@dataclass(frozen=True)
class ApplyEvent:
    """One step of one node. `total` is the number of nodes in the run.

    `error` is set for FAILED and RETRYING, `cause` (the failed dependency) for SKIPPED,
    `server_id` for a FINISHED create, `seconds` for FINISHED and FAILED, `detail` (what the
    change waits for) for WAITING, the reason for NOT_STARTED.
    """

    kind: EventKind
    node: Node
    total: int
    seconds: float = 0.0
    attempt: int = 1
    error: str | None = None
    cause: str | None = None
    server_id: str | None = None
    detail: str | None = None


Listener = Callable[[ApplyEvent], None]


def broadcast(*listeners: Listener | None) -> Listener:
    """One listener that calls each given listener in turn (None entries are ignored)."""
    chosen = [listener for listener in listeners if listener is not None]

    def emit(event: ApplyEvent) -> None:
        for listener in chosen:
            listener(event)

    return emit
