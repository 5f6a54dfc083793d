from __future__ import annotations

import json

from provisioner.apply import AppliedOp, Report
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
