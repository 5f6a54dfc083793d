"""Plan read efficiency on a converged fleet (issue 4).

Applies an N-site fleet (default 500 sites, ~15 objects a site) to an in-process sandbox, then
plans it (no changes expected) and prints:

1. API calls made by the plan vs the minimum the APIs allow: every list at the largest page size
   the sandbox accepts (Asset Management `max_page_size`, 2000 for Agent Management and
   MindConnect; iTwin at the client's page size 100, the seed's; iTwin pages carry no totals and
   a short page may be a silent cap, so a list of n needs ceil(n / size) + 1 pages), one data
   source configuration GET per managed agent (no list endpoint), and one token request per
   token-authenticated vendor. Target: ratio <= 1.1.
   Counted in-process, with the client's call statistics.
2. With injected latency (default 20 ms), the plan's wall time (best of `--repeat` runs: the
   least disturbed by other processes; all runs are printed) vs the
   I/O lower bound: per vendor, calls x latency / concurrency, the larger of the two vendors. The
   concurrency is the per-vendor cap in force (the config's `platforms.<p>.concurrency`, which
   sizes the HTTP session's semaphore; reads do not go through the executor). Target: <= 1.5.
   These runs go over loopback HTTP to `provision sandbox` in a child process seeded with the
   in-process state (checked equal after the seed), so the emulator's CPU is not spent on the
   client's thread, as with the real service. The calls in the bound are the timed run's own,
   and each run's client count must equal what the child served. The harness's own heap (the
   in-process sandbox and the setup apply), which a `provision plan` process does not hold, is
   not scanned during a timed run: a plan pauses the collector (`provisioner.gc_tuning`).
3. The floor of that wall on this machine: one plan's exact requests replayed by a bare aiohttp
   client (`_bare_replay`: same ordering constraints and caps, answers only parsed), and the
   plan's wall over it: what is left is the provisioner's own overhead.

Run: .venv/bin/python benchmarks/bench_plan_read.py [--sites N] [--latency-ms MS] [--concurrency C]
"""

from __future__ import annotations

import argparse
import gc
import math
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _fleet
import httpx
from _bare_replay import RecordingTransport, replay
from _fleet import PlanRun, ratio, table, verdict

from provisioner import event_loop
from provisioner.config import Project
from provisioner.providers.http.network_transport import NetworkTransport
from provisioner.providers.itwin_iot.client import PAGE_SIZE as ITWIN_PAGE_SIZE
from provisioner.sandbox import Sandbox

SPRING_MAX_PAGE = 2000  # Agent Management and MindConnect lists (sandbox page_params max)
CALLS_TARGET = 1.1
WALL_TARGET = 1.5


def _pages(n: int, size: int) -> int:
    """Pages of a list that reports its total: at least one request."""
    return max(1, math.ceil(n / size))


def _pages_no_total(n: int, size: int) -> int:
    """Pages of a list without totals or a documented maximum page size: a short page may be a
    silent cap, so the read ends only on an empty page."""
    return -(-n // size) + 1


def minimum_read_calls(snapshot: Mapping[str, Any], *, tenant: str, managed_agents: int,
                       am_page: int, itwin_page: int, token_vendors: list[str],
                       project: str) -> dict[str, int]:
    """Fewest requests per endpoint class that read the live state the plan needs."""
    hub = snapshot["insightsHub"]
    prefix = f"{tenant}."
    out = {
        "am.aspecttypes.get": _pages(sum(t["id"].startswith(prefix) for t in hub["aspectTypes"]), am_page),
        "am.assettypes.get": _pages(sum(t["id"].startswith(prefix) for t in hub["assetTypes"]), am_page),
        "am.assets.get": _pages(len(hub["assets"]), am_page),
        "agm.agents.get": _pages(len(hub["agents"]), SPRING_MAX_PAGE),
        "mc.datapointmappings.get": _pages(len(hub["dataPointMappings"]), SPRING_MAX_PAGE),
        "mc.eventmappings.get": _pages(len(hub["eventMappings"]), SPRING_MAX_PAGE),
        "agm.dsc.get": managed_agents,
        # the stack's apply lease is looked at before the lists (duplicate guard, README)
        "am.aspecttype.get": 1,
    }
    entities = (snapshot.get("itwin") or {}).get("entities") or []
    for kind in ("node", "device", "sensor"):
        count = sum(e.get("kind") == kind for e in entities)  # the sandbox holds one project
        out[f"iot.{kind}s.get"] = _pages_no_total(count, itwin_page)
    for platform in token_vendors:
        out["ih.auth.token" if platform == "insights_hub" else "iot.auth.token"] = 1
    return out


@dataclass
class PlanReadResult:
    sites: int
    objects: int
    changes: int
    calls: dict[str, int]
    minimum: dict[str, int]
    latency_ms: float
    walls: list[float]
    cpu: list[float]
    concurrency: dict[str, int]
    wall_calls: dict[str, int]  # calls of the best timed run (against the child process)
    bare_walls: list[float]  # the same calls replayed by a bare aiohttp client (_bare_replay)

    @property
    def calls_ratio(self) -> float:
        return ratio(sum(self.calls.values()), sum(self.minimum.values()))

    @property
    def wall(self) -> float:
        return min(self.walls)

    def bound_by_platform(self) -> dict[str, float]:
        latency = self.latency_ms / 1000
        out: dict[str, float] = {}
        for c, n in self.wall_calls.items():
            p = _fleet.platform_of_class(c)
            out[p] = out.get(p, 0.0) + n * latency / max(1, self.concurrency.get(p, 1))
        return out

    @property
    def bound(self) -> float:
        return max(self.bound_by_platform().values(), default=0.0)

    @property
    def wall_ratio(self) -> float:
        return ratio(self.wall, self.bound)

    @property
    def bare(self) -> float:
        return min(self.bare_walls)


def _managed_agents(project: Project) -> int:
    return len(project.config.insights_hub.agents)


def _vendor_state(doc: Mapping[str, Any]) -> dict[str, Any]:
    return {"root": doc["root"], "insightsHub": doc["insightsHub"], "itwin": doc["itwin"]}


async def timed_runs(project: Project, snapshot: Mapping[str, Any], *, latency_ms: float,
                     repeat: int) -> tuple[list[PlanRun], list[float]]:
    """`repeat` plans of `project` against a child-process sandbox seeded with `snapshot`, then
    `repeat` bare replays of one plan's requests (seconds each)."""
    gc.collect()  # the setup's garbage is not the plan's
    return await _timed_runs(project, snapshot, latency_ms=latency_ms, repeat=repeat)


async def _timed_runs(project: Project, snapshot: Mapping[str, Any], *, latency_ms: float,
                      repeat: int) -> tuple[list[PlanRun], list[float]]:
    with _fleet.SandboxProcess(latency_ms=latency_ms) as server:
        server.seed(snapshot)
        if _vendor_state(server.snapshot()) != _vendor_state(snapshot):
            raise RuntimeError("the child sandbox's state differs from the seeded snapshot")
        remote = _fleet.remote_project(project, server.url)
        runs = []
        for _ in range(repeat):
            server.counts(reset=True)
            run = await _fleet.plan_fleet(remote, None)
            served = server.counts()["total"]
            if served != sum(run.calls_by_class.values()):
                raise RuntimeError(f"client counted {sum(run.calls_by_class.values())} calls, "
                                   f"the sandbox served {served}")
            runs.append(run)
        recorder = RecordingTransport(NetworkTransport(tls=httpx.create_ssl_context(), max_connections=64))
        recorded = await _fleet.plan_fleet(remote, None, recorder)
        bare = [await replay(recorder.requests, recorded.concurrency) for _ in range(repeat)]
        return runs, bare


async def measure(project: Project, sandbox: Sandbox, *, latency_ms: float, repeat: int) -> PlanReadResult:
    """Plan once in-process without latency (calls), then `repeat` times against a child-process
    sandbox with latency (wall time)."""
    setup = await _fleet.apply_fleet(project, sandbox, parallelism=32)
    if setup.failed:
        raise RuntimeError(f"setup apply failed for {setup.failed} change(s)")
    sandbox.settings.latency_ms = 0.0
    counted: PlanRun = await _fleet.plan_fleet(project, sandbox)
    snapshot = sandbox.snapshot()
    itwin_page = min(ITWIN_PAGE_SIZE, sandbox.itwin.settings.max_page_size)
    minimum = minimum_read_calls(snapshot, tenant=sandbox.settings.tenant,
                                 managed_agents=_managed_agents(project),
                                 am_page=sandbox.settings.max_page_size, itwin_page=itwin_page,
                                 token_vendors=counted.token_vendors,
                                 project=sandbox.settings.itwin_project)
    runs, bare = await timed_runs(project, snapshot, latency_ms=latency_ms, repeat=repeat)
    best = min(runs, key=lambda r: r.seconds)
    sites = len(project.config.itwin_iot.connections)
    return PlanReadResult(sites, setup.objects, max(r.changes for r in [counted, *runs]),
                          counted.calls_by_class, minimum, latency_ms, [r.seconds for r in runs],
                          [r.cpu_seconds for r in runs], best.concurrency, best.calls_by_class, bare)


def report(r: PlanReadResult) -> str:
    classes = sorted(set(r.calls) | set(r.minimum))
    per_class = table([(c, r.calls.get(c, 0), r.minimum.get(c, 0)) for c in classes],
                      ("endpoint class", "plan calls", "minimum"))
    conc = ", ".join(f"{p} {n}" for p, n in sorted(r.concurrency.items()))
    bounds = ", ".join(f"{p} {s:.2f}s" for p, s in sorted(r.bound_by_platform().items()))
    calls_ok = r.calls_ratio <= CALLS_TARGET and r.changes == 0
    wall_ok = r.wall_ratio <= WALL_TARGET
    rows = [
        ("sites / objects applied", f"{r.sites} / {r.objects}", "", "", ""),
        ("changes in the converged plan", r.changes, "0", "", verdict(r.changes == 0)),
        ("API calls: plan vs minimum", sum(r.calls.values()), sum(r.minimum.values()),
         f"{r.calls_ratio:.3f}", f"{verdict(calls_ok)} (<= {CALLS_TARGET})"),
        (f"wall @ {r.latency_ms:g} ms vs I/O bound", f"{r.wall:.2f}s", f"{r.bound:.2f}s",
         f"{r.wall_ratio:.2f}", f"{verdict(wall_ok)} (<= {WALL_TARGET})"),
        ("bare aiohttp replay, same calls", f"{r.bare:.2f}s", f"{r.bound:.2f}s",
         f"{ratio(r.bare, r.bound):.2f}", "(machine floor)"),
        ("plan wall vs that floor", f"{r.wall:.2f}s", f"{r.bare:.2f}s", f"{ratio(r.wall, r.bare):.2f}", ""),
        ("calls of the best timed run", sum(r.wall_calls.values()), "", "", ""),
        ("client CPU seconds (best run)", f"{r.cpu[r.walls.index(r.wall)]:.2f}s", "", "", ""),
    ]
    summary = table(rows, ("figure", "measured", "baseline", "ratio", "target"))
    runs = ", ".join(f"{w:.2f}s" for w in r.walls)
    bare = ", ".join(f"{w:.2f}s" for w in r.bare_walls)
    return (f"{per_class}\n\n{summary}\n\nwall runs: {runs} (best used); bare replays: {bare}\n"
            f"effective per-vendor concurrency (config platforms.<p>.concurrency = HTTP semaphore): {conc}\n"
            f"I/O bound per vendor (calls x latency / concurrency): {bounds}\n"
            f"event loop (client and sandbox, as `provision plan` runs): {event_loop.name()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=500)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=None,
                        help="per-platform concurrency overlay (default: the example's config)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        conc = dict.fromkeys(_fleet.PLATFORMS, args.concurrency) if args.concurrency else None
        project = _fleet.load_fleet(_fleet.make_fleet(Path(tmp), args.sites, concurrency=conc))
        result = event_loop.run(measure(project, _fleet.new_sandbox(), latency_ms=args.latency_ms,
                                     repeat=args.repeat))
    print(f"Plan read efficiency: converged {args.sites}-site fleet; calls counted in-process, "
          "wall time against `provision sandbox` in a child process")
    print(report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
