"""Issue 15, must-show 2 (in part): a SIGKILLed apply's next run reports the interrupted operations.

The sandbox answers every call after 300 ms, so an apply killed as soon as its journal records a
started call cannot have seen that call answered. The journal must sit where the docs say
(`DIR/.provision/journal.jsonl`); the next `plan` reports the interrupted operations (and leaves
them for the apply), the next `apply` reports them, plans from its fresh read, converges and
marks them reconciled, so a later run reports nothing.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from fleetgen import duplicates, make_fleet
from harness import LiveSandbox, free_port

from provisioner.apply import Journal
from provisioner.sandbox import SandboxSettings


def provision(*args: str) -> list[str]:
    return [sys.executable, "-m", "provisioner", *args]


def kill_after_first_started_call(project: Path, journal: Path) -> None:
    child = subprocess.Popen(provision("apply", str(project), "--env", "test", "--yes"),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while '"status": "started"' not in (journal.read_text() if journal.exists() else ""):
        assert child.poll() is None, "the apply ended before it started a call"
        assert time.monotonic() < deadline
        time.sleep(0.005)
    child.send_signal(signal.SIGKILL)
    assert child.wait(timeout=30) == -signal.SIGKILL


def test_next_runs_report_what_a_killed_apply_left_unfinished(tmp_path: Path) -> None:
    settings = SandboxSettings(port=free_port(), boarding_delay_s=0.0, latency_ms=300.0)
    with LiveSandbox(settings) as live:
        project = make_fleet(tmp_path / "fleet", 2, port=live.port)
        path = project / ".provision" / "journal.jsonl"
        kill_after_first_started_call(project, path)
        assert not (project / ".provision" / ".provision").exists()
        pending = Journal(project).pending()
        assert pending, "the killed apply's started call must be pending"
        time.sleep(0.5)  # let the sandbox finish serving what the child sent

        planned = subprocess.run(provision("plan", str(project), "--env", "test"),
                                 capture_output=True, text=True, timeout=120)
        assert planned.returncode == 0, planned.stderr
        assert "An earlier apply was interrupted" in planned.stderr
        for entry in pending:
            assert f"  {entry.op} {entry.address}\n" in planned.stderr
        assert Journal(project).pending() == pending  # plan only reports

        again = subprocess.run(provision("apply", str(project), "--env", "test", "--yes"),
                               capture_output=True, text=True, timeout=180)
        assert again.returncode == 0, again.stderr
        assert "An earlier apply was interrupted" in again.stderr
        for entry in pending:
            assert f"  {entry.op} {entry.address}\n" in again.stderr
        assert Journal(project).pending() == []
        assert duplicates(live.sandbox.snapshot()) == {}

        after = subprocess.run(provision("plan", str(project), "--env", "test"),
                               capture_output=True, text=True, timeout=120)
        assert after.returncode == 0 and "interrupted" not in after.stderr
        assert after.stdout.startswith("No changes.")
