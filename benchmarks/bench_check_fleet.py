"""`provision check` read efficiency on a rolled-out fleet (issue 14).

Applies an N-site fleet (default 500 sites: 500 agents, 3,000 mappings) to an in-process sandbox,
writes the boarding files, lets every agent onboard and upload once (`simulate`), then runs one
check round and prints its API calls against the minimum the read APIs allow for that round:
2 per agent (boarding status and online status have no list endpoint), the mapping list in pages
of 2000, one latest-value read per mapped asset aspect, the recoverable records in pages of 2000.
The inventory read before the round is the plan's live read (benchmarks/bench_plan_read.py
measures that one). Target: ratio <= 1.1. Also prints the round's client CPU seconds.

Run: .venv/bin/python benchmarks/bench_check_fleet.py [--sites N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import _fleet
from _fleet import ratio, table, verdict

from provisioner import event_loop
from provisioner.field.boarding import write_boarding_files
from provisioner.field.check import CheckReport, check_round
from provisioner.field.inventory import read_inventory
from provisioner.field.simulate import simulate
from provisioner.pipeline import ApplyOptions, apply_plan
from provisioner.providers.insights_hub.field_client import FieldClient
from provisioner.session import make_plan, open_session

TARGET = 1.1


async def measure(sites: int, work: Path) -> tuple[CheckReport, int, float]:
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
    await simulate(work / "secrets", duration_s=0, interval_s=1, transport=sandbox.transport(), seed=1)
    async with open_session(project.config, transport=sandbox.transport()) as session:
        assert session.hub is not None
        inventory = await read_inventory(session)
        inventory_calls = session.hub.stats.total
        cpu = time.process_time()
        result = await check_round(FieldClient(session.hub), inventory, since_s=900)
        cpu = time.process_time() - cpu
    return result, inventory_calls, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-check-") as tmp:
        report, inventory_calls, cpu = event_loop.run(measure(args.sites, Path(tmp)))
    r = ratio(report.calls, report.minimum_calls)
    print(f"provision check on a {args.sites}-site fleet: {report.summary()}")
    print(table([("check round", report.calls, report.minimum_calls, f"{r:.3f}", f"{cpu:.2f}",
                  verdict(r <= TARGET and report.flowing))],
                ("what", "calls", "minimum", "calls/minimum", "client CPU s", f"<= {TARGET}")))
    print(f"(inventory read before the round: {inventory_calls} calls, the plan's live read)")
    return 0 if r <= TARGET and report.flowing else 1


if __name__ == "__main__":
    sys.exit(main())
