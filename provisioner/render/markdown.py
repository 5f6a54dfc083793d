"""Markdown plan output for a pull-request comment.

The summary (headline, per-platform table, data loss, estimate, warnings) always comes first and
is never cut. Details follow in `<details>` blocks per platform and group, as `diff` code blocks.
The whole comment stays under `limit` characters (GitHub's comment limit is 65,536): details are
cut at a change boundary and a note says how many changes were omitted.
"""

from __future__ import annotations

from provisioner.plan.builder import Plan
from provisioner.render.text import row_lines
from provisioner.render.view import ACTIONS, ChangeRow, PlanView, as_view, duration

MARKDOWN_LIMIT = 65_000
_NOTE_RESERVE = 300
_LIST_CAP = 50


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
        lines += [f"> [!CAUTION]\n> **DATA LOSS**: {count} change(s) destroy time-series data: "
                  f"{_addresses(s.data_destructive)}", ""]
    if s.protected:
        lines += [f"> [!WARNING]\n> Apply will refuse to delete or replace protected resources: "
                  f"{_addresses(s.protected)}", ""]
    if s.total:
        calls = ", ".join(f"{p} {n}" for p, n in sorted(s.calls_by_platform.items()))
        lines += [f"Estimated **{s.api_calls}** API calls ({calls}), about **{duration(s.seconds)}**.", ""]
    lines += [f"- :warning: {w}" for w in view.warnings]
    return "\n".join(lines).rstrip() + "\n"


def _groups(rows: tuple[ChangeRow, ...]) -> list[tuple[str, list[ChangeRow]]]:
    groups: dict[str, list[ChangeRow]] = {}
    for row in rows:
        groups.setdefault(f"{row.platform} · {row.group}", []).append(row)
    return sorted(groups.items())


def render_markdown(plan: Plan | PlanView, *, limit: int = MARKDOWN_LIMIT) -> str:
    """The plan as a PR comment of at most `limit` characters (the summary is always whole)."""
    view = as_view(plan)
    out = summary_markdown(view)
    budget = limit - _NOTE_RESERVE
    shown = 0
    for title, rows in _groups(view.rows):
        opening = f"\n<details><summary><code>{title}</code> ({len(rows)} changes)</summary>\n\n```diff\n"
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
