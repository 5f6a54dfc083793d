"""What a client-side quota tells its observer (the apply's progress display): slots taken, waits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class QuotaWait:
    """A call of `endpoint_class` waits `seconds` (real time) for a quota slot; `label` says which
    quota, e.g. `mindconnect POST /dataPointMappings, 1,050/h`."""

    endpoint_class: str
    label: str
    seconds: float


class QuotaObserver(Protocol):
    """Told about client-side quota slots: each one taken, and each wait for one."""

    def quota_taken(self, endpoint_class: str) -> None: ...

    def quota_wait(self, wait: QuotaWait) -> None: ...
