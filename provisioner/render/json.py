"""JSON plan output (`provision plan --json`), described by `schemas/plan.schema.json`.

`format_version` changes only when a field is removed or changes meaning; new fields may be added.
"""

from __future__ import annotations

import json
from typing import Any

from provisioner.plan.builder import Plan
from provisioner.render.view import ACTIONS, ChangeRow, PlanView, as_view

JSON_FORMAT_VERSION = 1


def _row(row: ChangeRow) -> dict[str, Any]:
    return {
        "address": row.address,
        "platform": row.platform,
        "group": row.group,
        "site": row.site,
        "kind": row.kind,
        "action": row.action.value,
        "server_id": row.server_id,
        "depends_on": list(row.depends_on),
        "fields": [{"path": f.path, "before": f.before, "after": f.after} for f in row.fields],
        "before": row.before,
        "after": row.after,
        "reasons": list(row.reasons),
        "side_effects": list(row.side_effects),
        "data_destructive": row.data_destructive,
        "data_loss": list(row.data_loss),
        "moved_from": row.moved_from,
        "protected": row.protected,
    }


def plan_document(plan: Plan | PlanView) -> dict[str, Any]:
    """The JSON document as Python data."""
    view = as_view(plan)
    s = view.summary
    return {
        "format_version": JSON_FORMAT_VERSION,
        "summary": {
            "has_changes": s.total > 0,
            "headline": s.headline,
            **{a.value: s.counts[a] for a in ACTIONS},
            "unchanged": s.unchanged,
            "by_platform": {p: {a.value: c[a] for a in ACTIONS} for p, c in s.by_platform.items()},
            "managed": dict(s.managed),
            "unmanaged": dict(s.unmanaged),
            "data_destructive": list(s.data_destructive),
            "data_loss": [{"address": a, "losses": list(losses)} for a, losses in s.data_loss],
            "protected": list(s.protected),
            "estimate": {
                "api_calls": s.api_calls,
                "calls_by_platform": dict(s.calls_by_platform),
                "calls_by_class": dict(s.calls_by_class),
                "seconds": round(s.seconds, 3),
            },
        },
        "warnings": list(view.warnings),
        "changes": [_row(r) for r in view.rows],
        "unmanaged": {
            p: [{"kind": k, "server_id": i, "name": n} for k, i, n in objs]
            for p, objs in view.unmanaged.items()
        },
    }


def render_json(plan: Plan | PlanView) -> str:
    """The plan as indented JSON text."""
    return json.dumps(plan_document(plan), indent=2, ensure_ascii=False) + "\n"
