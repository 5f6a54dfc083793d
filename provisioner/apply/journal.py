"""An append-only JSONL journal of provider calls: `<project dir>/.provision/journal.jsonl`.

Each line is `{"time", "run", "status": started|finished|failed|reconciled, "address", "op", ...}`,
flushed (and fsynced) as written, so a crash leaves a record of calls whose outcome is unknown.
`pending()` returns the operations whose latest entry is `started`: the next plan and apply report
them (`interrupted_lines`). They need no replay: the next plan's read of the live platforms decides
what remains (what such a call created exists and is not created again, what it did not is
planned), and the providers' lookup by identity adopts what a call created unseen. Once an apply
has planned from such a read, it marks them `reconciled` so they are reported once. A saved plan
applied completely is recorded by its checksum (`plan-applied`), so applying it again reports
that it was already applied instead of adopting every object it created.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from provisioner.apply.events import ApplyEvent, EventKind

_STATUS = {EventKind.STARTED: "started", EventKind.FINISHED: "finished", EventKind.FAILED: "failed"}
RECONCILED = "reconciled"
"""Written for a pending operation once a later run planned from a fresh read of the platforms."""
PLAN_APPLIED = "plan-applied"
"""Written once a saved plan file (by checksum) was applied completely."""


@dataclass(frozen=True)
class JournalEntry:
    time: str
    run: str
    status: str
    address: str
    op: str
    error: str | None = None
    host: str | None = None
    pid: int | None = None

    def running(self) -> bool:
        """True when the process that wrote this entry is still alive on this host (an apply in
        progress, not an interrupted one)."""
        if self.host != socket.gethostname() or self.pid is None:
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except (PermissionError, OverflowError, OSError):
            return True
        return True


class Journal:
    """Append-only record of one project's apply runs."""

    def __init__(self, directory: Path | str, *, run_id: str | None = None, durable: bool = True) -> None:
        self.path = Path(directory) / ".provision" / "journal.jsonl"
        self.run_id = run_id or uuid.uuid4().hex[:12]
        self.durable = durable

    def write(self, status: str, address: str, op: str, *, error: str | None = None) -> None:
        """Append one entry."""
        self._append([self._entry(status, address, op, error)])

    def _entry(self, status: str, address: str, op: str, error: str | None) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "run": self.run_id, "status": status, "address": address, "op": op,
            "host": socket.gethostname(), "pid": os.getpid(),
        }
        if error is not None:
            entry["error"] = error
        return entry

    def _append(self, entries: list[dict[str, Any]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries))
            fh.flush()
            if self.durable:
                os.fsync(fh.fileno())

    def reconcile(self, pending: list[JournalEntry]) -> None:
        """Mark `pending` operations as settled by a fresh read (they are reported no more)."""
        if pending:
            self._append([self._entry(RECONCILED, e.address, e.op, None) for e in pending])

    def on_event(self, event: ApplyEvent) -> None:
        """Executor listener: journal started, finished and failed calls."""
        status = _STATUS.get(event.kind)
        if status is not None:
            self.write(status, event.node.address, event.node.op.value, error=event.error)

    def entries(self) -> list[JournalEntry]:
        """Every readable entry, oldest first (a torn last line from a crash is ignored)."""
        if not self.path.exists():
            return []
        result: list[JournalEntry] = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                data = json.loads(line)
                pid = data.get("pid")
                result.append(JournalEntry(data["time"], data["run"], data["status"], data["address"],
                                           data["op"], data.get("error"), data.get("host"),
                                           pid if isinstance(pid, int) else None))
            except (json.JSONDecodeError, KeyError, TypeError):
                continue
        return result

    def pending(self) -> list[JournalEntry]:
        """Operations started but never finished or failed (by address and op, latest entry wins)."""
        latest: dict[tuple[str, str], JournalEntry] = {}
        for entry in self.entries():
            latest[(entry.address, entry.op)] = entry
        return [e for e in latest.values() if e.status == "started"]

    def record_plan_applied(self, checksum: str) -> None:
        """Note that the saved plan with `checksum` was applied completely."""
        self._append([self._entry(PLAN_APPLIED, "(plan)", checksum, None)])

    def plan_applied(self, checksum: str) -> JournalEntry | None:
        """The entry saying the saved plan with `checksum` was applied completely, if any."""
        return next((e for e in reversed(self.entries()) if e.status == PLAN_APPLIED and e.op == checksum),
                    None)

    def interrupted(self) -> list[JournalEntry]:
        """Pending operations of runs that are no longer running (an apply of the project still
        in progress on this host is left out: its calls are merely in flight)."""
        return [e for e in self.pending() if not e.running()]


def interrupted_lines(pending: list[JournalEntry], *, limit: int = 20) -> list[str]:
    """What to tell the user about operations an earlier apply started and never saw finish."""
    if not pending:
        return []
    count = len(pending)
    runs = ", ".join(sorted({f"{e.run} at {e.time}" for e in pending})[:3])
    lines = [f"An earlier apply was interrupted ({runs}): {count} operation"
             f"{'' if count == 1 else 's'} started but never finished:"]
    lines += [f"  {e.op} {e.address}" for e in sorted(pending, key=lambda e: (e.address, e.op))[:limit]]
    if count > limit:
        lines.append(f"  … and {count - limit} more")
    lines.append("The plan reads what they left behind: what exists is not written again, "
                 "what is missing is planned.")
    return lines
