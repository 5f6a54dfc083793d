"""What agents sent: time series by (asset id, aspect name), events (Event Management documents,
with the tenant's event types) and the recoverable records of data the service could not store.
Kept in memory only (not in the state file): a restart starts with no data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Doc = dict[str, Any]


@dataclass
class Telemetry:
    """Time series records `{_time, <variable>: value, ...}` keyed by `(entityId, propertySetName)`
    and `_time`, plus events and recoverable records in arrival order."""

    series: dict[tuple[str, str], dict[str, Doc]] = field(default_factory=dict)
    recoverable: list[Doc] = field(default_factory=list)
    events: list[Doc] = field(default_factory=list)
    event_types: dict[str, Doc] = field(default_factory=dict)  # Event Management types by id

    def write(self, entity_id: str, aspect: str, time: str, values: Doc) -> None:
        """Merge `values` into the record at `time` (later writes of a variable win)."""
        records = self.series.setdefault((entity_id, aspect), {})
        records[time] = {**records.get(time, {"_time": time}), **values}

    def records(self, entity_id: str, aspect: str) -> list[Doc]:
        """The records of one asset aspect, oldest first (ISO-8601 UTC strings sort by time)."""
        stored = self.series.get((entity_id, aspect), {})
        return [stored[t] for t in sorted(stored)]
