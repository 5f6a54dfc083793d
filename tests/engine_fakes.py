"""An in-memory provider at the `Provider` seam, with fault injection, for engine tests.

`FakeStore` plays the vendor: objects by address with server ids and etags, shared by every fake
provider so cross-platform dependencies are checked too. It enforces what a real service would:
a create needs its dependencies to exist, a delete is refused while something depends on it.
Faults: `permanent` addresses always fail, `transient` ones fail N times with a 503 (as the HTTP
layer reports one it has retried as far as it may), `ambiguous` ones perform the write and then
raise `AmbiguousWriteError` once (the re-run must not create a duplicate).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from provisioner.errors import AmbiguousWriteError, ApiError
from provisioner.model import (
    Action,
    ApplyContext,
    Change,
    KindSpec,
    LiveResource,
    LiveState,
    Resource,
    UnmanagedObject,
)
from provisioner.plan import Plan, build_plan


@dataclass
class FakeObject:
    server_id: str
    kind: str
    attrs: dict[str, object]
    depends_on: tuple[str, ...] = ()
    version: int = 1
    marked: bool = True

    @property
    def etag(self) -> str:
        return f"{self.server_id}-v{self.version}"


@dataclass
class Faults:
    permanent: set[str] = field(default_factory=set)
    transient: dict[str, int] = field(default_factory=dict)
    ambiguous: set[str] = field(default_factory=set)


@dataclass
class FakeStore:
    """The fake vendor side: objects, a write log and concurrency bookkeeping."""

    objects: dict[str, FakeObject] = field(default_factory=dict)
    unmanaged: dict[str, list[UnmanagedObject]] = field(default_factory=dict)
    writes: list[tuple[str, str]] = field(default_factory=list)
    events: list[tuple[str, str, str, float]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    in_flight_by_platform: dict[str, int] = field(default_factory=dict)
    max_in_flight_by_platform: dict[str, int] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def new_id(self) -> str:
        return f"id-{next(self._ids)}"

    def put(self, address: str, kind: str, attrs: Mapping[str, object], depends_on: Sequence[str] = (),
            *, marked: bool = True) -> FakeObject:
        obj = FakeObject(self.new_id(), kind, dict(attrs), tuple(depends_on), marked=marked)
        self.objects[address] = obj
        return obj

    def touch(self, address: str, **attrs: object) -> None:
        """Someone else edits the object: its etag changes."""
        obj = self.objects[address]
        obj.attrs.update(attrs)
        obj.version += 1


class FakeProvider:
    """One platform backed by a `FakeStore`."""

    def __init__(self, platform: str, kinds: Mapping[str, KindSpec], store: FakeStore, *,
                 resources: Sequence[Resource] = (), faults: Faults | None = None,
                 delay: float = 0.0, side_effects: Mapping[str, str] | None = None) -> None:
        self._platform = platform
        self._kinds = dict(kinds)
        self.store = store
        self.resources = list(resources)
        self.faults = faults or Faults()
        self.delay = delay
        self.side_effects = dict(side_effects or {})
        self.annotated: list[Change] = []
        self.precondition_reads = 0
        self.closed = False

    @property
    def platform(self) -> str:
        return self._platform

    @property
    def kinds(self) -> Mapping[str, KindSpec]:
        return self._kinds

    def desired(self) -> list[Resource]:
        return list(self.resources)

    def annotate(self, changes: Sequence[Change], live: LiveState) -> list[Change]:
        self.annotated.extend(changes)
        return [
            replace(c, side_effects=(*c.side_effects, self.side_effects[c.address]))
            if c.address in self.side_effects else c
            for c in changes
        ]

    def live_state(self) -> LiveState:
        managed = {
            address: LiveResource(address, obj.kind, dict(obj.attrs), obj.server_id, obj.etag,
                                  obj.depends_on, adopt=not obj.marked)
            for address, obj in self.store.objects.items()
            if address.startswith(self._platform + ".")
        }
        unmanaged = list(self.store.unmanaged.get(self._platform, []))
        return LiveState(managed=managed, unmanaged=unmanaged, api_calls=1)

    async def read_live(self, desired: Sequence[Resource]) -> LiveState:
        return self.live_state()

    async def current_precondition(self, live: LiveResource) -> str | None:
        self.precondition_reads += 1
        await asyncio.sleep(0)
        obj = self.store.objects.get(live.address)
        return obj.etag if obj is not None else None

    def _enter(self) -> None:
        s = self.store
        s.in_flight += 1
        s.max_in_flight = max(s.max_in_flight, s.in_flight)
        n = s.in_flight_by_platform.get(self._platform, 0) + 1
        s.in_flight_by_platform[self._platform] = n
        peak = s.max_in_flight_by_platform
        peak[self._platform] = max(peak.get(self._platform, 0), n)

    def _leave(self) -> None:
        self.store.in_flight -= 1
        self.store.in_flight_by_platform[self._platform] -= 1

    async def apply(self, change: Change, ctx: ApplyContext) -> str | None:
        assert change.action is not Action.REPLACE, "the engine must split replaces"
        address = change.address
        self._enter()
        self.store.events.append(("start", change.action.value, address, time.monotonic()))
        try:
            await asyncio.sleep(self.delay)
            if address in self.faults.permanent:
                raise ApiError(f"{address}: rejected by the fake service", status=400)
            remaining = self.faults.transient.get(address, 0)
            if remaining:
                self.faults.transient[address] = remaining - 1
                raise ApiError(f"{address}: service unavailable", status=503)
            result = self._write(change, ctx)
            if address in self.faults.ambiguous:
                self.faults.ambiguous.discard(address)
                raise AmbiguousWriteError(f"{address}: response lost")
            return result
        finally:
            self.store.events.append(("end", change.action.value, address, time.monotonic()))
            self._leave()

    def _write(self, change: Change, ctx: ApplyContext) -> str | None:
        objects, address = self.store.objects, change.address
        if change.action is Action.CREATE:
            if address in objects:  # lookup by identity: an earlier ambiguous create succeeded
                return objects[address].server_id
            missing = [d for d in change.depends_on if d not in objects and d not in ctx.ids]
            if missing:
                raise ApiError(f"{address}: depends on missing {missing}", status=404)
            obj = self.store.put(address, change.kind, change.after or {}, change.depends_on)
            self.store.writes.append(("create", address))
            return obj.server_id
        if address not in objects:
            raise ApiError(f"{address}: not found", status=404)
        if change.action is Action.UPDATE:
            obj = objects[address]
            obj.attrs = dict(change.after or {})
            obj.depends_on = change.depends_on
            obj.marked = True
            obj.version += 1
            self.store.writes.append(("update", address))
            return None
        users = [a for a, o in objects.items() if address in o.depends_on]
        if users:
            raise ApiError(f"{address}: still used by {users}", status=409)
        del objects[address]
        self.store.writes.append(("delete", address))
        return None

    async def aclose(self) -> None:
        self.closed = True


def kind(name: str, platform: str = "hub", rank: int = 0, **facts: object) -> KindSpec:
    """A `KindSpec` with defaults for tests."""
    return KindSpec(kind=name, platform=platform, rank=rank, **facts)  # type: ignore[arg-type]


def res(address: str, kind_name: str = "thing", depends_on: Sequence[str] = (), **attrs: object) -> Resource:
    """A desired resource with `attrs`."""
    return Resource(address, kind_name, dict(attrs), tuple(depends_on))


HUB_KINDS = {
    "aspect_types": kind("aspect_types", "hub", 0, replace_paths=("variables.*.type",)),
    "asset_types": kind("asset_types", "hub", 1, replace_fields=frozenset({"parent"})),
    "assets": kind("assets", "hub", 2, data_bearing=True, create_calls=2),
    "mappings": kind("mappings", "hub", 3),
}
IOT_KINDS = {
    "devices": kind("devices", "iot", 0),
    "sensors": kind("sensors", "iot", 1, data_bearing=True),
}


def providers_for(store: FakeStore, *, faults: Faults | None = None, delay: float = 0.0
                  ) -> dict[str, FakeProvider]:
    """A hub and an iot fake provider sharing `store` (and `faults`)."""
    shared = faults or Faults()
    return {
        "hub": FakeProvider("hub", HUB_KINDS, store, faults=shared, delay=delay),
        "iot": FakeProvider("iot", IOT_KINDS, store, faults=shared, delay=delay),
    }


def plan_for(store: FakeStore, desired: Sequence[Resource], **options: object) -> Plan:
    """Plan `desired` against `store` with a hub and an iot fake provider."""
    providers = providers_for(store)
    live = {name: p.live_state() for name, p in providers.items()}
    return build_plan(desired, live, providers, **options)  # type: ignore[arg-type]


def mixed_plan() -> Plan:
    """3 creates, 1 update, 2 replaces (one propagated), 2 deletes, 1 unchanged, unmanaged objects."""
    store = FakeStore()
    store.put("hub.aspect_types.Env", "aspect_types", {"variables": {"Temperature": {"type": "DOUBLE"}}})
    store.put("hub.assets.motor", "assets", {"name": "m"}, ["hub.aspect_types.Env"])
    store.put("hub.assets.edit", "assets", {"name": "old", "variables": {"SerialNo": "1"}})
    store.put("hub.assets.same", "assets", {"name": "same"})
    store.put("hub.assets.gone", "assets", {"name": "gone"})
    store.put("iot.devices.old", "devices", {"name": "old"})
    store.unmanaged["hub"] = [UnmanagedObject("assets", "foreign-1", "Not ours")]
    desired = [
        res("hub.aspect_types.Env", "aspect_types", variables={"Temperature": {"type": "INT"}}),
        res("hub.assets.motor", "assets", ["hub.aspect_types.Env"], name="m"),
        res("hub.assets.edit", "assets", name="new", variables={"SerialNo": "2"}),
        res("hub.assets.same", "assets", name="same"),
        res("hub.assets.new", "assets", name="Plant Hamburg"),
        res("iot.devices.north.sensors.t1", "sensors", name="Tilt"),
        res("iot.devices.north.sensors.t2", "sensors", name="Tilt 2"),
    ]
    providers = providers_for(store)
    providers["hub"].side_effects["hub.assets.edit"] = "mappings with keepMapping=false are re-created"
    live = {name: p.live_state() for name, p in providers.items()}
    return build_plan(desired, live, providers)  # type: ignore[arg-type]
