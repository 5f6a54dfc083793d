"""What a client-side quota tells its observer (the apply's progress display): slots taken, waits;
and how a call waiting for a quota slot gives its executor slots back meanwhile (`outside_slots`)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from contextvars import ContextVar, Token
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


SlotRelease = Callable[[], AbstractAsyncContextManager[None]]
"""Gives the running change's executor slots back for a block (a wait that needs none), then
takes them again."""

_SLOT_RELEASE: ContextVar[SlotRelease | None] = ContextVar("provision_slot_release", default=None)


def set_slot_release(release: SlotRelease | None) -> Token[SlotRelease | None]:
    """The executor says how the running change (this task) gives its slots back while it waits."""
    return _SLOT_RELEASE.set(release)


def reset_slot_release(token: Token[SlotRelease | None]) -> None:
    _SLOT_RELEASE.reset(token)


def outside_slots() -> AbstractAsyncContextManager[None]:
    """A block in which the running change holds no executor slot (a quota wait: other changes,
    of other endpoint classes, go on meanwhile); a no-op outside an apply."""
    release = _SLOT_RELEASE.get()
    return release() if release is not None else contextlib.nullcontext()
