"""The Markdown plan of a fleet fits one GitHub comment and still counts every kind and every site.

500 sites: the plan is read from the in-process sandbox. 5,000 sites: one site's real plan is
copied per site (addresses and fields renamed) and mixed with updates, deletes and data-losing
replaces, then rendered at the render seam (reading 5,000 sites adds minutes, not coverage).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

from fleetgen import make_fleet

from provisioner.config import load_project
from provisioner.model import Action
from provisioner.plan import Plan
from provisioner.render import plan_view, render_markdown
from provisioner.render.markdown import PRIORITIES
from provisioner.render.sites import TYPES
from provisioner.sandbox import Sandbox
from provisioner.session import make_plan, open_session

GITHUB_LIMIT = 65_536
ACTIONS = ("create", "update", "replace", "delete")


async def fleet_plan(tmp_path: Path, sandbox: Sandbox, sites: int) -> Plan:
    project = load_project(make_fleet(tmp_path / f"fleet{sites}", sites))
    async with open_session(project.config, transport=sandbox.transport()) as session:
        plan, _ = await make_plan(session)
    return plan


def _rename(value: Any, old: str, new: str) -> Any:
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, dict):
        return {k: _rename(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [_rename(v, old, new) for v in value]
    return value


def copied_fleet(one_site: Plan, sites: int) -> Plan:
    """`one_site`'s per-site changes copied for sites 1…`sites` (its types once), with a mix of
    actions: every 10th site's pump updated, every 100th site's connection deleted, every 1000th
    site's pump replaced with data loss."""
    shared = [c for c in one_site.changes if "site-0001" not in c.address]
    per_site = [c for c in one_site.changes if "site-0001" in c.address]
    changes = list(shared)
    for n in range(1, sites + 1):
        key = f"site-{n:04d}"
        for c in per_site:
            c = replace(c, address=c.address.replace("site-0001", key),
                        after=_rename(c.after, "site-0001", key),
                        depends_on=tuple(d.replace("site-0001", key) for d in c.depends_on))
            if c.kind == "insights_hub.asset" and c.address.endswith("-pump"):
                if n % 1000 == 0:
                    c = replace(c, action=Action.REPLACE, before=c.after, server_id=f"id-{n}",
                                data_destructive=True, reasons=("type changed (type) forces replacement",))
                elif n % 10 == 0:
                    c = replace(c, action=Action.UPDATE, before={**(c.after or {}), "name": "old"},
                                server_id=f"id-{n}")
            if c.kind == "itwin_iot.connection" and n % 100 == 0:
                c = replace(c, action=Action.DELETE, before=c.after, after=None, server_id=f"c-{n}")
            changes.append(c)
    return Plan(changes=tuple(changes), managed={"insights_hub": sites, "itwin_iot": sites})


def _table(md: str, title: str) -> list[list[str]]:
    """The cells of the rows of the table under `#### title` (header and rule left out)."""
    section = md[md.index(f"#### {title}"):]
    lines = [line for line in section.split("\n\n", 3)[2 if title == "Changes by site" else 1]
             .splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in line.strip("|").split(" | ")] for line in lines[2:]]


def _num(cell: str) -> int:
    return int(cell.strip("*").replace(",", ""))


def check_counts(md: str, plan: Plan) -> None:
    """Every kind and every site of `plan` is counted in the comment's tables, with its actions."""
    assert len(md) <= GITHUB_LIMIT
    view = plan_view(plan)
    kinds = {row[0].strip("`"): [_num(c) for c in row[1:5]] for row in _table(md, "Changes by kind")}
    expected_kinds: dict[str, list[int]] = {}
    for r in view.rows:
        expected_kinds.setdefault(r.kind, [0, 0, 0, 0])[ACTIONS.index(r.action.value)] += 1
    total = kinds.pop("**Total**")
    assert kinds == expected_kinds
    assert total == [view.summary.counts[Action(a)] for a in ACTIONS]

    sites = Counter((r.platform, r.site) for r in view.rows)
    rows = _table(md, "Changes by site")
    listed = {(row[1].strip("`"), row[0].strip("`")): row for row in rows if row[1]}
    assert set(listed) <= set(sites)
    for key, row in listed.items():
        assert sum(_num(c) for c in row[2:6]) == sites[key]
    more = [row for row in rows if row[0].endswith("more sites*")]
    unlisted = _num(more[0][0].split()[0]) if more else 0
    assert len(listed) + unlisted == len(sites)
    all_row = rows[-1]
    assert all_row[0] == f"**All {len(sites):,} sites**"
    columns = [sum(_num(row[i]) for row in rows[:-1]) for i in range(2, 7)]
    assert columns == [_num(c) for c in all_row[2:7]] == [*total, len(view.summary.data_destructive)]


async def test_markdown_of_a_500_site_fleet_counts_every_kind_and_site(tmp_path: Path,
                                                                       sandbox: Sandbox) -> None:
    plan = await fleet_plan(tmp_path, sandbox, 500)
    md = render_markdown(plan)
    check_counts(md, plan)
    view = plan_view(plan)
    by_site = Counter(r.site for r in view.rows)
    # a site groups its assets, agent, data sources and mappings (IH), or its connection's tree
    assert by_site["assets.site-0042"] == 2 + 1 + 1 + 6 + 1
    assert by_site["connections.site-0042"] == 1 + 1 + 2
    assert set(by_site) == {TYPES, *(f"{c}.site-{n:04d}" for c in ("assets", "connections")
                                     for n in range(1, 501))}
    assert "omitted** from the details" in md and "`provision show PLANFILE --format json`" in md
    assert "```mermaid" not in md  # the picture is for small plans


async def test_markdown_of_5000_sites_fits_and_shows_data_loss_first(tmp_path: Path,
                                                                     sandbox: Sandbox) -> None:
    plan = copied_fleet(await fleet_plan(tmp_path, sandbox, 1), 5000)
    assert len(plan.changes) == 15 * 5000 + 4  # 4 types
    md = render_markdown(plan)
    check_counts(md, plan)
    titles = re.findall(r"<summary>([A-Z][a-z ]+): <code>", md)
    order = [PRIORITIES.index(t.lower()) for t in titles]
    assert titles[0] == "Data loss" and order == sorted(order)
    # all 5 data-losing replaces are shown; the note counts what was left out, per priority
    assert md.count("[DATA LOSS]\n") == 5
    match = re.search(r"\*\*(\d+) of (\d+) changes omitted\*\* from the details \(([^)]*)\)", md)
    assert match is not None and int(match[2]) == len(plan.changes)
    shown = len(re.findall(r"^(?:\+|~|-\+|-) \S+ \(", md, re.M))
    assert shown + int(match[1]) == len(plan.changes)
    assert "data loss" not in match[3]  # nothing of the first priority was cut
    assert md.count("<details>") == md.count("</details>")
    assert md.count("```diff") * 2 == md.count("```")
