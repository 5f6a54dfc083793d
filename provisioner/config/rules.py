"""Vendor naming rules and value checks (Insights Hub reference §2.2-2.5, §3.2, §4)."""

from __future__ import annotations

import re
from datetime import datetime

ASPECT_TYPE_NAME = re.compile(r"[a-zA-Z0-9_]{1,128}")
ASSET_TYPE_NAME = re.compile(r"[\w. ]{1,128}")
ASPECT_NAME = re.compile(r"[a-zA-Z0-9_]{1,64}")
VARIABLE_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]{0,63}")
KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
RESERVED_VARIABLES = frozenset(
    {
        "id",
        "name",
        "description",
        "tenant",
        "etag",
        "scope",
        "properties",
        "propertySets",
        "extends",
        "variables",
        "aspects",
        "parentTypeId",
    }
)
BUILTIN_ASSET_TYPES = frozenset(
    {
        "core.basicasset",
        "core.basicdevice",
        "core.basicsite",
        "core.basicarea",
        "core.basicenterprise",
        "core.mclib",
    }
)
TYPE_ID_MAX = 128
DESCRIPTION_MAX = 255
UNIT_MAX = 32
STRING_MAX = 255
BIG_STRING_MAX = 100_000
DEFAULT_MAX = 255
ASSET_NAME_MAX = 128
DATA_SOURCE_NAME_MAX = 64
DATA_POINT_ID_MAX = 36
EVENT_MAPPINGS_PER_AGENT = 50
EVENT_MAPPINGS_PER_TYPE = 5
_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)

KEY_RULE = "a key is 1-64 letters, digits, '-' or '_', starting with a letter or digit"
VARIABLE_RULE = "a variable name is 1-64 characters [a-zA-Z_][a-zA-Z0-9_]*"


def value_problem(data_type: str, value: object) -> str | None:
    """Why `value` cannot be a value of `data_type`; None when it can."""
    if value is None:
        return None
    text = str(value).lower() if isinstance(value, bool) else str(value)
    if not 1 <= len(text) <= DEFAULT_MAX:
        return f"must be 1-{DEFAULT_MAX} characters"
    if data_type == "BOOLEAN":
        return None if isinstance(value, bool) or text in ("true", "false") else "is not a BOOLEAN"
    if data_type in ("INT", "LONG"):
        low, high = _INT32 if data_type == "INT" else _INT64
        try:
            number = int(text) if not isinstance(value, bool | float) else None
        except ValueError:
            number = None
        return None if number is not None and low <= number <= high else f"is not an {data_type}"
    if data_type == "DOUBLE":
        if isinstance(value, bool):
            return "is not a DOUBLE"
        try:
            float(text)
        except ValueError:
            return "is not a DOUBLE"
        return None
    if data_type == "TIMESTAMP":
        try:
            datetime.fromisoformat(text)
        except ValueError:
            return "is not an ISO 8601 TIMESTAMP"
        return None
    if isinstance(value, bool):
        return f"is not a {data_type}"
    return None
