"""Markdown plan output for a pull-request comment.

The summary (headline, per-platform table, data loss, estimate, warnings) always comes first and
is never cut. Details follow in `<details>` blocks per platform and group, as `diff` code blocks.
The whole comment stays under `limit` characters (GitHub's comment limit is 65,536): details are
cut at a change boundary and a note says how many changes were omitted.
"""

from __future__ import annotations

from provisioner.model import Change
from provisioner.plan.builder import Plan
from provisioner.render.diagram import hierarchy_diagram, item_of_change, to_mermaid
from provisioner.render.text import row_lines
from provisioner.render.view import ACTIONS, ChangeRow, PlanView, as_view, duration, plural

MARKDOWN_LIMIT = 65_000
_NOTE_RESERVE = 300
_LIST_CAP = 50
HIERARCHY_MAX = 60
"""Plans with at most this many changes get a mermaid picture of what changes where."""


def _code(text: str) -> str:
    return text.replace("```", "'''")


def _addresses(addresses: tuple[str, ...]) -> str:
    shown = ", ".join(f"`{a}`" for a in addresses[:_LIST_CAP])
    more = len(addresses) - _LIST_CAP
    return shown + (f" and {more} more" if more > 0 else "")


def summary_markdown(view: PlanView) -> str:
    """The part of the comment that is never truncated."""
    s = view.summary
    lines = [f"### {s.headline}", ""]
    if s.by_platform:
        header = ["Platform", *(a.value.capitalize() for a in ACTIONS), "Managed", "Unmanaged"]
        lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for platform, counts in s.by_platform.items():
            cells = [f"`{platform}`", *(str(counts[a]) for a in ACTIONS),
                     str(s.managed.get(platform, 0)), str(s.unmanaged.get(platform, 0))]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    if s.data_destructive:
        count = len(s.data_destructive)
        verb = "destroys" if count == 1 else "destroy"
        lines += [f"> [!CAUTION]\n> **DATA LOSS**: {plural(count, 'change')} {verb} time-series data: "
                  f"{_addresses(s.data_destructive)}", ""]
    if s.protected:
        lines += [f"> [!WARNING]\n> Apply will refuse to delete or replace protected resources: "
                  f"{_addresses(s.protected)}", ""]
    if s.total:
        calls = ", ".join(f"{p} {n}" for p, n in sorted(s.calls_by_platform.items()))
        lines += [f"Estimated **{s.api_calls}** API calls ({calls}), about **{duration(s.seconds)}**.", ""]
    lines += [f"- :warning: {w}" for w in view.warnings]
    return "\n".join(lines).rstrip() + "\n"


def hierarchy_markdown(view: PlanView) -> str:
    """A mermaid flowchart of the changed objects under their containers (GitHub draws it), for
    plans of at most HIERARCHY_MAX changes; empty otherwise."""
    if not view.rows or len(view.rows) > HIERARCHY_MAX:
        return ""
    changes = [Change(r.action, r.address, r.kind, r.before, r.after, depends_on=r.depends_on)
               for r in view.rows]
    diagram = hierarchy_diagram([item_of_change(c) for c in changes])
    if not diagram.nodes:
        return ""
    return f"\n#### Where the changes are\n\n```mermaid\n{to_mermaid(diagram, direction='TD')}```\n"


def _groups(rows: tuple[ChangeRow, ...]) -> list[tuple[str, list[ChangeRow]]]:
    groups: dict[str, list[ChangeRow]] = {}
    for row in rows:
        groups.setdefault(f"{row.platform} · {row.group}", []).append(row)
    return sorted(groups.items())


def render_markdown(plan: Plan | PlanView, *, limit: int = MARKDOWN_LIMIT) -> str:
    """The plan as a PR comment of at most `limit` characters (the summary is always whole)."""
    view = as_view(plan)
    out = summary_markdown(view) + hierarchy_markdown(view)
    budget = limit - _NOTE_RESERVE
    shown = 0
    for title, rows in _groups(view.rows):
        count = plural(len(rows), "change")
        opening = f"\n<details><summary><code>{title}</code> ({count})</summary>\n\n```diff\n"
        closing = "```\n\n</details>\n"
        block = opening
        taken = 0
        for row in rows:
            text = _code("\n".join(row_lines(row))) + "\n"
            if len(out) + len(block) + len(text) + len(closing) > budget:
                break
            block += text
            taken += 1
        if taken:
            out += block + closing
            shown += taken
        if taken < len(rows):
            break
    omitted = len(view.rows) - shown
    if omitted:
        out += (f"\n> **{omitted} of {len(view.rows)} changes omitted** from the details to keep this "
                "comment under GitHub's size limit; the summary above counts all of them. "
                "Run `provision plan` or see the JSON plan for everything.\n")
    return out
