"""A strict validator of the mermaid flowchart subset `provision` emits (no browser needed).

The grammar, line by line after the header `flowchart LR|TD|TB|RL|BT`:
  classDef NAME prop:value(,prop:value)*
  subgraph ID["LABEL"]        ... end       (balanced, not nested deeper than the diagram allows)
  ID["LABEL"]                               (a node; only inside a subgraph here)
  ID --> ID                                 (both ends declared before)
  class ID(,ID)* NAME                       (NAME declared by a classDef)
IDs are `[A-Za-z][A-Za-z0-9_]*` and not mermaid keywords; a LABEL holds no raw `"`, `<`, `>`
or newline (they must come as `#quot;`, `#lt;`, `#gt;`), and `#` only starts an entity code.
"""

from __future__ import annotations

import re

_ID = r"[A-Za-z][A-Za-z0-9_]*"
_LABEL = r'"((?:[^"<>#\n]|#(?:quot|amp|lt|gt|\d+);)*)"'
_KEYWORDS = {"end", "graph", "flowchart", "subgraph", "class", "classDef", "style", "click", "linkStyle",
             "direction", "default"}
_RULES = {
    "classdef": re.compile(rf"^classDef ({_ID}) ([a-z-]+:[#A-Za-z0-9]+(?:,[a-z-]+:[#A-Za-z0-9]+)*)$"),
    "subgraph": re.compile(rf"^subgraph ({_ID})\[{_LABEL}\]$"),
    "end": re.compile(r"^end$"),
    "node": re.compile(rf"^({_ID})\[{_LABEL}\]$"),
    "edge": re.compile(rf"^({_ID}) --> ({_ID})$"),
    "class": re.compile(rf"^class ({_ID}(?:,{_ID})*) ({_ID})$"),
}


class MermaidError(ValueError):
    pass


def validate_flowchart(text: str) -> dict[str, int]:
    """Raise MermaidError at the first line outside the grammar; else counts of nodes and edges."""
    lines = text.splitlines()
    if not lines or not re.fullmatch(r"flowchart (LR|TD|TB|RL|BT)", lines[0]):
        raise MermaidError(f"line 1: not a flowchart header: {lines[:1]!r}")
    nodes: set[str] = set()
    subgraphs: set[str] = set()
    classes: set[str] = set()
    depth, edges = 0, 0
    for number, raw in enumerate(lines[1:], start=2):
        line = raw.strip()
        kind, match = next(((k, m) for k, r in _RULES.items() if (m := r.match(line))), (None, None))
        if kind is None or match is None:
            raise MermaidError(f"line {number}: outside the grammar: {raw!r}")
        ids = [g for g in match.groups() if g is not None and re.fullmatch(_ID, g)]
        if kind in ("node", "subgraph", "classdef") and match.group(1) in _KEYWORDS:
            raise MermaidError(f"line {number}: keyword used as an id: {raw!r}")
        if kind == "classdef":
            classes.add(match.group(1))
        elif kind == "subgraph":
            if match.group(1) in subgraphs | nodes:
                raise MermaidError(f"line {number}: id declared twice: {match.group(1)}")
            subgraphs.add(match.group(1))
            depth += 1
        elif kind == "end":
            depth -= 1
            if depth < 0:
                raise MermaidError(f"line {number}: `end` without a subgraph")
        elif kind == "node":
            if match.group(1) in nodes | subgraphs:
                raise MermaidError(f"line {number}: id declared twice: {match.group(1)}")
            nodes.add(match.group(1))
        elif kind == "edge":
            missing = [i for i in ids if i not in nodes]
            if missing:
                raise MermaidError(f"line {number}: edge to undeclared node(s) {missing}")
            edges += 1
        elif kind == "class":
            members, name = match.group(1).split(","), match.group(2)
            if name not in classes or any(m not in nodes for m in members):
                raise MermaidError(f"line {number}: class of undeclared node or style: {raw!r}")
    if depth:
        raise MermaidError("a subgraph is not closed")
    return {"nodes": len(nodes), "edges": edges}
