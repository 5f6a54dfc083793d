"""Markdown plan output for a pull-request comment, readable at fleet scale.

The comment opens with what is never cut: the headline, the per-platform table, data loss,
estimate and warnings, a table per kind and action, and a table per site (`render.sites`: a
top-level asset subtree on Insights Hub, a connection on iTwin IoT). The site table lists sites
most-affected first while it fits its share of the comment, then one row sums the rest, so every
site and every change is counted. Small plans get a mermaid picture of where the changes are.
Details follow folded in `<details>` blocks per priority and site, as `diff` code blocks, in the
order a reviewer must see them: data loss, replaces, deletes, updates, creates. The whole comment
stays within `limit` characters (GitHub's comment limit is 65,536): details are cut at a change
boundary and a closing note says what was omitted and where the full plan is (the JSON plan).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from provisioner.model import Action, Change
from provisioner.plan.builder import Plan
from provisioner.render.diagram import hierarchy_diagram, item_of_change, to_mermaid
from provisioner.render.text import row_lines
from provisioner.render.view import ACTIONS, ChangeRow, PlanView, as_view, duration, plural

MARKDOWN_LIMIT = 65_000
"""Below GitHub's 65,536-character comment limit, with room for a CI job's own header line."""
_NOTE_RESERVE = 700
_LIST_CAP = 50
SITE_TABLE_SHARE = 0.3
"""The part of the comment the per-site table may take before the remaining sites are summed."""
HIERARCHY_MAX = 60
"""Plans with at most this many changes get a mermaid picture of what changes where."""
PRIORITIES = ("data loss", "replace", "delete", "update", "create")
"""The order details are shown (and cut) in: what a reviewer must not miss comes first."""


def _code(text: str) -> str:
    return text.replace("```", "'''")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _addresses(addresses: tuple[str, ...]) -> str:
    shown = ", ".join(f"`{a}`" for a in addresses[:_LIST_CAP])
    more = len(addresses) - _LIST_CAP
    return shown + (f" and {more} more" if more > 0 else "")


def priority_of(row: ChangeRow) -> str:
    """`data loss` for a change that destroys time series, else its action."""
    return PRIORITIES[0] if row.data_destructive else row.action.value


def summary_markdown(view: PlanView) -> str:
    """The headline, data loss (what is lost), per-platform table, protection, estimate, warnings."""
    s = view.summary
    lines = [f"### {s.headline}", ""]
    if s.data_destructive:
        count = len(s.data_destructive)
        verb = "destroys" if count == 1 else "destroy"
        lines += [f"> [!CAUTION]\n> **DATA LOSS**: {plural(count, 'change')} {verb} stored data "
                  f"(apply needs `--allow-data-loss`): {_addresses(s.data_destructive)}"]
        for address, losses in s.data_loss[:_LIST_CAP]:
            lines += [f"> - `{address}`: {_cell('; '.join(losses))}"]
        if len(s.data_loss) > _LIST_CAP:
            lines += [f"> - and {len(s.data_loss) - _LIST_CAP} more (the JSON plan lists every one)"]
        lines += [""]
    if s.by_platform:
        header = ["Platform", *(a.value.capitalize() for a in ACTIONS), "Managed", "Unmanaged"]
        lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for platform, counts in s.by_platform.items():
            cells = [f"`{platform}`", *(str(counts[a]) for a in ACTIONS),
                     str(s.managed.get(platform, 0)), str(s.unmanaged.get(platform, 0))]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    if s.protected:
        lines += [f"> [!WARNING]\n> Apply will refuse to delete or replace protected resources: "
                  f"{_addresses(s.protected)}", ""]
    if s.total:
        calls = ", ".join(f"{p} {n}" for p, n in sorted(s.calls_by_platform.items()))
        lines += [f"Estimated **{s.api_calls}** API calls ({calls}), about **{duration(s.seconds)}**.", ""]
    lines += [f"- :warning: {w}" for w in view.warnings]
    return "\n".join(lines).rstrip() + "\n"


class _Counts:
    """Changes per action and data-loss changes of some rows."""

    def __init__(self) -> None:
        self.by_action = dict.fromkeys(ACTIONS, 0)
        self.data_loss = 0

    def add(self, row: ChangeRow) -> None:
        self.by_action[row.action] += 1
        self.data_loss += row.data_destructive

    def merge(self, other: _Counts) -> None:
        for action, count in other.by_action.items():
            self.by_action[action] += count
        self.data_loss += other.data_loss

    def cells(self) -> list[str]:
        return [f"{self.by_action[a]:,}" for a in ACTIONS] + [f"{self.data_loss:,}"]

    def severity(self) -> tuple[int, ...]:
        """Most severe first when sorted ascending."""
        b = self.by_action
        return (-self.data_loss, -b[Action.REPLACE], -b[Action.DELETE], -b[Action.UPDATE], -b[Action.CREATE])


_COUNT_HEADER = [*(a.value.capitalize() for a in ACTIONS), "Data loss"]


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
            *("| " + " | ".join(cells) + " |" for cells in rows)]


def kind_table(view: PlanView) -> str:
    """Changes per kind and action, every kind of the plan, with a total row."""
    counts: dict[str, _Counts] = {}
    total = _Counts()
    for row in view.rows:
        counts.setdefault(row.kind, _Counts()).add(row)
        total.add(row)
    rows = [[f"`{_cell(kind)}`", *c.cells()] for kind, c in sorted(counts.items())]
    rows.append(["**Total**", *(f"**{cell}**" for cell in total.cells())])
    return "\n".join(["#### Changes by kind", "", *_table(["Kind", *_COUNT_HEADER], rows)]) + "\n"


def site_counts(view: PlanView) -> dict[tuple[str, str], _Counts]:
    """Changes per (platform, site)."""
    counts: dict[tuple[str, str], _Counts] = {}
    for row in view.rows:
        counts.setdefault((row.platform, row.site), _Counts()).add(row)
    return counts


def site_table(view: PlanView, budget: int) -> str:
    """Changes per site, most affected first, as many rows as `budget` characters hold; one row
    sums the sites not listed and a total row counts them all."""
    counts = site_counts(view)
    ordered = sorted(counts.items(), key=lambda item: (item[1].severity(), item[0]))
    header = ["Site", "Platform", *_COUNT_HEADER]
    lines = ["#### Changes by site", "",
             f"{plural(len(counts), 'site')} change (a site is a top-level asset and what it holds on "
             "Insights Hub, a connection on iTwin IoT; types are shared).", "",
             *_table(header, [])]
    used = sum(len(line) + 1 for line in lines) + 400  # the closing rows
    rest, total = _Counts(), _Counts()
    listed, room = 0, True
    for (platform, site), c in ordered:
        total.merge(c)
        line = "| " + " | ".join([f"`{_cell(site)}`", f"`{platform}`", *c.cells()]) + " |"
        room = room and used + len(line) + 1 <= budget
        if room:
            lines.append(line)
            used += len(line) + 1
            listed += 1
        else:
            rest.merge(c)
    unlisted = len(counts) - listed
    if unlisted:
        lines.append("| " + " | ".join([f"*{unlisted:,} more sites*", "", *rest.cells()]) + " |")
    lines.append("| " + " | ".join([f"**All {len(counts):,} sites**", "",
                                    *(f"**{cell}**" for cell in total.cells())]) + " |")
    return "\n".join(lines) + "\n"


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


def detail_groups(rows: Sequence[ChangeRow]) -> list[tuple[str, str, list[ChangeRow]]]:
    """(priority, `platform · site`, rows) in the order details are shown: by `PRIORITIES`, then
    by site; rows keep the plan's order."""
    groups: dict[tuple[int, str], list[ChangeRow]] = {}
    for row in rows:
        key = (PRIORITIES.index(priority_of(row)), f"{row.platform} · {row.site}")
        groups.setdefault(key, []).append(row)
    return [(PRIORITIES[p], title, members) for (p, title), members in sorted(groups.items())]


def _omitted_note(omitted: dict[str, int], total: int) -> str:
    count = sum(omitted.values())
    parts = ", ".join(f"{n:,} {p if p == 'data loss' else p + 's'}" for p, n in omitted.items() if n)
    return (f"\n> **{count} of {total} changes omitted** from the details ({parts}) to keep this comment "
            "under GitHub's 65,536-character limit; the tables above count all of them. The full plan "
            "is the JSON plan (the CI job's plan artifact; `provision plan --format json`, or "
            "`provision show PLANFILE --format json` for a saved plan).\n")


def render_markdown(plan: Plan | PlanView, *, limit: int = MARKDOWN_LIMIT) -> str:
    """The plan as a PR comment of at most `limit` characters (summary and tables are whole)."""
    view = as_view(plan)
    out = summary_markdown(view)
    if not view.rows:
        return out
    out += "\n" + kind_table(view)
    out += "\n" + site_table(view, int(limit * SITE_TABLE_SHARE))
    out += hierarchy_markdown(view)
    out += "\n#### Details\n"
    budget = limit - _NOTE_RESERVE
    omitted = dict.fromkeys(PRIORITIES, 0)
    full = True
    for priority, title, rows in detail_groups(view.rows):
        if not full:
            omitted[priority] += len(rows)
            continue
        opening = (f"\n<details><summary>{priority.capitalize()}: <code>{_cell(title)}</code> "
                   f"({plural(len(rows), 'change')})</summary>\n\n```diff\n")
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
        if taken < len(rows):
            omitted[priority] += len(rows) - taken
            full = False
    if not full:
        out += _omitted_note(omitted, len(view.rows))
    return out
