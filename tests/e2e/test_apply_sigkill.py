"""Issue 5, must-show 5: `provision apply` killed with SIGKILL at random points, then run again.

The sandbox runs in this process (uvicorn in a thread), so its state survives the child's death,
including writes the child sent but never saw answered. Ten trials with a seeded RNG kill the
apply after a random number of the writes a calibration run made (counted by the sandbox, so a
loaded machine moves the kill in time but not in the apply's progress); the next apply must
finish the job: the plan after it is empty, a fresh read equals the configuration and nothing
exists twice.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from fleetgen import drift, duplicates, make_fleet
from harness import LiveSandbox, free_port

from provisioner.config import load_project
from provisioner.sandbox import SandboxSettings
from provisioner.session import make_plan, open_session

SITES = 5
TRIALS = 10


def apply_command(project: Path) -> list[str]:
    return [sys.executable, "-m", "provisioner", "apply", str(project), "--env", "test", "--yes"]


def writes(live: LiveSandbox) -> int:
    """Write requests the sandbox has seen (token requests excluded); read from the server's thread."""
    while True:
        try:
            endpoints = live.sandbox.counts()["endpoints"]
        except RuntimeError:  # the server thread changed the counter while it was being copied
            continue
        return sum(n for endpoint, n in endpoints.items()
                   if endpoint.split()[0] in ("POST", "PUT", "PATCH", "DELETE") and "token" not in endpoint)


def start_writing(project: Path, live: LiveSandbox, count: int = 1) -> subprocess.Popen[bytes]:
    """Start an apply; return once `count` of its writes reached the sandbox (or it ended)."""
    before = writes(live)
    child = subprocess.Popen(apply_command(project), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while writes(live) - before < count:
        if child.poll() is not None:
            assert writes(live) > before, "the apply ended before it wrote anything"
            break
        time.sleep(0.002)
    return child


def objects(live: LiveSandbox) -> int:
    """How many objects of any kind the sandbox holds (types, assets, agents, mappings, entities)."""
    snapshot = live.sandbox.snapshot()
    hub = snapshot["insightsHub"]
    kinds = ("aspectTypes", "assetTypes", "assets", "agents", "dataPointMappings", "eventMappings")
    return sum(len(hub[k]) for k in kinds) + len(snapshot["itwin"]["entities"])


async def test_apply_killed_at_random_points_converges_on_the_next_run(tmp_path: Path) -> None:
    rng = random.Random(1405)
    settings = SandboxSettings(port=free_port(), boarding_delay_s=0.0, latency_ms=10.0)
    with LiveSandbox(settings) as live:
        project = make_fleet(tmp_path / "fleet", SITES, port=live.port)
        config = load_project(project, env="test").config
        empty = objects(live)
        before = writes(live)
        calibration = start_writing(project, live)
        assert calibration.wait(timeout=120) == 0
        total_writes = writes(live) - before
        complete = objects(live)

        interrupted = []
        for trial in range(TRIALS):
            live.sandbox.reset()
            # writes in flight when the count is reached still land: aim at the first 80%
            child = start_writing(project, live, rng.randint(1, max(1, total_writes * 4 // 5)))
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=30)
            time.sleep(0.1)  # requests the child sent before dying are still being served
            if child.returncode == -signal.SIGKILL and empty < objects(live) < complete:
                interrupted.append(trial)

            again = subprocess.run(apply_command(project), capture_output=True, text=True, timeout=120)
            assert again.returncode == 0, f"trial {trial}: {again.stdout}{again.stderr}"
            async with open_session(config) as session:
                plan, _ = await make_plan(session)
                assert not plan.has_changes, (trial, [c.address for c in plan.changes])
                assert await drift(session) == [], trial
            assert duplicates(live.sandbox.snapshot()) == {}, trial
            assert objects(live) == complete, trial
        # the kills landed mid-apply, not after the last write
        assert len(interrupted) >= TRIALS // 2, interrupted
