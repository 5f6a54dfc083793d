"""`ItwinIotProvider`: one iTwin project and stack behind the vendor-neutral `Provider` seam."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import replace

from provisioner.model import Action, ApplyContext, Change, KindSpec, LiveResource, LiveState, Resource
from provisioner.model.compare import note_unchanged_steps
from provisioner.providers.cooperative import run_sliced
from provisioner.providers.http.errors import NotFoundError
from provisioner.providers.itwin_iot import kinds
from provisioner.providers.itwin_iot.client import EntityKind, ItwinIotClient
from provisioner.providers.itwin_iot.live import entity_hash, interpret_steps, unmarked_lookalikes
from provisioner.providers.itwin_iot.operations import Operations
from provisioner.providers.lookalikes import Lookalikes, flag_duplicates, flag_unmanaged_children

_ENTITY: dict[str, EntityKind] = {kinds.CONNECTION: "node", kinds.DEVICE: "device", kinds.SENSOR: "sensor"}


class ItwinIotProvider:
    """Reads and changes one iTwin IoT project for one stack."""

    platform = "itwin_iot"

    def __init__(self, client: ItwinIotClient, *, project: str, stack: str,
                 resources: Sequence[Resource]) -> None:
        self.client = client
        self.project = project
        self.stack = stack
        self._resources = list(resources)
        self.ops = Operations(client, project=project, stack=stack)
        self.lookalikes = Lookalikes()  # unmarked nodes and devices by (kind, name, parent node id)

    @property
    def kinds(self) -> Mapping[str, KindSpec]:
        return kinds.KINDS

    def desired(self) -> list[Resource]:
        return list(self._resources)

    async def read_live(self, desired: Sequence[Resource]) -> LiveState:
        """Three paged list reads cover every node, device and sensor of the project."""
        nodes, devices, sensors = await asyncio.gather(
            self.client.list_nodes(self.project),
            self.client.list_devices(self.project),
            self.client.list_sensors(self.project),
        )
        state = LiveState()  # in slices: the other platform's reads in flight keep moving meanwhile
        await run_sliced(interpret_steps(nodes, devices, sensors, desired, self.stack, state))
        wanted = {r.address: r for r in desired}
        for address, live in list(state.managed.items()):
            # a connection without a configured name keeps the service's default name
            unnamed = address in wanted and wanted[address].attrs.get("name") is None
            if live.kind == kinds.CONNECTION and unnamed:
                state.managed[address] = replace(live, attrs={**live.attrs, "name": None})
        await run_sliced(note_unchanged_steps(state, wanted, list(state.managed)))
        self.lookalikes = unmarked_lookalikes(nodes, devices, sensors, state, self.stack)
        state.api_calls = self.client.stats.total
        return state

    def annotate(self, changes: Sequence[Change], live: LiveState) -> list[Change]:
        """A delete or replace loses the observations of every sensor under it: name them. A create
        of a connection or device named like an unmarked one (under the same node) is marked
        `duplicate_of` it."""
        result = []
        under: dict[str, list[str]] = {}  # sensor addresses by each address they sit under (and their own)
        if any(c.action in (Action.DELETE, Action.REPLACE) for c in changes):
            for address, resource in live.managed.items():
                if resource.kind == kinds.SENSOR:
                    parts = address.split(".")
                    for end in (3, 5, 7):  # connection, device, sensor
                        under.setdefault(".".join(parts[:end]), []).append(address)
        for change in changes:
            if change.action in (Action.DELETE, Action.REPLACE):
                sensors = sorted(under.get(change.address, ()))
                shown = ", ".join(a.rsplit(".", 1)[-1] for a in sensors[:10])
                shown += " …" if len(sensors) > 10 else ""
                what = kinds.KIND_NAMES.get(change.kind, change.kind)
                loss = (f"observations of {len(sensors)} sensor{'' if len(sensors) == 1 else 's'}"
                        f"{f' ({shown})' if sensors else ''} of {what} {change.address.rsplit('.', 1)[-1]} "
                        f"({change.server_id})")
                change = replace(change, data_loss=(*change.data_loss, loss), data_destructive=True)
            result.append(change)

        def parent_of(change: Change) -> str | None:
            if change.kind == kinds.CONNECTION:
                return ""
            parent = live.managed.get(change.address.rsplit(".devices.", 1)[0])
            return parent.server_id if parent is not None else None

        return flag_unmanaged_children(flag_duplicates(result, self.lookalikes, parent_of), self.lookalikes)

    async def current_precondition(self, live: LiveResource) -> str | None:
        try:
            entity = await self.client.get_entity(_ENTITY[live.kind], live.server_id, project=self.project)
        except NotFoundError:
            return None
        return entity_hash(entity)

    async def apply(self, change: Change, ctx: ApplyContext) -> str | None:
        return await self.ops.apply(change, ctx)

    async def aclose(self) -> None:
        await self.client.aclose()
