"""An append-only JSONL journal of provider calls: `<dir>/.provision/journal.jsonl`.

Each line is `{"time", "run", "status": started|finished|failed, "address", "op", ...}`, flushed
(and fsynced) as written, so a crash leaves a record of calls whose outcome is unknown. `pending()`
returns the operations whose latest entry is `started`: the next run reports them, and the
providers' lookup by identity adopts whatever those calls created.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from provisioner.apply.events import ApplyEvent, EventKind

_STATUS = {EventKind.STARTED: "started", EventKind.FINISHED: "finished", EventKind.FAILED: "failed"}


@dataclass(frozen=True)
class JournalEntry:
    time: str
    run: str
    status: str
    address: str
    op: str
    error: str | None = None


class Journal:
    """Append-only record of one project's apply runs."""

    def __init__(self, directory: Path | str, *, run_id: str | None = None, durable: bool = True) -> None:
        self.path = Path(directory) / ".provision" / "journal.jsonl"
        self.run_id = run_id or uuid.uuid4().hex[:12]
        self.durable = durable

    def write(self, status: str, address: str, op: str, *, error: str | None = None) -> None:
        """Append one entry."""
        entry: dict[str, Any] = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "run": self.run_id, "status": status, "address": address, "op": op,
        }
        if error is not None:
            entry["error"] = error
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
            fh.flush()
            if self.durable:
                os.fsync(fh.fileno())

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
                result.append(JournalEntry(data["time"], data["run"], data["status"], data["address"],
                                           data["op"], data.get("error")))
            except (json.JSONDecodeError, KeyError, TypeError):
                continue
        return result

    def pending(self) -> list[JournalEntry]:
        """Operations started but never finished or failed (by address and op, latest entry wins)."""
        latest: dict[tuple[str, str], JournalEntry] = {}
        for entry in self.entries():
            latest[(entry.address, entry.op)] = entry
        return [e for e in latest.values() if e.status == "started"]
