"""iTwin IoT changes -> integrate calls, batched and idempotent under ambiguous failures.

Creating a connection sends its new devices and their new sensors in the same integrate call
(likewise a new device carries its new sensors); the children's own changes then complete
without a call. Removing a node or device cascades to its children on the service, so the
children's deletes need no call when their parent is deleted in the same apply. A new
connection carries its marker device (see `identity`) in the creating call, and its own props
follow in a node update (the service ignores node props at creation).

Failures are decided from state, never from error text: when an integrate's outcome is unknown
or it is refused (every integrate error has the one code `InvalidProcessIntegrationRequest`,
seed L2964/L3344), the entity is looked up by its refId before anything is resent or reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from provisioner.errors import ProvisionError
from provisioner.model import Action, ApplyContext, Change
from provisioner.providers.http.errors import AmbiguousWriteError, ApiValidationError, ConflictError
from provisioner.providers.itwin_iot import bodies, identity
from provisioner.providers.itwin_iot.live import address_of as address_for
from provisioner.providers.marker import ref_id

JSONDict = dict[str, Any]


class ItwinClient(Protocol):
    """The subset of `ItwinIotClient` the provider uses."""

    async def integrate(self, project: str, body: JSONDict) -> JSONDict: ...
    async def get_tree(self, node_id: str) -> JSONDict: ...
    async def list_nodes(self, project: str) -> list[JSONDict]: ...
    async def list_devices(self, project: str) -> list[JSONDict]: ...


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

    def _record(self, response: Mapping[str, Any], under: str | None = None) -> None:
        """Remember the ids the service gave every entity of an integrate response, by refId.

        A connection's id is that of the node holding its marker device. With `under`, only that
        address and its descendants are kept (a tree read also shows entities made long ago).
        """
        integration = response.get("integration") or {}
        node_id = (integration.get("node") or {}).get("id")
        entities: list[JSONDict] = []
        for entry in integration.get("devices") or []:
            entities.append(entry.get("device") or {})
            entities.extend(entry.get("sensors") or [])
        prefix = f"iac:{self.stack}/"
        for entity in entities:
            serial = str((entity.get("props") or {}).get("SERIAL_NO", ""))
            if not serial.startswith(prefix) or not entity.get("id"):
                continue
            keys = serial[len(prefix):].split("/")
            address = address_for(keys)
            if under is not None and address != under and not address.startswith(under + "."):
                continue
            if len(keys) == 1:
                if node_id:
                    self._done[address] = str(node_id)
            else:
                self._done[address] = str(entity["id"])

    async def _find_in_tree(self, node_id: str, address: str) -> str | None:
        """The id of `address` in a node's tree (recording it and its descendants found there, which
        an earlier attempt of the same creating call made)."""
        self._record(await self.client.get_tree(node_id), under=address)
        return self._done.pop(address, None)

    async def _find_connection(self, address: str) -> str | None:
        """The node holding the connection's marker device (the smallest id if there are twins)."""
        key = _keys(address)[0]
        nodes = identity.marked_nodes(await self.client.list_devices(self.project), self.stack).get(key)
        if not nodes:
            return None
        return await self._find_in_tree(nodes[0], address)

    async def _integrate_create(self, body: JSONDict, address: str, lookup_node: str | None) -> str:
        """Send a creating integrate; when its outcome is unknown or it is refused, look the entity
        up by its refId: found means an earlier attempt (or a concurrent apply) created it."""
        ref = self.ref(address)
        try:
            response = await self.client.integrate(self.project, body)
        except (AmbiguousWriteError, ConflictError, ApiValidationError):
            found = await (self._find_in_tree(lookup_node, address) if lookup_node
                           else self._find_connection(address))
            if found is None:
                raise
            return found
        self._record(response)
        if address not in self._done:
            raise ProvisionError(f"{address}: the integrate response did not contain refId {ref}")
        return self._done.pop(address)

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
            await self._integrate_remove(body, address, node_id)
            return None
        after = change.after
        assert after is not None
        if depth == 1:
            if change.action is Action.CREATE:
                marker = identity.marker_entry(self.stack, _keys(address)[0])
                request = bodies.new_node_request([marker, *self._device_entries(ctx, address)])
                created = await self._integrate_create(request, address, None)
                props = bodies.node_request(created, state="update", attrs=after, creating=True)
                if props["integration"]["props"]:
                    await self._update_node(address, created, props)
                return created
            node_id = change.server_id or ctx.ids[address]
            if change.moved_from is not None:  # `moved:`: the marker device gets the new key
                await self._rekey_marker(node_id, _keys(change.moved_from)[0], _keys(address)[0])
            request = bodies.node_request(node_id, state="update", attrs=after)
            await self._update_node(address, node_id, request)
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

    async def _update_node(self, address: str, node_id: str, request: JSONDict) -> None:
        """A node-level update (undocumented: node props are set in the iTwin app, seed L3118-L3128);
        a refusal is reported as such, with what to do about it."""
        try:
            await self.client.integrate(self.project, request)
        except ApiValidationError as exc:
            raise ProvisionError(
                f"{address}: the service refused to set the name, location or notes of connection "
                f"{node_id} by a node update ({exc}); set them in the iTwin app, or leave them out of "
                "the configuration") from exc

    async def _rekey_marker(self, node_id: str, old_key: str, new_key: str) -> None:
        """Give the node's marker device the refId of the connection's new key (by the device's id);
        a marker that already has it (an earlier attempt) is left as it is."""
        devices = await self.client.list_devices(self.project)
        for device in devices:
            if identity.node_of(device) == node_id and identity.marker_of(device) == (self.stack, old_key):
                entry = {"changeState": "update", "id": device["id"], "refId": ref_id(self.stack, new_key)}
                await self.client.integrate(self.project, bodies.node_request(node_id, devices=[entry]))

    async def _integrate_remove(self, body: JSONDict, address: str, node_id: str) -> None:
        """Remove; when the outcome is unknown or it is refused, the entity being gone already
        (an earlier attempt removed it) counts as done."""
        try:
            await self.client.integrate(self.project, body)
        except (AmbiguousWriteError, ApiValidationError):
            if await self._still_there(address, node_id):
                raise

    async def _still_there(self, address: str, node_id: str) -> bool:
        """Whether the node, or the device or sensor with `address`'s refId under it, still exists."""
        if all(str(n.get("id")) != node_id for n in await self.client.list_nodes(self.project)):
            return False
        if len(_keys(address)) == 1:
            return True
        tree = (await self.client.get_tree(node_id)).get("integration") or {}
        ref = self.ref(address)
        for entry in tree.get("devices") or []:
            for entity in [entry.get("device") or {}, *(entry.get("sensors") or [])]:
                if (entity.get("props") or {}).get("SERIAL_NO") == ref:
                    return True
        return False
