"""A small YAML emitter for plain data (what `provision render` prints); output parses back equal."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from provisioner.config.yamlsource import resolve_plain

_UNPRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]|[\u2028\u2029]"
)
_BAD_START = set("-?:,[]{}#&*!|>'\"%@` ")


def scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        return repr(value)
    text = str(value)
    if _plain_ok(text):
        return text
    quoted = json.dumps(text, ensure_ascii=False)
    return _UNPRINTABLE.sub(_escape, quoted)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def _plain_ok(text: str) -> bool:
    if not text or text[0] in _BAD_START or text != text.strip() or text.endswith(":"):
        return False
    if ": " in text or " #" in text or any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in text):
        return False
    if any(c in text for c in "\u2028\u2029\ufeff"):
        return False
    return resolve_plain(text) == text and isinstance(resolve_plain(text), str)


def _emit(value: Any, indent: int, out: list[str]) -> None:
    pad = " " * indent
    if isinstance(value, dict):
        for key, item in value.items():
            head = f"{pad}{scalar(key)}:"
            if isinstance(item, dict | list) and item:
                out.append(head)
                _emit(item, indent + 2 if isinstance(item, dict) else indent, out)
            else:
                out.append(f"{head} {_inline(item)}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict | list) and item:
                sub: list[str] = []
                _emit(item, indent + 2, sub)
                first = sub[0][indent + 2 :]
                out.append(f"{pad}- {first}")
                out.extend(sub[1:])
            else:
                out.append(f"{pad}- {_inline(item)}")
    else:
        out.append(pad + scalar(value))


def _inline(value: Any) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return scalar(value)


def emit_yaml(data: Any) -> str:
    """Block-style YAML for dicts, lists and scalars."""
    out: list[str] = []
    if isinstance(data, dict | list) and not data:
        return _inline(data) + "\n"
    _emit(data, 0, out)
    return "\n".join(out) + "\n"
