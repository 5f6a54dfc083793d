"""Desired and live resources as the planner sees them: normalized attribute maps per address."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from provisioner.model.change import Action, Change

JSON = Any
"""A JSON-compatible value: dict, list, str, int, float, bool or None."""


PlannedOps = Mapping[str, "frozenset[Action]"]
"""address -> the operations (CREATE, UPDATE, DELETE) its graph nodes perform in one apply."""

CallModel = Callable[["Action", "Change", PlannedOps], Mapping[str, int]]
"""(node operation, change, the apply's planned ops) -> calls per endpoint class of that node."""


@dataclass(frozen=True, slots=True)
class KindSpec:
    """Class-level facts about one resource kind, declared by its provider.

    `replace_fields` are top-level attribute names whose change cannot be made in place;
    `replace_paths` are deeper paths (deepdiff-style `root['variables']['T']['type']` are
    reported as dotted `variables.T.type`); a changed path that starts with one of them forces
    a replace. `data_bearing` kinds hold time series: deleting or replacing them destroys data.
    `*_calls` are the API calls one change of that action costs, for the plan's estimate;
    `endpoint_class` names the rate-limit bucket those calls draw from. `vendor_names` maps
    attribute names to the vendor's field names (`type` -> `dataType`) for messages.
    `calls`, when set, says exactly which endpoint classes one graph node of the kind calls and how
    often (`CallModel`); without it a node costs `*_calls` calls of `endpoint_class`.
    """

    kind: str
    platform: str
    rank: int
    replace_fields: frozenset[str] = frozenset()
    replace_paths: tuple[str, ...] = ()
    data_bearing: bool = False
    create_calls: int = 1
    update_calls: int = 1
    delete_calls: int = 1
    endpoint_class: str = "default"
    vendor_names: tuple[tuple[str, str], ...] = ()
    calls: CallModel | None = None


@dataclass(frozen=True, slots=True)
class Resource:
    """One desired object.

    `attrs` holds only user-settable fields in normalized form (JSON-compatible), so that a
    desired and a live resource compare equal exactly when nothing would change.
    `depends_on` lists addresses that must exist before this one is created.
    `ignore_changes` (dotted attr paths) keep their live value when the object exists;
    `prevent_destroy` refuses a delete or replace (the provider also writes it into the marker,
    and shows it as the attr `prevent_destroy: true`). `prune_children`: live children without an
    owner marker of their own (an agent's mappings) that the configuration does not declare are
    this stack's to delete; without it they are unmanaged and left alone. `moved_from`: earlier
    addresses of this object (`moved:`), whose live owner markers the provider reads as this one.
    `external`: declared to be used, not owned (a type another stack owns): the provider checks the
    live object against it, the plan never creates, changes or deletes it. `take_over_from`: the
    stack whose owner marker the live object may carry and that hands it over to this one.
    """

    address: str
    kind: str
    attrs: Mapping[str, JSON]
    depends_on: tuple[str, ...] = ()
    protect: bool = False
    pinned_id: str | None = None
    ignore_changes: tuple[str, ...] = ()
    prevent_destroy: bool = False
    prune_children: bool = False
    moved_from: tuple[str, ...] = ()
    external: bool = False
    take_over_from: str | None = None


class Deferred:
    """A precondition computed when first asked for: hashing the live representation of thousands
    of etag-less objects costs, and a plan needs preconditions only of the objects it changes."""

    __slots__ = ("_compute", "_source", "_value")

    def __init__(self, compute: Callable[[Any], str], source: Any) -> None:
        self._compute = compute
        self._source = source
        self._value: str | None = None

    def text(self) -> str:
        if self._value is None:
            self._value = self._compute(self._source)
        return self._value

    def __repr__(self) -> str:
        return f"Deferred({self.text()!r})"


@dataclass(frozen=True, slots=True)
class LiveResource:
    """One live object that this stack manages (or that a pinned id adopts).

    `precondition` is what apply re-checks before touching the object: the vendor's etag
    where it has one, else a hash of the live representation (maybe `Deferred`; read it with
    `precondition_text`). `server_id` is the vendor id. `adopt` is true when the object lacks
    this stack's owner marker but is claimed by the configuration (pinned id); the plan then
    shows an update that sets the marker. `prevent_destroy` is read from the object's marker: it
    refuses a delete or replace whatever the configuration says now. `moved_from`: the address
    its live marker names, when a `moved:` block renamed it (then `adopt` too: the marker is
    rewritten with the new key).
    """

    address: str
    kind: str
    attrs: Mapping[str, JSON]
    server_id: str
    precondition: str | Deferred
    depends_on: tuple[str, ...] = ()
    adopt: bool = False
    prevent_destroy: bool = False
    moved_from: str | None = None

    def precondition_text(self) -> str:
        return self.precondition if isinstance(self.precondition, str) else self.precondition.text()


@dataclass(frozen=True, slots=True)
class UnmanagedObject:
    """A live object in scope that this stack does not manage: counted, listed, never changed."""

    kind: str
    server_id: str
    name: str


@dataclass(slots=True)
class LiveState:
    """What a provider read: managed objects by address, and unmanaged objects in scope."""

    managed: dict[str, LiveResource] = field(default_factory=dict)
    unmanaged: list[UnmanagedObject] = field(default_factory=list)
    api_calls: int = 0
    # (live attrs, desired attrs) by address: pairs the provider already found certainly equal while
    # its other reads were in flight; the plan skips comparing exactly these objects again
    unchanged: dict[str, tuple[Mapping[str, JSON], Mapping[str, JSON]]] = field(default_factory=dict)
    # what the read found wrong in the live state (two objects carrying one owner marker): the
    # plan shows each as a warning
    warnings: list[str] = field(default_factory=list)
    # calls per endpoint class an apply of this platform's changes costs besides the changes' own
    # (Insights Hub: the stack lease's take and release), for the plan's estimate
    overhead_calls: dict[str, int] = field(default_factory=dict)
