"""`provision check` read efficiency on a rolled-out fleet (issue 14).

Applies an N-site fleet (default 500 sites: 500 agents, 3,000 mappings) to an in-process sandbox,
writes the boarding files, lets every agent onboard and upload once (`simulate` with the project
feed: one value per data point, one event per event mapping, one observation per iTwin sensor),
then runs one check round and prints its API calls (as the sandbox served them, both platforms)
against the minimum the read APIs allow for that round, computed here from the fleet's size alone
(`fleet_minimum`, not from the code under test). Per site the fleet has 1 agent with 6 mappings
onto 2 aspects (status, health) of 1 pump asset and 1 event mapping, and 2 iTwin sensors, so for N
sites:

    minimum(N) = 2 N                 boarding status + online status per agent (no list endpoint
                                     reports either: Agent Management v3 /agents/{id}/boarding/status,
                                     /agents/{id}/status)
               + max(1, ceil(6 N / 2000))   the tenant's data point mappings, pages of at most 2000
               + 2 N                 the latest time series record per mapped asset/aspect (IoT Time
                                     Series reads one asset aspect per call)
               + 1                   recoverable records: a healthy fleet has none, one page says so
               + max(1, ceil(N / 100))  the events of the mapped type since the cutoff (one per
                                     site was sent), tenant-wide, Event Management pages of 100
               + 2 N                 one observation query per iTwin sensor (Query Raw Data takes
                                     one sensorId)
               + 0                   tokens: the round reuses the inventory read's bearer token;
                                     the iTwin API key needs none

The inventory read before the round is the plan's live read (benchmarks/bench_plan_read.py
measures that one). Target: ratio <= 1.1. Also prints the round's client CPU seconds.

Run: .venv/bin/python benchmarks/bench_check_fleet.py [--sites N]
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import _fleet
from _fleet import ratio, table, verdict

from provisioner import event_loop
from provisioner.field.boarding import write_boarding_files
from provisioner.field.check import CheckReport, check_round
from provisioner.field.inventory import read_inventory
from provisioner.field.itwin_data import itwin_data
from provisioner.field.simulate import project_feed, simulate
from provisioner.pipeline import ApplyOptions, apply_plan
from provisioner.providers.insights_hub.field_client import FieldClient
from provisioner.session import make_plan, open_session

TARGET = 1.1
MAPPINGS_PER_SITE = 6
ASPECTS_PER_SITE = 2  # the pump's status and health aspects receive the 6 mappings
MAPPING_PAGE = 2000  # mindconnect v3 dataPointMappings: size at most 2000
EVENTS_PAGE = 100  # Event Management events: pages of at most 100
SENSORS_PER_SITE = 2  # level-1 and tilt-1


def fleet_minimum(sites: int) -> int:
    """Fewest calls one check round can make on an N-site fleet (formula in the module docstring)."""
    mapping_pages = max(1, math.ceil(MAPPINGS_PER_SITE * sites / MAPPING_PAGE))
    event_pages = max(1, math.ceil(sites / EVENTS_PAGE))
    return (2 * sites + mapping_pages + ASPECTS_PER_SITE * sites + 1 + event_pages
            + SENSORS_PER_SITE * sites)


@dataclass
class Measured:
    report: CheckReport
    served: int  # requests the sandbox served during the round
    inventory_calls: int
    cpu: float


async def measure(sites: int, work: Path) -> Measured:
    project = _fleet.load_fleet(_fleet.make_fleet(work, sites))
    sandbox = _fleet.new_sandbox()
    async with open_session(project.config, transport=sandbox.transport()) as session:
        plan, live = await make_plan(session)
        report = await apply_plan(session, plan, ApplyOptions(force=True), live=live)
        assert report.ok, report.failed
    async with open_session(project.config, transport=sandbox.transport()) as session:
        assert session.hub is not None
        inventory = await read_inventory(session)
        await write_boarding_files(FieldClient(session.hub), inventory.agents, work / "secrets", rotate=False)
    async with open_session(project.config, transport=sandbox.transport()) as session:
        inventory = await read_inventory(session)
        feed = project_feed(inventory, itwin_data(session, inventory.itwin_project))
        await simulate(work / "secrets", duration_s=0, interval_s=1, transport=sandbox.transport(), seed=1,
                       feed=feed)
    async with open_session(project.config, transport=sandbox.transport()) as session:
        assert session.hub is not None
        inventory = await read_inventory(session)
        inventory_calls = sum(session.api_calls().values())
        itwin = itwin_data(session, inventory.itwin_project)
        sandbox.counts(reset=True)
        cpu = time.process_time()
        result = await check_round(FieldClient(session.hub), inventory, since_s=900, itwin=itwin)
        cpu = time.process_time() - cpu
        served = int(sandbox.counts()["total"])
    return Measured(result, served, inventory_calls, cpu)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-check-") as tmp:
        m = event_loop.run(measure(args.sites, Path(tmp)))
    minimum = fleet_minimum(args.sites)
    r = ratio(m.served, minimum)
    ok = r <= TARGET and m.report.flowing
    print(f"provision check on a {args.sites}-site fleet: {m.report.summary()}")
    print(table([("check round", m.served, minimum, f"{r:.3f}", f"{m.cpu:.2f}", verdict(ok))],
                ("what", "calls", "minimum", "calls/minimum", "client CPU s", f"<= {TARGET}")))
    print(f"(inventory read before the round: {m.inventory_calls} calls, the plan's live read)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
