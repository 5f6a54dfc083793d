"""Open the providers a configuration needs and run the plan pipeline (read live -> diff -> plan).

This is the one place that knows how configuration turns into clients and providers; the CLI
commands stay thin and tests inject an `httpx` transport (the in-process sandbox) here.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from provisioner.config.schema import (
    ApiKeyAuth,
    AppCredentials,
    InsightsHubSettings,
    ItwinIotSettings,
    ProjectConfig,
    RateLimits,
)
from provisioner.config.secrets import Secret, iter_secrets, missing_issue
from provisioner.errors import ConfigError, ProvisionError
from provisioner.gc_tuning import paused_collections
from provisioner.model import ApplyContext, LiveState, Provider
from provisioner.model.quota import QuotaObserver
from provisioner.plan import Plan, build_plan
from provisioner.providers.http.credentials import (
    IhAppCredentials,
    IhServiceCredentials,
    ItwinApiKey,
    ItwinClientCredentials,
)
from provisioner.providers.http.rate_limits import LimitsConfig
from provisioner.providers.http.retry import RetryPolicy
from provisioner.providers.insights_hub.client import InsightsHubClient
from provisioner.providers.insights_hub.desired import desired_resources as hub_resources
from provisioner.providers.insights_hub.desired import moved_type_ids
from provisioner.providers.insights_hub.provider import InsightsHubProvider
from provisioner.providers.itwin_iot.client import ItwinIotClient
from provisioner.providers.itwin_iot.desired import desired_resources as itwin_resources
from provisioner.providers.itwin_iot.provider import ItwinIotProvider


def _reveal(value: Secret | str) -> str:
    return value.reveal() if isinstance(value, Secret) else value


def _limits(config: RateLimits) -> LimitsConfig:
    if isinstance(config, str):
        return config
    return {name: {"per_minute": rule.per_minute, "per_hour": rule.per_hour} for name, rule in config.items()}


def _hub_client(settings: InsightsHubSettings, transport: httpx.AsyncBaseTransport | None,
               retry: RetryPolicy | None = None) -> InsightsHubClient:
    auth = settings.auth
    credentials: IhServiceCredentials | IhAppCredentials
    if isinstance(auth, AppCredentials):
        credentials = IhAppCredentials(client_id=_reveal(auth.client_id),
                                       client_secret=auth.client_secret.reveal(),
                                       host_tenant=auth.host_tenant, user_tenant=auth.user_tenant,
                                       app_name=auth.app_name, app_version=auth.app_version)
    else:
        credentials = IhServiceCredentials(tenant=settings.tenant, client_id=_reveal(auth.client_id),
                                           client_secret=auth.client_secret.reveal())
    return InsightsHubClient(settings.base_url, credentials, transport=transport, retry=retry,
                             limits=_limits(settings.rate_limits), concurrency=settings.concurrency,
                          quota_time_scale=settings.quota_time_scale)


def _itwin_client(settings: ItwinIotSettings, transport: httpx.AsyncBaseTransport | None,
                  retry: RetryPolicy | None = None) -> ItwinIotClient:
    auth = settings.auth
    credentials: ItwinApiKey | ItwinClientCredentials
    if isinstance(auth, ApiKeyAuth):
        credentials = ItwinApiKey(key=auth.api_key.reveal())
    else:
        credentials = ItwinClientCredentials(client_id=_reveal(auth.client_id),
                                             client_secret=auth.client_secret.reveal(),
                                             scope=auth.scope, token_url=auth.token_url)
    return ItwinIotClient(settings.base_url, credentials, transport=transport, retry=retry,
                          limits=_limits(settings.rate_limits), concurrency=settings.concurrency,
                          quota_time_scale=settings.quota_time_scale)


@dataclass
class Session:
    """The providers of one configuration, open for reading and writing."""

    config: ProjectConfig
    providers: dict[str, Provider] = field(default_factory=dict)
    hub: InsightsHubClient | None = None
    itwin: ItwinIotClient | None = None

    def api_calls(self) -> dict[str, int]:
        """Requests sent so far per platform."""
        calls = {}
        if self.hub is not None:
            calls["insights_hub"] = self.hub.stats.total
        if self.itwin is not None:
            calls["itwin_iot"] = self.itwin.stats.total
        return calls

    def rate_limits(self) -> dict[str, list[tuple[int, float]]]:
        """Client-side quotas per endpoint class as (limit, window seconds), for the plan estimate."""
        out: dict[str, list[tuple[int, float]]] = {}
        for client in (self.hub, self.itwin):
            if client is not None:
                for name, rule in client.rate_limits.items():
                    if rule.windows():
                        out[name] = [(limit, window) for window, limit in rule.windows()]
        return out

    def quota_time_scale(self) -> dict[str, float]:
        """Per-platform quota time scale of the clients (1 unless `quota_time_scale` is set)."""
        scales = {}
        if self.hub is not None:
            scales["insights_hub"] = self.hub.limiter.time_scale
        if self.itwin is not None:
            scales["itwin_iot"] = self.itwin.limiter.time_scale
        return scales

    def observe_quotas(self, observer: QuotaObserver | None) -> None:
        """Tell `observer` about every client-side quota slot taken or waited for (the progress
        display: its wait notices and its ETA)."""
        for client in (self.hub, self.itwin):
            if client is not None:
                client.limiter.observer = observer

    def concurrency(self) -> dict[str, int]:
        """Per-platform concurrency caps from the configuration."""
        caps = {}
        if self.config.platforms.insights_hub is not None:
            caps["insights_hub"] = self.config.platforms.insights_hub.concurrency
        if self.config.platforms.itwin_iot is not None:
            caps["itwin_iot"] = self.config.platforms.itwin_iot.concurrency
        return caps

    async def aclose(self) -> None:
        await asyncio.gather(*(p.aclose() for p in self.providers.values()))

    async def __aenter__(self) -> Session:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def open_session(config: ProjectConfig, *, transport: httpx.AsyncBaseTransport | None = None,
                 retry: RetryPolicy | None = None) -> Session:
    """Build clients and providers for every platform the configuration sets up (`transport` and
    `retry` are for tests: the in-process sandbox, waits that cost no time).

    Every unset `${env:NAME}` secret is named in one ConfigError before any client is built."""
    unset = [missing_issue(s) for s in iter_secrets(config.platforms) if not s.is_set()]
    if unset:
        raise ConfigError(unset)
    session = Session(config)
    hub = config.platforms.insights_hub
    if hub is not None:
        session.hub = _hub_client(hub, transport, retry)
        session.providers["insights_hub"] = InsightsHubProvider(
            session.hub, tenant=hub.tenant, stack=config.stack, resources=hub_resources(config),
            type_ids=moved_type_ids(config, hub.tenant))
    itwin = config.platforms.itwin_iot
    if itwin is not None:
        session.itwin = _itwin_client(itwin, transport, retry)
        session.providers["itwin_iot"] = ItwinIotProvider(
            session.itwin, project=itwin.project, stack=config.stack, resources=itwin_resources(config))
    declared = {"insights_hub": bool(config.insights_hub.aspect_types or config.insights_hub.asset_types
                                     or config.insights_hub.assets or config.insights_hub.agents),
                "itwin_iot": bool(config.itwin_iot.connections)}
    missing = [p for p, used in declared.items() if used and p not in session.providers]
    if missing:
        raise ProvisionError(f"resources of {', '.join(missing)} are declared "
                             f"but platforms.{missing[0]} is not set")
    return session


async def read_live(session: Session) -> dict[str, LiveState]:
    """Read every platform concurrently."""
    names = list(session.providers)
    providers = session.providers
    tasks = [asyncio.ensure_future(providers[n].read_live(providers[n].desired())) for n in names]
    try:
        states = await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:  # one platform failed: stop the others before the session closes
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    return dict(zip(names, states, strict=True))


async def make_plan(session: Session, *, targets: Sequence[str] = (),
                    excludes: Sequence[str] = ()) -> tuple[Plan, dict[str, LiveState]]:
    """Read live state and build the plan; the live state is returned for the apply context."""
    with paused_collections():
        live = await read_live(session)
        desired = [r for p in session.providers.values() for r in p.desired()]
        plan = build_plan(desired, live, session.providers, targets=targets, excludes=excludes,
                          rate_limits=session.rate_limits(), concurrency=session.concurrency(),
                          time_scale=session.quota_time_scale())
    return plan, live


def needs_live_ids(plan: Plan) -> bool:
    """True when some change depends on an object the plan does not touch (its id must be read)."""
    touched = {c.address for c in plan.changes}
    return any(dep not in touched for c in plan.changes for dep in c.depends_on)


def apply_context(plan: Plan, live: Mapping[str, LiveState] | None = None) -> ApplyContext:
    """The context an apply starts from: ids of live objects plus every change by address."""
    ids = {a: r.server_id for state in (live or {}).values() for a, r in state.managed.items()}
    for change in plan.changes:
        if change.server_id:
            ids.setdefault(change.address, change.server_id)
    return ApplyContext(ids=ids, changes={c.address: c for c in plan.changes})


def config_digest(config: ProjectConfig) -> str:
    """A digest of the desired state (secrets appear as their `${env:…}` references only)."""
    data: Any = config.model_dump(mode="json")
    return "sha256:" + hashlib.sha256(repr(data).encode()).hexdigest()
