"""`provision import` of a 500-site fleet (issue 6, item 3): duration and API calls.

1. Build the fleet in an in-process sandbox by applying `examples/fleet` with a generated
   500-row `vars/sites.csv` (stack `fleet`).
2. Read-only minimum: the calls a plain `read_live` of that fleet project makes.
3. Import everything with a fresh stack name; print duration, API calls and their ratio to (2).
4. Validate the imported project and plan it: only adoption updates, nothing else.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from provisioner import event_loop
from provisioner.config import load_project
from provisioner.importer import ImportOptions, import_project
from provisioner.importer.source import from_project
from provisioner.pipeline import ApplyOptions, apply_plan
from provisioner.plan.builder import ADOPT_REASON
from provisioner.sandbox import Sandbox, SandboxSettings
from provisioner.session import make_plan, open_session, read_live

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))
from fleetgen import make_fleet

SITES = int(os.environ.get("BENCH_IMPORT_SITES", "500"))
DEMO_ENV = {"MDSP_CLIENT_ID": "sandbox-client", "MDSP_CLIENT_SECRET": "sandbox-secret",
            "ITWIN_IOT_API_KEY": "sandbox-key"}


async def run(work: Path) -> None:
    sandbox = Sandbox(SandboxSettings(boarding_delay_s=0.0))
    fleet = load_project(make_fleet(work / "fleet", SITES))
    started = time.perf_counter()
    async with open_session(fleet.config, transport=sandbox.transport()) as session:
        plan, live = await make_plan(session)
        await apply_plan(session, plan, ApplyOptions(), live=live)
    print(f"built {SITES} sites: {len(plan.changes)} objects in {time.perf_counter() - started:.1f}s")

    async with open_session(fleet.config, transport=sandbox.transport()) as session:
        started = time.perf_counter()
        await read_live(session)
        read_seconds = time.perf_counter() - started
        minimum = sum(session.api_calls().values())
    print(f"read_live of the fleet project: {minimum} API calls in {read_seconds:.2f}s "
          "(the read-only minimum)")

    _, platforms = from_project(work / "fleet")
    out = work / "imported"
    result = await import_project(ImportOptions(out=out, stack="fleet-import", platforms=platforms,
                                                layout="site", command="provision import (benchmark)"),
                                  transport=sandbox.transport())
    written = ", ".join(f"{n} {k}" for k, n in result.counts.items())
    print(f"import: {result.seconds:.2f}s, {result.total_calls} API calls {result.api_calls}, "
          f"{result.total_calls / minimum:.2f}x the read-only minimum; "
          f"wrote {len(result.files)} files: {written}")
    skipped = [f for f in result.findings if f.severity == "skipped"]
    print(f"findings: {len(skipped)} skipped, {len(result.findings) - len(skipped)} notes")

    started = time.perf_counter()
    imported = load_project(out)
    async with open_session(imported.config, transport=sandbox.transport()) as session:
        plan, _ = await make_plan(session)
    actions = Counter(c.action.value for c in plan.changes)
    adopting = sum(1 for c in plan.changes if c.reasons == (ADOPT_REASON,) and not c.fields)
    print(f"validate + plan of the import: {time.perf_counter() - started:.1f}s; {dict(actions)}; "
          f"{adopting} of {len(plan.changes)} changes are adoption markers only")
    if adopting != len(plan.changes):
        raise SystemExit("the imported project does not plan clean")


def main() -> None:
    os.environ.update({k: v for k, v in DEMO_ENV.items() if k not in os.environ})
    with tempfile.TemporaryDirectory() as tmp:
        event_loop.run(run(Path(tmp)))


if __name__ == "__main__":
    main()
