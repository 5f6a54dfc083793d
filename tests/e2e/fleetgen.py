"""Generate an N-site copy of examples/fleet: the example's files with a generated vars/sites.csv.

Each site expands (through `fleet.yaml.j2`) into a site and pump asset, an agent with its data
source configuration, 6 data point mappings and an event mapping, and an iTwin connection with
a device and 2 sensors. Rows are deterministic: the same `sites` always gives the same project.
`duplicates` audits a sandbox snapshot for objects created twice; `drift` compares a fresh read
with the configuration.
"""

from __future__ import annotations

import csv
import re
import shutil
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from provisioner.plan.diff import diff_attrs
from provisioner.session import Session, read_live

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "fleet"
COLUMNS = ("key", "name", "city", "country", "lat", "lon", "elev", "pump_serial")


def site_rows(sites: int) -> list[dict[str, str]]:
    """`sites` rows of vars/sites.csv: `site-0001` … with distinct names, serials and places."""
    rows = []
    for n in range(1, sites + 1):
        city = f"Town{n:04d}"
        rows.append({
            "key": f"site-{n:04d}",
            "name": f"{city} Pumping Station",
            "city": city,
            "country": "DE",
            "lat": f"{47.0 + (n % 500) * 0.01:.4f}",
            "lon": f"{6.0 + (n // 500) * 0.5 + (n % 7) * 0.1:.4f}",
            "elev": f"{10.0 + n % 90:.1f}",
            "pump_serial": f"PX-{10000 + n}",
        })
    return rows


def make_fleet(dest: Path, sites: int, *, port: int | None = None) -> Path:
    """Write the fleet example with `sites` sites into `dest` (created; the project directory).

    With `port`, env/test.yaml points both platforms at a sandbox on 127.0.0.1:`port`
    (load the project with `env="test"`). Returns `dest`.
    """
    if sites < 1:
        raise ValueError("a fleet needs at least one site")
    shutil.copytree(EXAMPLE, dest, dirs_exist_ok=True)
    with (dest / "vars" / "sites.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(site_rows(sites))
    if port is not None:
        overlay = dest / "env" / "test.yaml"
        overlay.parent.mkdir(exist_ok=True)
        overlay.write_text(
            "platforms:\n"
            f"  insights_hub: {{gateway: 'http://127.0.0.1:{port}'}}\n"
            f"  itwin_iot: {{url: 'http://127.0.0.1:{port}'}}\n"
        )
    return dest


_MARKER = re.compile(r"\[provision:([^\]]+)\]\s*$")


def _marker(description: str | None) -> tuple[str] | None:
    """The `<stack>/<key>` of a `[provision:<stack>/<key>]` description suffix."""
    found = _MARKER.search(description or "")
    return (found[1],) if found else None


def duplicates(snapshot: Mapping[str, Any]) -> dict[str, int]:
    """Objects that exist more than once in a sandbox snapshot (`Sandbox.snapshot()`), by identity.

    Assets (not soft-deleted ones) by their owner marker when they carry one (so a twin under a
    twin parent counts), else by (name, parent); agents by name, data point mappings by (agent,
    data point, entity, aspect, variable), event mappings by (agent, asset, event type, field,
    value), iTwin nodes, devices and sensors by SERIAL_NO. Maps a description of each duplicated
    identity to its count.
    """
    hub, itwin = snapshot["insightsHub"], snapshot["itwin"]
    keyed: list[tuple[str, tuple[Any, ...]]] = []
    keyed += [("asset", _marker(a.get("description")) or (a["name"], a.get("parentId")))
              for a in hub["assets"] if not a.get("deleted")]  # a soft-deleted asset is gone
    keyed += [("agent", (a["name"],)) for a in hub["agents"]]
    keyed += [("mapping", (m["agentId"], m["dataPointId"], m["entityId"], m["propertySetName"],
                           m["propertyName"])) for m in hub["dataPointMappings"]]
    keyed += [("event mapping", (m["agentId"], m["assetId"], m["eventTypeId"], m.get("eventTypeFieldName"),
                                 m.get("eventTypeFieldValue"))) for m in hub.get("eventMappings", [])]
    keyed += [(f"itwin {e['kind']}", (e["props"]["SERIAL_NO"],)) for e in itwin["entities"]
              if (e.get("props") or {}).get("SERIAL_NO")]
    counts = Counter(keyed)
    return {f"{kind} {ident}": n for (kind, ident), n in counts.items() if n > 1}


async def drift(session: Session) -> list[str]:
    """What keeps the platforms from matching the configuration, by a fresh read of `session`.

    Every desired address must be live with attributes equal to the desired ones, and nothing
    else may be managed by the stack. Returns one line per mismatch; empty means converged.
    """
    live = await read_live(session)
    problems = []
    for name, provider in session.providers.items():
        managed = dict(live[name].managed)
        for resource in provider.desired():
            found = managed.pop(resource.address, None)
            if found is None:
                problems.append(f"missing: {resource.address}")
            elif fields := diff_attrs(found.attrs, resource.attrs):
                problems.append(f"differs: {resource.address}: {', '.join(f.path for f in fields)}")
        problems += [f"extra: {address}" for address in sorted(managed)]
    return problems
