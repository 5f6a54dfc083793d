"""iTwin IoT changes -> integrate calls, batched and idempotent under ambiguous failures.

Creating a connection sends its new devices and their new sensors in the same integrate call
(likewise a new device carries its new sensors); the children's own changes then complete
without a call. Removing a node or device cascades to its children on the service, so the
children's deletes need no call when their parent is deleted in the same apply. When an
integrate's outcome is unknown, the entity is looked up by its refId before anything is resent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from provisioner.errors import ProvisionError
from provisioner.model import Action, ApplyContext, Change
from provisioner.providers.http.errors import AmbiguousWriteError, ApiValidationError, ConflictError
from provisioner.providers.itwin_iot import bodies
from provisioner.providers.itwin_iot.live import address_of as address_for
from provisioner.providers.marker import ref_id

JSONDict = dict[str, Any]


class ItwinClient(Protocol):
    """The subset of `ItwinIotClient` the provider uses."""

    async def integrate(self, project: str, body: JSONDict) -> JSONDict: ...
    async def get_tree(self, node_id: str) -> JSONDict: ...
    async def list_nodes(self, project: str) -> list[JSONDict]: ...


def _keys(address: str) -> list[str]:
    """The config keys of an address: connection, device, sensor."""
    parts = address.split(".")
    return parts[2::2]


def _child_index(changes: Mapping[str, Change]) -> dict[str, list[Change]]:
    """Changes that create, by `<parent>.<segment>.` (what `_children` looks up), in plan order."""
    index: dict[str, list[Change]] = {}
    for a, c in changes.items():
        if c.action in (Action.CREATE, Action.REPLACE):
            index.setdefault(a.rsplit(".", 1)[0] + ".", []).append(c)
    return index


class Operations:
    """Performs one change at a time for one iTwin project and stack."""

    def __init__(self, client: ItwinClient, *, project: str, stack: str) -> None:
        self.client = client
        self.project = project
        self.stack = stack
        self._done: dict[str, str] = {}  # address -> id of children created inside a parent's call
        self._index: tuple[Mapping[str, Change], int, dict[str, list[Change]]] | None = None

    def _children(self, ctx: ApplyContext, parent: str, segment: str) -> list[Change]:
        """Direct children (`<parent>.<segment>.<key>`) being created in this apply (indexed once)."""
        if self._index is None or self._index[0] is not ctx.changes or self._index[1] != len(ctx.changes):
            self._index = (ctx.changes, len(ctx.changes), _child_index(ctx.changes))
        return list(self._index[2].get(f"{parent}.{segment}.", ()))

    def ref(self, address: str) -> str:
        """The refId of an address."""
        return ref_id(self.stack, *_keys(address))

    def _sensor_entries(self, ctx: ApplyContext, device: str) -> list[JSONDict]:
        return [bodies.sensor_entry(c.after, self.ref(c.address), "new")
                for c in self._children(ctx, device, "sensors")]

    def _device_entries(self, ctx: ApplyContext, connection: str) -> list[JSONDict]:
        return [bodies.device_entry(c.after, self.ref(c.address), "new", self._sensor_entries(ctx, c.address))
                for c in self._children(ctx, connection, "devices")]

    def _record(self, response: Mapping[str, Any]) -> None:
        """Remember the ids the service gave every entity of an integrate response, by refId."""
        integration = response.get("integration") or {}
        entities: list[JSONDict] = [integration.get("node") or {}]
        for entry in integration.get("devices") or []:
            entities.append(entry.get("device") or {})
            entities.extend(entry.get("sensors") or [])
        prefix = f"iac:{self.stack}/"
        for entity in entities:
            serial = str((entity.get("props") or {}).get("SERIAL_NO", ""))
            if serial.startswith(prefix) and entity.get("id"):
                self._done[address_for(serial[len(prefix):].split("/"))] = str(entity["id"])

    async def _find_in_tree(self, node_id: str, ref: str) -> str | None:
        tree = await self.client.get_tree(node_id)
        integration = tree.get("integration") or {}
        entities: list[JSONDict] = [integration.get("node") or {}]
        for entry in integration.get("devices") or []:
            entities.append(entry.get("device") or {})
            entities.extend(entry.get("sensors") or [])
        for entity in entities:
            if (entity.get("props") or {}).get("SERIAL_NO") == ref:
                self._record(tree)
                return str(entity["id"])
        return None

    async def _find_node(self, ref: str) -> str | None:
        for node in await self.client.list_nodes(self.project):
            if (node.get("props") or {}).get("SERIAL_NO") == ref:
                return await self._find_in_tree(str(node["id"]), ref)
        return None

    async def _integrate_create(self, body: JSONDict, address: str, lookup_node: str | None) -> str:
        """Send a creating integrate; on an unknown outcome or a duplicate refId, look it up."""
        ref = self.ref(address)
        try:
            response = await self.client.integrate(self.project, body)
        except (AmbiguousWriteError, ConflictError, ApiValidationError) as exc:
            if isinstance(exc, ApiValidationError) and "refId" not in str(exc):
                raise
            found = await (self._find_in_tree(lookup_node, ref) if lookup_node else self._find_node(ref))
            if found is None:
                raise
            return found
        self._record(response)
        if address not in self._done:
            raise ProvisionError(f"{address}: the integrate response did not contain refId {ref}")
        return self._done[address]

    def _cascaded(self, ctx: ApplyContext, address: str) -> bool:
        """True when an ancestor of `address` is deleted in this apply (the service cascades)."""
        keys = _keys(address)
        ancestors = [address_for(keys[:n]) for n in range(1, len(keys))]
        removing = (Action.DELETE, Action.REPLACE)
        return any(a in ctx.changes and ctx.changes[a].action in removing for a in ancestors)

    async def apply(self, change: Change, ctx: ApplyContext) -> str | None:
        """Perform one CREATE, UPDATE or DELETE; return the id of a created entity."""
        address = change.address
        if change.action is Action.CREATE and address in self._done:
            return self._done.pop(address)  # created inside its parent's integrate call
        keys = _keys(address)
        depth = len(keys)
        if change.action is Action.DELETE:
            if self._cascaded(ctx, address):
                return None
            node_id = ctx.ids.get(address_for(keys[:1])) or (change.server_id if depth == 1 else None)
            if node_id is None:
                raise ProvisionError(f"{address}: the connection's id is unknown")
            if depth == 1:
                body = bodies.node_request(node_id, state="remove")
            elif depth == 2:
                device = bodies.device_entry(None, self.ref(address), "remove")
                body = bodies.node_request(node_id, devices=[device])
            else:
                sensor = bodies.sensor_entry(None, self.ref(address), "remove")
                device = bodies.device_entry(None, self.ref(address_for(keys[:2])), None, [sensor])
                body = bodies.node_request(node_id, devices=[device])
            await self._integrate_remove(body)
            return None
        after = change.after
        assert after is not None
        if depth == 1:
            if change.action is Action.CREATE:
                devices = self._device_entries(ctx, address)
                request = bodies.new_node_request(after, self.ref(address), devices)
                return await self._integrate_create(request, address, None)
            node_id = change.server_id or ctx.ids[address]
            request = bodies.node_request(node_id, state="update", attrs=after)
            await self.client.integrate(self.project, request)
            return None
        node_id = ctx.ids.get(address_for(keys[:1]))
        if node_id is None:
            raise ProvisionError(f"{address}: the connection's id is unknown")
        # an adopted device or sensor has no refId of this stack yet: target it by id, which re-keys it
        adopting = change.adopt
        own_id = change.server_id if adopting else None
        if depth == 2:
            state = "new" if change.action is Action.CREATE else "update"
            sensors = self._sensor_entries(ctx, address) if state == "new" else []
            entry = bodies.device_entry(after, self.ref(address), state, sensors, entity_id=own_id)
        else:
            state = "new" if change.action is Action.CREATE else "update"
            sensor = bodies.sensor_entry(after, self.ref(address), state, entity_id=own_id)
            holder = address_for(keys[:2])
            holder_id = ctx.ids.get(holder) if adopting else None
            entry = bodies.device_entry(None, self.ref(holder), None, [sensor], entity_id=holder_id)
        request = bodies.node_request(node_id, devices=[entry])
        if change.action is Action.CREATE:
            return await self._integrate_create(request, address, node_id)
        await self.client.integrate(self.project, request)
        return None

    async def _integrate_remove(self, body: JSONDict) -> None:
        """Remove; an unknown refId afterwards means an earlier attempt already removed it."""
        try:
            await self.client.integrate(self.project, body)
        except (AmbiguousWriteError, ApiValidationError) as exc:
            if isinstance(exc, ApiValidationError) and "refId" not in str(exc) and "nodeId" not in str(exc):
                raise

