"""Write imported entries as a project directory: `provision.yaml` plus one file per kind or site."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from provisioner.importer.model import Entry, Finding
from provisioner.importer.yaml import dump

Layout = Literal["kind", "site"]
KIND_FILES = {"aspect_types": "types.yaml", "asset_types": "types.yaml", "assets": "assets.yaml",
              "agents": "agents.yaml", "connections": "connections.yaml"}
REPORT_FILE = "import-report.txt"


def file_of(entry: Entry, layout: Layout) -> str:
    """The project-relative file an entry is written to."""
    if layout == "kind" or entry.path[1] in ("aspect_types", "asset_types"):
        return KIND_FILES[entry.path[1]]
    return f"sites/{entry.group}.yaml"


def _nest(entries: Sequence[Entry]) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for entry in entries:
        platform, kind, key = entry.path
        doc.setdefault(platform, {}).setdefault(kind, {})[key] = entry.body
    return doc


def existing_files(out: Path) -> list[Path]:
    """YAML files already in `out` (an import never mixes with an existing project silently)."""
    if not out.exists():
        return []
    return sorted(p for p in out.rglob("*") if p.suffix in (".yaml", ".yml", ".j2") and p.is_file())


def write_project(out: Path, *, stack: str, platforms: dict[str, Any], entries: Sequence[Entry],
                  findings: Sequence[Finding], header: str, layout: Layout) -> list[Path]:
    """Write the project; returns the files written (provision.yaml first)."""
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "provision.yaml"]
    settings = dump({"stack": stack, "platforms": platforms})
    written[0].write_text(header + "\n" + settings, encoding="utf-8")
    by_file: dict[str, list[Entry]] = {}
    for entry in entries:
        by_file.setdefault(file_of(entry, layout), []).append(entry)
    for name, group in by_file.items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(header + "\n" + dump(_nest(group)), encoding="utf-8")
        written.append(path)
    report = out / REPORT_FILE
    if findings:
        lines = [f"[{f.severity}] {f}" for f in findings]
        report.write_text("\n".join(["# What `provision import` could not express, or wants you to know.",
                                     *lines]) + "\n", encoding="utf-8")
        written.append(report)
    return written
