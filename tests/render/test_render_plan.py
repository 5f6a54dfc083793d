from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
from engine_fakes import mixed_plan

from provisioner.model import Action, Change, FieldChange
from provisioner.plan import Plan
from provisioner.render import MARKDOWN_LIMIT, plan_view, render_json, render_markdown, render_text
from provisioner.render.view import group_of

SCHEMA = json.loads((Path(__file__).parents[2] / "schemas" / "plan.schema.json").read_text())


def big_plan(count: int = 5000) -> Plan:
    changes = tuple(
        Change(Action.UPDATE, f"itwin_iot.connections.site-{i % 50}.devices.d{i}", "devices",
               {"name": f"old-{i}", "notes": "x" * 40}, {"name": f"new-{i}", "notes": "y" * 40},
               server_id=f"s{i}", precondition="e")
        for i in range(count)
    )
    changes = tuple(
        Change(c.action, c.address, c.kind, c.before, c.after,
               (FieldChange("name", c.before["name"], c.after["name"]),  # type: ignore[index]
                FieldChange("notes", "x" * 40, "y" * 40)),
               server_id=c.server_id, precondition=c.precondition, data_destructive=i % 1000 == 0)
        for i, c in enumerate(changes)
    )
    return Plan(changes=changes, unchanged=7, managed={"itwin_iot": count})


def test_text_starts_with_the_summary_line_and_shows_fields() -> None:
    text = render_text(mixed_plan())
    lines = text.splitlines()
    assert lines[0] == "Plan: 3 to create, 1 to update, 2 to replace, 2 to delete, 1 unchanged."
    assert "1 unmanaged object in scope is left alone (hub 1, iot 0)." not in text
    assert "1 unmanaged object in scope is left alone (hub 1)." in text
    assert "~ hub.assets.edit (assets)" in lines
    assert '    name: "old" → "new"' in lines
    assert '    variables.SerialNo: "1" → "2"' in lines
    assert "    ! side effect: mappings with keepMapping=false are re-created" in lines
    assert "-+ hub.aspect_types.Env (aspect_types)" in lines
    assert "    # type changed (variables.Temperature.type) forces replacement" in lines
    assert "-+ hub.assets.motor (assets) [DATA LOSS]" in lines
    assert "    # replaced because hub.aspect_types.Env is replaced" in lines
    assert "- hub.assets.gone (assets) [DATA LOSS]" in lines
    assert "- iot.devices.old (devices)" in lines
    assert '+ hub.assets.new (assets)' in lines
    assert '    name = "Plant Hamburg"' in lines  # a create shows what it sets
    assert "[DATA LOSS] 2 changes destroy stored data (apply needs --allow-data-loss):" in text
    assert text.index("[DATA LOSS] 2 changes") < text.index("-+ hub.aspect_types.Env")
    assert "\x1b[" not in text


def test_text_colour_only_when_asked_and_no_changes_message() -> None:
    coloured = render_text(mixed_plan(), color=True)
    assert "\x1b[32m+ hub.assets.new (assets)\x1b[0m" in coloured
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == render_text(mixed_plan())
    expected = "No changes. The live platforms match the configuration (4 unchanged).\n"
    assert render_text(Plan(unchanged=4)) == expected


def test_view_groups_and_counts() -> None:
    view = plan_view(mixed_plan())
    assert group_of("itwin_iot.connections.north.devices.d1") == "connections.north"
    assert group_of("insights_hub.assets.motor") == "assets"
    assert view.summary.by_platform["iot"] == {Action.CREATE: 2, Action.UPDATE: 0, Action.REPLACE: 0,
                                               Action.DELETE: 1}
    assert view.summary.data_destructive == ("hub.assets.gone", "hub.assets.motor")


def test_markdown_summary_first_then_tables_then_details_by_priority_and_site() -> None:
    md = render_markdown(mixed_plan())
    assert md.startswith("### Plan: 3 to create, 1 to update, 2 to replace, 2 to delete, 1 unchanged.\n")
    assert "| `hub` | 1 | 1 | 2 | 1 | 5 | 1 |" in md
    assert "**DATA LOSS**: 2 changes destroy" in md
    assert "| `assets` | 1 | 1 | 1 | 1 | 2 |" in md  # per kind: create, update, replace, delete, data loss
    assert "| `devices.north` | `iot` | 2 | 0 | 0 | 0 | 0 |" in md  # per site
    assert "| **All 7 sites** |  | **3** | **1** | **2** | **2** | **2** |" in md
    assert md.index("#### Changes by kind") < md.index("#### Changes by site") < md.index("<details>")
    assert md.count("<details>") == md.count("</details>") == 7  # one per priority and site
    titles = re.findall(r"<summary>(.*?)</summary>", md)
    assert titles[:3] == ["Data loss: <code>hub · assets.gone</code> (1 change)",
                          "Data loss: <code>hub · assets.motor</code> (1 change)",
                          "Replace: <code>hub · (types)</code> (1 change)"]
    assert titles[-1] == "Create: <code>iot · devices.north</code> (2 changes)"
    assert "omitted" not in md


def test_markdown_of_5000_changes_is_truncated_with_the_summary_intact() -> None:
    plan = big_plan()
    md = render_markdown(plan)
    assert len(md) <= MARKDOWN_LIMIT
    full = render_markdown(plan, limit=10**9)
    assert len(full) > MARKDOWN_LIMIT
    summary = full[: full.index("\n<details>")]
    assert md.startswith(summary)
    assert "Plan: 0 to create, 5000 to update, 0 to replace, 0 to delete, 7 unchanged." in summary
    match = re.search(r"\*\*(\d+) of 5000 changes omitted\*\*", md)
    assert match is not None
    shown = md.count("\n~ itwin_iot.")
    assert shown + int(match.group(1)) == 5000
    assert shown > 100
    assert md.count("<details>") == md.count("</details>")
    assert md.count("```diff") * 2 == md.count("```")


def test_json_output_validates_against_the_committed_schema() -> None:
    for plan in (mixed_plan(), big_plan(50), Plan()):
        document = json.loads(render_json(plan))
        jsonschema.validate(document, SCHEMA, cls=jsonschema.Draft202012Validator)
    document = json.loads(render_json(mixed_plan()))
    assert document["summary"]["replace"] == 2
    assert document["summary"]["estimate"]["api_calls"] == sum(document["summary"]["estimate"]
                                                               ["calls_by_platform"].values())
    env = next(c for c in document["changes"] if c["address"] == "hub.aspect_types.Env")
    assert env["fields"] == [{"path": "variables.Temperature.type", "before": "DOUBLE", "after": "INT"}]
    foreign = {"kind": "assets", "server_id": "foreign-1", "name": "Not ours"}
    assert document["unmanaged"] == {"hub": [foreign], "iot": []}


def test_schema_rejects_a_broken_document() -> None:
    document = json.loads(render_json(mixed_plan()))
    document["changes"][0]["action"] = "explode"
    validator = jsonschema.Draft202012Validator(SCHEMA)
    assert not validator.is_valid(document)
