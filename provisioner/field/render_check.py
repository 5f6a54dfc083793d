"""`provision check` output: the summary line first, then only what does not flow, with its cause."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from provisioner.field.check import CheckReport
from provisioner.render.view import plural


def _calls(report: CheckReport) -> str:
    ratio = report.calls / (report.minimum_calls * report.rounds) if report.minimum_calls else 0.0
    return (f"{plural(report.calls, 'API call')} in {plural(report.rounds, 'round')} (minimum "
            f"{report.minimum_calls} per round, ratio {ratio:.2f}) after "
            f"{plural(report.inventory_calls, 'call')} reading the managed objects")


def problems(report: CheckReport) -> list[tuple[str, str]]:
    out = [(address, "declared but not live (run `provision apply`)") for address in report.missing]
    out += [(a.address, str(a.cause)) for a in report.agents if a.cause]
    out += [(m.address, str(m.cause)) for m in report.mappings if m.cause]
    out += [(e.address, str(e.cause)) for e in report.events if e.cause]
    out += [(m.address, str(m.cause)) for m in report.sensor_metrics if m.cause]
    return out


def render_check_text(report: CheckReport) -> str:
    lines = [report.summary()]
    issues = problems(report)
    if issues:
        lines.append("")
        lines.append("Not flowing:")
        lines += [f"  {address}: {cause}" for address, cause in issues]
    else:
        lines.append("Everything flows.")
    lines += ["", _calls(report)]
    return "\n".join(lines) + "\n"


def render_check_markdown(report: CheckReport) -> str:
    lines = [f"**{report.summary()}**", ""]
    issues = problems(report)
    if issues:
        lines += ["| address | likely cause |", "|---|---|"]
        lines += [f"| `{address}` | {cause} |" for address, cause in issues]
    else:
        lines.append("Everything flows.")
    lines += ["", f"_{_calls(report)}_"]
    return "\n".join(lines) + "\n"


def render_check_json(report: CheckReport) -> str:
    doc: dict[str, Any] = {
        "summary": report.summary(),
        "flowing": report.flowing,
        "agents": [asdict(a) for a in report.agents],
        "mappings": [asdict(m) for m in report.mappings],
        "event_mappings": [asdict(e) for e in report.events],
        "sensor_metrics": [asdict(m) for m in report.sensor_metrics],
        "missing": report.missing,
        "calls": report.calls,
        "minimum_calls_per_round": report.minimum_calls,
        "rounds": report.rounds,
        "inventory_calls": report.inventory_calls,
    }
    return json.dumps(doc, indent=2) + "\n"
