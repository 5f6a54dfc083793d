"""Apply report output: text for people, JSON for machines."""

from __future__ import annotations

import json
from typing import Any

from provisioner.apply.report import Report
from provisioner.render.view import duration


def report_document(report: Report) -> dict[str, Any]:
    """The report as JSON-compatible data."""
    return {
        "format_version": 1,
        "exit_code": report.exit_code(),
        "seconds": round(report.seconds, 3),
        "planned": report.planned,
        "applied": [
            {"address": op.address, "op": op.op.value, "seconds": round(op.seconds, 3),
             "server_id": op.server_id}
            for op in report.applied
        ],
        "failed": dict(sorted(report.failed.items())),
        "skipped": dict(sorted(report.skipped.items())),
    }


def render_report_json(report: Report) -> str:
    return json.dumps(report_document(report), indent=2, ensure_ascii=False) + "\n"


def render_report_text(report: Report) -> str:
    """Counts first, then every failure with its message and every skipped change with its cause."""
    lines = [f"Apply: {len(report.applied)} applied, {len(report.failed)} failed, "
             f"{len(report.skipped)} skipped in {duration(report.seconds)}."]
    if report.failed:
        lines.append("Failed:")
        lines.extend(f"  {address}: {message}" for address, message in sorted(report.failed.items()))
    if report.skipped:
        lines.append("Skipped because a dependency failed:")
        lines.extend(f"  {address} (needs {cause})" for address, cause in sorted(report.skipped.items()))
    if not report.ok and report.applied:
        lines.append("The platforms are partially updated; run plan again to see what remains.")
    return "\n".join(lines) + "\n"
