"""`provision check`: after a rollout, does every managed agent deliver, every declared mapping and
event mapping receive values, every iTwin IoT sensor metric receive observations? One round reads
boarding and online status per agent, the mappings' validity (one tenant-wide paged list), the
latest time series record per mapped asset aspect, the recoverable records, the mapped event types'
events since the cutoff (one tenant-wide paged list per type) and each managed sensor's observations since
the cutoff, then names the likely cause of everything that does not flow."""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from provisioner.errors import ApiError
from provisioner.field.agent import iso_ms
from provisioner.field.event_reads import EVENT_PAGE, recent_events
from provisioner.field.inventory import AgentItem, EventMappingItem, Inventory, MappingItem, SensorItem
from provisioner.field.itwin_data import ItwinData
from provisioner.providers.insights_hub.field_client import RECORD_PAGE, FieldClient
from provisioner.render.view import plural

MAPPING_PAGE = 2000


@dataclass
class AgentResult:
    address: str
    agent_id: str
    boarding: str
    online: str
    last_upload: str | None
    cause: str | None = None


@dataclass
class MappingResult:
    address: str
    agent_address: str
    validity: str
    reasons: list[str]
    latest_time: str | None
    latest_value: Any
    cause: str | None = None


@dataclass
class EventResult:
    """A declared event mapping and the latest event it routed to its asset."""

    address: str
    agent_address: str
    event_type: str
    latest_time: str | None
    latest_id: str | None
    cause: str | None = None


@dataclass
class SensorMetricResult:
    """One metric of a managed iTwin IoT sensor and its latest observed value."""

    address: str
    sensor: str
    metric: str
    latest_time: str | None
    latest_value: Any
    cause: str | None = None


@dataclass
class CheckReport:
    agents: list[AgentResult]
    mappings: list[MappingResult]
    missing: list[str]
    since_s: float
    calls: int = 0
    minimum_calls: int = 0
    inventory_calls: int = 0
    rounds: int = 1
    events: list[EventResult] = field(default_factory=list)
    sensor_metrics: list[SensorMetricResult] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def agents_online(self) -> int:
        return sum(1 for a in self.agents if a.cause is None)

    @property
    def mappings_delivering(self) -> int:
        return sum(1 for m in self.mappings if m.cause is None)

    @property
    def events_delivering(self) -> int:
        return sum(1 for e in self.events if e.cause is None)

    @property
    def metrics_receiving(self) -> int:
        return sum(1 for m in self.sensor_metrics if m.cause is None)

    @property
    def flowing(self) -> bool:
        return (not self.missing and self.agents_online == len(self.agents)
                and self.mappings_delivering == len(self.mappings)
                and self.events_delivering == len(self.events)
                and self.metrics_receiving == len(self.sensor_metrics))

    def summary(self) -> str:
        parts = [f"{self.agents_online:,}/{len(self.agents):,} agents online",
                 f"{self.mappings_delivering:,}/{len(self.mappings):,} mappings delivering"]
        if self.events:
            parts.append(f"{self.events_delivering:,}/{len(self.events):,} event mappings delivering")
        if self.sensor_metrics:
            parts.append(f"{self.metrics_receiving:,}/{len(self.sensor_metrics):,} sensor metrics "
                         "receiving observations")
        return ", ".join(parts)


def _epoch(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def minimum_calls(agents: int, mappings: int, series: int, records: int, *,
                  events_by_type: Sequence[int] = (), sensors: int = 0) -> int:
    """Fewest calls the read APIs allow for one round: boarding status and online status per agent
    (no list endpoint reports either), the mapping list in pages of 2000, one latest-value read per
    mapped asset aspect, the recoverable records in pages of 2000 (at least one page), the events
    of each mapped event type in pages of 100 (at least one page per type: a filter takes one typeId;
    `events_by_type` holds each type's count) and one observation query per sensor (Query Raw Data
    takes one sensorId)."""
    event_pages = sum(max(1, math.ceil(n / EVENT_PAGE)) for n in events_by_type)
    return (2 * agents + max(1, math.ceil(mappings / MAPPING_PAGE)) + series
            + max(1, math.ceil(records / RECORD_PAGE)) + event_pages + sensors)


async def check_round(field_client: FieldClient, inventory: Inventory, since_s: float,
                      now: float | None = None, itwin: ItwinData | None = None) -> CheckReport:
    """One round over the inventory; `calls` counts only this round's requests (both platforms)."""
    hub = field_client.hub
    start_calls = hub.stats.total + (itwin.itwin.stats.total if itwin is not None else 0)
    now = time.time() if now is None else now
    cutoff = now - since_s
    cutoff_iso = iso_ms(cutoff)

    async def agent_state(agent: AgentItem) -> tuple[str, str]:
        boarding, status = await asyncio.gather(hub.get_boarding_status(agent.agent_id),
                                                field_client.agent_status(agent.agent_id))
        return str(boarding.get("status")), str(status.get("status"))

    series_keys = sorted({(m.asset_id, m.aspect) for m in inventory.mappings if m.asset_id})
    sensors = inventory.sensors if itwin is not None else []
    event_types = [e.event_type for e in inventory.event_mappings]
    states, listed, latest, records, events, observed = await asyncio.gather(
        asyncio.gather(*(agent_state(a) for a in inventory.agents)),
        hub.list_mappings(),
        asyncio.gather(*(field_client.latest(asset, aspect) for asset, aspect in series_keys)),
        field_client.recoverable_records(),
        recent_events(hub, event_types, cutoff_iso),
        asyncio.gather(*(_observations(itwin, s.sensor_id, cutoff_iso) for s in sensors if itwin)),
    )
    by_series = dict(zip(series_keys, latest, strict=True))
    validity = {str(m.get("id")): m.get("validity") or {} for m in listed}
    ids = {address: res.server_id for address, res in inventory.live["insights_hub"].managed.items()}
    # Recoverable records carry id, correlationId, agentId, requestTime and a human dropReason
    # (mindconnect-v3-6-0.yaml RecoverableRecords): no typed data point, so a drop is attributed to
    # its agent only; the reason text is never parsed.
    rejected: dict[str, list[str]] = defaultdict(list)
    for record in records:
        stamp = record.get("requestTime")
        if isinstance(stamp, str) and _epoch(stamp) >= cutoff:
            rejected[str(record.get("agentId"))].append(str(record.get("id")))

    agent_by_address = {a.address: a for a in inventory.agents}
    agent_results = {
        a.address: AgentResult(a.address, a.agent_id, boarding, online, None)
        for a, (boarding, online) in zip(inventory.agents, states, strict=True)
    }
    mapping_results = []
    for m in inventory.mappings:
        mapping_results.append(_mapping_result(m, ids, validity, by_series, cutoff))
        result = mapping_results[-1]
        agent = agent_results.get(m.agent_address)
        if agent is not None and result.latest_time is not None and (
                agent.last_upload is None or result.latest_time > agent.last_upload):
            agent.last_upload = result.latest_time
    for agent in agent_results.values():
        agent.cause = _agent_cause(agent, cutoff)
    for result, m in zip(mapping_results, inventory.mappings, strict=True):
        owner = agent_results.get(m.agent_address)
        if result.cause and result.cause.startswith("no value since") and owner is not None and owner.cause:
            result.cause = f"agent {owner.cause}"
        if result.cause is None and result.latest_time is None:
            agent = agent_results.get(m.agent_address)
            item = agent_by_address.get(m.agent_address)
            drops = rejected.get(item.agent_id, []) if item is not None else []
            if agent is not None and agent.cause is not None:
                result.cause = f"agent {agent.cause}"
            elif drops:
                count = plural(len(drops), "recoverable record")
                result.cause = f"records rejected for this agent ({count}, latest {drops[-1]})"
            else:
                result.cause = "data point never sent"
    agent_ids = {a.address: a.agent_id for a in inventory.agents}
    event_results = [_event_result(e, events.get(e.event_type, []), agent_results.get(e.agent_address),
                                   agent_ids, cutoff_iso) for e in inventory.event_mappings]
    metric_results = [r for sensor, got in zip(sensors, observed, strict=True)
                      for r in _metric_results(sensor, got, cutoff_iso)]
    report = CheckReport(list(agent_results.values()), mapping_results, list(inventory.missing), since_s,
                         events=event_results, sensor_metrics=metric_results)
    report.calls = (hub.stats.total + (itwin.itwin.stats.total if itwin is not None else 0)) - start_calls
    report.minimum_calls = minimum_calls(len(inventory.agents), len(listed), len(series_keys), len(records),
                                         events_by_type=[len(found) for found in events.values()],
                                         sensors=len(sensors))
    return report


async def _observations(itwin: ItwinData | None, sensor_id: str, start: str) -> list[dict[str, Any]] | None:
    """The sensor's observations since `start`; None when the service serves no query here (404)."""
    assert itwin is not None
    try:
        return await itwin.observations(sensor_id, start)
    except ApiError as exc:
        if exc.status == 404:
            return None
        raise


def _metric_results(sensor: SensorItem, observed: list[dict[str, Any]] | None,
                    cutoff_iso: str) -> list[SensorMetricResult]:
    out = []
    for metric in sensor.metrics:
        result = SensorMetricResult(f"{sensor.address}.metrics.{metric}", sensor.address, metric, None, None)
        if observed is None:
            result.cause = "the service answers no observation query at this URL (404)"
        else:
            having = [o for o in observed if isinstance(o.get("values"), dict) and metric in o["values"]]
            if having:
                last = max(having, key=lambda o: _epoch(str(o["timestamp"])))
                result.latest_time, result.latest_value = str(last["timestamp"]), last["values"][metric]
            elif observed:
                result.cause = f"metric missing from the sensor's observations since {cutoff_iso}"
            else:
                result.cause = f"no observation since {cutoff_iso} (the device is not uploading)"
        out.append(result)
    return out


def _event_result(item: EventMappingItem, of_type: list[dict[str, Any]], agent: AgentResult | None,
                  agent_ids: dict[str, str], cutoff_iso: str) -> EventResult:
    routed = [e for e in of_type if item.asset_id is not None and e.get("entityId") == item.asset_id
              and _field_text(e.get(item.field)) == item.value]
    result = EventResult(item.address, item.agent_address, item.event_type, None, None)
    if routed:
        last = max(routed, key=lambda e: _epoch(str(e.get("timestamp"))))
        result.latest_time, result.latest_id = str(last.get("timestamp")), str(last.get("id"))
    elif item.asset_id is None:
        result.cause = f"asset {item.asset} is not live"
    elif agent is not None and agent.cause is not None:
        result.cause = f"agent {agent.cause}"
    elif any(e.get("entityId") == agent_ids.get(item.agent_address) for e in of_type):
        result.cause = (f"events of this type reached the agent asset, none with {item.field} = "
                        f"{item.value!r} (the mapping matched none)")
    else:
        result.cause = f"no event since {cutoff_iso} (the device never sent one)"
    return result


def _field_text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value)


def _mapping_result(m: MappingItem, ids: dict[str, str], validity: dict[str, Any],
                    by_series: dict[tuple[str, str], Any], cutoff: float) -> MappingResult:
    server_id = ids.get(m.address)
    valid = validity.get(server_id or "", {})
    status = str(valid.get("status") or ("MISSING" if server_id is None else "UNKNOWN"))
    reasons = [str(r) for r in valid.get("reasons") or []]
    record = by_series.get((m.asset_id or "", m.aspect))
    has_value = isinstance(record, dict) and m.variable in record
    latest_time = str(record["_time"]) if has_value and isinstance(record, dict) else None
    value = record.get(m.variable) if has_value and isinstance(record, dict) else None
    result = MappingResult(m.address, m.agent_address, status, reasons, latest_time, value)
    if server_id is None:
        result.cause = "mapping not applied"
    elif status != "VALID":
        result.cause = f"mapping {', '.join(reasons) or status}"
    elif latest_time is not None and _epoch(latest_time) < cutoff:
        result.cause = f"no value since {latest_time}"
    return result


def _agent_cause(agent: AgentResult, cutoff: float) -> str | None:
    if agent.boarding != "ONBOARDED":
        return f"not onboarded (boarding status {agent.boarding})"
    if agent.online != "ONLINE":
        return "offline"
    if agent.last_upload is not None and _epoch(agent.last_upload) < cutoff:
        return f"stopped uploading (last value at {agent.last_upload})"
    return None


async def run_check(field_client: FieldClient, inventory: Inventory, *, since_s: float, wait_s: float,
                    poll_s: float = 5.0, now: Callable[[], float] = time.time,
                    itwin: ItwinData | None = None) -> CheckReport:
    """Check; with `wait_s`, poll until everything flows or the time is up (calls summed). `now`
    gives each round's epoch seconds (the `--since` cutoff is measured from it)."""
    deadline = time.monotonic() + wait_s
    total = 0
    rounds = 0
    while True:
        report = await check_round(field_client, inventory, since_s, now=now(), itwin=itwin)
        rounds += 1
        total += report.calls
        if report.flowing or time.monotonic() + poll_s > deadline:
            report.calls, report.rounds = total, rounds
            return report
        await asyncio.sleep(poll_s)
