from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from engine_fakes import FakeStore, Faults, plan_for, providers_for, res

from provisioner.apply import ApplyEvent, EventKind, Journal, ProgressReporter, broadcast, execute
from provisioner.apply.journal import interrupted_lines
from provisioner.model import Action, ApplyContext
from provisioner.plan import Node


def test_pending_is_what_started_and_never_ended(tmp_path: Path) -> None:
    first = Journal(tmp_path, run_id="r1", durable=False)
    first.write("started", "hub.assets.a", "create")
    first.write("finished", "hub.assets.a", "create")
    first.write("started", "hub.assets.b", "create")
    first.write("started", "hub.assets.c", "delete")
    first.write("failed", "hub.assets.c", "delete", error="boom")
    with first.path.open("a") as fh:
        fh.write('{"time": "torn')  # a crash mid-line
    second = Journal(tmp_path, run_id="r2")
    [pending] = second.pending()
    assert (pending.run, pending.address, pending.op) == ("r1", "hub.assets.b", "create")
    assert first.path == tmp_path / ".provision" / "journal.jsonl"
    second.write("started", "hub.assets.b", "create")
    second.write("finished", "hub.assets.b", "create")
    assert second.pending() == []
    assert [e.error for e in second.entries() if e.status == "failed"] == ["boom"]


async def test_executor_events_are_journaled_and_shown(tmp_path: Path) -> None:
    store = FakeStore()
    plan = plan_for(store, [res("hub.assets.a", "assets"), res("iot.devices.d", "devices"),
                            res("hub.mappings.m", "mappings", ["hub.assets.a"])])
    journal = Journal(tmp_path, durable=False)
    out = io.StringIO()
    with ProgressReporter(len(plan.changes), stream=out, tty=False) as progress:
        report = await execute(plan, providers_for(store, faults=Faults(permanent={"hub.assets.a"})),
                               ctx=ApplyContext(), on_event=broadcast(journal.on_event, progress.on_event))
    statuses = [(e.status, e.address) for e in journal.entries()]
    assert ("failed", "hub.assets.a") in statuses
    assert ("finished", "iot.devices.d") in statuses
    assert not any(a == "hub.mappings.m" for _, a in statuses)
    assert journal.pending() == []
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    assert any(line.startswith("[") and "FAILED create hub.assets.a: hub.assets.a: rejected" in line
               for line in lines)
    assert any("skipped create hub.mappings.m (depends on failed hub.assets.a)" in line for line in lines)
    assert report.skipped == {"hub.mappings.m": "hub.assets.a"}


def test_progress_bar_on_a_tty_counts_without_log_lines() -> None:
    out = io.StringIO()
    with ProgressReporter(2, stream=out, tty=True) as progress:
        progress.on_event(ApplyEvent(EventKind.STARTED, Node("hub.a", Action.CREATE), 2))
        progress.on_event(ApplyEvent(EventKind.FINISHED, Node("hub.a", Action.CREATE), 2, seconds=0.1))
        progress.on_event(ApplyEvent(EventKind.FAILED, Node("hub.b", Action.CREATE), 2, error="x"))
    assert (progress.completed, progress.failed) == (2, 1)
    assert "[1/2]" not in out.getvalue()
    assert "2/2" in out.getvalue()


def test_a_waiting_change_is_shown_but_not_counted_or_journaled(tmp_path: Path) -> None:
    out = io.StringIO()
    journal = Journal(tmp_path, durable=False)
    waiting = ApplyEvent(EventKind.WAITING, Node("hub.agents.a", Action.DELETE), 3,
                         detail="offboarding agent x: boarding status OFFBOARDING, waited 0.2s of 60s")
    with ProgressReporter(3, stream=out, tty=False) as progress:
        broadcast(journal.on_event, progress.on_event)(waiting)
    assert (progress.completed, progress.failed) == (0, 0)
    assert out.getvalue() == ("[0/3] waiting delete hub.agents.a: offboarding agent x: boarding status "
                              "OFFBOARDING, waited 0.2s of 60s\n")
    assert journal.entries() == []


def test_reconciled_operations_are_no_longer_pending_and_the_notice_names_them(tmp_path: Path) -> None:
    killed = Journal(tmp_path, run_id="r1", durable=False)
    for n in range(25):
        killed.write("started", f"hub.assets.a{n:02d}", "create")
    pending = Journal(tmp_path).pending()
    lines = interrupted_lines(pending)
    assert lines[0].startswith("An earlier apply was interrupted (r1 at ")
    assert lines[0].endswith("25 operations started but never finished:")
    assert lines[1] == "  create hub.assets.a00" and lines[-2] == "  … and 5 more"
    assert interrupted_lines([]) == []
    Journal(tmp_path, run_id="r2").reconcile(pending)
    assert Journal(tmp_path).pending() == []
    assert [e.status for e in Journal(tmp_path).entries()][-1] == "reconciled"


def test_calls_of_an_apply_still_running_here_are_not_interrupted(tmp_path: Path) -> None:
    Journal(tmp_path, run_id="me", durable=False).write("started", "hub.assets.mine", "create")
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    dead = {"time": "2026-01-01T00:00:00.000+00:00", "run": "dead", "status": "started",
            "address": "hub.assets.dead", "op": "create", "host": socket.gethostname(),
            "pid": int(gone.stdout)}
    with (tmp_path / ".provision" / "journal.jsonl").open("a") as fh:
        fh.write(json.dumps(dead) + "\n")
    journal = Journal(tmp_path)
    assert {e.address for e in journal.pending()} == {"hub.assets.mine", "hub.assets.dead"}
    [interrupted] = journal.interrupted()
    assert interrupted.address == "hub.assets.dead" and interrupted.pid != os.getpid()
