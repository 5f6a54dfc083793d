"""The seam between the vendor-neutral engine and one vendor's provider.

The executor owns ordering across both vendors, so a provider performs one change at a time.
A provider maps configuration to `Resource`s, live objects to `LiveResource`s (normalized so
that equal things compare equal), and changes to API calls. It never orders work itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from provisioner.model.change import Change
from provisioner.model.resource import KindSpec, LiveResource, LiveState, Resource


@dataclass(slots=True)
class ApplyContext:
    """Shared state while applying.

    `ids` holds the server id of every address known so far: live objects start it, each
    create adds the new object's id so dependents can refer to it. `changes` is every change
    of this apply by address, so a provider may batch children into their parent's request
    (and then report the child as done without a call of its own). `waiting(change, message)`
    reports that a change is waiting on the service (an agent's offboarding): the executor turns it
    into a WAITING progress event.
    """

    ids: MutableMapping[str, str] = field(default_factory=dict)
    changes: Mapping[str, Change] = field(default_factory=dict)
    waiting: Callable[[Change, str], None] = field(default=lambda change, message: None)


class Provider(Protocol):
    """One vendor platform (`insights_hub`, `itwin_iot`)."""

    @property
    def platform(self) -> str: ...

    @property
    def kinds(self) -> Mapping[str, KindSpec]: ...

    def desired(self) -> list[Resource]:
        """The configuration's resources of this platform."""
        ...

    def annotate(self, changes: Sequence[Change], live: LiveState) -> list[Change]:
        """Return the platform's changes with server-side side effects accounted for.

        Called once by the planner after diffing. A provider may add `side_effects`, or add
        changes the service forces (a data source configuration PUT deletes mappings created
        with keepMapping=false, so those are planned as re-created).
        """
        ...

    async def read_live(self, desired: Sequence[Resource]) -> LiveState:
        """Read every live object in the configuration's scope with as few calls as possible."""
        ...

    async def current_precondition(self, live: LiveResource) -> str | None:
        """Re-read one object's precondition (etag or hash); None when it no longer exists."""
        ...

    async def apply(self, change: Change, ctx: ApplyContext) -> str | None:
        """Perform one change; return the server id of a created object (None otherwise).

        A REPLACE change is never passed here: the engine splits it into DELETE and CREATE.
        Creates must be idempotent under ambiguous failures: look the object up by its
        identity before retrying, so that no run creates a duplicate.
        """
        ...

    async def aclose(self) -> None:
        """Release HTTP clients."""
        ...
