"""The safety gate between plan and apply (octoDNS-style thresholds, protect, data loss).

Per platform, when at least `min_existing` managed objects exist, updates (replaces included)
above `update_share` of them, or deletes above `delete_share`, need `force`. An adoption that
changes no field (it only sets this stack's owner marker, e.g. right after `provision import`)
does not count as an update. A delete or replace of a `protect: true` resource is always
refused; of a `lifecycle.prevent_destroy` one (from the configuration or the live owner marker)
unless `--allow-destroy ADDRESS` names it. A create that duplicates an unmanaged object of the
same name and parent (`Change.duplicate_of`) needs `allow_duplicate_names`; a delete that the
service cascades to unmanaged objects (`Change.unmanaged_children`) needs
`delete_unmanaged_children`. Changes that destroy stored data need `allow_data_loss`; each names
what it destroys (`Change.data_loss`). The gate only reports; the CLI decides what to do with
the violations.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from provisioner.model import Action, Change, platform_of
from provisioner.plan.builder import Plan


@dataclass(frozen=True)
class Thresholds:
    update_share: float = 0.3
    delete_share: float = 0.3
    min_existing: int = 10


@dataclass(frozen=True)
class Violation:
    """A reason not to apply. `override` is the flag that lifts it (None: nothing does)."""

    rule: str
    message: str
    addresses: tuple[str, ...]
    override: str | None


def _only_adopts(change: Change) -> bool:
    """An update that only sets the owner marker on an object whose fields already match."""
    return change.action is Action.UPDATE and change.adopt and not change.fields


def _threshold(plan: Plan, platform: str, actions: tuple[Action, ...], share: float, what: str,
               limits: Thresholds) -> Violation | None:
    existing = plan.managed.get(platform, 0)
    hits = tuple(c.address for c in plan.changes
                 if c.action in actions and platform_of(c.address) == platform and not _only_adopts(c))
    if existing < limits.min_existing or len(hits) / existing <= share:
        return None
    return Violation(
        rule=f"too-many-{what}",
        message=(f"{platform}: {len(hits)} of {existing} managed objects would be {what} "
                 f"({len(hits) / existing:.0%} > {share:.0%}); use --force to apply anyway"),
        addresses=hits,
        override="--force",
    )


_LOSSES_SHOWN = 20


def _data_loss_message(changes: list[Change]) -> str:
    """How many changes destroy stored data, and what each destroys (the first few)."""
    lines = [f"{len(changes)} change(s) destroy stored data; use --allow-data-loss to apply them:"]
    for change in changes[:_LOSSES_SHOWN]:
        what = "; ".join(change.data_loss) or "stored data"
        lines.append(f"      {change.address}: {what}")
    if len(changes) > _LOSSES_SHOWN:
        lines.append(f"      and {len(changes) - _LOSSES_SHOWN} more (the plan lists every one)")
    return "\n".join(lines)


def check_safety(plan: Plan, *, force: bool = False, allow_data_loss: bool = False,
                 thresholds: Thresholds | None = None, allow_destroy: Collection[str] = (),
                 allow_duplicate_names: bool = False,
                 delete_unmanaged_children: bool = False) -> list[Violation]:
    """The violations that still stand given `force`, `allow_data_loss`, `allow_destroy` (the
    addresses whose `lifecycle.prevent_destroy` this apply lifts), `allow_duplicate_names` and
    `delete_unmanaged_children`."""
    limits = thresholds or Thresholds()
    found: list[Violation] = []
    if not force:
        for platform in sorted({platform_of(c.address) for c in plan.changes}):
            for actions, share, what in (
                ((Action.UPDATE, Action.REPLACE), limits.update_share, "updated"),
                ((Action.DELETE,), limits.delete_share, "deleted"),
            ):
                violation = _threshold(plan, platform, actions, share, what, limits)
                if violation is not None:
                    found.append(violation)
    protected = tuple(sorted(c.address for c in plan.changes
                             if c.protected and c.action in (Action.DELETE, Action.REPLACE)))
    if protected:
        found.append(Violation(
            rule="protected",
            message=f"refusing to delete or replace protected resources: {', '.join(protected)} "
                    "(remove `protect: true` first)",
            addresses=protected,
            override=None,
        ))
    kept = tuple(sorted(c.address for c in plan.changes
                        if c.prevent_destroy and c.address not in allow_destroy
                        and c.action in (Action.DELETE, Action.REPLACE)))
    if kept:
        found.append(Violation(
            rule="prevent-destroy",
            message=(f"refusing to delete or replace resources with lifecycle.prevent_destroy (recorded in "
                     f"their owner marker): {', '.join(kept)}; lift it with "
                     f"{' '.join(f'--allow-destroy {a}' for a in kept[:5])}"
                     f"{' …' if len(kept) > 5 else ''}, or apply the object without the flag first"),
            addresses=kept,
            override="--allow-destroy",
        ))
    cascades = [c for c in plan.changes
                if c.unmanaged_children and c.action in (Action.DELETE, Action.REPLACE)]
    if cascades and not delete_unmanaged_children:
        lines = [f"{len(cascades)} delete(s) would take objects this stack did not create with them; "
                 "use --delete-unmanaged-children (they are then data loss too), or move them away first:"]
        for change in cascades[:_LOSSES_SHOWN]:
            lines.append(f"      {change.address}: {', '.join(change.unmanaged_children)}")
        found.append(Violation(rule="unmanaged-children", message="\n".join(lines),
                               addresses=tuple(c.address for c in cascades),
                               override="--delete-unmanaged-children"))
    twins = [c for c in plan.changes if c.duplicate_of is not None and c.action is Action.CREATE]
    if twins and not allow_duplicate_names:
        lines = [f"{len(twins)} create(s) would duplicate an unmanaged object with the same name and parent "
                 "(its owner marker was probably lost); pin it with `id:` or run `provision import`, "
                 "or use --allow-duplicate-names:"]
        lines += [f"      {c.address}: existing object {c.duplicate_of} (add `id: {c.duplicate_of}`)"
                  for c in twins[:_LOSSES_SHOWN]]
        if len(twins) > _LOSSES_SHOWN:
            lines.append(f"      and {len(twins) - _LOSSES_SHOWN} more (the plan lists every one)")
        found.append(Violation(rule="duplicate-name", message="\n".join(lines),
                               addresses=tuple(c.address for c in twins), override="--allow-duplicate-names"))
    destructive = [c for c in plan.changes if c.data_destructive]
    if destructive and not allow_data_loss:
        found.append(Violation(
            rule="data-loss",
            message=_data_loss_message(destructive),
            addresses=tuple(c.address for c in destructive),
            override="--allow-data-loss",
        ))
    return found
