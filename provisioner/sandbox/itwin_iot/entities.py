"""The entity record (node, device, sensor) and its two JSON renderings."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["node", "device", "sensor"]
KINDS: tuple[Kind, ...] = ("node", "device", "sensor")

# Props the server owns: ignored when a client sends them.
SERVER_PROPS = frozenset(
    {
        "NODE_ID",
        "PROJECT_ID",
        "CREATION_DATE",
        "LAST_MODIFIED_BY",
        "LAST_MODIFIED_DATE",
        "OBSERVATION_COUNT",
        "LAST_OBSERVATION",
        "LAST_COMM",
        "ACCESSIBLE",
        "SIZE",
    }
)
# Sensor props fixed at creation: a different value on update is rejected.
METRIC_MAPS = ("UNKNOWN_METRICS", "UNKNOWN_UNITS", "KNOWN_METRICS", "KNOWN_UNITS")


@dataclass
class Entity:
    """One stored entity; `node` is the owning node id (own id for nodes), `device` set on sensors."""

    id: str
    kind: Kind
    type: str
    project: str
    node: str
    props: dict[str, Any] = field(default_factory=dict)
    device: str | None = None
    observation_type: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "type": self.type,
            "project": self.project,
            "node": self.node,
            "props": copy.deepcopy(self.props),
            "device": self.device,
            "observationType": self.observation_type,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Entity:
        return cls(
            id=data["id"],
            kind=data["kind"],
            type=data["type"],
            project=data["project"],
            node=data["node"],
            props=copy.deepcopy(data["props"]),
            device=data.get("device"),
            observation_type=data.get("observationType"),
        )


def render_entity(entity: Entity) -> dict[str, Any]:
    """Entity-service shape (`/api/{kind}s/all`, single GET): all props, `customProps` [D:seed L610-L647]."""
    # shallow: the rendering is encoded at once and never changed (a deep copy per entity was
    # the larger part of listing a project's sensors)
    out: dict[str, Any] = {"type": entity.type, "id": entity.id, "props": dict(entity.props)}
    if entity.kind == "sensor":
        out["device"] = entity.device
        out["observationType"] = entity.observation_type
    out["customProps"] = {}
    return out


def render_integration(entity: Entity) -> dict[str, Any]:
    """Integration-service shape [D:seed L2882-L2958]: no ACCESSIBLE, no node NODE_ID, no customProps."""
    props = {k: copy.deepcopy(v) for k, v in entity.props.items() if k != "ACCESSIBLE"}
    if entity.kind == "node":
        props.pop("NODE_ID", None)
    out: dict[str, Any] = {"props": props, "id": entity.id}
    if entity.kind == "sensor":
        out["observationType"] = entity.observation_type
    out["type"] = entity.type
    if entity.kind == "sensor":
        out["device"] = entity.device
    return out
