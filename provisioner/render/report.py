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
        "not_started": list(report.not_started),
        "stopped": report.stopped,
        "groups": [{"name": g.name, "status": g.status, "changes": g.changes, "applied": g.applied,
                    "failed": g.failed} for g in report.groups],
    }


def render_report_json(report: Report) -> str:
    return json.dumps(report_document(report), indent=2, ensure_ascii=False) + "\n"


NOT_STARTED_SHOWN = 20
"""Not-started changes listed by address; the rest are counted (the JSON report lists them all)."""


def _groups(report: Report) -> list[str]:
    """The rollout groups by outcome: done, failed, skipped, unfinished, not started."""
    if not report.groups:
        return []
    lines = ["Groups:"]
    for status in ("done", "failed", "skipped", "unfinished", "not started"):
        names = [g.name for g in report.groups if g.status == status]
        if names:
            shown = ", ".join(names[:NOT_STARTED_SHOWN]) + (
                f", … and {len(names) - NOT_STARTED_SHOWN} more" if len(names) > NOT_STARTED_SHOWN else "")
            lines.append(f"  {status} ({len(names)}): {shown}")
    return lines


def _not_started(report: Report) -> list[str]:
    if not report.not_started:
        return []
    count = len(report.not_started)
    lines = [f"Stopped ({report.stopped}): {count} change{'' if count == 1 else 's'} not started:"]
    lines += [f"  {address}" for address in report.not_started[:NOT_STARTED_SHOWN]]
    if count > NOT_STARTED_SHOWN:
        lines.append(f"  … and {count - NOT_STARTED_SHOWN} more")
    lines.append("The next plan or apply continues with them; nothing applied is written again.")
    return lines


def render_report_text(report: Report) -> str:
    """Counts first, then every failure with its message, every skipped change with its cause,
    what was not started (a deadline, a stopped rollout) and the rollout groups' outcomes."""
    counts = (f"Apply: {len(report.applied)} applied, {len(report.failed)} failed, "
              f"{len(report.skipped)} skipped")
    if report.not_started:
        counts += f", {len(report.not_started)} not started"
    lines = [f"{counts} in {duration(report.seconds)}."]
    if report.failed:
        lines.append("Failed:")
        lines.extend(f"  {address}: {message}" for address, message in sorted(report.failed.items()))
    if report.skipped:
        lines.append("Skipped because a dependency failed:")
        lines.extend(f"  {address} (needs {cause})" for address, cause in sorted(report.skipped.items()))
    lines += _not_started(report)
    lines += _groups(report)
    if (report.failed or report.skipped) and report.applied:
        lines.append("The platforms are partially updated; run plan again to see what remains.")
    return "\n".join(lines) + "\n"
