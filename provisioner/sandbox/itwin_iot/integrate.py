"""`POST …/integrations/integrate`: validate the whole request into a plan, then apply it (all-or-nothing)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from provisioner.sandbox.itwin_iot import ids
from provisioner.sandbox.itwin_iot.auth import Principal
from provisioner.sandbox.itwin_iot.catalogue import (
    DEVICE_TYPE_IDS,
    GENERIC_SENSOR,
    METRICS,
    NODE_TYPE_IDS,
    SENSOR_TYPE_BY_ID,
    UNITS,
)
from provisioner.sandbox.itwin_iot.entities import METRIC_MAPS, Entity, Kind, render_integration
from provisioner.sandbox.itwin_iot.errors import (
    BAD_NODE_ID,
    MISSING_CHANGE_STATE,
    MISSING_INTEGRATION_ID,
    ApiError,
    integration_error,
)
from provisioner.sandbox.itwin_iot.props import merge, user_props
from provisioner.sandbox.itwin_iot.store import ItwinStore

Action = Literal["new", "update", "remove", "none"]
CHANGE_STATES = ("new", "update", "remove")
NODE_INTEGRATION_ID = "NODE_API_SDE"
DYNAMIC = "DYNAMIC"
# Props fixed at creation, per kind; sending a different value on update is a 422.
IMMUTABLE: dict[Kind, tuple[str, ...]] = {
    "node": ("INTEGRATION_ID",),
    "device": ("INTEGRATION_ID",),
    "sensor": ("INTEGRATION_ID", *METRIC_MAPS),
}


@dataclass
class Op:
    """One planned change: `target` is the existing entity (None for new), `serial` a SERIAL_NO to set."""

    kind: Kind
    action: Action
    target: Entity | None
    serial: str | None
    props: dict[str, Any]
    children: list[Op] = field(default_factory=list)


def _unprocessable(message: str) -> ApiError:
    return integration_error(422, f"Cannot process integration, {message}")


def _bad_request(message: str) -> ApiError:
    return integration_error(400, message)


class _Planner:
    """Validates a request against current state without mutating anything."""

    def __init__(self, store: ItwinStore, project: str) -> None:
        self.store = store
        self.project = project
        self.claimed: set[tuple[Kind, str]] = set()
        self.targeted: set[str] = set()

    def bad_node(self) -> ApiError:
        return integration_error(self.store.settings.bad_node_status, BAD_NODE_ID)

    def plan(self, body: Any) -> Op:
        integ = body.get("integration") if isinstance(body, dict) else None
        if not isinstance(integ, dict):
            raise _bad_request("Request body must contain an `integration` object.")
        node = self.node(integ)
        if node.action == "remove":
            return node  # devices of a removed node go with it; entries sent alongside are ignored
        devices = integ.get("devices") if integ.get("devices") is not None else []
        if not isinstance(devices, list):
            raise _bad_request("`integration.devices` must be an array.")
        node.children = [self.entry("device", raw, node) for raw in devices]
        return node

    def node(self, integ: dict[str, Any]) -> Op:
        state = _change_state(integ, "integration")
        node_id = integ.get("nodeId")
        if node_id is None:
            if state is None:
                raise integration_error(422, MISSING_CHANGE_STATE)
            if state != "new":
                raise self.bad_node()
            props: dict[str, Any] = {}
            serial = None
            if self.store.settings.node_props_at_creation:
                props = user_props(integ.get("props"))
                integration_id = props.pop("INTEGRATION_ID", NODE_INTEGRATION_ID)
                if integration_id not in NODE_TYPE_IDS:
                    raise _bad_request("`props.INTEGRATION_ID` of a node must be NODE_API_SDE.")
                props.pop("SERIAL_NO", None)
                serial = _ref_id(integ)
                if serial is not None:
                    self.claim("node", serial)
            return Op("node", "new", None, serial, props)
        if state == "new":
            raise _unprocessable('`changeState` "new" creates a node and cannot be combined with `nodeId`.')
        target = self.store.entities.get(node_id) if isinstance(node_id, str) else None
        if target is None or target.kind != "node" or target.project != self.project:
            raise self.bad_node()
        if state == "update":
            if not self.store.settings.node_updates:
                raise _unprocessable('node-level changeState "update" is not supported.')
            props = user_props(integ.get("props"))
            props.pop("SERIAL_NO", None)
            self.check_immutable(target, props)
            return Op("node", "update", target, None, props)
        return Op("node", "remove" if state == "remove" else "none", target, None, {})

    def entry(self, kind: Kind, raw: Any, parent: Op) -> Op:
        if not isinstance(raw, dict):
            raise _bad_request(f"Each {kind} entry must be an object.")
        state = _change_state(raw, kind)
        ref = _ref_id(raw)
        props = user_props(raw.get("props"))
        if state == "new":
            op = self.new_entry(kind, ref, props)
        else:
            op = self.existing_entry(kind, raw.get("id"), ref, props, state, parent)
        if kind == "device" and op.action != "remove":
            sensors = raw.get("sensors") if raw.get("sensors") is not None else []
            if not isinstance(sensors, list):
                raise _bad_request("`sensors` must be an array.")
            op.children = [self.entry("sensor", s, op) for s in sensors]
        return op

    def new_entry(self, kind: Kind, ref: str | None, props: dict[str, Any]) -> Op:
        integration_id = props.get("INTEGRATION_ID")
        known = DEVICE_TYPE_IDS if kind == "device" else SENSOR_TYPE_BY_ID
        if not isinstance(integration_id, str) or integration_id not in known:
            raise _bad_request(MISSING_INTEGRATION_ID)
        if kind == "sensor" and integration_id == GENERIC_SENSOR:
            _check_generic_metrics(props)
        serial = ref if ref is not None else props.get("SERIAL_NO")
        props.pop("SERIAL_NO", None)
        if serial is not None:
            self.claim(kind, serial)
        return Op(kind, "new", None, serial, props)

    def existing_entry(
        self,
        kind: Kind,
        entity_id: Any,
        ref: str | None,
        props: dict[str, Any],
        state: str | None,
        parent: Op,
    ) -> Op:
        if parent.target is None:
            where = f"a {parent.kind} created in this request"
            raise _unprocessable(f"no {kind} with refId '{ref}' under {where}.")
        target = self.find(kind, entity_id, ref, parent.target.id)
        if target.id in self.targeted:
            raise _unprocessable(f"{kind} {target.id} is targeted more than once.")
        self.targeted.add(target.id)
        if state == "update":
            props.pop("SERIAL_NO", None)
            self.check_immutable(target, props)
            serial = None
            if ref is not None and ref != target.props.get("SERIAL_NO"):
                self.claim(kind, ref)
                serial = ref
            return Op(kind, "update", target, serial, props)
        return Op(kind, "remove" if state == "remove" else "none", target, None, {})

    def find(self, kind: Kind, entity_id: Any, ref: str | None, parent_id: str) -> Entity:
        def under_parent(entity: Entity | None) -> bool:
            if entity is None or entity.kind != kind:
                return False
            return (entity.node if kind == "device" else entity.device) == parent_id

        if entity_id is not None:
            found = self.store.entities.get(entity_id) if isinstance(entity_id, str) else None
            if not under_parent(found):
                raise _unprocessable(f"no {kind} with id '{entity_id}' under {parent_id}.")
        elif ref is not None:
            found = self.store.by_serial(self.project, kind, ref)
            if not under_parent(found):
                raise _unprocessable(f"no {kind} with refId '{ref}' under {parent_id}.")
        else:
            raise _unprocessable(f'{kind} entries without changeState "new" need a `refId` or an `id`.')
        assert found is not None
        return found

    def claim(self, kind: Kind, serial: str) -> None:
        """Reserve a refId (SERIAL_NO): unique per project and kind, across the store and this request."""
        existing = self.store.by_serial(self.project, kind, serial)
        if existing is not None or (kind, serial) in self.claimed:
            holder = existing.id if existing is not None else "another entry of this request"
            raise _unprocessable(f"refId '{serial}' is already used by {holder}.")
        self.claimed.add((kind, serial))

    @staticmethod
    def check_immutable(target: Entity, props: dict[str, Any]) -> None:
        for key in IMMUTABLE[target.kind]:
            if key in props and props[key] != target.props.get(key):
                raise _unprocessable(
                    f"`props.{key}` of {target.id} cannot be changed after creation; remove and re-create it."
                )


def _change_state(raw: dict[str, Any], where: str) -> str | None:
    state = raw.get("changeState")
    if state is not None and state not in CHANGE_STATES:
        raise _bad_request(f"`{where}.changeState` must be one of new, update, remove; got {state!r}.")
    return state if isinstance(state, str) else None


def _ref_id(raw: dict[str, Any]) -> str | None:
    ref = raw.get("refId")
    if ref is None:
        return None
    if not isinstance(ref, str) or not ref:
        raise _bad_request("`refId` must be a non-empty string.")
    return ref


def _check_generic_metrics(props: dict[str, Any]) -> None:
    """Generic sensors must define metrics and units, index for index, at creation [D:seed L2994]."""
    message = (
        "Generic sensors must have their metrics and units defined at creation: set "
        "`props.UNKNOWN_METRICS`/`props.KNOWN_METRICS` and `props.UNKNOWN_UNITS`/`props.KNOWN_UNITS` "
        "with the same indexes."
    )
    known_m, unknown_m = props.get("KNOWN_METRICS", {}), props.get("UNKNOWN_METRICS", {})
    known_u, unknown_u = props.get("KNOWN_UNITS", {}), props.get("UNKNOWN_UNITS", {})
    if set(known_m) & set(unknown_m) or set(known_u) & set(unknown_u):
        raise _bad_request(message)
    metric_keys, unit_keys = set(known_m) | set(unknown_m), set(known_u) | set(unknown_u)
    if not metric_keys or metric_keys != unit_keys:
        raise _bad_request(message)
    unknown_ids = [m for m in known_m.values() if m not in METRICS] + [
        u for u in known_u.values() if u not in UNITS
    ]
    if unknown_ids:
        listed = ", ".join(unknown_ids)
        raise _bad_request(f"Unknown metric or unit ids in KNOWN_METRICS/KNOWN_UNITS: {listed}.")


def plan_integration(store: ItwinStore, project: str, body: Any) -> Op:
    """Validate an integrate body against current state; raises ApiError, mutates nothing."""
    return _Planner(store, project).plan(body)


class _Applier:
    """Applies a validated plan; cannot fail, so a request is all-or-nothing."""

    def __init__(self, store: ItwinStore, project: str, principal: Principal) -> None:
        self.store = store
        self.project = project
        self.principal = principal
        self.now = store.now_iso()
        self.resize: set[str] = set()

    def create(self, op: Op, parent: Entity | None) -> Entity:
        store = self.store
        if op.kind == "node":
            segment = ids.new_segment(store.rng, store.entities, ids.node_template())
            entity_id = ids.node_template().format(segment)
            entity = Entity(entity_id, "node", DYNAMIC, self.project, entity_id)
            entity.props = {
                "SERIAL_NO": op.serial or segment,
                "CREATION_DATE": self.now,
                "INTEGRATION_ID": NODE_INTEGRATION_ID,
                "PROJECT_ID": self.project,
                "NAME": f"Data Source API Import {segment}",
                "NODE_ID": entity_id,
                "ACCESSIBLE": True,
            }
        else:
            assert parent is not None
            build = ids.device_template(parent.id) if op.kind == "device" else ids.sensor_template(parent.id)
            entity_id = build.format(ids.new_segment(store.rng, store.entities, build))
            entity = Entity(entity_id, op.kind, DYNAMIC, self.project, parent.node)
            entity.props = {"CREATION_DATE": self.now, "NODE_ID": parent.node, "PROJECT_ID": self.project}
            if op.kind == "device":
                entity.props["SIZE"] = 0
                self.resize.add(entity_id)
            else:
                entity.device = parent.id
                entity.observation_type = DYNAMIC
                self.resize.add(parent.id)
            entity.props["ACCESSIBLE"] = True
            if op.serial is not None:
                entity.props["SERIAL_NO"] = op.serial
        merge(entity.props, op.props)
        store.add(entity)
        return entity

    def update(self, op: Op) -> Entity:
        assert op.target is not None
        entity = op.target
        merge(entity.props, op.props)
        entity.props["LAST_MODIFIED_BY"] = self.principal.name
        entity.props["LAST_MODIFIED_DATE"] = self.now
        if op.serial is not None:
            self.store.set_serial(entity, op.serial)
        self.store.touch()
        return entity

    def remove(self, op: Op) -> dict[str, Any]:
        """Remove a subtree; returns its integration rendering as it was just before removal."""
        assert op.target is not None
        entity = op.target
        rendered: dict[str, Any] = {"entity": render_integration(entity)}
        if entity.kind == "device":
            rendered["sensors"] = [render_integration(s) for s in self.store.children(entity.id)]
        elif entity.kind == "node":
            rendered["devices"] = [
                {
                    "device": render_integration(d),
                    "sensors": [render_integration(s) for s in self.store.children(d.id)],
                }
                for d in self.store.children(entity.id)
            ]
        if entity.kind == "sensor" and entity.device is not None:
            self.resize.add(entity.device)
        self.store.remove_tree(entity.id)
        self.resize.discard(entity.id)
        return rendered

    def run(self, node_op: Op) -> dict[str, Any]:
        if node_op.action == "remove":
            gone = self.remove(node_op)
            return {"integration": {"node": gone["entity"], "devices": gone["devices"]}}
        node = self.apply(node_op, None)
        assert isinstance(node, Entity)
        results: list[tuple[Entity | dict[str, Any], list[Entity | dict[str, Any]]]] = []
        for device_op in node_op.children:
            device = self.apply(device_op, node)
            if isinstance(device, dict):
                results.append((device["entity"], device["sensors"]))
                continue
            results.append((device, [self.apply(s, device) for s in device_op.children]))
        for device_id in self.resize:
            target = self.store.entities.get(device_id)
            if target is not None:
                target.props["SIZE"] = self.store.child_count(device_id)
        assert isinstance(node, Entity)
        devices = [
            {"device": _render(device), "sensors": [_render(s) for s in sensors]}
            for device, sensors in results
        ]
        return {"integration": {"node": render_integration(node), "devices": devices}}

    def apply(self, op: Op, parent: Entity | None) -> Entity | dict[str, Any]:
        if op.action == "new":
            return self.create(op, parent)
        if op.action == "update":
            return self.update(op)
        if op.action == "remove":
            return self.remove(op)
        assert op.target is not None
        return op.target


def _render(item: Entity | dict[str, Any]) -> dict[str, Any]:
    if isinstance(item, Entity):
        return render_integration(item)
    entity: dict[str, Any] = item.get("entity", item)
    return entity


def apply_integration(store: ItwinStore, project: str, plan: Op, principal: Principal) -> dict[str, Any]:
    """Apply a plan from `plan_integration` synchronously; returns the `{"integration":…}` response body."""
    return _Applier(store, project, principal).run(plan)
