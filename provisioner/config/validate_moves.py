"""Validation of `moved:` blocks: what moves must be, so that the plan can trust them.

A move names two addresses of one movable kind (aspect or asset type, asset, agent, connection,
device, sensor); `from` is no longer declared, `to` is declared (or is the `from` of a later move:
moves chain), each `from` moves once, and an iTwin device or sensor keeps its parent (the iTwin
IoT API has no operation that moves one under another connection or device).
"""

from __future__ import annotations

from provisioner.config.schema import ProjectConfig
from provisioner.config.validate import Checker
from provisioner.model.moves import Moves

_HUB = {"assets": "asset", "agents": "agent", "aspect_types": "aspect type", "asset_types": "asset type"}


def movable_kind(address: str) -> str | None:
    """The kind a movable address names (`asset`, …, `sensor`), else None."""
    parts = address.split(".")
    if len(parts) == 3 and parts[0] == "insights_hub" and parts[1] in _HUB and parts[2]:
        return _HUB[parts[1]]
    if len(parts) >= 3 and parts[:2] == ["itwin_iot", "connections"] and all(parts):
        shapes = {3: ("connection", ()), 5: ("device", ("devices",)), 7: ("sensor", ("devices", "sensors"))}
        kind, segments = shapes.get(len(parts), (None, ()))
        if kind is not None and tuple(parts[3::2]) == segments:
            return kind
    return None


def declared_addresses(config: ProjectConfig) -> set[str]:
    """Every address of a movable kind that the configuration declares."""
    hub = config.insights_hub
    found = {f"insights_hub.{collection}.{key}"
             for collection, entries in (("aspect_types", hub.aspect_types), ("asset_types", hub.asset_types),
                                         ("assets", hub.assets), ("agents", hub.agents))
             for key in entries}
    for conn_key, conn in config.itwin_iot.connections.items():
        conn_address = f"itwin_iot.connections.{conn_key}"
        found.add(conn_address)
        for dev_key, device in conn.devices.items():
            dev_address = f"{conn_address}.devices.{dev_key}"
            found.add(dev_address)
            found.update(f"{dev_address}.sensors.{sensor}" for sensor in device.sensors)
    return found


def resolved_moves(config: ProjectConfig) -> dict[str, str]:
    """`from` -> final `to`, chains followed (A -> B, B -> C gives A -> C and B -> C)."""
    direct = {m.source: m.to for m in config.moved}
    out: dict[str, str] = {}
    for source in direct:
        seen, target = {source}, direct[source]
        while target in direct and target not in seen:
            seen.add(target)
            target = direct[target]
        out[source] = target
    return out


def _article(kind: str) -> str:
    return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}"


def _parent(address: str) -> str:
    return address.rsplit(".", 2)[0]


def check_moves(checker: Checker) -> None:
    """Every problem of the configuration's `moved:` blocks."""
    config = checker.config
    declared = declared_addresses(config)
    sources = {m.source for m in config.moved}
    resolved = resolved_moves(config)
    moves = Moves.of(resolved.items())
    seen: set[str] = set()
    for index, move in enumerate(config.moved):
        at = ("moved", index)
        label = f"moved[{index}]"
        source_kind, target_kind = movable_kind(move.source), movable_kind(move.to)
        if source_kind is None or target_kind is None:
            bad, field = (move.source, "from") if source_kind is None else (move.to, "to")
            checker.error(f"{bad} is not the address of an aspect type, asset type, asset, agent, "
                          "connection, device or sensor",
                          (*at, field), label)
            continue
        if source_kind != target_kind:
            checker.error(f"moves {_article(source_kind)} to {_article(target_kind)}: both ends must be of "
                          "one kind",
                          (*at, "to"), label)
            continue
        if move.source == move.to:
            checker.error("moves an address to itself", (*at, "to"), label)
        elif move.source in seen:
            checker.error(f"{move.source} is moved more than once", (*at, "from"), label)
        elif move.source in declared:
            checker.error(f"{move.source} is still declared: a moved object has one address; remove "
                          "it (its new address is `to`) or remove this block", (*at, "from"), label)
        elif move.to not in declared and move.to not in sources:
            checker.error(f"{move.to} is not declared in the configuration", (*at, "to"), label)
        elif source_kind in ("device", "sensor") and moves.resolve(_parent(move.source)) != _parent(
                resolved[move.source]):
            what = "a device to another connection" if source_kind == "device" else \
                "a sensor to another device"
            checker.error(f"iTwin IoT has no operation that moves {what}; only its key can change",
                          (*at, "to"), label)
        seen.add(move.source)

