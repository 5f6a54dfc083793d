"""Unmanaged live objects by identity, so a create that would make a twin of one is caught.

An object whose owner marker was lost (someone edited the description in the vendor UI) reads as
unmanaged; the next plan would create a second object with the same name under the same parent.
Both providers index their unmanaged objects by (kind, name, parent server id) while reading, and
`flag_duplicates` marks each create that matches one (`Change.duplicate_of`), which the safety
gate refuses unless `--allow-duplicate-names`. They also index every unmanaged object under the
live objects whose delete the service would cascade to it: `flag_unmanaged_children` marks those
deletes, which the gate refuses unless `--delete-unmanaged-children`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from provisioner.model import Action, Change

Identity = tuple[str, str, str]
"""(kind, name, parent server id or "" for a top-level object)."""


@dataclass
class Lookalikes:
    """Server ids of unmanaged live objects by identity (the first one read, when several)."""

    by_identity: dict[Identity, str] = field(default_factory=dict)
    children: dict[str, list[str]] = field(default_factory=dict)
    """Unmanaged objects (any stack's or none) by the server id of each ancestor whose delete
    takes them along, as a person reads them (`device 'Hand logger' (id)`)."""

    def add_child(self, ancestor_id: object, text: str) -> None:
        if ancestor_id:
            self.children.setdefault(str(ancestor_id), []).append(text)

    def add(self, kind: str, name: object, parent_id: object, server_id: str) -> None:
        if isinstance(name, str) and name:
            self.by_identity.setdefault((kind, name, str(parent_id or "")), server_id)

    def find(self, kind: str, name: object, parent_id: str | None) -> str | None:
        if not isinstance(name, str) or not name or parent_id is None:
            return None
        return self.by_identity.get((kind, name, parent_id))


def flag_unmanaged_children(changes: Sequence[Change], lookalikes: Lookalikes, *,
                            cascades: bool = True) -> list[Change]:
    """`changes` with each delete or replace that would take unmanaged objects along marked with
    them (`Change.unmanaged_children`); where the service `cascades`, they are named as data loss
    too (where it refuses instead, the delete would fail: the mark says why before apply)."""
    result = []
    for change in changes:
        under = lookalikes.children.get(change.server_id or "") if change.action in _GONE else None
        if under:
            losses = tuple(f"unmanaged {child}, not made by this stack, is deleted with it"
                           for child in under) if cascades else ()
            change = replace(change, unmanaged_children=(*change.unmanaged_children, *under),
                             data_loss=(*change.data_loss, *losses),
                             data_destructive=change.data_destructive or bool(losses))
        result.append(change)
    return result


_GONE = (Action.DELETE, Action.REPLACE)


def duplicate_reason(server_id: str) -> str:
    return (f"an unmanaged object with the same name and parent exists ({server_id}), probably this "
            f"object with its owner marker lost: pin it with `id: {server_id}` or run `provision import`; "
            "--allow-duplicate-names creates a second one")


def flag_duplicates(changes: Sequence[Change], lookalikes: Lookalikes,
                    parent_of: Callable[[Change], str | None]) -> list[Change]:
    """`changes` with each create that matches an unmanaged object marked `duplicate_of` it.
    `parent_of` gives a create's parent server id ("" for top-level, None when the parent is not
    live yet: a new parent has no children to collide with)."""
    result = []
    for change in changes:
        if change.action is Action.CREATE and change.after is not None and change.duplicate_of is None:
            found = lookalikes.find(change.kind, change.after.get("name"), parent_of(change))
            if found is not None:
                reasons = (*change.reasons, duplicate_reason(found))
                change = replace(change, duplicate_of=found, reasons=reasons)
        result.append(change)
    return result
