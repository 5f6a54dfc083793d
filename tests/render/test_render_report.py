from __future__ import annotations

import json

from provisioner.apply import AppliedOp, GroupResult, Report
from provisioner.model import Action
from provisioner.render import render_report_json, render_report_text


def test_report_text_and_json() -> None:
    report = Report(applied=[AppliedOp("hub.assets.a", Action.CREATE, 0.5, "id-1")],
                    failed={"hub.assets.b": "409 conflict"}, skipped={"hub.mappings.m": "hub.assets.b"},
                    planned=3, seconds=1.2)
    text = render_report_text(report)
    assert text.splitlines()[0] == "Apply: 1 applied, 1 failed, 1 skipped in 1s."
    assert "  hub.assets.b: 409 conflict" in text
    assert "  hub.mappings.m (needs hub.assets.b)" in text
    assert "partially updated" in text
    document = json.loads(render_report_json(report))
    assert document["exit_code"] == 3
    assert document["applied"] == [{"address": "hub.assets.a", "op": "create", "seconds": 0.5,
                                     "server_id": "id-1"}]
    assert document["skipped"] == {"hub.mappings.m": "hub.assets.b"}
    assert render_report_text(Report(planned=0)) == "Apply: 0 applied, 0 failed, 0 skipped in 0s.\n"


def test_report_says_what_was_not_started_and_each_groups_outcome() -> None:
    report = Report(applied=[AppliedOp("hub.assets.a", Action.CREATE, 0.5, "id-1")], planned=3,
                    not_started=["hub.assets.b", "hub.assets.c"], stopped="deadline reached",
                    deadline_reached=True,
                    groups=[GroupResult("assets.a", "done", 1, 1, 0),
                            GroupResult("assets.b", "not started", 1, 0, 0),
                            GroupResult("assets.c", "not started", 1, 0, 0)])
    text = render_report_text(report)
    assert text.splitlines()[0] == "Apply: 1 applied, 0 failed, 0 skipped, 2 not started in 0s."
    assert "Stopped (deadline reached): 2 changes not started:\n  hub.assets.b\n  hub.assets.c\n" in text
    assert "Groups:\n  done (1): assets.a\n  not started (2): assets.b, assets.c\n" in text
    assert "partially updated" not in text
    document = json.loads(render_report_json(report))
    assert document["exit_code"] == 8 and document["stopped"] == "deadline reached"
    assert document["not_started"] == ["hub.assets.b", "hub.assets.c"]
    assert document["groups"][1] == {"name": "assets.b", "status": "not started", "changes": 1, "applied": 0,
                                     "failed": 0}
