"""Per-stack apply leases around an apply: at most one apply of a stack writes to a platform at a time.

A provider that can lease (`LeasingProvider`, today Insights Hub: see
`provisioner.providers.insights_hub.lease`) is asked to take its lease before the first write and
to give it back after the last; a provider without one is left alone. `plan_read_here` tells the
provider whether the plan was read by this session just before (so it may trust that read when
nothing else took the lease since) or comes from elsewhere (a saved plan: it must look before
it creates).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from typing import Protocol, runtime_checkable

from provisioner.model import Provider


@runtime_checkable
class LeasingProvider(Protocol):
    """A provider with a per-stack lease."""

    async def acquire_lease(self, *, plan_read_here: bool) -> None:
        """Take the stack's lease (waiting a bounded time); raise a `ProvisionError` naming the holder."""
        ...

    async def release_lease(self) -> None:
        """Give the lease back."""
        ...


@runtime_checkable
class LockControl(Protocol):
    """A provider whose lease the CLI tunes and breaks (`apply --lock-timeout`, `provision unlock`)."""

    def set_lock_timeout(self, seconds: float, notify: Callable[[str], None] | None = None) -> None:
        """Wait at most `seconds` for another apply's lease, telling `notify` when a wait begins."""
        ...

    async def unlock(self, *, force: bool) -> str | None:
        """Free the stack's lease; who held it (None when it was free). Refuses (`ProvisionError`)
        while a live holder renews it, unless `force`."""
        ...


def set_lock_timeout(providers: Mapping[str, Provider], seconds: float,
                     notify: Callable[[str], None] | None = None) -> None:
    """Make every leasing provider wait at most `seconds` for another apply's lease (and tell
    `notify` when it starts waiting)."""
    for provider in providers.values():
        if isinstance(provider, LockControl):
            provider.set_lock_timeout(seconds, notify)


@asynccontextmanager
async def stack_leases(providers: Mapping[str, Provider], platforms: Iterable[str], *,
                       plan_read_here: bool) -> AsyncIterator[None]:
    """Hold the lease of every leasing provider among `platforms` for the block."""
    held: list[LeasingProvider] = []
    try:
        for name in sorted(set(platforms)):
            provider = providers.get(name)
            if isinstance(provider, LeasingProvider):
                await provider.acquire_lease(plan_read_here=plan_read_here)
                held.append(provider)
        yield
    finally:
        for leasing in reversed(held):
            await leasing.release_lease()
