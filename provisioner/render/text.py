"""Plain-text plan output for a terminal: the summary line first, then one block per change.

Values are shown as nested lines (like the YAML they came from) once they no longer fit on one
line; unset (null) entries are hidden alike in creates and updates. Colour is rendered by rich
and only when the caller asks for it (the CLI decides: TTY, `NO_COLOR`, `--no-color`).
"""

from __future__ import annotations

from collections.abc import Mapping

from rich.color import ColorSystem
from rich.style import Style

from provisioner.model import Action, FieldChange
from provisioner.model.resource import JSON
from provisioner.plan.builder import Plan
from provisioner.render.view import (
    ChangeRow,
    PlanView,
    Summary,
    as_view,
    duration,
    format_value,
    plural,
    shorten_address,
)

_STYLES = {Action.CREATE: "green", Action.UPDATE: "yellow", Action.REPLACE: "magenta", Action.DELETE: "red"}
DATA_LOSS = "[DATA LOSS]"
PROTECTED = "[PROTECTED]"
INLINE_WIDTH = 100
"""A value whose line would be longer than this is shown as nested lines instead."""
_INDENT = "    "


def paint(text: str, style: str, color: bool) -> str:
    """`text` in a rich style (`"bold red"`) as ANSI codes, or unchanged when `color` is false."""
    return Style.parse(style).render(text, color_system=ColorSystem.STANDARD) if color else text


def _per_platform(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{p} {n}" for p, n in sorted(counts.items()))


def data_loss_lines(summary: Summary, *, color: bool = False) -> list[str]:
    """`[DATA LOSS] 2 changes destroy stored data:`, then each address and what it loses."""
    if not summary.data_destructive:
        return []
    count = len(summary.data_destructive)
    verb = "destroys" if count == 1 else "destroy"
    lines = [paint(f"{DATA_LOSS} {plural(count, 'change')} {verb} stored data "
                   "(apply needs --allow-data-loss):", "bold red", color)]
    for address, losses in summary.data_loss:
        lines.append(f"  {address}")
        lines.extend(f"    - {loss}" for loss in losses)
    return lines


def summary_lines(summary: Summary, warnings: tuple[str, ...], *, color: bool = False) -> list[str]:
    """The headline, data loss (what is lost, first of all), estimate, unmanaged objects,
    protected addresses, warnings."""
    lines = [paint(summary.headline, "bold", color)]
    lines.extend(data_loss_lines(summary, color=color))
    if summary.total:
        lines.append(f"Estimated {plural(summary.api_calls, 'API call')} "
                     f"({_per_platform(summary.calls_by_platform)}), about {duration(summary.seconds)}.")
    unmanaged = sum(summary.unmanaged.values())
    if unmanaged:
        counts = {p: n for p, n in summary.unmanaged.items() if n}
        lines.append(f"{plural(unmanaged, 'unmanaged object')} in scope "
                     f"{'is' if unmanaged == 1 else 'are'} left alone ({_per_platform(counts)}).")
    if summary.protected:
        lines.append(f"{PROTECTED} apply will refuse to delete or replace: {', '.join(summary.protected)}")
    lines.extend(f"Warning: {w}" for w in warnings)
    return lines


def compact(value: JSON) -> JSON:
    """`value` without unset (null) map entries, at any depth."""
    if isinstance(value, dict):
        return {k: compact(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [compact(v) for v in value]
    return value


def value_lines(label: str, sep: str, value: JSON, indent: str) -> list[str]:
    """`label<sep>value` on one line when it fits, else `label:` and one nested line per entry."""
    text = format_value(value)
    nested = isinstance(value, dict | list) and bool(value)
    if not nested or len(indent) + len(label) + len(sep) + len(text) <= INLINE_WIDTH:
        return [f"{indent}{label}{sep}{text}"]
    lines = [f"{indent}{label}" + ("" if label == "-" else ":")]
    child = indent + "  "
    if isinstance(value, dict):
        for key, item in value.items():
            lines.extend(value_lines(str(key), sep, item, child))
    elif isinstance(value, list):
        for item in value:
            lines.extend(value_lines("-", " ", item, child))
    return lines


def shown_fields(row: ChangeRow) -> tuple[FieldChange, ...]:
    """The fields of a change with nulls dropped; a create lists only what it sets (no
    `(none) → (none)` noise), a map-valued field split into one field per entry."""
    shown: list[FieldChange] = []
    for f in row.fields:
        before, after = compact(f.before), compact(f.after)
        if row.action is Action.CREATE:
            if after in (None, {}, []):
                continue
            if isinstance(after, dict):
                shown.extend(FieldChange(f"{f.path}.{k}", None, v) for k, v in after.items())
            else:
                shown.append(FieldChange(f.path, None, after))
        else:
            shown.extend(_update_fields(f.path, before, after))
    return tuple(shown)


def _update_fields(path: str, before: JSON, after: JSON) -> list[FieldChange]:
    """Two maps are compared entry by entry (`path.key: before → after` for the ones that differ)."""
    if isinstance(before, dict) and isinstance(after, dict) and before != after:
        out: list[FieldChange] = []
        for key in [*before, *(k for k in after if k not in before)]:
            if before.get(key) != after.get(key):
                out.extend(_update_fields(f"{path}.{key}", before.get(key), after.get(key)))
        return out
    return [FieldChange(path, before, after)]


def field_lines(action: Action, field: FieldChange, indent: str = _INDENT) -> list[str]:
    """`path = value` for a create, `path: before → after` otherwise; nested when too long."""
    if action is Action.CREATE:
        return value_lines(field.path, " = ", field.after, indent)
    line = f"{indent}{field.path}: {format_value(field.before)} → {format_value(field.after)}"
    if len(line) <= INLINE_WIDTH:
        return [line]
    return [f"{indent}{field.path}:",
            *value_lines("before", " = ", field.before, indent + "  "),
            *value_lines("after", " = ", field.after, indent + "  ")]


def row_lines(row: ChangeRow, *, color: bool = False, width: int | None = None) -> list[str]:
    """One change: `<symbol> <address> (<kind>)` with markers, then fields, reasons, side effects.

    With a `width`, an address too long for it is shortened in the middle and the full address
    follows on a `# address:` line."""
    flags = ((DATA_LOSS, row.data_destructive), (PROTECTED, row.protected),
             (f"[MOVED from {row.moved_from}]", row.moved_from is not None))
    marks = "".join(f" {mark}" for mark, on in flags if on)
    address = row.address
    if width is not None:
        room = width - len(f"{row.symbol}  ({row.kind}){marks}")
        address = shorten_address(row.address, room)
    head = f"{row.symbol} {address} ({row.kind})"
    lines = [paint(head, _STYLES[row.action], color) + (paint(marks, "bold red", color) if marks else "")]
    if address != row.address:
        lines.append(f"{_INDENT}# address: {row.address}")
    for field in shown_fields(row):
        lines.extend(field_lines(row.action, field))
    lines.extend(f"{_INDENT}! data loss: {loss}" for loss in row.data_loss if row.data_destructive)
    lines.extend(f"{_INDENT}# {reason}" for reason in row.reasons)
    lines.extend(f"{_INDENT}! side effect: {effect}" for effect in row.side_effects)
    return lines


def render_text(plan: Plan | PlanView, *, color: bool = False, width: int | None = None) -> str:
    """The whole plan as text; ANSI colours only when `color` is true, addresses fitted to `width`."""
    view = as_view(plan)
    lines = summary_lines(view.summary, view.warnings, color=color)
    for row in view.rows:
        lines.append("")
        lines.extend(row_lines(row, color=color, width=width))
    return "\n".join(lines) + "\n"
