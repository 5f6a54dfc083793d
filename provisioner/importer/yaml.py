"""A YAML writer for imported projects: block style, with short leaf mappings in flow style.

`{type: DOUBLE, unit: C}` and mapping lists read like hand-written configuration; everything
parses back to the same data (strings that would change meaning are quoted).
"""

from __future__ import annotations

import json
from typing import Any

from provisioner.config.emit import scalar

FLOW_WIDTH = 110
"""The longest line a flow mapping may make, indentation and key included."""
_FLOW_UNSAFE = set(",[]{}")


def _flow_scalar(value: Any) -> str:
    text = scalar(value)
    if isinstance(value, str) and not text.startswith('"') and any(c in _FLOW_UNSAFE for c in text):
        return json.dumps(value, ensure_ascii=False)
    return text


def _flow(value: Any, lead: int) -> str | None:
    """A one-line flow rendering of a mapping of scalars, or None when it does not fit after `lead`."""
    if not isinstance(value, dict) or not value:
        return None
    if any(isinstance(v, dict | list) for v in value.values()):
        return None
    text = "{" + ", ".join(f"{_flow_scalar(k)}: {_flow_scalar(v)}" for k, v in value.items()) + "}"
    return text if lead + len(text) <= FLOW_WIDTH else None


def _emit(value: Any, indent: int, out: list[str]) -> None:
    pad = " " * indent
    if isinstance(value, dict):
        for key, item in value.items():
            head = f"{pad}{scalar(key)}:"
            flow = _flow(item, len(head) + 1)
            if flow is not None:
                out.append(f"{head} {flow}")
            elif isinstance(item, dict | list) and item:
                out.append(head)
                _emit(item, indent + 2, out)
            else:
                out.append(f"{head} {_leaf(item)}")
    elif isinstance(value, list):
        for item in value:
            flow = _flow(item, indent + 2)
            if flow is not None:
                out.append(f"{pad}- {flow}")
            elif isinstance(item, dict | list) and item:
                sub: list[str] = []
                _emit(item, indent + 2, sub)
                out.append(f"{pad}- {sub[0][indent + 2:]}")
                out.extend(sub[1:])
            else:
                out.append(f"{pad}- {_leaf(item)}")


def _leaf(value: Any) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return scalar(value)


def dump(data: dict[str, Any]) -> str:
    """The YAML text of a document (a mapping)."""
    out: list[str] = []
    _emit(data, 0, out)
    return "\n".join(out) + "\n"
