"""Insights Hub changes -> API calls, idempotent under ambiguous failures.

Every create first tries the write; when its outcome is unknown (`AmbiguousWriteError`), or the
service says the object already exists, the object is looked up by its identity (type id,
ownership marker, agent id == asset id, mapping tuple) and adopted instead of created twice.
Assets and agents (server-chosen ids) rely on the stack's apply lease (`lease`) against
concurrent applies; updates are merge-patches of the changed fields.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol, TypeVar

from provisioner.errors import ProvisionError
from provisioner.model import Action, ApplyContext, Change
from provisioner.providers.http.errors import (
    AmbiguousWriteError,
    ConflictError,
    NotFoundError,
    PreconditionFailedError,
)
from provisioner.providers.insights_hub import bodies, kinds
from provisioner.providers.insights_hub import normalize as norm
from provisioner.providers.insights_hub.compare import prune_unset
from provisioner.providers.insights_hub.lease import StackLease
from provisioner.providers.insights_hub.normalize import dsc_attrs
from provisioner.providers.marker import mark_description, split_description

JSONDict = dict[str, Any]
T = TypeVar("T")
# Boarding states after which an agent may be deleted; anything else (ONBOARDED, ONBOARDING, the
# asynchronous OFFBOARDING) means wait (mindconnect-nodejs test-agent-setup-utils.ts:216-221).
OFFBOARDED_STATES = frozenset({"NOT_ONBOARDED", "OFFBOARDED"})
BUSY_BEFORE_OFFBOARD = frozenset({"ONBOARDED", "ONBOARDING"})


class OffboardTimeoutError(ProvisionError):
    """An agent's offboarding did not finish within the bounded wait; nothing was deleted."""


class HubClient(Protocol):
    """The subset of `InsightsHubClient` the provider uses."""

    async def get_root_asset(self) -> JSONDict: ...
    async def put_aspect_type(self, type_id: str, body: JSONDict, *, if_match: int | str | None = None,
                              if_none_match_star: bool = False) -> JSONDict: ...
    async def get_aspect_type(self, type_id: str) -> JSONDict: ...
    async def delete_aspect_type(self, type_id: str, etag: int | str) -> None: ...
    async def patch_aspect_type_variables(self, type_id: str, body: JSONDict, etag: int | str) -> None: ...
    async def put_asset_type(self, type_id: str, body: JSONDict, *, if_match: int | str | None = None,
                             if_none_match_star: bool = False) -> JSONDict: ...
    async def get_asset_type(self, type_id: str) -> JSONDict: ...
    async def delete_asset_type(self, type_id: str, etag: int | str) -> None: ...
    async def list_assets(self, filter: JSONDict | None = None) -> list[JSONDict]: ...
    async def patch_asset(self, asset_id: str, patch: JSONDict, etag: int | str) -> JSONDict: ...
    async def patch_aspect_type(self, type_id: str, patch: JSONDict, etag: int | str) -> JSONDict: ...
    async def patch_asset_type(self, type_id: str, patch: JSONDict, etag: int | str) -> JSONDict: ...
    async def get_asset(self, asset_id: str) -> JSONDict: ...
    async def create_asset(self, body: JSONDict) -> JSONDict: ...
    async def put_asset(self, asset_id: str, body: JSONDict, etag: int | str) -> JSONDict: ...
    async def move_asset(self, asset_id: str, new_parent_id: str, etag: int | str) -> JSONDict: ...
    async def delete_asset(self, asset_id: str, etag: int | str) -> None: ...
    async def get_agent(self, agent_id: str) -> JSONDict: ...
    async def create_agent(self, body: JSONDict) -> JSONDict: ...
    async def put_agent(self, agent_id: str, body: JSONDict, etag: str) -> JSONDict: ...
    async def delete_agent(self, agent_id: str, etag: str) -> None: ...
    async def get_boarding_status(self, agent_id: str) -> JSONDict: ...
    async def offboard(self, agent_id: str) -> JSONDict: ...
    async def get_dsc(self, agent_id: str) -> JSONDict: ...
    async def put_dsc(self, agent_id: str, body: JSONDict, etag: str) -> JSONDict: ...
    async def list_mappings(self, filter: JSONDict | None = None) -> list[JSONDict]: ...
    async def create_mapping(self, body: JSONDict) -> JSONDict: ...
    async def delete_mapping(self, mapping_id: str) -> None: ...
    async def list_event_mappings(self, filter: JSONDict | None = None) -> list[JSONDict]: ...
    async def get_event_mapping(self, mapping_id: str) -> JSONDict: ...
    async def create_event_mapping(self, body: JSONDict) -> JSONDict: ...
    async def patch_event_mapping(self, mapping_id: str, body: JSONDict, etag: str) -> JSONDict: ...
    async def delete_event_mapping(self, mapping_id: str, etag: str) -> None: ...


class Operations:
    """Performs one change at a time for one tenant and stack."""

    def __init__(self, client: HubClient, *, tenant: str, stack: str, lease: StackLease | None = None,
                 offboard_wait: float = 60.0,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 type_ids: Mapping[str, str] | None = None) -> None:
        self.client = client
        self.tenant = tenant
        self.type_ids = dict(type_ids or {})  # moved types keep their first id (`moved_type_ids`)
        self.stack = stack
        self.lease = lease
        # True: look an asset or agent up before creating it (the read may be stale, or another
        # apply may write). False only while this apply holds the stack's lease and nothing took it
        # since the plan's read began (`InsightsHubProvider.acquire_lease`).
        self.guarded = True
        self.offboard_wait = offboard_wait
        self._sleep = sleep
        self._root_id: str | None = None
        self._agent_assets: dict[str, str] = {}  # agent address -> its marked asset whose agent is missing
        self._created: dict[str, JSONDict] = {}  # address -> asset this apply created (for retries)

    # -- helpers -------------------------------------------------------------------------------
    async def root_id(self) -> str:
        """The tenant's root asset id (read once)."""
        if self._root_id is None:
            self._root_id = str((await self.client.get_root_asset())["assetId"])
        return self._root_id

    def note_agent_assets(self, assets: Mapping[str, str]) -> None:
        """Remember the read's marked agent assets without an agent (an interrupted earlier create)."""
        self._agent_assets = dict(assets)

    async def live_asset(self, asset_id: str) -> JSONDict:
        """GET an asset; a soft-deleted one (with a `deleted` timestamp) counts as not found."""
        asset = await self.client.get_asset(asset_id)
        if asset.get("deleted"):
            raise NotFoundError(f"asset {asset_id} is deleted", status=404, method="GET")
        return asset

    def set_root_id(self, root_id: str | None) -> None:
        """Remember the root id learned from a list read."""
        if root_id:
            self._root_id = root_id

    async def asset_id(self, ref: str, ctx: ApplyContext) -> str:
        """Resolve `root`, an address or `id:<assetId>` to an asset id."""
        if ref == "root":
            return await self.root_id()
        if ref.startswith("id:"):
            return ref[3:]
        try:
            return ctx.ids[ref]
        except KeyError:
            raise ProvisionError(f"{ref}: no server id known (was it created?)") from None

    def type_id(self, address: str) -> tuple[str, str]:
        """(name, id) of an aspect or asset type address (a moved type keeps its first id and name)."""
        type_id = self.type_ids.get(address) or f"{self.tenant}.{address.rsplit('.', 1)[-1]}"
        return type_id.split(".", 1)[1], type_id

    @staticmethod
    def key(address: str) -> str:
        """The marker key of an address: the address without the platform."""
        return address.split(".", 1)[1]

    @staticmethod
    async def _adopting(write: Callable[[], Awaitable[T]], lookup: Callable[[], Awaitable[T | None]]) -> T:
        """Run a create; if its outcome is unknown or it collides, adopt what the lookup finds."""
        try:
            return await write()
        except (AmbiguousWriteError, ConflictError, PreconditionFailedError):
            found = await lookup()
            if found is None:
                raise
            return found

    async def _marked_assets(self, address: str, name: str) -> list[JSONDict]:
        """This stack's assets for `address` named `name`, in the order the service lists them."""
        return [asset for asset in await self.client.list_assets(filter={"name": name})
                if split_description(asset.get("description"))[1:] == (self.stack, self.key(address))]

    async def _find_marked_asset(self, address: str, name: str) -> JSONDict | None:
        found = await self._marked_assets(address, name)
        return found[0] if found else None

    async def _create_asset(self, address: str, name: str, body: JSONDict) -> JSONDict:
        """POST an asset exactly once for this stack and address.

        Assets have no unique key on the service, so twins are prevented by the stack's lease
        (`lease`): while this apply holds it no other apply of the stack writes. When the plan's
        read is known to be current (`guarded` is false) the read's word that the asset is absent
        is trusted; otherwise the marked asset is looked up first and adopted. No list after the
        create: its result would depend on the service's list order.
        """
        if address in self._created:  # a retry of a change whose asset create went through
            return self._created[address]
        if self.lease is not None:
            self.lease.check()
        if self.guarded:
            found = await self._find_marked_asset(address, name)
            if found is not None:
                return found
        created = await self._adopting(lambda: self.client.create_asset(body),
                                       lambda: self._find_marked_asset(address, name))
        self._created[address] = created
        return created

    # -- dispatch ------------------------------------------------------------------------------
    async def apply(self, change: Change, ctx: ApplyContext) -> str | None:
        """Perform one CREATE, UPDATE or DELETE; return the server id of a created object."""
        handler = {
            kinds.ASPECT_TYPE: self._type,
            kinds.ASSET_TYPE: self._type,
            kinds.ASSET: self._asset,
            kinds.AGENT: self._agent,
            kinds.DATA_SOURCES: self._dsc,
            kinds.MAPPING: self._mapping,
            kinds.EVENT_MAPPING: self._event_mapping,
        }[change.kind]
        try:
            return await handler(change, ctx)
        except AmbiguousWriteError:
            # e.g. a PUT that committed, then a retry refused with 412: check before failing
            if change.action is Action.UPDATE and await self._already_applied(change, ctx):
                return None
            raise

    async def _already_applied(self, change: Change, ctx: ApplyContext) -> bool:
        """True when the live object already has the update's attributes (and this stack's marker)."""
        after = change.after or {}
        sid = change.server_id or ctx.ids.get(change.address, "")
        if change.kind in (kinds.ASPECT_TYPE, kinds.ASSET_TYPE):
            aspect = change.kind == kinds.ASPECT_TYPE
            _, type_id = self.type_id(change.address)
            get = self.client.get_aspect_type if aspect else self.client.get_asset_type
            live = await get(type_id)
            attrs = norm.aspect_type_attrs(live) if aspect else norm.asset_type_attrs(live)
            compared = prune_unset(attrs, after, change.kind)
        elif change.kind == kinds.ASSET:
            live = await self.live_asset(sid)
            parent_id = await self.asset_id(after["parent"], ctx)
            parent = after["parent"] if live.get("parentId") == parent_id else f"id:{live.get('parentId')}"
            compared = prune_unset(norm.asset_attrs(live, parent), after, change.kind)
        elif change.kind == kinds.EVENT_MAPPING:
            live = await self.client.get_event_mapping(sid)
            asset_id = await self.asset_id(after["asset"], ctx)
            asset = after["asset"] if live.get("assetId") == asset_id else f"id:{live.get('assetId')}"
            compared = norm.event_mapping_attrs(live, asset)
        else:
            return False  # agents and data source configurations check their own writes
        marked = split_description(live.get("description"))[1:] == (self.stack, self.key(change.address))
        return compared == dict(after) and (marked or change.kind == kinds.EVENT_MAPPING)

    # -- aspect and asset types ----------------------------------------------------------------
    async def _type(self, change: Change, ctx: ApplyContext) -> str | None:
        name, type_id = self.type_id(change.address)
        aspect = change.kind == kinds.ASPECT_TYPE
        put = self.client.put_aspect_type if aspect else self.client.put_asset_type
        get = self.client.get_aspect_type if aspect else self.client.get_asset_type
        build = bodies.aspect_type_body if aspect else bodies.asset_type_body
        if change.action is Action.DELETE:
            delete = self.client.delete_aspect_type if aspect else self.client.delete_asset_type
            await self._delete_with_etag(lambda: get(type_id), lambda etag: delete(type_id, etag),
                                         change.precondition)
            return None
        assert change.after is not None
        body = build(name, change.after, self.stack, self.key(change.address))
        if change.action is Action.CREATE:
            async def lookup() -> JSONDict | None:
                try:
                    live = await get(type_id)
                except NotFoundError:
                    return None
                _, stack, key = split_description(live.get("description"))
                return live if (stack, key) == (self.stack, self.key(change.address)) else None
            created = await self._adopting(lambda: put(type_id, body, if_none_match_star=True), lookup)
            return str(created.get("id", type_id))
        etag: int | str = change.precondition or "0"
        if aspect and change.before is not None:
            before_vars = set(change.before.get("variables", {}))
            removed = before_vars - set(change.after.get("variables", {}))
            if removed:  # removing variables is only possible through PATCH …/variables
                # new variables go in the same call: a type must keep at least one variable
                added = {v["name"]: v for v in body["variables"] if v["name"] not in before_vars}
                await self.client.patch_aspect_type_variables(type_id, {**dict.fromkeys(removed), **added},
                                                              etag)
                etag = (await get(type_id))["etag"]
        # a merge-patch of the changed fields: file assignments (and whatever else the configuration
        # does not model) stay as they are, where a PUT would drop them
        patch = bodies.type_patch_body(body, change.before, change.after, mark=change.adopt)
        if patch:
            patch_type = self.client.patch_aspect_type if aspect else self.client.patch_asset_type
            await patch_type(type_id, patch, etag)
        return None

    async def _delete_with_etag(self, get: Callable[[], Awaitable[JSONDict]],
                                delete: Callable[[str | int], Awaitable[None]], etag: str | None) -> None:
        """Delete with the planned etag; a 404 means it is already gone (an earlier attempt won)."""
        try:
            if etag is None or etag.startswith("sha256:"):
                etag = str((await get())["etag"])
            await delete(etag)
        except NotFoundError:
            return
        except AmbiguousWriteError:
            try:
                await get()
            except NotFoundError:
                return
            raise

    # -- assets --------------------------------------------------------------------------------
    async def _asset(self, change: Change, ctx: ApplyContext) -> str | None:
        key = self.key(change.address)
        if change.action is Action.DELETE:
            self._created.pop(change.address, None)
            asset_id = change.server_id or ctx.ids[change.address]
            await self._delete_with_etag(lambda: self.live_asset(asset_id),
                                         lambda etag: self.client.delete_asset(asset_id, etag),
                                         change.precondition)
            return None
        after = change.after
        assert after is not None
        parent_id = await self.asset_id(after["parent"], ctx)
        if change.action is Action.CREATE:
            body = bodies.asset_create_body(after, parent_id, self.stack, key)
            created = await self._create_asset(change.address, after["name"], body)
            return str(created["assetId"])
        asset_id = change.server_id or ctx.ids[change.address]
        etag: int | str = change.precondition or "0"
        if change.before is not None and change.before.get("parent") != after["parent"]:
            moved = await self.client.move_asset(asset_id, parent_id, etag)
            etag = moved.get("etag", etag)
        patch = bodies.asset_patch_body(change.before, after, self.stack, key,
                                        mark=change.adopt)
        if patch:
            await self.client.patch_asset(asset_id, patch, etag)
        return None

    # -- agents --------------------------------------------------------------------------------
    async def _agent(self, change: Change, ctx: ApplyContext) -> str | None:
        key = self.key(change.address)
        if change.action is Action.DELETE:
            self._created.pop(change.address, None)
            agent_id = change.server_id or ctx.ids[change.address]
            await self._delete_agent(agent_id, lambda message: ctx.waiting(change, message))
            return None
        after = change.after
        assert after is not None
        parent_id = await self.asset_id(after["parent"], ctx)
        if change.action is Action.CREATE:
            asset_body = bodies.agent_asset_body(after, parent_id, self.stack, key)
            # an interrupted earlier run may have left the agent's asset behind: adopt it (the
            # read saw it, or, guarded, `_create_asset` looks it up)
            known = None if self.guarded else self._agent_assets.get(change.address)
            if known is not None:
                asset_id = known
            else:
                asset = await self._create_asset(change.address, after["name"], asset_body)
                asset_id = str(asset["assetId"])
            agent_body = bodies.agent_body(after, asset_id)

            async def lookup() -> JSONDict | None:
                try:
                    return await self.client.get_agent(asset_id)
                except NotFoundError:
                    return None
            await self._adopting(lambda: self.client.create_agent(agent_body), lookup)
            return asset_id
        agent_id = change.server_id or ctx.ids[change.address]
        before = change.before or {}
        agent = await self.client.get_agent(agent_id)
        if (before.get("name"), before.get("security_profile")) != (after["name"], after["security_profile"]):
            await self.client.put_agent(agent_id, bodies.agent_body(after), str(agent.get("eTag", "0")))
        adopting = change.adopt  # the agent's asset lacks this stack's marker
        flags_changed = bodies.flags_of(before) != bodies.flags_of(after)
        if before.get("name") != after["name"] or before.get("parent") != after["parent"] or adopting \
                or flags_changed:
            asset = await self.live_asset(agent_id)
            etag = asset["etag"]
            if before.get("parent") != after["parent"]:
                etag = (await self.client.move_asset(agent_id, parent_id, etag)).get("etag", etag)
            text, _, _ = split_description(asset.get("description"))
            # a merge-patch of name and marker: the agent asset's location, externalId and file
            # assignments (set in the UI) stay
            update = {"name": after["name"],
                      "description": mark_description(text, self.stack, key, bodies.flags_of(after))}
            await self.client.patch_asset(agent_id, update, etag)
        return None

    async def _delete_agent(self, agent_id: str, report: Callable[[str], None]) -> None:
        """Offboard if needed, wait until offboarded, delete the agent, then its core.mclib asset.

        Offboarding is asynchronous on a real tenant: the agent and its asset can only be deleted
        once the boarding status says so and the asset's lock is gone (`_until_offboarded`).
        """
        try:
            status = (await self.client.get_boarding_status(agent_id)).get("status")
            if status in BUSY_BEFORE_OFFBOARD:
                await self.client.offboard(agent_id)
                await self._until_offboarded(agent_id, report)
            agent = await self.client.get_agent(agent_id)
            await self._delete_with_etag(lambda: self.client.get_agent(agent_id),
                                         lambda etag: self.client.delete_agent(agent_id, str(etag)),
                                         str(agent.get("eTag", "0")))
        except NotFoundError:
            pass
        await self._delete_with_etag(lambda: self.live_asset(agent_id),
                                     lambda etag: self.client.delete_asset(agent_id, etag), None)

    async def _until_offboarded(self, agent_id: str, report: Callable[[str], None]) -> None:
        """Poll the boarding status, then the agent asset's `locks`, with backoff (0.25 s doubling
        to 5 s) until offboarded and unlocked; `OffboardTimeoutError` after `offboard_wait` seconds.
        Decided from the status enum and the typed `locks` list, never from message text."""
        loop = asyncio.get_running_loop()
        started, delay = loop.time(), 0.25
        while True:
            status = (await self.client.get_boarding_status(agent_id)).get("status")
            locks: list[Any] = []
            if status in OFFBOARDED_STATES:
                locks = list((await self.live_asset(agent_id)).get("locks") or [])
                if not locks:
                    return
            waited = loop.time() - started
            what = (f"asset locked ({', '.join(str(lock.get('reasonCode')) for lock in locks)})" if locks
                    else f"boarding status {status}")
            if waited >= self.offboard_wait:
                raise OffboardTimeoutError(
                    f"agent {agent_id}: offboarding did not finish within {self.offboard_wait:g}s "
                    f"(still {what}); nothing was deleted, apply again later")
            report(f"offboarding agent {agent_id}: {what}, waited {waited:.1f}s of {self.offboard_wait:g}s")
            await self._sleep(min(delay, max(0.0, self.offboard_wait - waited)))
            delay = min(delay * 2, 5.0)

    # -- data source configuration -------------------------------------------------------------
    async def _dsc(self, change: Change, ctx: ApplyContext) -> str | None:
        agent_address = change.address.rsplit(".", 1)[0]
        agent_id = change.server_id or ctx.ids[agent_address]
        if change.action is Action.DELETE:
            body: JSONDict = {"configurationId": (change.before or {}).get("configuration_id") or "none",
                              "dataSources": []}
        else:
            assert change.after is not None
            body = bodies.dsc_body(change.after)
        etag = change.precondition if change.action is not Action.CREATE and change.precondition else "0"
        try:
            await self.client.put_dsc(agent_id, body, etag)
        except (PreconditionFailedError, AmbiguousWriteError):
            current = await self.client.get_dsc(agent_id)
            if _same_dsc(current, body):
                return agent_id  # an earlier attempt already wrote it
            if change.action is not Action.CREATE:
                raise
            await self.client.put_dsc(agent_id, body, str(current.get("eTag", "0")))
        return agent_id

    # -- data point mappings -------------------------------------------------------------------
    async def _mapping(self, change: Change, ctx: ApplyContext) -> str | None:
        if change.action is Action.DELETE:
            with contextlib.suppress(NotFoundError):
                await self.client.delete_mapping(change.server_id or ctx.ids[change.address])
            return None
        after = change.after
        assert after is not None
        agent_address = change.address.split(".mappings.", 1)[0]
        agent_id = ctx.ids[agent_address]
        entity_id = await self.asset_id(after["asset"], ctx)
        body = bodies.mapping_body(after, agent_id, entity_id)

        async def lookup() -> JSONDict | None:
            for m in await self.client.list_mappings(filter={"agentId": agent_id, "entityId": entity_id}):
                if (m.get("dataPointId"), m.get("propertySetName"), m.get("propertyName")) == (
                        body["dataPointId"], body["propertySetName"], body["propertyName"]):
                    return m
            return None
        created = await self._adopting(lambda: self.client.create_mapping(body), lookup)
        return str(created["id"])

    # -- event mappings ------------------------------------------------------------------------
    async def _event_mapping(self, change: Change, ctx: ApplyContext) -> str | None:
        if change.action is Action.DELETE:
            mapping_id = change.server_id or ctx.ids[change.address]
            with contextlib.suppress(NotFoundError):
                await self.client.delete_event_mapping(mapping_id, change.precondition or "0")
            return None
        after = change.after
        assert after is not None
        if change.action is Action.UPDATE:
            mapping_id = change.server_id or ctx.ids[change.address]
            await self.client.patch_event_mapping(mapping_id, bodies.event_mapping_body(after, None, None),
                                                  change.precondition or "0")
            return None
        agent_address = change.address.split(".event_mappings.", 1)[0]
        agent_id = ctx.ids[agent_address]
        asset_id = await self.asset_id(after["asset"], ctx)
        body = bodies.event_mapping_body(after, agent_id, asset_id)

        async def lookup() -> JSONDict | None:
            for m in await self.client.list_event_mappings(filter={"agentId": agent_id}):
                if all(m.get(k) == v for k, v in body.items()):
                    return m
            return None
        created = await self._adopting(lambda: self.client.create_event_mapping(body), lookup)
        return str(created["id"])


def _same_dsc(current: Mapping[str, Any], body: Mapping[str, Any]) -> bool:
    """True when the live configuration already has the body's content."""
    return dsc_attrs(current) == dsc_attrs(body)
