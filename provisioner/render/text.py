"""Plain-text plan output for a terminal: the summary line first, then one block per change."""

from __future__ import annotations

from collections.abc import Mapping

from provisioner.model import Action, FieldChange
from provisioner.model.resource import JSON
from provisioner.plan.builder import Plan
from provisioner.render.view import ChangeRow, PlanView, Summary, as_view, duration, format_value

_COLORS = {Action.CREATE: "32", Action.UPDATE: "33", Action.REPLACE: "35", Action.DELETE: "31"}
DATA_LOSS = "[DATA LOSS]"
PROTECTED = "[PROTECTED]"


def _paint(text: str, code: str, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color else text


def _per_platform(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{p} {n}" for p, n in sorted(counts.items()))


def summary_lines(summary: Summary, warnings: tuple[str, ...], *, color: bool = False) -> list[str]:
    """The headline, then estimate, unmanaged objects, data loss, protected addresses, warnings."""
    lines = [_paint(summary.headline, "1", color)]
    if summary.total:
        lines.append(f"Estimated {summary.api_calls} API calls ({_per_platform(summary.calls_by_platform)}),"
                     f" about {duration(summary.seconds)}.")
    unmanaged = sum(summary.unmanaged.values())
    if unmanaged:
        counts = {p: n for p, n in summary.unmanaged.items() if n}
        lines.append(f"{unmanaged} unmanaged objects in scope are left alone ({_per_platform(counts)}).")
    if summary.data_destructive:
        count = len(summary.data_destructive)
        lines.append(_paint(f"{DATA_LOSS} {count} change(s) destroy time-series data:", "1;31", color))
        lines.extend(f"  {address}" for address in summary.data_destructive)
    if summary.protected:
        lines.append(f"{PROTECTED} apply will refuse to delete or replace: {', '.join(summary.protected)}")
    lines.extend(f"Warning: {w}" for w in warnings)
    return lines


def _compact(value: JSON) -> JSON:
    """`value` without unset (null) map entries, at any depth."""
    if isinstance(value, dict):
        return {k: _compact(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_compact(v) for v in value]
    return value


def shown_fields(row: ChangeRow) -> tuple[FieldChange, ...]:
    """The field lines of a change; a create lists only what it sets (no `(none) → (none)` noise),
    with a map-valued field split into one line per entry (`variables.Temperature = {…}`)."""
    if row.action is not Action.CREATE:
        return row.fields
    shown: list[FieldChange] = []
    for f in row.fields:
        value = _compact(f.after)
        if value in (None, {}, []):
            continue
        if isinstance(value, dict):
            shown.extend(FieldChange(f"{f.path}.{k}", None, v) for k, v in value.items())
        else:
            shown.append(FieldChange(f.path, None, value))
    return tuple(shown)


def field_line(action: Action, field: FieldChange) -> str:
    """`path = value` for a create, `path: before → after` otherwise."""
    if action is Action.CREATE:
        return f"{field.path} = {format_value(field.after)}"
    return f"{field.path}: {format_value(field.before)} → {format_value(field.after)}"


def row_lines(row: ChangeRow, *, color: bool = False) -> list[str]:
    """One change: `<symbol> <address> (<kind>)` with markers, then fields, reasons, side effects."""
    flags = ((DATA_LOSS, row.data_destructive), (PROTECTED, row.protected))
    marks = "".join(f" {mark}" for mark, on in flags if on)
    head = f"{row.symbol} {row.address} ({row.kind})"
    lines = [_paint(head, _COLORS[row.action], color) + (_paint(marks, "1;31", color) if marks else "")]
    lines.extend(f"    {field_line(row.action, field)}" for field in shown_fields(row))
    lines.extend(f"    # {reason}" for reason in row.reasons)
    lines.extend(f"    ! side effect: {effect}" for effect in row.side_effects)
    return lines


def render_text(plan: Plan | PlanView, *, color: bool = False) -> str:
    """The whole plan as text; ANSI colours only when `color` is true."""
    view = as_view(plan)
    lines = summary_lines(view.summary, view.warnings, color=color)
    for row in view.rows:
        lines.append("")
        lines.extend(row_lines(row, color=color))
    return "\n".join(lines) + "\n"
