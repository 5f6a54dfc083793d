"""Issue 15, must-show 4: the stack lock seen from the CLI (`apply --lock-timeout`, `provision unlock`).

Two applies of one stack at once: one (in this process, paused at its first write) holds the
stack's lease; another with a short `--lock-timeout` fails naming the holder and since when, one
with a long one waits and finishes after it. A lease whose holder was killed on another host (a child
process taking the lease as `ghost@far-host`, with a 5 s ttl, then SIGKILLed) blocks applies only
until it expires. `provision unlock` refuses while a live holder renews it, unless --force. A
re-applied saved plan reports that it was already applied instead of `done create` per change.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from fleetgen import duplicates, make_fleet
from harness import LiveSandbox, copy_example, free_port

from provisioner.apply import ApplyEvent, EventKind
from provisioner.config import load_project
from provisioner.pipeline import ApplyOptions, apply_plan
from provisioner.sandbox import SandboxSettings
from provisioner.session import make_plan, open_session

GHOST = "ghost@far-host/4242/deadbeef"
TTL = 20.0  # a killed holder's lease lives on for 2/3 to all of it: a loaded machine (load 8 seen) needs
# up to ~10 s to start the next apply, which must still find it held


def provision(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provisioner", *args], capture_output=True, text=True,
                          timeout=timeout)


def start(log: Path, *args: str) -> subprocess.Popen[bytes]:
    """The CLI in the background, its standard error going to `log`."""
    with log.open("wb") as err:
        return subprocess.Popen([sys.executable, "-m", "provisioner", *args], stdout=subprocess.DEVNULL,
                                stderr=err)


def writes(live: LiveSandbox) -> int:
    """Write requests the sandbox has seen (token requests excluded)."""
    while True:
        try:
            endpoints = live.sandbox.counts()["endpoints"]
        except RuntimeError:  # the server thread changed the counter while it was being copied
            continue
        return sum(n for endpoint, n in endpoints.items()
                   if endpoint.split()[0] in ("POST", "PUT", "PATCH", "DELETE") and "token" not in endpoint)


def objects(live: LiveSandbox) -> tuple[int, int]:
    """Assets and iTwin entities the sandbox holds."""
    snapshot = live.sandbox.snapshot()
    return len(snapshot["insightsHub"]["assets"]), len(snapshot["itwin"]["entities"])


def lease_holder(live: LiveSandbox) -> str | None:
    """The holder a lease aspect type of the sandbox names (None when free or absent)."""
    for aspect_type in live.sandbox.snapshot()["insightsHub"]["aspectTypes"]:
        found = re.match(r"provision apply lease: (\S+) since", str(aspect_type.get("description")))
        if "provisionlease_" in str(aspect_type.get("name")) and found:
            return found[1]
    return None


def wait_for(condition: object, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.01)


def held_apply(project: Path, holding: threading.Event, go: threading.Event) -> Callable[[], None]:
    """An apply of `project` in this process (its own thread and loop) that stops at its first
    write, holding the stack's lease, until `go` is set; returns a join that checks its report."""
    config = load_project(project, env="test").config
    outcome: list[int] = []

    def pause(event: ApplyEvent) -> None:
        if event.kind is EventKind.STARTED and not holding.is_set():
            holding.set()
            go.wait(timeout=120)  # blocks this apply's loop: it holds the lease, writes nothing

    async def run() -> None:
        async with open_session(config) as session:
            plan, live = await make_plan(session)
            report = await apply_plan(session, plan, ApplyOptions(), live=live, on_event=pause)
            outcome.append(report.exit_code())

    thread = threading.Thread(target=lambda: asyncio.run(run()))
    thread.start()

    def join() -> None:
        thread.join(timeout=120)
        assert outcome == [0]

    return join


def test_a_second_apply_waits_or_fails_naming_the_holder(tmp_path: Path) -> None:
    with LiveSandbox(SandboxSettings(port=free_port(), boarding_delay_s=0.0)) as live:
        project = make_fleet(tmp_path / "fleet", 3, port=live.port)
        holding, go = threading.Event(), threading.Event()
        first = held_apply(project, holding, go)
        assert holding.wait(timeout=60), "the first apply never started writing"
        apply = ("apply", str(project), "--env", "test", "--yes")

        impatient = provision(*apply, "--lock-timeout", "0.5s")
        assert impatient.returncode == 7, impatient.stderr  # lock held
        message = impatient.stderr
        # `waited Ns`: 0 or 1 on a quiet machine; a loaded one may poll past the 0.5 s timeout
        found = re.search(r"is being applied by (\S+) \(since \d{4}-\d\d-\d\dT[0-9:]+Z, lease until \S+\); "
                          r"waited \d+s", message)
        assert found is not None, message
        assert f"/{os.getpid()}/" in found[1]  # the first apply, by user, host and pid
        assert "Traceback" not in message

        patient = start(tmp_path / "patient.log", *apply, "--lock-timeout", "5m")
        time.sleep(3.0)
        assert patient.poll() is None, "the patient apply must wait for the lease"
        go.set()
        first()
        assert patient.wait(timeout=120) == 0, (tmp_path / "patient.log").read_text()
        told = (tmp_path / "patient.log").read_text()
        assert re.search(r"waiting up to 300s for the lease of stack 'fleet', held by \S+/"
                         rf"{os.getpid()}/\S+ since ", told), told
        assert duplicates(live.sandbox.snapshot()) == {}
        assert lease_holder(live) is None  # both gave it back


GHOST_SCRIPT = """
import asyncio, sys
from provisioner.providers.http.credentials import IhServiceCredentials
from provisioner.providers.insights_hub.client import InsightsHubClient
from provisioner.providers.insights_hub.lease import StackLease

async def main() -> None:
    credentials = IhServiceCredentials("sandbox", "sandbox-client", "sandbox-secret")
    async with InsightsHubClient(sys.argv[1], credentials) as client:
        lease = StackLease(client, tenant="sandbox", stack="quickstart", holder=sys.argv[2],
                           ttl=float(sys.argv[3]), wait=0.0)
        await lease.acquire()
        print("held", flush=True)
        await asyncio.sleep(3600)  # renewing every ttl/3 until killed

asyncio.run(main())
"""


def ghost(live: LiveSandbox) -> subprocess.Popen[str]:
    """A process on "another host" that holds the quickstart's lease and renews it until killed."""
    child = subprocess.Popen([sys.executable, "-c", GHOST_SCRIPT, live.url, GHOST, str(TTL)],
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline() == "held\n"
    return child


def kill(child: subprocess.Popen[str]) -> None:
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    if child.stdout is not None:
        child.stdout.close()


def test_a_killed_holders_lease_expires_and_unlock_refuses_a_live_one(tmp_path: Path) -> None:
    with LiveSandbox(SandboxSettings(port=free_port(), boarding_delay_s=0.0)) as live:
        project = copy_example("quickstart", tmp_path, port=live.port)
        apply = ("apply", str(project), "--env", "test", "--yes", "--lock-timeout", "0s")
        holder = ghost(live)
        time.sleep(TTL)  # past the first ttl: only its renewals keep it held
        blocked = provision(*apply)
        assert blocked.returncode == 7 and f"being applied by {GHOST}" in blocked.stderr, blocked.stderr
        refused = provision("unlock", str(project), "--env", "test")
        assert refused.returncode == 7, refused.stdout + refused.stderr
        assert f"locked by {GHOST}" in refused.stderr and "--force" in refused.stderr
        assert lease_holder(live) == GHOST

        kill(holder)
        before = objects(live)
        assert provision(*apply).returncode == 7  # not expired yet: a dead holder elsewhere is unknown
        assert objects(live) == before  # nothing written but the refused conditional take
        time.sleep(TTL + 0.5)
        expired = provision(*apply)
        assert expired.returncode == 0, expired.stderr
        assert lease_holder(live) is None

        second = ghost(live)
        forced = provision("unlock", str(project), "--env", "test", "--force")
        assert forced.returncode == 0, forced.stderr
        assert f"insights_hub: unlocked stack 'quickstart' (held by {GHOST} (lease until " in forced.stdout
        assert lease_holder(live) is None
        kill(second)
        idle = provision("unlock", str(project), "--env", "test")
        assert (idle.returncode, idle.stdout) == (0, "insights_hub: stack 'quickstart' was not locked\n")


def test_a_reapplied_saved_plan_reports_it_was_already_applied(tmp_path: Path) -> None:
    with LiveSandbox(SandboxSettings(port=free_port(), boarding_delay_s=0.0)) as live:
        project = copy_example("quickstart", tmp_path, port=live.port)
        planfile = tmp_path / "plan.json"
        assert provision("plan", str(project), "--env", "test", "--out", str(planfile)).returncode == 0
        apply = ("apply", str(planfile), "--project", str(project), "--env", "test", "--yes",
                 "--format", "json")
        first = provision(*apply)
        assert first.returncode == 0, first.stderr
        assert len(json.loads(first.stdout)["applied"]) == 17
        before = writes(live)
        again = provision(*apply)
        assert again.returncode == 0, again.stderr
        assert "Nothing to do: already applied" in again.stderr
        assert "done create" not in again.stderr and again.stdout == ""
        assert writes(live) == before
