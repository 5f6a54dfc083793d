"""Load + validate time of a 2,000-site fleet, against the 20-site example scaled up.

Copies examples/fleet to a temporary directory, writes a 2,000-row vars/sites.csv (unique keys and
names), and times `load_project` (render, parse, merge, schema, semantic checks). The baseline is
the shipped example cut to 20 sites, measured in the same run and scaled x100: a ratio near 1
means load time grows linearly with the number of sites.
"""

from __future__ import annotations

import csv
import shutil
import sys
import tempfile
import time
from pathlib import Path

from provisioner.config import load_project

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "fleet"
SITES = 2000
BASELINE_SITES = 20
BUDGET_SECONDS = 5.0


def make_fleet(directory: Path, sites: int) -> Path:
    """A copy of the fleet example with `sites` rows in vars/sites.csv."""
    target = directory / f"fleet-{sites}"
    shutil.copytree(EXAMPLE, target)
    with (EXAMPLE / "vars" / "sites.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    with (target / "vars" / "sites.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        for i in range(sites):
            row = dict(rows[i % len(rows)])
            row["key"] = f"site-{i:04d}"
            row["name"] = f"{row['name']} {i}"
            row["city"] = f"{row['city']} {i}"
            row["pump_serial"] = f"PX-{100000 + i}"
            writer.writerow(row)
    return target


def best_of(project: Path, runs: int) -> tuple[float, int]:
    """The fastest of `runs` loads (seconds) and the number of resources."""
    best, count = float("inf"), 0
    for _ in range(runs):
        start = time.perf_counter()
        loaded = load_project(project)
        best = min(best, time.perf_counter() - start)
        count = len(loaded.locations)
    return best, count


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        small = make_fleet(Path(tmp), BASELINE_SITES)
        large = make_fleet(Path(tmp), SITES)
        best_of(small, 1)  # warm up imports and caches
        base_seconds, base_count = best_of(small, 5)
        seconds, count = best_of(large, 1)
    scale = SITES / BASELINE_SITES
    ratio = seconds / (base_seconds * scale)
    ok = seconds < BUDGET_SECONDS
    rows = [
        ("sites", "resources", "load+validate s", "vs baseline x100", f"under {BUDGET_SECONDS:.0f} s"),
        (str(BASELINE_SITES), str(base_count), f"{base_seconds:.3f}", "1.00 (baseline)", "yes"),
        (str(SITES), str(count), f"{seconds:.3f}", f"{ratio:.2f}", "yes" if ok else "NO"),
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
