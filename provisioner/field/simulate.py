"""`provision simulate`: field agents from boarding files that upload a plausible typed value for
every data point of their data source configuration each interval; with a project feed, also an
observation for every metric of its iTwin IoT sensors each interval and, every Nth interval, one
event per event mapping of each agent (the mapping's type with its field set to its value)."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from provisioner.errors import ProvisionError
from provisioner.field.agent import STATE_DIR, FieldAgent, iso_ms
from provisioner.field.boarding import secrets_dir
from provisioner.field.inventory import EventMappingItem, Inventory, SensorItem
from provisioner.field.itwin_data import ItwinData


@dataclass(frozen=True)
class Sent:
    """One value an agent uploaded."""

    agent: str
    data_point: str
    timestamp: str
    value: str


@dataclass(frozen=True)
class SentEvent:
    """One event an agent sent for one of its event mappings."""

    agent: str
    mapping: str
    timestamp: str
    type_id: str
    field: str
    value: str
    severity: int
    description: str


@dataclass(frozen=True)
class SentObservation:
    """One observation uploaded for an iTwin IoT sensor."""

    sensor: str
    sensor_id: str
    timestamp: str
    values: dict[str, float]


@dataclass
class AgentRun:
    key: str
    registered: bool
    points: int
    uploads: int = 0
    sent: list[Sent] = field(default_factory=list)
    events: list[SentEvent] = field(default_factory=list)


@dataclass
class ProjectFeed:
    """What `--project` adds: the managed iTwin sensors to feed, each agent's event mappings (by
    agent key), what to leave out (sensor address -> metrics, "*" = all; event mapping addresses),
    and, after the run, what was uploaded."""

    itwin: ItwinData | None
    sensors: list[SensorItem]
    events: dict[str, list[EventMappingItem]]
    event_every: int = 10
    omit_metrics: dict[str, set[str]] = field(default_factory=dict)
    omit_events: set[str] = field(default_factory=set)
    sent: list[SentObservation] = field(default_factory=list)
    upload_requests: int = 0

    def observations(self, rng: random.Random, stamp: str) -> list[SentObservation]:
        out = []
        for sensor in self.sensors:
            left_out = self.omit_metrics.get(sensor.address, set())
            values = {m: round(rng.uniform(0.0, 10.0), 3) for m in sensor.metrics
                      if m not in left_out and "*" not in left_out}
            if values:
                out.append(SentObservation(sensor.address, sensor.sensor_id, stamp, values))
        return out

    def agent_events(self, key: str, stamp: str) -> list[SentEvent]:
        return [SentEvent(key, m.address, stamp, m.event_type, m.field, m.value, 3,
                          f"{m.event_type_name} (provision simulate)")
                for m in self.events.get(key, []) if m.address not in self.omit_events]


def project_feed(inventory: Inventory, itwin: ItwinData | None, *, event_every: int = 10,
                 omit_metrics: Mapping[str, set[str]] | None = None,
                 omit_events: set[str] | None = None) -> ProjectFeed:
    """The feed of a project's inventory: its managed sensors (when iTwin is reachable) and each
    agent's event mappings by agent key."""
    by_agent: dict[str, list[EventMappingItem]] = {}
    for item in inventory.event_mappings:
        by_agent.setdefault(inventory.agent_key(item.agent_address), []).append(item)
    return ProjectFeed(itwin, inventory.sensors if itwin is not None else [], by_agent, event_every,
                       dict(omit_metrics or {}), set(omit_events or set()))


def event_body(event: SentEvent) -> dict[str, Any]:
    """The `businessEvent` item for one sent event: its type, time, severity and the mapped field."""
    return {"timestamp": event.timestamp, "typeId": event.type_id, "severity": event.severity,
            "description": event.description, event.field: event.value}


def plausible(point: dict[str, Any], rng: random.Random, now: float) -> str:
    """A value of the data point's type, as the agent libraries send it (a string)."""
    kind = point.get("type")
    if kind == "DOUBLE":
        return f"{rng.uniform(15.0, 25.0):.3f}"
    if kind in ("INT", "LONG"):
        return str(rng.randint(0, 100))
    if kind == "BOOLEAN":
        return rng.choice(["true", "false"])
    if kind == "TIMESTAMP":
        return iso_ms(now)
    return f"sim-{rng.randint(0, 999)}"


def boarding_files(folder: Path) -> list[Path]:
    files = sorted(p for p in folder.glob("*.json") if not p.name.startswith("."))
    if not files:
        raise ProvisionError(f"{folder}: no boarding files (*.json); run `provision boarding` first")
    return files


async def simulate(
    folder: Path,
    *,
    duration_s: float,
    interval_s: float,
    transport: httpx.AsyncBaseTransport | None = None,
    seed: int | None = None,
    only: Sequence[str] = (),
    omit: Mapping[str, set[str]] | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.time,
    feed: ProjectFeed | None = None,
) -> list[AgentRun]:
    """Run every agent of `folder` (or those named in `only`) for `duration_s`, one upload per agent
    each `interval_s`; `omit` names data points an agent never sends (a breakage drill); `clock`
    gives the epoch seconds the values are stamped with; `feed` adds the project's iTwin
    observations and events (what it sent is kept in `feed.sent` and each run's `events`)."""
    rng = random.Random(seed)
    async with httpx.AsyncClient(transport=transport, timeout=30.0) as http:
        agents = [FieldAgent.from_file(path, http) for path in boarding_files(folder)
                  if not only or path.stem in only]
        if not agents:
            raise ProvisionError(f"{folder}: no boarding file for {', '.join(only)}")
        skipped = omit or {}
        registered = await asyncio.gather(*(a.onboard() for a in agents))
        configs = await asyncio.gather(*(a.data_source_configuration() for a in agents))
        runs = []
        for agent, reg, dsc in zip(agents, registered, configs, strict=True):
            points = [p for s in dsc.get("dataSources") or [] for p in s.get("dataPoints") or []]
            runs.append(AgentRun(agent.key, reg, len(points)))
        ticks = max(1, int(duration_s / interval_s) if interval_s > 0 else 1)
        for tick in range(ticks):
            now = clock()
            stamp = iso_ms(now)
            uploads: list[Awaitable[None]] = []
            for agent, run, dsc in zip(agents, runs, configs, strict=True):
                points = [p for s in dsc.get("dataSources") or [] for p in s.get("dataPoints") or []
                          if p.get("id") not in skipped.get(agent.key, set())]
                if not points or not dsc.get("configurationId"):
                    continue
                values = [
                    {"dataPointId": p["id"], "value": plausible(p, rng, now), "qualityCode": "0"}
                    for p in points
                ]
                run.sent.extend(Sent(agent.key, v["dataPointId"], stamp, v["value"]) for v in values)
                run.uploads += 1
                uploads.append(
                    agent.upload(str(dsc["configurationId"]), [{"timestamp": stamp, "values": values}])
                )
            if feed is not None:
                uploads += _feed_tick(feed, agents, runs, tick, stamp, rng)
            await asyncio.gather(*uploads)
            if tick + 1 < ticks:
                await sleep(interval_s)
        for agent, run in zip(agents, runs, strict=True):
            agent.save_sent([asdict(s) for s in run.sent])
            if feed is not None:
                agent.save_events([asdict(e) for e in run.events])
        if feed is not None:
            _save_observations(folder, feed)
        return runs


def _feed_tick(feed: ProjectFeed, agents: list[FieldAgent], runs: list[AgentRun], tick: int, stamp: str,
               rng: random.Random) -> list[Awaitable[None]]:
    """This interval's event uploads (every `event_every`th, starting with the first) and observations."""
    sends: list[Awaitable[None]] = []
    if feed.event_every > 0 and tick % feed.event_every == 0:
        for agent, run in zip(agents, runs, strict=True):
            events = feed.agent_events(agent.key, stamp)
            if events:
                run.events.extend(events)
                sends.append(agent.upload_events([event_body(e) for e in events]))
    observations = feed.observations(rng, stamp)
    if observations and feed.itwin is not None:
        feed.sent.extend(observations)
        sends.append(_upload_observations(feed, feed.itwin, observations))
    return sends


async def _upload_observations(feed: ProjectFeed, itwin: ItwinData, sent: list[SentObservation]) -> None:
    body = [{"sensorId": o.sensor_id, "timestamp": o.timestamp, "values": o.values} for o in sent]
    feed.upload_requests += await itwin.upload(body)


def _save_observations(folder: Path, feed: ProjectFeed) -> None:
    """What this run uploaded to iTwin IoT (`.simulator/itwin.sent.json`; values, no secrets)."""
    path = secrets_dir(folder / STATE_DIR) / "itwin.sent.json"
    path.write_text(json.dumps([asdict(o) for o in feed.sent], indent=1) + "\n", encoding="utf-8")
