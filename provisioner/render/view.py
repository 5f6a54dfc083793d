"""The one view model every plan renderer reads: summary first, then one row per change.

A change's `group` is what the Markdown renderer folds by: for nested addresses
(`itwin_iot.connections.north.devices.d1`) the top-level object (`connections.north`), for flat
ones (`insights_hub.assets.motor`) the collection (`assets`). Its `site` is the plant site it
belongs to (`provisioner.render.sites`): what fleet-scale PR comments count by. Creates show their top-level
attributes as fields (before None) so every row reads `path: before → after`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from provisioner.model import Action, Change, FieldChange
from provisioner.model.resource import JSON
from provisioner.plan.builder import Plan
from provisioner.plan.estimate import platform_of
from provisioner.render.sites import sites_of

ACTIONS = (Action.CREATE, Action.UPDATE, Action.REPLACE, Action.DELETE)
SYMBOLS = {Action.CREATE: "+", Action.UPDATE: "~", Action.REPLACE: "-+", Action.DELETE: "-"}


@dataclass(frozen=True)
class ChangeRow:
    address: str
    platform: str
    group: str
    site: str
    kind: str
    action: Action
    symbol: str
    fields: tuple[FieldChange, ...]
    reasons: tuple[str, ...]
    side_effects: tuple[str, ...]
    data_destructive: bool
    data_loss: tuple[str, ...]
    moved_from: str | None
    protected: bool
    server_id: str | None
    depends_on: tuple[str, ...]
    before: Mapping[str, JSON] | None
    after: Mapping[str, JSON] | None


@dataclass(frozen=True)
class Summary:
    counts: Mapping[Action, int]
    unchanged: int
    by_platform: Mapping[str, Mapping[Action, int]]
    managed: Mapping[str, int]
    unmanaged: Mapping[str, int]
    data_destructive: tuple[str, ...]
    data_loss: tuple[tuple[str, tuple[str, ...]], ...]
    protected: tuple[str, ...]
    api_calls: int
    calls_by_platform: Mapping[str, int]
    calls_by_class: Mapping[str, int]
    seconds: float

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def headline(self) -> str:
        """`Plan: 3 to create, 1 to update, 1 to replace, 2 to delete, 12 unchanged.`"""
        if not self.total:
            return f"No changes. The live platforms match the configuration ({self.unchanged} unchanged)."
        parts = [f"{self.counts[a]} to {a.value}" for a in ACTIONS]
        return f"Plan: {', '.join(parts)}, {self.unchanged} unchanged."


@dataclass(frozen=True)
class PlanView:
    summary: Summary
    rows: tuple[ChangeRow, ...]
    warnings: tuple[str, ...]
    unmanaged: Mapping[str, tuple[tuple[str, str, str], ...]]


def group_of(address: str) -> str:
    """The top-level object (nested addresses) or collection (flat ones) an address belongs to."""
    parts = address.split(".")
    return ".".join(parts[1:3]) if len(parts) > 3 else ".".join(parts[1:2])


def format_value(value: JSON) -> str:
    """A value as compact JSON; absent or null values show as `(none)`."""
    return "(none)" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _fields(change: Change) -> tuple[FieldChange, ...]:
    if change.action is Action.CREATE and not change.fields and change.after:
        return tuple(FieldChange(k, None, v) for k, v in sorted(change.after.items()))
    return change.fields


def _row(change: Change, plan: Plan, site: str) -> ChangeRow:
    return ChangeRow(
        address=change.address, platform=platform_of(change.address), group=group_of(change.address),
        site=site,
        kind=change.kind, action=change.action, symbol=SYMBOLS[change.action], fields=_fields(change),
        reasons=change.reasons, side_effects=change.side_effects, data_destructive=change.data_destructive,
        data_loss=change.data_loss, moved_from=change.moved_from, protected=change.address in plan.protected,
        server_id=change.server_id,
        depends_on=change.depends_on, before=change.before, after=change.after,
    )


def plan_view(plan: Plan) -> PlanView:
    """Build the view model of `plan`."""
    sites = sites_of(plan.changes)
    rows = tuple(_row(c, plan, sites[c.address]) for c in plan.changes)
    platforms = sorted({r.platform for r in rows} | set(plan.managed))
    by_platform = {
        p: {a: sum(1 for r in rows if r.platform == p and r.action is a) for a in ACTIONS} for p in platforms
    }
    summary = Summary(
        counts={a: sum(1 for r in rows if r.action is a) for a in ACTIONS},
        unchanged=plan.unchanged,
        by_platform=by_platform,
        managed=dict(plan.managed),
        unmanaged={p: len(objs) for p, objs in plan.unmanaged.items()},
        data_destructive=tuple(r.address for r in rows if r.data_destructive),
        data_loss=tuple((r.address, r.data_loss) for r in rows if r.data_destructive),
        protected=tuple(r.address for r in rows if r.protected),
        api_calls=plan.estimate.calls,
        calls_by_platform=dict(plan.estimate.calls_by_platform),
        calls_by_class=dict(plan.estimate.calls_by_class),
        seconds=plan.estimate.seconds,
    )
    unmanaged = {p: tuple((o.kind, o.server_id, o.name) for o in objs) for p, objs in plan.unmanaged.items()}
    return PlanView(summary=summary, rows=rows, warnings=plan.warnings, unmanaged=unmanaged)


def as_view(plan: Plan | PlanView) -> PlanView:
    """`plan` itself when it is already a view, else its view."""
    return plan if isinstance(plan, PlanView) else plan_view(plan)


def plural(count: int, word: str) -> str:
    """`1 change`, `2 changes`."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def shorten_address(address: str, room: int) -> str:
    """`address` in at most `room` characters when possible: middle parts give way to `…`, the
    platform and the last part (the object's own key) always stay."""
    if len(address) <= room:
        return address
    parts = address.split(".")
    head, tail = parts[:1], parts[1:]
    while len(tail) > 1:
        tail = tail[1:]
        short = ".".join([*head, "…", *tail])
        if len(short) <= room:
            return short
    return ".".join([*head, "…", *tail])


def duration(seconds: float) -> str:
    """`42s`, `3m 05s`, `1h 02m`."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m {whole % 60:02d}s"
    return f"{whole // 3600}h {whole % 3600 // 60:02d}m"
