"""Issue 15, must-show 3: staged rollouts on a fleet with one broken site stop where they should.

A 5-site fleet whose one site's pump asset the service refuses every time (a time zone with a
45-minute offset, as the vendor does; see `test_apply_failures.py`). Groups are the renderer's
sites: the shared types, then per site its Insights Hub half (`assets.site-N`) and its iTwin half
(`connections.site-N`), in site order. `--canary 2` with the first site broken stops after the
canary; `--max-failures 5%` (1 of 11 groups is 9%) with the second site broken stops right after
it; `--max-failures 20%` lets the rest go on. Each time the report names the groups done,
failed and not started, and the sandbox holds nothing of a group not started. Without the bad
zone the next apply finishes the job.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fleetgen import duplicates, make_fleet
from harness import LiveSandbox

from provisioner.cli import exit_codes

TEMPLATE_LINE = "      external_id: {{ site.pump_serial }}\n"
SITES = 5


def provision(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provisioner", *args], capture_output=True, text=True,
                          timeout=180)


def break_site(project: Path, key: str) -> str:
    """Give `key`'s pump a zone the service refuses; return the template's good text."""
    template = project / "fleet.yaml.j2"
    good = template.read_text()
    assert good.count(TEMPLATE_LINE) == 1
    template.write_text(good.replace(TEMPLATE_LINE, TEMPLATE_LINE + f'{{% if site.key == "{key}" %}}'
                                     "      timezone: Asia/Kathmandu\n{% endif %}"))
    return good


def present(snapshot: dict[str, Any]) -> set[str]:
    """The sites (`site-0001` …) that have anything in the sandbox: an asset, an agent or an iTwin node."""
    names = [a["name"] for a in snapshot["insightsHub"]["assets"] if not a.get("deleted")]
    names += [a["name"] for a in snapshot["insightsHub"]["agents"]]
    names += [str((e.get("props") or {}).get("SERIAL_NO", "")) + " " + str(e.get("name", ""))
              for e in snapshot["itwin"]["entities"]]
    return {f"site-{n:04d}" for n in range(1, SITES + 1)
            if any(f"Town{n:04d}" in name or f"site-{n:04d}" in name or f"PX-{10000 + n}" in name
                   for name in names)}


def groups(report: dict[str, Any], status: str) -> list[str]:
    return [g["name"] for g in report["groups"] if g["status"] == status]


def site_groups(*numbers: int) -> list[str]:
    return [f"{half}.site-{n:04d}" for n in numbers for half in ("assets", "connections")]


@pytest.mark.parametrize(("broken", "options", "done", "failed", "not_started"), [
    # the canary (the first two groups: site 1's two halves) has a failure: nothing else starts
    (1, ("--canary", "2"), ["(types)", "connections.site-0001"], ["assets.site-0001"],
     site_groups(2, 3, 4, 5)),
    # one failed group of 11 is past 5%: the groups after it do not start
    (2, ("--max-failures", "5%"), ["(types)", *site_groups(1)], ["assets.site-0002"],
     ["connections.site-0002", *site_groups(3, 4, 5)]),
])
def test_rollout_stops_where_it_should(tmp_path: Path, live_sandbox: LiveSandbox, broken: int,
                                      options: tuple[str, ...], done: list[str], failed: list[str],
                                      not_started: list[str]) -> None:
    project = make_fleet(tmp_path / "fleet", SITES, port=live_sandbox.port)
    good = break_site(project, f"site-{broken:04d}")
    apply = ("apply", str(project), "--env", "test", "--yes")

    staged = provision(*apply, "--format", "json", *options)

    assert staged.returncode == exit_codes.PARTIAL, staged.stdout + staged.stderr
    report = json.loads(staged.stdout)
    assert (groups(report, "done"), groups(report, "failed"), groups(report, "not started")) == (
        done, failed, not_started)
    assert groups(report, "unfinished") == []
    assert report["stopped"].startswith("canary failed" if "--canary" in options else "more than 5%")
    assert list(report["failed"]) == [f"insights_hub.assets.site-{broken:04d}-pump"]
    # untouched groups are untouched: the sandbox has nothing of the sites not started
    touched = {g.split(".")[1] for g in done + failed if g != "(types)"}
    assert present(live_sandbox.sandbox.snapshot()) == touched

    text = provision(*apply, *options)  # again (the groups finished drop out of the plan), in words
    # 1 when the failing group comes first and nothing else is written before the stop
    assert text.returncode in (exit_codes.PARTIAL, exit_codes.ERROR), text.stdout + text.stderr
    assert "Groups:\n" in text.stdout and f"  failed (1): {failed[0]}\n" in text.stdout
    assert f"  not started ({len(not_started) - 1}): " in text.stdout or \
        f"  not started ({len(not_started)}): " in text.stdout, text.stdout

    (project / "fleet.yaml.j2").write_text(good)
    finished = provision(*apply, *options)
    assert finished.returncode == exit_codes.OK, finished.stdout + finished.stderr
    assert "  done (" in finished.stdout and "  not started (" not in finished.stdout
    assert present(live_sandbox.sandbox.snapshot()) == {f"site-{n:04d}" for n in range(1, SITES + 1)}
    assert provision("plan", str(project), "--env", "test", "--detailed-exitcode").returncode == 0
    assert duplicates(live_sandbox.sandbox.snapshot()) == {}


def test_failures_within_the_budget_let_the_rollout_finish(tmp_path: Path, live_sandbox: LiveSandbox) -> None:
    project = make_fleet(tmp_path / "fleet", SITES, port=live_sandbox.port)
    break_site(project, "site-0002")
    staged = provision("apply", str(project), "--env", "test", "--yes", "--format", "json",
                       "--max-failures", "20%", "--wave-size", "3")
    assert staged.returncode == exit_codes.PARTIAL, staged.stdout + staged.stderr
    report = json.loads(staged.stdout)
    assert groups(report, "failed") == ["assets.site-0002"] and groups(report, "not started") == []
    assert len(groups(report, "done")) == 2 * SITES and report["stopped"] is None
    assert present(live_sandbox.sandbox.snapshot()) == {f"site-{n:04d}" for n in range(1, SITES + 1)}


def test_a_bad_failure_budget_is_refused_before_any_call(tmp_path: Path, live_sandbox: LiveSandbox) -> None:
    project = make_fleet(tmp_path / "fleet", 1, port=live_sandbox.port)
    before = live_sandbox.sandbox.counts()["total"]
    for value, says in (("150%", "must be between 0% and 100%"), ("lots", "is not a percentage")):
        refused = provision("apply", str(project), "--env", "test", "--yes", "--max-failures", value)
        assert refused.returncode == exit_codes.ERROR and says in refused.stderr, refused.stderr
        assert "Traceback" not in refused.stderr
    assert live_sandbox.sandbox.counts()["total"] == before
