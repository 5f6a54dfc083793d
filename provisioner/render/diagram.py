"""Pictures of a project: its dependency graph and its asset hierarchy as mermaid, dot or SVG.

The dependency edges come from the plan's own execution graph (`provisioner.plan.graph`): every
desired resource becomes a create, so the edges are exactly the order apply would respect. With a
plan, each node carries the action the plan has for it (deletes add the objects that go away).
The hierarchy follows the containment people review a plant by: an asset under its parent asset,
an agent under the asset its core.mclib lives in, data sources and mappings under their agent, a
device under its connection, a sensor under its device.

Node ids are generated (`n0`, `n1`, …): addresses never reach a diagram's syntax unescaped.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from graphlib import TopologicalSorter

from provisioner.model import Action, Change, Resource
from provisioner.model.resource import JSON
from provisioner.plan.builder import Plan
from provisioner.plan.estimate import platform_of
from provisioner.plan.graph import build_graph

FORMATS = ("mermaid", "dot", "svg")
VIEWS = ("dependencies", "hierarchy")
UNCHANGED = "unchanged"
# fill, stroke per state (GitHub renders mermaid classDefs; dot and svg use the same colours)
PALETTE: Mapping[str, tuple[str, str]] = {
    "create": ("#d7f5dd", "#1a7f37"),
    "update": ("#fff3c4", "#9a6700"),
    "replace": ("#f3e1fb", "#8250df"),
    "delete": ("#ffe0e0", "#cf222e"),
    UNCHANGED: ("#f6f8fa", "#57606a"),
}


@dataclass(frozen=True)
class DiagramNode:
    address: str
    kind: str
    state: str  # an Action's value, or "unchanged"
    label: str


@dataclass(frozen=True)
class Diagram:
    """Nodes by address (in a stable order) and edges `(from, to)` between addresses."""

    nodes: Mapping[str, DiagramNode]
    edges: tuple[tuple[str, str], ...]
    groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Item:
    """What a diagram needs of one object: address, kind, attributes, dependencies, planned state."""

    address: str
    kind: str
    attrs: Mapping[str, JSON]
    depends_on: tuple[str, ...]
    state: str = UNCHANGED


def items_of(resources: Iterable[Resource], plan: Plan | None = None) -> list[Item]:
    """The desired resources, each with the action `plan` has for it (deleted objects appended)."""
    actions = {c.address: c for c in plan.changes} if plan is not None else {}
    items = [Item(r.address, r.kind, r.attrs, r.depends_on,
                  actions[r.address].action.value if r.address in actions else UNCHANGED)
             for r in resources]
    known = {i.address for i in items}
    items += [item_of_change(c) for c in actions.values() if c.address not in known]
    return items


def item_of_change(change: Change) -> Item:
    """A planned change as a diagram item (a delete shows what it removes)."""
    attrs = change.after if change.after is not None else change.before or {}
    return Item(change.address, change.kind, attrs, change.depends_on, change.action.value)


def _label(address: str, parent: str | None) -> str:
    """The address relative to its parent (`devices.logger-2`), else without its platform."""
    if parent and address.startswith(parent + "."):
        return address[len(parent) + 1:]
    return address.split(".", 1)[-1]


def dependency_diagram(items: Sequence[Item]) -> Diagram:
    """One node per object, an edge from each dependency to its dependent (the apply order)."""
    changes = [Change(Action.CREATE, i.address, i.kind, None, dict(i.attrs), depends_on=i.depends_on)
               for i in items]
    graph = build_graph(changes)
    nodes = {i.address: DiagramNode(i.address, i.kind, i.state, _label(i.address, None)) for i in items}
    edges = sorted({(pred.address, node.address)
                    for node, preds in graph.predecessors.items() for pred in preds})
    groups: dict[str, list[str]] = {}
    for i in items:
        groups.setdefault(platform_of(i.address), []).append(i.address)
    return Diagram(nodes, tuple(edges), {g: tuple(a) for g, a in groups.items()})


def _container(item: Item, addresses: set[str]) -> str | None:
    """The object `item` sits under: its `parent` attribute, else the longest enclosing address."""
    parent = item.attrs.get("parent")
    if isinstance(parent, str) and parent in addresses and parent != item.address:
        return parent
    parts = item.address.split(".")
    for end in range(len(parts) - 1, 1, -1):
        prefix = ".".join(parts[:end])
        if prefix in addresses:
            return prefix
    return None


_NOT_IN_HIERARCHY = ("aspect_type", "asset_type", "mapping")


def hierarchy_diagram(items: Sequence[Item]) -> Diagram:
    """Containment: an edge from each container to what it holds (types and mappings are left
    out: they are not places in the plant)."""
    shown = [i for i in items if not i.kind.endswith(_NOT_IN_HIERARCHY)]
    addresses = {i.address for i in shown}
    parents = {i.address: _container(i, addresses) for i in shown}
    nodes = {}
    for i in shown:
        name = i.attrs.get("name")
        label = _label(i.address, parents[i.address])
        nodes[i.address] = DiagramNode(i.address, i.kind, i.state,
                                       f"{label}: {name}" if isinstance(name, str) and name else label)
    edges = tuple((p, a) for a, p in parents.items() if p is not None)
    groups: dict[str, list[str]] = {}
    for i in shown:
        groups.setdefault(platform_of(i.address), []).append(i.address)
    return Diagram(nodes, edges, {g: tuple(a) for g, a in groups.items()})


def _ids(diagram: Diagram) -> dict[str, str]:
    return {address: f"n{index}" for index, address in enumerate(diagram.nodes)}


def mermaid_text(text: str) -> str:
    """A label safe inside `["…"]`: quotes and markup characters become mermaid entity codes."""
    return (text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
            .replace("\n", " "))


def to_mermaid(diagram: Diagram, *, direction: str = "LR") -> str:
    """A mermaid flowchart (GitHub renders it in Markdown); nodes coloured by planned state."""
    ids = _ids(diagram)
    lines = [f"flowchart {direction}"]
    used = sorted({n.state for n in diagram.nodes.values()})
    for state in used:
        fill, stroke = PALETTE[state]
        lines.append(f"  classDef {state} fill:{fill},stroke:{stroke},color:#1f2328")
    for index, (group, members) in enumerate(sorted(diagram.groups.items())):
        lines.append(f'  subgraph g{index}["{mermaid_text(group)}"]')
        lines.extend(f'    {ids[a]}["{mermaid_text(diagram.nodes[a].label)}"]' for a in members)
        lines.append("  end")
    lines.extend(f"  {ids[a]} --> {ids[b]}" for a, b in diagram.edges)
    for state in used:
        ids_in_state = [ids[a] for a, n in diagram.nodes.items() if n.state == state]
        lines.append(f"  class {','.join(ids_in_state)} {state}")
    return "\n".join(lines) + "\n"


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


def to_dot(diagram: Diagram) -> str:
    """A Graphviz digraph (`dot -Tsvg` draws it); nodes coloured by planned state."""
    ids = _ids(diagram)
    lines = ["digraph provision {", "  rankdir=LR;", '  node [shape=box, style="rounded,filled", '
             'fontname="Helvetica"];']
    for index, (group, members) in enumerate(sorted(diagram.groups.items())):
        lines.append(f'  subgraph cluster_{index} {{ label="{_dot_text(group)}";')
        for address in members:
            node = diagram.nodes[address]
            fill, stroke = PALETTE[node.state]
            lines.append(f'    {ids[address]} [label="{_dot_text(node.label)}", fillcolor="{fill}", '
                         f'color="{stroke}", tooltip="{_dot_text(address)}"];')
        lines.append("  }")
    lines.extend(f"  {ids[a]} -> {ids[b]};" for a, b in diagram.edges)
    lines.append("}")
    return "\n".join(lines) + "\n"


_BOX_H, _GAP_X, _GAP_Y, _CHAR_W, _PAD = 28, 60, 14, 7, 10


def _layers(diagram: Diagram) -> dict[str, int]:
    """Each node's column: the length of the longest chain of edges leading to it."""
    preds: dict[str, set[str]] = {a: set() for a in diagram.nodes}
    for a, b in diagram.edges:
        preds[b].add(a)
    layer: dict[str, int] = {}
    for address in TopologicalSorter(preds).static_order():
        layer[address] = 1 + max((layer[p] for p in preds[address]), default=-1)
    return layer


def to_svg(diagram: Diagram) -> str:
    """A self-contained SVG drawn without Graphviz: columns by dependency depth, straight edges.

    Good enough to look at a project's shape; `--format dot` and Graphviz draw nicer pictures."""
    layer = _layers(diagram)
    columns: dict[int, list[str]] = {}
    for address in diagram.nodes:
        columns.setdefault(layer[address], []).append(address)
    widths = {c: max(len(diagram.nodes[a].label) for a in members) * _CHAR_W + 2 * _PAD
              for c, members in columns.items()}
    x_of: dict[int, int] = {}
    x = _PAD
    for column in sorted(columns):
        x_of[column] = x
        x += widths[column] + _GAP_X
    boxes: dict[str, tuple[int, int, int]] = {}
    for column, members in columns.items():
        for row, address in enumerate(members):
            boxes[address] = (x_of[column], _PAD + row * (_BOX_H + _GAP_Y), widths[column])
    height = max((y + _BOX_H for _, y, _ in boxes.values()), default=0) + _PAD
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{x}" height="{height}" '
           f'font-family="Helvetica, Arial, sans-serif" font-size="12">']
    for a, b in diagram.edges:
        ax, ay, aw = boxes[a]
        bx, by, _ = boxes[b]
        out.append(f'  <line x1="{ax + aw}" y1="{ay + _BOX_H // 2}" x2="{bx}" y2="{by + _BOX_H // 2}" '
                   'stroke="#8c959f" stroke-width="1"/>')
    for address, (bx, by, bw) in boxes.items():
        node = diagram.nodes[address]
        fill, stroke = PALETTE[node.state]
        out.append(f'  <g><title>{html.escape(address)}</title>'
                   f'<rect x="{bx}" y="{by}" width="{bw}" height="{_BOX_H}" rx="6" fill="{fill}" '
                   f'stroke="{stroke}"/>'
                   f'<text x="{bx + _PAD}" y="{by + 18}">{html.escape(node.label)}</text></g>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def render_diagram(diagram: Diagram, fmt: str) -> str:
    """`diagram` as mermaid, dot or svg text."""
    if fmt == "dot":
        return to_dot(diagram)
    if fmt == "svg":
        return to_svg(diagram)
    return to_mermaid(diagram)
