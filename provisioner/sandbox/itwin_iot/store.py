"""All emulator state with the indexes that keep reads cheap, plus snapshot/restore."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from provisioner.sandbox.itwin_iot.entities import KINDS, Entity, Kind
from provisioner.sandbox.itwin_iot.errors import field_error, project_not_found
from provisioner.sandbox.itwin_iot.settings import ItwinSettings

SNAPSHOT_FORMAT = 1


@dataclass
class Token:
    """An IMS access token issued by `POST /connect/token`."""

    client_id: str
    scope: str
    expires_at: float


class ItwinStore:
    """Entities by id, per-project/kind lists in creation order, children, SERIAL_NO index, tokens, data."""

    def __init__(self, settings: ItwinSettings, rng: random.Random) -> None:
        self.settings = settings
        self.rng = rng
        self.clock: Callable[[], float] = time.time
        self.reset()

    # ---- lifecycle -------------------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget every entity, token and observation."""
        self.entities: dict[str, Entity] = {}
        self._by_kind: dict[tuple[str, Kind], dict[str, None]] = {}
        self._children: dict[str, dict[str, None]] = {}
        self._serials: dict[tuple[str, Kind, str], str] = {}
        self.tokens: dict[str, Token] = {}
        self.observations: dict[str, list[dict[str, Any]]] = {}
        self.version = 0
        self._sort_cache: dict[tuple[Any, ...], list[str]] = {}
        self._sort_cache_version = -1

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serializable snapshot of all state, entities in creation order."""
        return {
            "format": SNAPSHOT_FORMAT,
            "entities": [e.to_dict() for e in self.entities.values()],
            "tokens": {
                t: {"client_id": v.client_id, "scope": v.scope, "expires_at": v.expires_at}
                for t, v in self.tokens.items()
            },
            "observations": {s: [dict(o) for o in obs] for s, obs in self.observations.items()},
        }

    def load_dict(self, data: dict[str, Any]) -> None:
        """Replace all state with a snapshot made by `to_dict`."""
        if data.get("format") != SNAPSHOT_FORMAT:
            raise ValueError(f"unsupported itwin snapshot format: {data.get('format')!r}")
        self.reset()
        for raw in data["entities"]:
            self.add(Entity.from_dict(raw))
        self.tokens = {
            t: Token(v["client_id"], v["scope"], float(v["expires_at"])) for t, v in data["tokens"].items()
        }
        self.observations = {s: [dict(o) for o in obs] for s, obs in data["observations"].items()}

    def expire_tokens(self) -> None:
        """Expire every issued IMS token now (for exercising a client's re-authentication)."""
        now = self.clock()
        for token in self.tokens.values():
            token.expires_at = min(token.expires_at, now)

    # ---- time and projects ----------------------------------------------------------------------------
    def now_iso(self) -> str:
        """Timestamp in the integration service's format, e.g. `2024-03-05T10:27:22.553+00:00`."""
        moment = datetime.fromtimestamp(self.clock(), tz=UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+00:00"

    def resolve_project(self, values: list[str], *, default: bool) -> str:
        """Internal PROJECT_ID for the asset GUID or internal id given (or the default one, if allowed)."""
        values = [v for value in values for v in value.split(",") if v.strip()]
        if not values:
            if default:
                return self.settings.project_internal_id
            raise field_error(400, "must not be empty", "projectIds")
        if len(values) > 1:
            raise field_error(400, "only one project per request is supported", "projectIds")
        wanted = values[0].strip().lower()
        for asset, internal in self.settings.projects().items():
            if wanted in (asset.lower(), internal.lower()):
                return internal
        raise project_not_found()

    # ---- entity indexes -------------------------------------------------------------------------------
    def add(self, entity: Entity) -> None:
        """Insert an entity and index it under its project, parent and SERIAL_NO."""
        self.entities[entity.id] = entity
        self._by_kind.setdefault((entity.project, entity.kind), {})[entity.id] = None
        parent = self.parent_id(entity)
        if parent is not None:
            self._children.setdefault(parent, {})[entity.id] = None
        self._index_serial(entity)
        self.version += 1

    def remove_tree(self, entity_id: str) -> list[Entity]:
        """Remove an entity, its descendants and their observations; returns them, parents first."""
        removed: list[Entity] = []
        stack = [entity_id]
        while stack:
            current = self.entities.pop(stack.pop())
            removed.append(current)
            stack.extend(self._children.pop(current.id, {}))
            self._by_kind[(current.project, current.kind)].pop(current.id, None)
            parent = self.parent_id(current)
            if parent is not None and parent in self._children:
                self._children[parent].pop(current.id, None)
            self._unindex_serial(current)
            self.observations.pop(current.id, None)
        self.version += 1
        return removed

    def set_serial(self, entity: Entity, serial: str | None) -> None:
        """Change an entity's SERIAL_NO (the refId), keeping the index current."""
        self._unindex_serial(entity)
        if serial is None:
            entity.props.pop("SERIAL_NO", None)
        else:
            entity.props["SERIAL_NO"] = serial
        self._index_serial(entity)
        self.version += 1

    def touch(self) -> None:
        """Record a mutation that changes what reads return."""
        self.version += 1

    def by_serial(self, project: str, kind: Kind, serial: str) -> Entity | None:
        entity_id = self._serials.get((project, kind, serial))
        return None if entity_id is None else self.entities[entity_id]

    def children(self, parent_id: str) -> list[Entity]:
        return [self.entities[c] for c in self._children.get(parent_id, {})]

    def child_count(self, parent_id: str) -> int:
        return len(self._children.get(parent_id, {}))

    def iter_kind(self, project: str, kind: Kind) -> Iterator[Entity]:
        """Entities of one kind in one project, in creation order."""
        return (self.entities[i] for i in self._by_kind.get((project, kind), {}))

    def count_kind(self, project: str, kind: Kind) -> int:
        return len(self._by_kind.get((project, kind), {}))

    def cached_order(self, key: tuple[Any, ...], compute: Callable[[], list[str]]) -> list[str]:
        """Memoise a sorted/filtered id list until the next mutation."""
        if self._sort_cache_version != self.version:
            self._sort_cache = {}
            self._sort_cache_version = self.version
        if key not in self._sort_cache:
            self._sort_cache[key] = compute()
        return self._sort_cache[key]

    @staticmethod
    def parent_id(entity: Entity) -> str | None:
        if entity.kind == "device":
            return entity.node
        if entity.kind == "sensor":
            return entity.device
        return None

    def _index_serial(self, entity: Entity) -> None:
        serial = entity.props.get("SERIAL_NO")
        if isinstance(serial, str) and entity.kind in ("device", "sensor", "node"):
            self._serials.setdefault((entity.project, entity.kind, serial), entity.id)

    def _unindex_serial(self, entity: Entity) -> None:
        serial = entity.props.get("SERIAL_NO")
        key = (entity.project, entity.kind, serial if isinstance(serial, str) else "")
        if self._serials.get(key) == entity.id:
            del self._serials[key]


__all__ = ["KINDS", "ItwinStore", "Token"]
