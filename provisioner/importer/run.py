"""`import_project`: read live objects, select, turn them into configuration, write the project."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from provisioner.config.schema import ProjectConfig
from provisioner.errors import ProvisionError
from provisioner.importer.hub import HubImport
from provisioner.importer.itwin import ItwinImport
from provisioner.importer.model import Entry, Finding, Imported
from provisioner.importer.select import HUB_KINDS, Selection
from provisioner.importer.writer import Layout, existing_files, write_project
from provisioner.providers.insights_hub.client import InsightsHubClient
from provisioner.providers.insights_hub.live import Snapshot
from provisioner.providers.itwin_iot.client import ItwinIotClient
from provisioner.session import open_session


@dataclass
class ImportOptions:
    """One import: where to write, which stack, the platform settings (as written) and filters."""

    out: Path
    stack: str
    platforms: dict[str, Any]
    selection: Selection = field(default_factory=Selection)
    layout: Layout = "kind"
    command: str = "provision import"
    force: bool = False


@dataclass
class ImportResult:
    """What an import wrote and cost."""

    files: list[Path]
    findings: list[Finding]
    counts: dict[str, int]
    api_calls: dict[str, int]
    seconds: float

    @property
    def total_calls(self) -> int:
        return sum(self.api_calls.values())


def _reads(selection: Selection, platform: str) -> bool:
    """False when the filters can only match the other platform's objects (its reads are skipped)."""
    if selection.everything:
        return True
    for s in selection.selectors:
        if s.field in ("name", "id"):
            return True
        hub_kind = s.field == "kind" and s.value in HUB_KINDS
        if platform == "insights_hub" and (s.field == "asset" or hub_kind):
            return True
        if platform == "itwin_iot" and (s.field == "connection" or (s.field == "kind" and not hub_kind)):
            return True
    return False


async def _hub(client: InsightsHubClient, tenant: str, stack: str, selection: Selection) -> Imported:
    prefix = {"id": {"startsWith": f"{tenant}."}}
    lists = await asyncio.gather(client.list_aspect_types(filter=prefix),
                                 client.list_asset_types(filter=prefix), client.list_assets(),
                                 client.list_agents(), client.list_mappings(), client.list_event_mappings())
    snap = Snapshot(*lists)
    hub = HubImport(snap, tenant=tenant, stack=stack, selection=selection)
    agent_ids = hub.agent_ids()
    dscs = await asyncio.gather(*(client.get_dsc(a) for a in agent_ids))
    snap.dscs = dict(zip(agent_ids, dscs, strict=True))
    return hub.build()


async def _itwin(client: ItwinIotClient, project: str, stack: str, selection: Selection) -> Imported:
    nodes, devices, sensors = await asyncio.gather(client.list_nodes(project), client.list_devices(project),
                                                   client.list_sensors(project))
    return ItwinImport(nodes, devices, sensors, stack=stack, selection=selection).build()


def counts(entries: list[Entry]) -> dict[str, int]:
    """Objects written per kind (devices, sensors, mappings and event mappings included)."""
    found: Counter[str] = Counter()
    for entry in entries:
        found[entry.path[1]] += 1
        body = entry.body
        found["mappings"] += len(body.get("mappings", ()))
        found["event_mappings"] += len(body.get("event_mappings", ()))
        for device in (body.get("devices") or {}).values():
            found["devices"] += 1
            found["sensors"] += len(device.get("sensors") or {})
    order = ("aspect_types", "asset_types", "assets", "agents", "mappings", "event_mappings", "connections",
             "devices", "sensors")
    return {k: found[k] for k in order if found[k]}


def _source(config: ProjectConfig) -> str:
    parts = []
    hub, itwin = config.platforms.insights_hub, config.platforms.itwin_iot
    if hub is not None:
        parts.append(f"Insights Hub tenant {hub.tenant} at {hub.base_url}")
    if itwin is not None:
        parts.append(f"iTwin IoT project {itwin.project} at {itwin.base_url}")
    return "; ".join(parts)


async def import_project(options: ImportOptions, *, transport: httpx.AsyncBaseTransport | None = None,
                         clock: Callable[[], float] = time.perf_counter) -> ImportResult:
    """Read the live platforms, write the project into `options.out`, and say what it cost."""
    started = clock()
    if existing_files(options.out) and not options.force:
        raise ProvisionError(f"{options.out} already holds YAML files; choose an empty directory "
                             "(or --force to overwrite)")
    config = ProjectConfig.model_validate({"stack": options.stack, "platforms": options.platforms})
    sel = options.selection
    parts: list[Imported] = []
    async with open_session(config, transport=transport) as session:
        hub, itwin = config.platforms.insights_hub, config.platforms.itwin_iot
        if session.hub is not None and hub is not None and _reads(sel, "insights_hub"):
            parts.append(await _hub(session.hub, hub.tenant, options.stack, sel))
        if session.itwin is not None and itwin is not None and _reads(sel, "itwin_iot"):
            parts.append(await _itwin(session.itwin, itwin.project, options.stack, sel))
        calls = session.api_calls()
    entries = [e for p in parts for e in p.entries]
    findings = [f for p in parts for f in p.findings]
    when = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    header = "\n".join([
        "# Imported from live objects by `provision import`: review it, then run `provision plan`.",
        f"# Source: {_source(config)}",
        f"# Imported at: {when}",
        f"# Command: {options.command}",
        "# Objects are pinned by id (types by name) and adopted on the next apply; nothing is re-created.",
    ])
    files = write_project(options.out, stack=options.stack, platforms=options.platforms, entries=entries,
                          findings=findings, header=header, layout=options.layout)
    return ImportResult(files, findings, counts(entries), calls, clock() - started)
