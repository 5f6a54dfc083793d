"""`Sandbox`: one emulator instance (both vendors) with its app, transport, counts and persistence."""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from provisioner.sandbox.admin import build_admin_routes
from provisioner.sandbox.agent_iam import AgentIam
from provisioner.sandbox.agentmanagement import AgentService
from provisioner.sandbox.assetmanagement import build_asset_management_routes
from provisioner.sandbox.auth_ih import Signer, build_auth_routes
from provisioner.sandbox.context import IhContext
from provisioner.sandbox.eventmanagement import EventService
from provisioner.sandbox.exchange import ExchangeService
from provisioner.sandbox.faults import FaultInjector
from provisioner.sandbox.iottimeseries import TimeSeriesService
from provisioner.sandbox.itwin import ItwinHalf
from provisioner.sandbox.middleware import EndpointIndex, SandboxMiddleware
from provisioner.sandbox.mindconnect import MappingService
from provisioner.sandbox.quota import QuotaTable, quota_limits
from provisioner.sandbox.route_groups import group_routes
from provisioner.sandbox.settings import SandboxSettings
from provisioner.sandbox.store import (
    STATE_VERSION,
    IhState,
    StateFileError,
    new_id,
    read_state_file,
    write_state_file,
)
from provisioner.sandbox.telemetry import Telemetry
from provisioner.sandbox.transport import SandboxTransport


def _nothing() -> None:
    return None


class Sandbox:
    """The emulator: `.app` (ASGI), `.transport()` for in-process httpx clients, `.counts()`, `.reset()`,
    `.snapshot()`, `.load()`. With `settings.state_file` it restores state on start and saves after writes."""

    def __init__(self, settings: SandboxSettings | None = None) -> None:
        self.settings = settings = settings or SandboxSettings()
        self.fault_rng = random.Random(settings.seed)
        self.faults = FaultInjector(settings.faults, self.fault_rng)
        self.quota = QuotaTable(quota_limits(settings.quota), time_scale=settings.time_scale)
        self._counts: Counter[str] = Counter()
        self._save_handle: asyncio.TimerHandle | None = None
        self._dirty = False
        self.after_load: Callable[[], None] = _nothing  # e.g. the server process settles its heap
        stored = read_state_file(settings.state_file) if settings.state_file else None
        signer = Signer(stored["signingKey"]) if stored and stored.get("signingKey") else Signer.generate()
        self.ctx = IhContext(
            settings,
            IhState(),
            random.Random(f"ids-{settings.seed}"),
            signer,
            root_id="",
            on_change=self._changed,
        )
        self.itwin = ItwinHalf(settings, random.Random(f"itwin-{settings.seed}"))
        if stored is not None:
            try:
                self._load(stored)
            except (KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError) as exc:
                raise StateFileError(
                    f"state file {settings.state_file} is unreadable or corrupt (its content does not "
                    f"have the sandbox's shape: {type(exc).__name__}: {str(exc)[:200]}); fix it, restore "
                    "a backup, or remove it to start from an empty tenant") from None
        else:
            self._fresh()
        mappings = MappingService(self.ctx)
        self.routes: list[BaseRoute] = group_routes([
            *build_auth_routes(signer, settings),
            *build_asset_management_routes(self.ctx),
            *AgentService(self.ctx).routes(),
            *AgentIam(self.ctx).routes(),
            *mappings.routes(),
            *ExchangeService(self.ctx, mappings).routes(),
            *TimeSeriesService(self.ctx, mappings).routes(),
            *EventService(self.ctx).routes(),
            *self.itwin.routes,
            *build_admin_routes(self),
        ])
        index = EndpointIndex(lambda: self.routes)
        middleware = Middleware(
            SandboxMiddleware,
            index=index,
            counts=self._counts,
            faults=self.faults,
            quota=self.quota,
            latency=lambda: self.settings.latency_ms / 1000.0,
            clock=settings.clock,
            max_body_bytes=lambda: self.settings.max_body_bytes,
            max_json_depth=lambda: self.settings.max_json_depth,
        )
        self.app = Starlette(routes=self.routes, middleware=[middleware], lifespan=self._lifespan)

    # -- state -------------------------------------------------------------------------------------
    def _fresh(self) -> None:
        self.ctx.rng.seed(f"ids-{self.settings.seed}")
        self.ctx.root_id = new_id(self.ctx.rng)
        self.ctx.state = IhState.seeded(
            self.settings.tenant, self.ctx.root_id, self.ctx.now_iso(), self.settings.root_aspects
        )
        self.ctx.telemetry = Telemetry()
        self.itwin.reset()

    def _load(self, doc: dict[str, Any]) -> None:
        state = IhState.from_dict(doc["insightsHub"])
        root = str(doc["root"])
        if root not in state.assets:
            raise ValueError(f"root asset {root} is not among the assets")
        self.ctx.state, self.ctx.root_id = state, root
        if isinstance(doc.get("rng"), list):
            version, internal, gauss = doc["rng"]
            self.ctx.rng.setstate((version, tuple(internal), gauss))
        self.itwin.load_dict(doc.get("itwin"))

    def load(self, doc: dict[str, Any]) -> None:
        """Replace the whole state with a state document (as returned by `snapshot()`)."""
        self._load(doc)
        self._changed()
        self.after_load()

    def reset(self) -> None:
        """Back to a fresh tenant: built-in types and root asset only; counts, quotas and rngs restart."""
        self.fault_rng.seed(self.settings.seed)
        self._fresh()
        self._counts.clear()
        self.quota.set_limits(self.quota.limits)
        self._changed()

    def snapshot(self) -> dict[str, Any]:
        """A JSON-serialisable copy of all state (no signing key)."""
        doc = {
            "version": STATE_VERSION,
            "root": self.ctx.root_id,
            "insightsHub": self.ctx.state.to_dict(),
            "itwin": self.itwin.to_dict(),
        }
        copied: dict[str, Any] = json.loads(json.dumps(doc))
        return copied

    def counts(self, *, reset: bool = False) -> dict[str, Any]:
        """Requests per endpoint class (`METHOD /template`) and in total; `reset` clears them after."""
        out = {"endpoints": dict(sorted(self._counts.items())), "total": sum(self._counts.values())}
        if reset:
            self._counts.clear()
        return out

    def transport(self) -> SandboxTransport:
        """An httpx transport into this app (no sockets)."""
        return SandboxTransport(self.app)

    # -- persistence -------------------------------------------------------------------------------
    def _changed(self) -> None:
        if self.settings.state_file is None:
            return
        self._dirty = True
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        if self.settings.save_debounce_s <= 0:
            self.flush()
        elif self._save_handle is None:
            self._save_handle = loop.call_later(self.settings.save_debounce_s, self.flush)

    def flush(self) -> None:
        """Write the state file now if anything changed since the last write."""
        self._save_handle = None
        if self.settings.state_file is None or not self._dirty:
            return
        doc = {
            "version": STATE_VERSION,
            "root": self.ctx.root_id,
            "signingKey": self.ctx.signer.private_pem,
            "rng": list(self.ctx.rng.getstate()),
            "insightsHub": self.ctx.state.to_dict(),
            "itwin": self.itwin.to_dict(),
        }
        write_state_file(self.settings.state_file, doc)
        self._dirty = False

    @asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        yield
        if self._save_handle is not None:
            self._save_handle.cancel()
        self.flush()
