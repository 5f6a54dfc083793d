"""Issue 15, must-show 5: every exit code of `exit_codes.TABLE`, each produced through the CLI.

One quickstart project on a loopback sandbox goes through: validate (0), usage and configuration
errors (1), a plan with changes (2), rejected credentials (6), an apply one of whose creates the
service refuses (3), a data-losing replace refused without --allow-data-loss (5), a saved plan
made stale behind its back (4), an apply whose `--max-duration` leaves no time for any change (8),
and an apply while another holder (on another host, taken by this test) holds the stack's lease (7).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from harness import LiveSandbox, copy_example

from provisioner.cli import exit_codes
from provisioner.providers.http.credentials import IhServiceCredentials
from provisioner.providers.insights_hub.client import InsightsHubClient
from provisioner.providers.insights_hub.lease import StackLease

ZONE_AFTER = "      external_id: M-001\n"


def provision(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provisioner", *args], capture_output=True, text=True,
                          timeout=120, env={**os.environ, **env})


def set_line(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


async def hold_lease(url: str, *, release: bool = False) -> None:
    """Take (or give back) the quickstart stack's lease as a holder on another host, for 10 minutes."""
    credentials = IhServiceCredentials("sandbox", "sandbox-client", "sandbox-secret")
    async with InsightsHubClient(url, credentials) as client:
        lease = StackLease(client, tenant="sandbox", stack="quickstart", holder="other@far-host/1/cafe",
                           ttl=600.0, wait=0.0)
        if release:
            await lease.unlock(force=True)
        else:
            await lease.acquire()


def test_each_exit_code(tmp_path: Path, live_sandbox: LiveSandbox) -> None:
    project = copy_example("quickstart", tmp_path, port=live_sandbox.port)
    hub = project / "insights-hub.yaml"
    env = ("--env", "test")
    assert provision("validate", str(project), *env).returncode == exit_codes.OK

    usage = provision("plan", str(project), "--no-such-flag")
    assert usage.returncode == exit_codes.ERROR and "No such option" in usage.stderr
    assert provision("plan", str(tmp_path / "missing"), *env).returncode == exit_codes.ERROR

    changes = provision("plan", str(project), *env, "--detailed-exitcode")
    assert changes.returncode == exit_codes.CHANGES, changes.stderr

    denied = provision("plan", str(project), *env, MDSP_CLIENT_SECRET="not-the-secret")
    assert denied.returncode == exit_codes.AUTHENTICATION, denied.stderr
    assert "not-the-secret" not in denied.stderr + denied.stdout and "Traceback" not in denied.stderr

    # the service refuses a 45-minute zone offset: the asset and its dependents fail, the rest applies
    set_line(hub, ZONE_AFTER, ZONE_AFTER + "      timezone: Asia/Kathmandu\n")
    apply = ("apply", str(project), *env, "--yes")
    partial = provision(*apply)
    assert partial.returncode == exit_codes.PARTIAL, partial.stdout + partial.stderr
    set_line(hub, "      timezone: Asia/Kathmandu\n", "")
    assert provision(*apply).returncode == exit_codes.OK

    # a time zone is set at creation only: the asset (and its time series) would be replaced
    set_line(hub, ZONE_AFTER, ZONE_AFTER + "      timezone: America/New_York\n")
    unsafe = provision(*apply)
    assert unsafe.returncode == exit_codes.UNSAFE_PLAN, unsafe.stdout + unsafe.stderr
    assert "nothing was written" in unsafe.stderr
    set_line(hub, "      timezone: America/New_York\n", "")

    set_line(hub, "external_id: M-001", "external_id: M-002")
    planfile = tmp_path / "plan.json"
    assert provision("plan", str(project), *env, "--out", str(planfile)).returncode == exit_codes.OK
    set_line(hub, "external_id: M-002", "external_id: M-003")
    assert provision(*apply).returncode == exit_codes.OK  # the asset changes behind the saved plan
    stale = provision("apply", str(planfile), "--project", str(project), *env, "--yes")
    assert stale.returncode == exit_codes.STALE_PLAN, stale.stdout + stale.stderr

    set_line(hub, "external_id: M-003", "external_id: M-004")  # one update to make
    late = provision(*apply, "--max-duration", "0s")  # no change fits in no time
    assert late.returncode == exit_codes.DEADLINE, late.stdout + late.stderr
    assert "Stopped (deadline reached): 1 change not started:" in late.stdout

    asyncio.run(hold_lease(live_sandbox.url))
    held = provision(*apply, "--lock-timeout", "0s")
    assert held.returncode == exit_codes.LOCK_HELD, held.stdout + held.stderr
    assert "other@far-host/1/cafe" in held.stderr
    asyncio.run(hold_lease(live_sandbox.url, release=True))
    assert provision(*apply).returncode == exit_codes.OK
    produced = {exit_codes.OK, exit_codes.ERROR, exit_codes.CHANGES, exit_codes.PARTIAL,
                exit_codes.STALE_PLAN, exit_codes.UNSAFE_PLAN, exit_codes.AUTHENTICATION,
                exit_codes.LOCK_HELD, exit_codes.DEADLINE}
    assert produced == {code for code, _ in exit_codes.TABLE}


def test_help_and_readme_list_every_code() -> None:
    shown = provision("--help").stdout
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for code, meaning in exit_codes.TABLE:
        assert f"  {code}  {meaning}" in shown
        assert f"| {code} | {meaning} |" in readme
