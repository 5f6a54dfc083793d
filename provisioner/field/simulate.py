"""`provision simulate`: field agents from boarding files that upload a plausible typed value for
every data point of their data source configuration each interval."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from provisioner.errors import ProvisionError
from provisioner.field.agent import FieldAgent, iso_ms


@dataclass(frozen=True)
class Sent:
    """One value an agent uploaded."""

    agent: str
    data_point: str
    timestamp: str
    value: str


@dataclass
class AgentRun:
    key: str
    registered: bool
    points: int
    uploads: int = 0
    sent: list[Sent] = field(default_factory=list)


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
) -> list[AgentRun]:
    """Run every agent of `folder` (or those named in `only`) for `duration_s`, one upload per agent
    each `interval_s`; `omit` names data points an agent never sends (a breakage drill); `clock`
    gives the epoch seconds the values are stamped with."""
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
            uploads = []
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
            await asyncio.gather(*uploads)
            if tick + 1 < ticks:
                await sleep(interval_s)
        for agent, run in zip(agents, runs, strict=True):
            agent.save_sent([asdict(s) for s in run.sent])
        return runs
