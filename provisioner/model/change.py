"""Changes: what the plan proposes and the executor performs, one per address and action."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from provisioner.model.resource import JSON


class Action(StrEnum):
    """What happens to an address. Sort order within a plan follows the dependency graph."""

    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field-level difference, `path` dotted (`variables.Temperature.unit`)."""

    path: str
    before: JSON
    after: JSON


@dataclass(frozen=True, slots=True)
class Change:
    """A planned change of one address.

    `before` is the live attrs (None for create), `after` the desired attrs (None for delete).
    `server_id` and `precondition` come from the live object. `reasons` explain non-obvious
    actions ("dataType changed", "replaced because insights_hub.aspect_types.X is replaced") and
    are for people only: nothing decides from them. `side_effects` name server-side consequences
    (a DSC PUT deleting keepMapping=false mappings).

    What the engine decides on is typed, set by the plan builder:
    `adopt`: the live object lacks this stack's owner marker and the change sets it (an UPDATE of a
    pinned object; providers then write the marker, the safety gate does not count a field-less
    adoption as an update); `protected`: a DELETE or REPLACE of a `protect: true` resource (the
    gate refuses it); `prevent_destroy`: a DELETE or REPLACE of an object whose configuration or
    live marker says `lifecycle.prevent_destroy` (refused unless `--allow-destroy ADDRESS`);
    `duplicate_of`: the server id of an unmanaged object that a CREATE would duplicate (same
    name and parent: a lost owner marker; refused unless `--allow-duplicate-names`);
    `unmanaged_children`: objects without this stack's marker that a DELETE or REPLACE takes along
    (the service cascades; refused unless `--delete-unmanaged-children`);
    `moved_from`: the earlier address of an UPDATE that a `moved:` block renamed (the object keeps
    its server id; its owner marker gets the new key);
    `data_destructive`: a DELETE or REPLACE of a data-bearing kind (needs
    `--allow-data-loss`; set for every change with a `data_loss` entry too). `data_loss` names
    what the change destroys, one line per loss ("history of variable Humidity on 24 assets of
    type Engine"), set by the provider that knows the service (`Provider.annotate`) or, for a
    data-bearing kind it says nothing about, by the plan builder. New decisions (moved, ignored)
    get a field of their own here, never a reason string.
    """

    action: Action
    address: str
    kind: str
    before: Mapping[str, JSON] | None
    after: Mapping[str, JSON] | None
    fields: tuple[FieldChange, ...] = ()
    server_id: str | None = None
    precondition: str | None = None
    depends_on: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    side_effects: tuple[str, ...] = ()
    data_destructive: bool = False
    data_loss: tuple[str, ...] = ()
    adopt: bool = False
    protected: bool = False
    prevent_destroy: bool = False
    duplicate_of: str | None = None
    unmanaged_children: tuple[str, ...] = ()
    moved_from: str | None = None
